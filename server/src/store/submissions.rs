//! `testimonial_submissions`: what a customer submitted.

use crate::domain::submission_state::{
    ModerationAction, ModerationError, ModerationFields, moderate as moderate_fields,
};
use chrono::{DateTime, Utc};
use entity::{ShopId, SubmissionId};
use entity::{
    SubmissionSource, SubmissionStatus, moderation_log, testimonial_requests as requests,
    testimonial_submissions as submissions,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

/// A submission through the capture page, as the customer gave it.
pub struct NewCaptureSubmission<'a> {
    pub request: &'a requests::Model,
    pub display_name: String,
    pub rating: Option<i16>,
    pub quote: Option<String>,
    pub has_video: bool,
    pub consent_text: String,
    pub consent_version: i32,
    /// Why the content filter flagged the text, if it did.
    pub flagged_reason: Option<String>,
    /// The campaign offered an incentive (a reward or an incentive text).
    pub incentivised: bool,
}

/// Inserts a `pending` submission for the request. The unique request id makes a second
/// insert for the same request fail (`UniqueConstraintViolation`).
pub async fn insert_capture(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    new: NewCaptureSubmission<'_>,
    now: DateTime<Utc>,
) -> Result<submissions::Model, DbErr> {
    let r = new.request;
    if r.shop_id != shop_id {
        return Err(DbErr::RecordNotFound(format!("request {} of this shop", r.id)));
    }
    submissions::ActiveModel {
        request_id: Set(Some(r.id)),
        campaign_id: Set(Some(r.campaign_id)),
        display_name: Set(new.display_name),
        rating: Set(new.rating),
        quote: Set(new.quote),
        has_video: Set(new.has_video),
        consent_text: Set(new.consent_text),
        consent_version: Set(new.consent_version),
        consented_at: Set(Some(now)),
        flagged: Set(new.flagged_reason.is_some()),
        flagged_reason: Set(new.flagged_reason),
        source: Set(SubmissionSource::Capture),
        incentivised: Set(new.incentivised),
        ..pending(shop_id, r.product_id, now)
    }
    .insert(db)
    .await
}

/// A new submission as every source starts it: `pending`, unpublished, placed nowhere, with the
/// customer's consent to publish.
fn pending(shop_id: ShopId, product_id: i64, now: DateTime<Utc>) -> submissions::ActiveModel {
    submissions::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        product_id: Set(product_id),
        consent_publish: Set(true),
        status: Set(SubmissionStatus::Pending),
        published: Set(false),
        published_at: Set(None),
        placement_home: Set(false),
        placement_product: Set(false),
        featured: Set(false),
        sort_order: Set(0),
        moderated_at: Set(None),
        reward_code: Set(None),
        incentivised: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// The consent an imported testimonial carries: the merchant's word, recorded as such.
pub const IMPORT_CONSENT_TEXT: &str =
    "Imported by the merchant, who confirmed that the customer agreed to have this testimonial published.";

/// Inserts an imported testimonial (`source = import`, `pending`, no request) and its
/// `import` entry in the moderation log, naming who imported it — in the caller's transaction.
pub async fn insert_import(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    row: &crate::domain::testimonial_csv::ImportRow,
    flagged_reason: Option<String>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<submissions::Model, DbErr> {
    let s = submissions::ActiveModel {
        request_id: Set(None),
        campaign_id: Set(None),
        display_name: Set(row.display_name.clone()),
        rating: Set(row.rating),
        quote: Set(row.quote.clone()),
        has_video: Set(row.video_url.is_some()),
        consent_text: Set(IMPORT_CONSENT_TEXT.into()),
        consent_version: Set(0),
        consented_at: Set(row.given_at),
        flagged: Set(flagged_reason.is_some()),
        flagged_reason: Set(flagged_reason),
        source: Set(SubmissionSource::Import),
        ..pending(shop_id, row.product_id, now)
    }
    .insert(db)
    .await?;
    let note = format!(
        "imported from CSV line {}{}",
        row.line,
        row.video_url.as_ref().map(|u| format!(", video {u}")).unwrap_or_default()
    );
    moderation_log::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        submission_id: Set(s.id),
        action: Set("import".into()),
        actor: Set(actor.to_owned()),
        from_status: Set(None),
        to_status: Set(Some(SubmissionStatus::Pending)),
        note: Set(Some(note.chars().take(1000).collect())),
        at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(s)
}

/// Why a moderation change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ModerationStoreError {
    #[error("submission not found")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] ModerationError),
    #[error("the submission changed meanwhile; reload and try again")]
    Conflict,
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Records the reward's code on the submission and, in the same transaction-less step, the
/// compliance record's `reward` entry — only the first time (`false` when it already had one).
pub async fn set_reward_code(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: SubmissionId,
    code: &str,
    reward: &crate::domain::reward::Reward,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let updated = submissions::Entity::update_many()
        .col_expr(submissions::Column::RewardCode, Expr::value(code))
        .col_expr(submissions::Column::Incentivised, Expr::value(true))
        .filter(submissions::Column::Id.eq(id))
        .filter(submissions::Column::ShopId.eq(shop_id))
        .filter(submissions::Column::RewardCode.is_null())
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(false);
    }
    let note = format!(
        "thank-you given to everyone who submits: discount code {code}, {} value {}, valid {} days",
        match reward.kind {
            crate::domain::reward::RewardKind::Percentage => "percentage",
            crate::domain::reward::RewardKind::FixedAmount => "fixed amount",
        },
        reward.value,
        reward.expires_in_days
    );
    moderation_log::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        submission_id: Set(id),
        action: Set("reward".into()),
        actor: Set("system:reward".into()),
        from_status: Set(None),
        to_status: Set(None),
        note: Set(Some(note)),
        at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(true)
}

pub async fn get(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: SubmissionId,
) -> Result<Option<submissions::Model>, DbErr> {
    submissions::Entity::find_by_id(id).filter(submissions::Column::ShopId.eq(shop_id)).one(db).await
}

fn fields(s: &submissions::Model) -> ModerationFields {
    ModerationFields {
        status: s.status,
        published: s.published,
        placement_home: s.placement_home,
        placement_product: s.placement_product,
        product_id: s.product_id,
        featured: s.featured,
        sort_order: s.sort_order,
    }
}

/// The one way a submission's moderation state changes: the rule of
/// `domain::submission_state::moderate`, written with a compare-and-set on what was read, and
/// the `moderation_log` row — in the caller's transaction, so both commit or neither.
pub async fn moderate(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: SubmissionId,
    action: &ModerationAction,
    actor: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<submissions::Model, ModerationStoreError> {
    let current = get(db, shop_id, id).await?.ok_or(ModerationStoreError::NotFound)?;
    let before = fields(&current);
    let after = moderate_fields(&before, action)?;
    let status_changed = after.status != before.status;
    let published_at = match (before.published, after.published) {
        (false, true) => Some(now),
        (_, false) => None,
        (true, true) => current.published_at,
    };
    let mut update = submissions::Entity::update_many()
        .col_expr(submissions::Column::Status, Expr::value(after.status.as_str()))
        .col_expr(submissions::Column::Published, Expr::value(after.published))
        .col_expr(submissions::Column::PublishedAt, Expr::value(published_at))
        .col_expr(submissions::Column::PlacementHome, Expr::value(after.placement_home))
        .col_expr(submissions::Column::PlacementProduct, Expr::value(after.placement_product))
        .col_expr(submissions::Column::ProductId, Expr::value(after.product_id))
        .col_expr(submissions::Column::Featured, Expr::value(after.featured))
        .col_expr(submissions::Column::SortOrder, Expr::value(after.sort_order))
        .col_expr(submissions::Column::UpdatedAt, Expr::value(now));
    if status_changed {
        update = update.col_expr(submissions::Column::ModeratedAt, Expr::value(now));
    }
    let done = update
        .filter(submissions::Column::Id.eq(id))
        .filter(submissions::Column::ShopId.eq(shop_id))
        .filter(submissions::Column::Status.eq(before.status.as_str()))
        .filter(submissions::Column::Published.eq(before.published))
        .filter(submissions::Column::UpdatedAt.eq(current.updated_at))
        .exec(db)
        .await?;
    if done.rows_affected != 1 {
        return Err(ModerationStoreError::Conflict);
    }
    if before.published || after.published {
        super::shops::bump_storefront_version(db, shop_id).await?;
    }
    let detail = match action {
        ModerationAction::Publish { home, product } => Some(format!("placements: home={home}, product={product}")),
        ModerationAction::BindProduct(p) => Some(format!("product {} → {p}", before.product_id)),
        ModerationAction::Feature { featured, sort_order } => {
            Some(format!("featured={featured}, sort order {sort_order}"))
        }
        _ => None,
    };
    let note = match (note.map(str::trim).filter(|n| !n.is_empty()), detail) {
        (Some(n), Some(d)) => Some(format!("{n} ({d})")),
        (Some(n), None) => Some(n.to_owned()),
        (None, d) => d,
    };
    moderation_log::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        submission_id: Set(id),
        action: Set(action.name().to_owned()),
        actor: Set(actor.to_owned()),
        from_status: Set(Some(before.status)),
        to_status: Set(Some(after.status)),
        note: Set(note.map(|n| n.chars().take(1000).collect())),
        at: Set(now),
    }
    .insert(db)
    .await?;
    get(db, shop_id, id).await?.ok_or(ModerationStoreError::NotFound)
}

/// Pending submissions created before `cutoff`, across shops (the 14-day rule's sweep).
pub async fn pending_before_all_shops(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<submissions::Model>, DbErr> {
    submissions::Entity::find()
        .filter(submissions::Column::Status.eq(SubmissionStatus::Pending.as_str()))
        .filter(submissions::Column::CreatedAt.lte(cutoff))
        .order_by_asc(submissions::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await
}

/// A page of the shop's submissions, newest first, optionally of one status; `before` is the
/// id of the last row of the previous page (ids are time-ordered UUIDv7s).
pub async fn list(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    status: Option<SubmissionStatus>,
    before: Option<SubmissionId>,
    limit: u64,
) -> Result<Vec<submissions::Model>, DbErr> {
    list_query(shop_id, status, before, limit).all(db).await
}

/// The query behind [`list`] (the scale benchmark prints its plan).
pub fn list_query(
    shop_id: ShopId,
    status: Option<SubmissionStatus>,
    before: Option<SubmissionId>,
    limit: u64,
) -> sea_orm::Select<submissions::Entity> {
    let mut q = submissions::Entity::find().filter(submissions::Column::ShopId.eq(shop_id));
    if let Some(s) = status {
        q = q.filter(submissions::Column::Status.eq(s.as_str()));
    }
    if let Some(b) = before {
        q = q.filter(submissions::Column::Id.lt(b));
    }
    q.order_by_desc(submissions::Column::Id).limit(limit)
}

/// A submission's moderation history, oldest first.
pub async fn log(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: SubmissionId,
) -> Result<Vec<moderation_log::Model>, DbErr> {
    moderation_log::Entity::find()
        .filter(moderation_log::Column::ShopId.eq(shop_id))
        .filter(moderation_log::Column::SubmissionId.eq(id))
        .order_by_asc(moderation_log::Column::At)
        .order_by_asc(moderation_log::Column::Id)
        .all(db)
        .await
}
