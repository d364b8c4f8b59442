//! `suppressions`: a shop's customers who asked for no more messages, by hashed customer key.

use chrono::{DateTime, Utc};
use entity::ShopId;
use entity::suppressions;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter};

/// Records the suppression; a second one for the same customer changes nothing.
pub async fn add(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    customer_key: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = suppressions::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        customer_key: Set(customer_key.to_owned()),
        reason: Set(reason.chars().take(100).collect()),
        created_at: Set(now),
    };
    suppressions::Entity::insert(row)
        .on_conflict_do_nothing_on([suppressions::Column::ShopId, suppressions::Column::CustomerKey])
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn contains(db: &impl ConnectionTrait, shop_id: ShopId, customer_key: &str) -> Result<bool, DbErr> {
    Ok(suppressions::Entity::find()
        .filter(suppressions::Column::ShopId.eq(shop_id))
        .filter(suppressions::Column::CustomerKey.eq(customer_key))
        .count(db)
        .await?
        > 0)
}

/// Which of these `(shop, customer key)` pairs are suppressed, in one query.
pub async fn among(
    db: &impl ConnectionTrait,
    pairs: &[(ShopId, &str)],
) -> Result<std::collections::HashSet<(ShopId, String)>, DbErr> {
    if pairs.is_empty() {
        return Ok(Default::default());
    }
    let found = suppressions::Entity::find()
        .filter(suppressions::Column::ShopId.is_in(pairs.iter().map(|(shop, _)| *shop)))
        .filter(suppressions::Column::CustomerKey.is_in(pairs.iter().map(|(_, key)| *key)))
        .all(db)
        .await?;
    Ok(found
        .into_iter()
        .filter(|s| pairs.contains(&(s.shop_id, s.customer_key.as_str())))
        .map(|s| (s.shop_id, s.customer_key))
        .collect())
}

/// Compliance redaction (`customers/redact`): the customer's suppression goes too.
pub async fn delete_for_customer(db: &impl ConnectionTrait, shop_id: ShopId, customer_key: &str) -> Result<u64, DbErr> {
    Ok(suppressions::Entity::delete_many()
        .filter(suppressions::Column::ShopId.eq(shop_id))
        .filter(suppressions::Column::CustomerKey.eq(customer_key))
        .exec(db)
        .await?
        .rows_affected)
}
