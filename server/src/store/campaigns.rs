//! The `campaigns` aggregate.

use crate::domain::campaign::CampaignSettings;
use chrono::{DateTime, Utc};
use entity::{CampaignId, ShopId};
use entity::{CampaignStatus, CampaignTrigger, campaigns};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};

fn apply(row: &mut campaigns::ActiveModel, s: &CampaignSettings) {
    row.name = Set(s.name.trim().to_owned());
    row.trigger = Set(s.trigger);
    row.channel = Set(s.channel);
    row.delay_days = Set(s.delay_days);
    row.fallback_days = Set(s.fallback_days);
    row.reminder_enabled = Set(s.reminder_enabled);
    row.reminder_delay_days = Set(s.reminder_delay_days);
    row.max_reminders = Set(s.max_reminders);
    row.postpone_days = Set(s.postpone_days);
    row.max_postpones = Set(s.max_postpones);
    row.token_ttl_days = Set(s.token_ttl_days);
    row.frequency_cap_30d = Set(s.frequency_cap_30d);
    row.eligibility = Set(s.eligibility.to_json());
    row.consent_text = Set(s.consent_text.clone());
    row.consent_texts = Set((!s.consent_texts.is_empty()).then(|| serde_json::json!(s.consent_texts)));
    row.prompt = Set(s.prompt.clone());
    row.incentive = Set(s.incentive.clone());
    row.reward = Set(s.reward.as_ref().map(|r| serde_json::to_value(r).expect("a reward serialises")));
    row.request_email_template_id = Set(s.templates.request_email);
    row.reminder_email_template_id = Set(s.templates.reminder_email);
    row.request_sms_template_id = Set(s.templates.request_sms);
    row.reminder_sms_template_id = Set(s.templates.reminder_sms);
}

pub async fn insert(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    s: &CampaignSettings,
    now: DateTime<Utc>,
) -> Result<campaigns::Model, DbErr> {
    let mut row = campaigns::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        status: Set(CampaignStatus::Draft),
        consent_version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply(&mut row, s);
    row.insert(db).await
}

/// Saves new settings; a changed consent text gets a new consent version, so every submission
/// records exactly which wording the customer agreed to.
/// Saves new settings over `current` (a row of `shop_id`, read by the caller).
pub async fn update(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    current: campaigns::Model,
    s: &CampaignSettings,
    now: DateTime<Utc>,
) -> Result<campaigns::Model, DbErr> {
    if current.shop_id != shop_id {
        return Err(DbErr::RecordNotFound(format!("campaign {} of this shop", current.id)));
    }
    let new_version = if current.consent_text != s.consent_text
        || current.consent_texts.clone().unwrap_or_default() != serde_json::json!(s.consent_texts)
            && !(current.consent_texts.is_none() && s.consent_texts.is_empty())
    {
        current.consent_version + 1
    } else {
        current.consent_version
    };
    let mut row = current.into_active_model();
    apply(&mut row, s);
    row.consent_version = Set(new_version);
    row.updated_at = Set(now);
    row.update(db).await
}

pub async fn get(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: CampaignId,
) -> Result<Option<campaigns::Model>, DbErr> {
    campaigns::Entity::find_by_id(id).filter(campaigns::Column::ShopId.eq(shop_id)).one(db).await
}

/// The campaigns named by `(shop, campaign)` pairs, in one query; a pair whose campaign is
/// another shop's finds nothing, as [`get`] would.
pub async fn by_ids(db: &impl ConnectionTrait, pairs: &[(ShopId, CampaignId)]) -> Result<Vec<campaigns::Model>, DbErr> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let found = campaigns::Entity::find()
        .filter(campaigns::Column::Id.is_in(pairs.iter().map(|(_, id)| *id)))
        .filter(campaigns::Column::ShopId.is_in(pairs.iter().map(|(shop, _)| *shop)))
        .all(db)
        .await?;
    Ok(found.into_iter().filter(|c| pairs.contains(&(c.shop_id, c.id))).collect())
}

pub async fn list(db: &impl ConnectionTrait, shop_id: ShopId) -> Result<Vec<campaigns::Model>, DbErr> {
    campaigns::Entity::find()
        .filter(campaigns::Column::ShopId.eq(shop_id))
        .order_by_desc(campaigns::Column::CreatedAt)
        .all(db)
        .await
}

/// Active campaigns of a shop with the given trigger.
pub async fn active_with_trigger(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    trigger: CampaignTrigger,
) -> Result<Vec<campaigns::Model>, DbErr> {
    campaigns::Entity::find()
        .filter(campaigns::Column::ShopId.eq(shop_id))
        .filter(campaigns::Column::Status.eq(CampaignStatus::Active.as_str()))
        .filter(campaigns::Column::Trigger.eq(trigger.as_str()))
        .order_by_asc(campaigns::Column::CreatedAt)
        .all(db)
        .await
}

/// Compare-and-set of the status; false when another writer changed it first.
pub async fn set_status(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: CampaignId,
    from: CampaignStatus,
    to: CampaignStatus,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = campaigns::Entity::update_many()
        .col_expr(campaigns::Column::Status, to.as_str().into())
        .col_expr(campaigns::Column::UpdatedAt, now.into())
        .filter(campaigns::Column::Id.eq(id))
        .filter(campaigns::Column::ShopId.eq(shop_id))
        .filter(campaigns::Column::Status.eq(from.as_str()))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}
