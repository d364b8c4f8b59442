//! The `testimonial_requests` aggregate: lookups and the one status-transition function.

use crate::domain::request_state::{self, InvalidRequestTransition};
use crate::domain::tokens::TokenHash;
use crate::store::request_events;
use chrono::{DateTime, Utc};
use entity::{ExpireReason, RequestStatus, testimonial_requests as requests};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
    TransactionSession, TransactionTrait,
};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    #[error(transparent)]
    Invalid(#[from] InvalidRequestTransition),
    #[error("request not found")]
    NotFound,
    /// Another writer changed the status between our read and our write; the caller may
    /// re-read and decide again.
    #[error("request status changed concurrently")]
    Conflict,
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// What goes with a status change besides the status itself.
#[derive(Debug, Clone, Default)]
pub struct ChangeDetails {
    pub expire_reason: Option<ExpireReason>,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    /// Redacted event payload (see `request_events::append`).
    pub payload: Option<serde_json::Value>,
}

/// The capture link's lookup: by token hash. Global by nature (the token names the tenant),
/// hence the name.
pub async fn find_by_token_hash_all_shops(
    db: &impl ConnectionTrait,
    hash: &TokenHash,
) -> Result<Option<requests::Model>, DbErr> {
    requests::Entity::find().filter(requests::Column::TokenHash.eq(hash.as_str())).one(db).await
}

pub async fn get(db: &impl ConnectionTrait, shop_id: Uuid, id: Uuid) -> Result<Option<requests::Model>, DbErr> {
    requests::Entity::find_by_id(id).filter(requests::Column::ShopId.eq(shop_id)).one(db).await
}

/// The one way a request's status changes: checks the state machine, writes the new status
/// with a compare-and-set on the old one, stamps the matching timestamp and appends the event —
/// all in one transaction.
pub async fn transition<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    shop_id: Uuid,
    request_id: Uuid,
    to: RequestStatus,
    now: DateTime<Utc>,
    details: ChangeDetails,
) -> Result<requests::Model, TransitionError> {
    let txn = db.begin().await?;
    let current = get(&txn, shop_id, request_id).await?.ok_or(TransitionError::NotFound)?;
    let from = current.status;
    let event = request_state::transition(from, to)?;

    let mut row = current.clone().into_active_model();
    row.status = Set(to);
    row.updated_at = Set(now);
    match to {
        RequestStatus::Sent => {
            if current.first_sent_at.is_none() {
                row.first_sent_at = Set(Some(now));
            }
            row.last_sent_at = Set(Some(now));
            row.lease_until = Set(None);
            row.last_error = Set(None);
        }
        RequestStatus::Clicked => row.clicked_at = Set(Some(now)),
        RequestStatus::Submitted => row.submitted_at = Set(Some(now)),
        RequestStatus::Expired => {
            row.expired_at = Set(Some(now));
            row.expire_reason = Set(details.expire_reason.or(Some(ExpireReason::TokenExpired)));
            row.next_reminder_at = Set(None);
        }
        RequestStatus::Failed => row.lease_until = Set(None),
        RequestStatus::Scheduled => {
            // A resend starts a fresh attempt cycle.
            row.attempts = Set(0);
            row.scheduled_for = Set(now);
            row.next_attempt_at = Set(Some(now));
        }
        RequestStatus::Queued => {}
    }
    if let Some(id) = &details.provider_message_id {
        row.provider_message_id = Set(Some(id.clone()));
    }
    if let Some(err) = &details.last_error {
        row.last_error = Set(Some(err.chars().take(2000).collect()));
    }
    let updated = requests::Entity::update_many()
        .set(row)
        .filter(requests::Column::Id.eq(request_id))
        .filter(requests::Column::ShopId.eq(shop_id))
        .filter(requests::Column::Status.eq(from.as_str()))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(TransitionError::Conflict);
    }
    request_events::append(
        &txn,
        shop_id,
        request_id,
        request_events::NewEvent {
            event_type: event,
            at: now,
            provider_message_id: details.provider_message_id,
            payload: details.payload,
        },
    )
    .await?;
    let after = get(&txn, shop_id, request_id).await?.ok_or(TransitionError::NotFound)?;
    txn.commit().await?;
    Ok(after)
}
