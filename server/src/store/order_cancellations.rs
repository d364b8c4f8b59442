//! `order_cancellations`: which of a shop's orders were cancelled.

use chrono::{DateTime, Utc};
use entity::ShopId;
use entity::order_cancellations as cancellations;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// Records the cancellation; a replay changes nothing.
pub async fn record(db: &impl ConnectionTrait, shop_id: ShopId, order_id: i64, at: DateTime<Utc>) -> Result<(), DbErr> {
    let row = cancellations::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        shopify_order_id: Set(order_id),
        cancelled_at: Set(at),
    };
    cancellations::Entity::insert(row)
        .on_conflict_do_nothing_on([cancellations::Column::ShopId, cancellations::Column::ShopifyOrderId])
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Compliance redaction: the customer's orders leave no trace here either.
pub async fn delete_for_orders(db: &impl ConnectionTrait, shop_id: ShopId, order_ids: &[i64]) -> Result<u64, DbErr> {
    Ok(cancellations::Entity::delete_many()
        .filter(cancellations::Column::ShopId.eq(shop_id))
        .filter(cancellations::Column::ShopifyOrderId.is_in(order_ids.iter().copied()))
        .exec(db)
        .await?
        .rows_affected)
}
