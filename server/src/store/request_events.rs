//! The append-only request timeline (spec 004): `append` is the `append_request_event` helper
//! of DESIGN.md §5. It checks the request belongs to the shop, redacts and bounds the
//! payload, and — for events that may be replayed from outside (provider callbacks, tracking
//! hits) — ignores a duplicate of the same request, type and provider id in the same minute.
//! `append_owned` writes the events of requests just inserted or updated, in one statement; both
//! build their rows with the same `row`, so the payload is redacted and bounded the same way.
//!
//! Events written by the transition function are not deduplicated: the compare-and-set on the
//! status already makes each of them happen once, and two genuine retries may fall in one minute.

use crate::domain::event_payload;
use chrono::{DateTime, Utc};
use entity::{RequestEventType, testimonial_request_events as events, testimonial_requests as requests};
use entity::{RequestId, ShopId};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

pub use event_payload::MAX_PAYLOAD_BYTES;

pub struct NewEvent {
    pub event_type: RequestEventType,
    pub at: DateTime<Utc>,
    pub provider_message_id: Option<String>,
    pub payload: Option<serde_json::Value>,
    /// Apply the same-minute dedupe rule (for events that can arrive twice).
    pub dedupe: bool,
}

impl NewEvent {
    pub fn new(event_type: RequestEventType, at: DateTime<Utc>) -> Self {
        Self { event_type, at, provider_message_id: None, payload: None, dedupe: false }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The request does not exist in this shop: a wrong tenant is the same as a missing row.
    #[error("request not found in this shop")]
    NotFound,
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Appends one event. Returns `false` when it was a duplicate and nothing was written.
pub async fn append(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    request_id: RequestId,
    e: NewEvent,
) -> Result<bool, AppendError> {
    let owned = requests::Entity::find_by_id(request_id).filter(requests::Column::ShopId.eq(shop_id)).count(db).await?;
    if owned == 0 {
        return Err(AppendError::NotFound);
    }
    let result = events::Entity::insert(row(shop_id, request_id, e))
        .on_conflict_do_nothing_on([events::Column::DedupeKey])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(result, sea_orm::TryInsertResult::Inserted(n) if n > 0))
}

/// Appends events of requests this unit of work has just inserted or updated with their shop
/// in the statement's condition, in one statement. Only for those: their ownership is known
/// without the check `append` makes, and none of these events is one a provider can replay,
/// so there is nothing to deduplicate.
pub async fn append_owned(db: &impl ConnectionTrait, new: Vec<(ShopId, RequestId, NewEvent)>) -> Result<u64, DbErr> {
    if new.is_empty() {
        return Ok(0);
    }
    let rows: Vec<_> = new.into_iter().map(|(shop_id, request_id, e)| row(shop_id, request_id, e)).collect();
    events::Entity::insert_many(rows).exec_without_returning(db).await
}

fn row(shop_id: ShopId, request_id: RequestId, e: NewEvent) -> events::ActiveModel {
    let dedupe_key = e
        .dedupe
        .then(|| event_payload::dedupe_key(request_id, e.event_type.as_str(), e.provider_message_id.as_deref(), e.at));
    events::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        request_id: Set(request_id),
        event_type: Set(e.event_type),
        event_at: Set(e.at),
        provider_message_id: Set(e.provider_message_id),
        payload: Set(e.payload.map(event_payload::sanitise)),
        dedupe_key: Set(dedupe_key),
        created_at: Set(Utc::now()),
    }
}

/// A request's timeline, oldest first.
pub async fn timeline(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    request_id: RequestId,
) -> Result<Vec<events::Model>, DbErr> {
    events::Entity::find()
        .filter(events::Column::ShopId.eq(shop_id))
        .filter(events::Column::RequestId.eq(request_id))
        .order_by_asc(events::Column::EventAt)
        .order_by_asc(events::Column::Id)
        .all(db)
        .await
}

/// The timelines of several requests in one query, each newest first.
pub async fn timelines(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    request_ids: &[RequestId],
) -> Result<Vec<events::Model>, DbErr> {
    if request_ids.is_empty() {
        return Ok(Vec::new());
    }
    timelines_query(shop_id, request_ids).all(db).await
}

/// The query behind [`timelines`] (the scale benchmark prints its plan).
pub fn timelines_query(shop_id: ShopId, request_ids: &[RequestId]) -> sea_orm::Select<events::Entity> {
    events::Entity::find()
        .filter(events::Column::ShopId.eq(shop_id))
        .filter(events::Column::RequestId.is_in(request_ids.iter().copied()))
        .order_by_desc(events::Column::EventAt)
        .order_by_desc(events::Column::Id)
}
