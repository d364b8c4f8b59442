//! `alerts`: what the merchant should know about (terminal send failures, media failures).

use chrono::{DateTime, Utc};
use entity::{AlertSeverity, alerts};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

pub async fn raise(
    db: &impl ConnectionTrait,
    shop_id: Uuid,
    kind: &str,
    severity: AlertSeverity,
    message: String,
    metadata: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    alerts::Entity::insert(alerts::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        kind: Set(kind.to_owned()),
        severity: Set(severity),
        message: Set(message),
        metadata: Set(Some(metadata)),
        created_at: Set(now),
        read_at: Set(None),
        emailed_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
