//! Campaigns: create, update and move through their lifecycle. Archiving expires the requests
//! that were never sent.

use crate::domain::campaign::{
    self, CampaignSettings, CampaignTemplates, FieldError, InvalidCampaign, InvalidCampaignTransition,
};
use crate::store;
use crate::store::requests::{ChangeDetails, TransitionError};
use chrono::{DateTime, Utc};
use entity::{CampaignId, ShopId};
use entity::{CampaignStatus, ExpireReason, RequestStatus, campaigns};
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("campaign not found")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] InvalidCampaign),
    #[error(transparent)]
    Transition(#[from] InvalidCampaignTransition),
    #[error("an archived campaign cannot be changed")]
    Archived,
    #[error("the campaign changed meanwhile; reload and try again")]
    Conflict,
    #[error(transparent)]
    Database(#[from] DbErr),
}

pub async fn create(
    db: &DatabaseConnection,
    shop_id: ShopId,
    settings: CampaignSettings,
    now: DateTime<Utc>,
) -> Result<campaigns::Model, CampaignError> {
    let settings = settings.validate()?;
    check_templates(db, shop_id, &settings).await?;
    let c = store::campaigns::insert(db, shop_id, &settings, now).await?;
    tracing::info!(%shop_id, campaign_id = %c.id, "campaign created");
    Ok(c)
}

/// Settings as stored, for an update to start from.
pub fn settings_of(c: &campaigns::Model) -> CampaignSettings {
    CampaignSettings {
        name: c.name.clone(),
        trigger: c.trigger,
        channel: c.channel,
        delay_days: c.delay_days,
        fallback_days: c.fallback_days,
        reminder_enabled: c.reminder_enabled,
        reminder_delay_days: c.reminder_delay_days,
        max_reminders: c.max_reminders,
        postpone_days: c.postpone_days,
        max_postpones: c.max_postpones,
        token_ttl_days: c.token_ttl_days,
        frequency_cap_30d: c.frequency_cap_30d,
        eligibility: campaign::Eligibility::from_json(&c.eligibility),
        consent_text: c.consent_text.clone(),
        consent_texts: c
            .consent_texts
            .as_ref()
            .and_then(|j| serde_json::from_value(j.clone()).ok())
            .unwrap_or_default(),
        prompt: c.prompt.clone(),
        incentive: c.incentive.clone(),
        reward: c.reward.as_ref().and_then(crate::domain::reward::Reward::from_json),
        templates: CampaignTemplates {
            request_email: c.request_email_template_id,
            reminder_email: c.reminder_email_template_id,
            request_sms: c.request_sms_template_id,
            reminder_sms: c.reminder_sms_template_id,
        },
    }
}

/// A campaign must be able to send what it plans: every chosen template must be one of the
/// shop's, of the slot's channel and kind, and every channel the campaign uses needs a template
/// for each message it sends (its own choice or the shop's `Default`). Checked at save and again
/// at activation, since a `Default` template may have been deleted meanwhile.
async fn check_templates(
    db: &impl sea_orm::ConnectionTrait,
    shop_id: ShopId,
    s: &CampaignSettings,
) -> Result<(), CampaignError> {
    let mut errors = Vec::new();
    for (field, channel, kind, chosen) in s.templates.slots() {
        let Some(id) = chosen else { continue };
        match store::templates::get(db, shop_id, id).await? {
            Some(t) if t.channel == channel && t.kind == kind => {}
            Some(_) => errors.push(FieldError { field, message: format!("is not a {channel} {kind} template") }),
            None => errors.push(FieldError { field, message: "no such template in this shop".into() }),
        }
    }
    if errors.is_empty() {
        for (channel, kind) in campaign::needed_templates(s.channel, s.reminder_enabled) {
            let chosen = s.templates.slots().into_iter().find(|x| x.1 == channel && x.2 == kind).and_then(|x| x.3);
            if store::templates::pick(db, shop_id, channel, kind, chosen, &[]).await?.is_none() {
                errors.push(FieldError {
                    field: "channel",
                    message: format!(
                        "sending by {channel} needs a {channel} {kind} template: create one or choose another channel"
                    ),
                });
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(InvalidCampaign(errors).into()) }
}

/// Applies `change` to the current settings, validates, saves.
pub async fn update(
    db: &DatabaseConnection,
    shop_id: ShopId,
    id: CampaignId,
    change: impl FnOnce(&mut CampaignSettings),
    now: DateTime<Utc>,
) -> Result<campaigns::Model, CampaignError> {
    let current = get(db, shop_id, id).await?;
    if current.status == CampaignStatus::Archived {
        return Err(CampaignError::Archived);
    }
    let mut settings = settings_of(&current);
    change(&mut settings);
    let settings = settings.validate()?;
    check_templates(db, shop_id, &settings).await?;
    Ok(store::campaigns::update(db, shop_id, current, &settings, now).await?)
}

pub async fn get(db: &DatabaseConnection, shop_id: ShopId, id: CampaignId) -> Result<campaigns::Model, CampaignError> {
    store::campaigns::get(db, shop_id, id).await?.ok_or(CampaignError::NotFound)
}

pub async fn list(db: &DatabaseConnection, shop_id: ShopId) -> Result<Vec<campaigns::Model>, CampaignError> {
    Ok(store::campaigns::list(db, shop_id).await?)
}

/// Moves a campaign to `to` (activate, pause, archive). Archiving also expires its unsent
/// requests, in the same transaction.
pub async fn set_status(
    db: &DatabaseConnection,
    shop_id: ShopId,
    id: CampaignId,
    to: CampaignStatus,
    now: DateTime<Utc>,
) -> Result<campaigns::Model, CampaignError> {
    let current = get(db, shop_id, id).await?;
    campaign::transition(current.status, to)?;
    if to == CampaignStatus::Active {
        check_templates(db, shop_id, &settings_of(&current)).await?;
    }
    let txn = db.begin().await?;
    if !store::campaigns::set_status(&txn, shop_id, id, current.status, to, now).await? {
        return Err(CampaignError::Conflict);
    }
    if to == CampaignStatus::Archived {
        for r in store::requests::unsent_for_campaign(&txn, shop_id, id).await? {
            let details = ChangeDetails { expire_reason: Some(ExpireReason::CampaignArchived), ..Default::default() };
            match store::requests::transition(&txn, shop_id, r.id, RequestStatus::Expired, now, details).await {
                Ok(_) | Err(TransitionError::Invalid(_) | TransitionError::Conflict | TransitionError::NotFound) => {}
                Err(TransitionError::Database(e)) => return Err(e.into()),
            }
        }
    }
    txn.commit().await?;
    tracing::info!(%shop_id, campaign_id = %id, from = %current.status, %to, "campaign status changed");
    get(db, shop_id, id).await
}
