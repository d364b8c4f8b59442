//! Rate counters (`rate_counters`): global by design, as a limit must hold across every
//! replica and every shop; buckets are opaque hashes.

use entity::rate_counters::{self as counters, ActiveModel, Column, Entity};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

/// Adds one hit to `bucket` in the window starting at `window_start`; returns the window's
/// hits including this one. One upsert: two replicas counting at once both land.
pub async fn count_hit_all_shops(db: &impl ConnectionTrait, bucket: &str, window_start: i64) -> Result<i32, DbErr> {
    let row = ActiveModel { bucket: Set(bucket.to_owned()), window_start: Set(window_start), hits: Set(1) };
    let bump = OnConflict::columns([Column::Bucket, Column::WindowStart])
        .value(Column::Hits, Expr::col((Entity, Column::Hits)).add(1))
        .to_owned();
    let counted: counters::Model = Entity::insert(row).on_conflict(bump).exec_with_returning(db).await?;
    Ok(counted.hits)
}

/// Deletes windows that started before `before` (seconds since the epoch).
pub async fn prune_all_shops(db: &impl ConnectionTrait, before: i64) -> Result<u64, DbErr> {
    Ok(Entity::delete_many().filter(Column::WindowStart.lt(before)).exec(db).await?.rows_affected)
}
