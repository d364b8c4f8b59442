//! The append-only request timeline (spec 004).
//!
//! Payloads are bounded: anything over 4 KiB is replaced by a note saying so, so one noisy
//! provider callback cannot bloat the table. (Redaction of personal fields and the
//! same-minute dedupe rule arrive with the messaging pipeline.)

use chrono::{DateTime, Utc};
use entity::{RequestEventType, testimonial_request_events as events};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

pub const MAX_PAYLOAD_BYTES: usize = 4096;

pub struct NewEvent {
    pub event_type: RequestEventType,
    pub at: DateTime<Utc>,
    pub provider_message_id: Option<String>,
    pub payload: Option<serde_json::Value>,
}

pub async fn append(
    db: &impl ConnectionTrait,
    shop_id: Uuid,
    request_id: Uuid,
    e: NewEvent,
) -> Result<events::Model, DbErr> {
    let payload = e.payload.map(|p| {
        let size = serde_json::to_vec(&p).map(|v| v.len()).unwrap_or(usize::MAX);
        if size <= MAX_PAYLOAD_BYTES { p } else { serde_json::json!({ "truncated": true, "original_bytes": size }) }
    });
    let row = events::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        request_id: Set(request_id),
        event_type: Set(e.event_type),
        event_at: Set(e.at),
        provider_message_id: Set(e.provider_message_id),
        payload: Set(payload),
        dedupe_key: Set(None),
        created_at: Set(Utc::now()),
    };
    events::Entity::insert(row).exec_with_returning(db).await
}

/// A request's timeline, oldest first.
pub async fn timeline(db: &impl ConnectionTrait, shop_id: Uuid, request_id: Uuid) -> Result<Vec<events::Model>, DbErr> {
    events::Entity::find()
        .filter(events::Column::ShopId.eq(shop_id))
        .filter(events::Column::RequestId.eq(request_id))
        .order_by_asc(events::Column::EventAt)
        .order_by_asc(events::Column::Id)
        .all(db)
        .await
}
