//! `api_tokens`: integrators' tokens, stored as hashes.

use crate::domain::tokens::TokenHash;
use chrono::{DateTime, Utc};
use entity::api_tokens;
use entity::{ApiTokenId, ShopId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

pub async fn insert(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    name: &str,
    hash: &TokenHash,
    scopes: &str,
    now: DateTime<Utc>,
) -> Result<api_tokens::Model, DbErr> {
    api_tokens::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        name: Set(name.to_owned()),
        token_hash: Set(hash.as_str().to_owned()),
        scopes: Set(scopes.to_owned()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await
}

/// The shop's tokens, newest first (revoked ones included, so the list is an audit trail).
pub async fn list(db: &impl ConnectionTrait, shop_id: ShopId) -> Result<Vec<api_tokens::Model>, DbErr> {
    api_tokens::Entity::find()
        .filter(api_tokens::Column::ShopId.eq(shop_id))
        .order_by_desc(api_tokens::Column::CreatedAt)
        .order_by_desc(api_tokens::Column::Id)
        .all(db)
        .await
}

/// Revokes a token of the shop; `None` when the shop has no such token.
pub async fn revoke(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: ApiTokenId,
    now: DateTime<Utc>,
) -> Result<Option<api_tokens::Model>, DbErr> {
    api_tokens::Entity::update_many()
        .col_expr(api_tokens::Column::RevokedAt, Expr::value(now))
        .filter(api_tokens::Column::Id.eq(id))
        .filter(api_tokens::Column::ShopId.eq(shop_id))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    api_tokens::Entity::find_by_id(id).filter(api_tokens::Column::ShopId.eq(shop_id)).one(db).await
}

/// The live token with this hash, whichever shop it belongs to (the token names the tenant).
pub async fn find_active_all_shops(
    db: &impl ConnectionTrait,
    hash: &TokenHash,
) -> Result<Option<api_tokens::Model>, DbErr> {
    api_tokens::Entity::find()
        .filter(api_tokens::Column::TokenHash.eq(hash.as_str()))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .one(db)
        .await
}

/// Records use, at most once a minute per token (no write on every request).
pub async fn touch(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: ApiTokenId,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    api_tokens::Entity::update_many()
        .col_expr(api_tokens::Column::LastUsedAt, Expr::value(now))
        .filter(api_tokens::Column::Id.eq(id))
        .filter(api_tokens::Column::ShopId.eq(shop_id))
        .filter(
            api_tokens::Column::LastUsedAt
                .is_null()
                .or(api_tokens::Column::LastUsedAt.lt(now - chrono::Duration::minutes(1))),
        )
        .exec(db)
        .await?;
    Ok(())
}
