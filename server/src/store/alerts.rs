//! `alerts`: what the merchant should know about (terminal send failures, media failures).

use chrono::{DateTime, Utc};
use entity::{AlertId, ShopId};
use entity::{AlertSeverity, alerts};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

pub async fn raise(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
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

/// The shop's alerts, newest first (`unread_only` for the badge).
pub async fn list(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    unread_only: bool,
    limit: u64,
) -> Result<Vec<alerts::Model>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    let mut q = alerts::Entity::find().filter(alerts::Column::ShopId.eq(shop_id));
    if unread_only {
        q = q.filter(alerts::Column::ReadAt.is_null());
    }
    q.order_by_desc(alerts::Column::CreatedAt).order_by_desc(alerts::Column::Id).limit(limit).all(db).await
}

/// Marks alerts read (the shop's own only); returns how many changed.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    ids: &[AlertId],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    use sea_orm::sea_query::Expr;
    let r = alerts::Entity::update_many()
        .col_expr(alerts::Column::ReadAt, Expr::value(now))
        .filter(alerts::Column::ShopId.eq(shop_id))
        .filter(alerts::Column::Id.is_in(ids.iter().copied()))
        .filter(alerts::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// When the shop's last alert summary went out (the newest `emailed_at`).
pub async fn last_emailed_at(db: &impl ConnectionTrait, shop_id: ShopId) -> Result<Option<DateTime<Utc>>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    let t: Option<Option<DateTime<Utc>>> = alerts::Entity::find()
        .select_only()
        .column(alerts::Column::EmailedAt)
        .filter(alerts::Column::ShopId.eq(shop_id))
        .filter(alerts::Column::EmailedAt.is_not_null())
        .order_by_desc(alerts::Column::EmailedAt)
        .into_tuple()
        .one(db)
        .await?;
    Ok(t.flatten())
}

/// Alerts no summary has carried yet, oldest first.
pub async fn not_emailed(db: &impl ConnectionTrait, shop_id: ShopId, limit: u64) -> Result<Vec<alerts::Model>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    alerts::Entity::find()
        .filter(alerts::Column::ShopId.eq(shop_id))
        .filter(alerts::Column::EmailedAt.is_null())
        .order_by_asc(alerts::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await
}

/// Claims alerts for a summary (compare-and-set on `emailed_at IS NULL`, so two replicas never
/// both send them); `at: None` releases them again after a failed send. Returns how many changed.
pub async fn set_emailed(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    ids: &[AlertId],
    at: Option<DateTime<Utc>>,
) -> Result<u64, DbErr> {
    use sea_orm::sea_query::Expr;
    let mut q = alerts::Entity::update_many()
        .col_expr(alerts::Column::EmailedAt, Expr::value(at))
        .filter(alerts::Column::ShopId.eq(shop_id))
        .filter(alerts::Column::Id.is_in(ids.iter().copied()));
    q = if at.is_some() {
        q.filter(alerts::Column::EmailedAt.is_null())
    } else {
        q.filter(alerts::Column::EmailedAt.is_not_null())
    };
    Ok(q.exec(db).await?.rows_affected)
}
