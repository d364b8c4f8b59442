//! The `shops` aggregate.

use crate::domain::settings::ShopSettings;
use crate::domain::shop_domain::ShopDomain;
use chrono::{DateTime, Utc};
use entity::ShopId;
use entity::shops;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, Statement,
    TryInsertResult,
};

/// Finds the tenant by its domain (how webhooks and session tokens name a shop).
pub async fn find_by_domain(db: &impl ConnectionTrait, domain: &ShopDomain) -> Result<Option<shops::Model>, DbErr> {
    shops::Entity::find().filter(shops::Column::ShopDomain.eq(domain.as_str())).one(db).await
}

pub async fn get(db: &impl ConnectionTrait, shop_id: ShopId) -> Result<Option<shops::Model>, DbErr> {
    shops::Entity::find_by_id(shop_id).one(db).await
}

/// Several shops in one query (a scheduler round's claims span shops).
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[ShopId]) -> Result<Vec<shops::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    shops::Entity::find().filter(shops::Column::Id.is_in(ids.iter().copied())).all(db).await
}

/// Inserts the shop unless it exists (the unique domain makes concurrent installs safe) and
/// returns the row plus whether this call created it.
pub async fn insert_if_absent(
    db: &impl ConnectionTrait,
    domain: &ShopDomain,
    now: DateTime<Utc>,
) -> Result<(shops::Model, bool), DbErr> {
    let row = shops::ActiveModel {
        id: Set(entity::new_id()),
        shop_domain: Set(domain.as_str().to_owned()),
        access_token: Set(None),
        refresh_token: Set(None),
        access_token_expires_at: Set(None),
        scopes: Set(None),
        installed_at: Set(now),
        uninstalled_at: Set(None),
        timezone: Set("UTC".into()),
        send_window_start: Set("09:00".into()),
        send_window_end: Set("20:00".into()),
        settings: Set(ShopSettings::default().to_json()),
        storefront_version: Set(0),
        orders_reconciled_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let result = shops::Entity::insert(row)
        .on_conflict_do_nothing_on([shops::Column::ShopDomain])
        .exec_without_returning(db)
        .await?;
    let created = matches!(result, TryInsertResult::Inserted(n) if n > 0);
    let shop = find_by_domain(db, domain)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("shop {domain} vanished right after insert")))?;
    Ok((shop, created))
}

/// `app/uninstalled`: the shop stays (its data until `shop/redact`), but nothing is sent.
pub async fn mark_uninstalled(db: &impl ConnectionTrait, shop_id: ShopId, now: DateTime<Utc>) -> Result<(), DbErr> {
    shops::Entity::update_many()
        .col_expr(shops::Column::UninstalledAt, Some(now).into())
        .col_expr(shops::Column::UpdatedAt, now.into())
        // Shopify revokes the app's tokens at uninstall; a reinstall exchanges new ones.
        .col_expr(shops::Column::AccessToken, Option::<String>::None.into())
        .col_expr(shops::Column::RefreshToken, Option::<String>::None.into())
        .col_expr(shops::Column::AccessTokenExpiresAt, Option::<DateTime<Utc>>::None.into())
        .filter(shops::Column::Id.eq(shop_id))
        .exec(db)
        .await?;
    // The storefront stops showing an uninstalled shop's testimonials.
    bump_storefront_version(db, shop_id).await
}

/// Moves the shop's reconciliation watermark.
pub async fn set_orders_reconciled_at(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    shops::Entity::update_many()
        .col_expr(shops::Column::OrdersReconciledAt, Some(at).into())
        .filter(shops::Column::Id.eq(shop_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Installed shops with Admin API credentials (the reconciliation's round).
pub async fn connected_ids_all_shops(db: &impl ConnectionTrait) -> Result<Vec<ShopId>, DbErr> {
    use sea_orm::QuerySelect;
    shops::Entity::find()
        .select_only()
        .column(shops::Column::Id)
        .filter(shops::Column::UninstalledAt.is_null())
        .filter(shops::Column::RefreshToken.is_not_null())
        .into_tuple::<ShopId>()
        .all(db)
        .await
}

/// Takes the shop row's write lock for the caller's transaction (Postgres: the row; SQLite:
/// the database's single writer), so work that must happen once per shop runs one at a time.
pub async fn lock_for_update(db: &impl ConnectionTrait, shop_id: ShopId, now: DateTime<Utc>) -> Result<(), DbErr> {
    shops::Entity::update_many()
        .col_expr(shops::Column::UpdatedAt, now.into())
        .filter(shops::Column::Id.eq(shop_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks the stored access token expired (Shopify refused it), so the next use refreshes it.
pub async fn expire_admin_token(db: &impl ConnectionTrait, shop_id: ShopId) -> Result<(), DbErr> {
    shops::Entity::update_many()
        .col_expr(shops::Column::AccessTokenExpiresAt, Some(DateTime::<Utc>::UNIX_EPOCH).into())
        .filter(shops::Column::Id.eq(shop_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A reinstall: the shop is active again from `now`.
pub async fn mark_installed(db: &impl ConnectionTrait, shop_id: ShopId, now: DateTime<Utc>) -> Result<(), DbErr> {
    shops::Entity::update_many()
        .col_expr(shops::Column::UninstalledAt, Option::<DateTime<Utc>>::None.into())
        .col_expr(shops::Column::InstalledAt, now.into())
        .col_expr(shops::Column::UpdatedAt, now.into())
        .filter(shops::Column::Id.eq(shop_id))
        .filter(shops::Column::UninstalledAt.is_not_null())
        .exec(db)
        .await?;
    // The storefront shows the shop's testimonials again.
    bump_storefront_version(db, shop_id).await
}

/// Deletes the shop; every other table cascades (`shop/redact`).
pub async fn delete(db: &impl ConnectionTrait, shop_id: ShopId) -> Result<(), DbErr> {
    // Announced first: the caches forget the shop, and then find no row.
    bump_storefront_version(db, shop_id).await?;
    shops::Entity::delete_by_id(shop_id).exec(db).await?;
    Ok(())
}

/// Sets the shop's time zone and daily send window (`HH:MM` local; equal ends mean always).
pub async fn set_send_window(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    timezone: &str,
    start: &str,
    end: &str,
) -> Result<(), DbErr> {
    shops::Entity::update_many()
        .col_expr(shops::Column::Timezone, timezone.into())
        .col_expr(shops::Column::SendWindowStart, start.into())
        .col_expr(shops::Column::SendWindowEnd, end.into())
        .filter(shops::Column::Id.eq(shop_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Sets the shop's time zone (its send window stays in local time, so it moves with it).
pub async fn set_timezone(db: &impl ConnectionTrait, shop_id: ShopId, timezone: &str) -> Result<(), DbErr> {
    shops::Entity::update_many()
        .col_expr(shops::Column::Timezone, timezone.into())
        .filter(shops::Column::Id.eq(shop_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces the shop's settings document (already validated by the caller).
pub async fn set_settings(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    settings: serde_json::Value,
) -> Result<(), DbErr> {
    shops::Entity::update_many()
        .col_expr(shops::Column::Settings, settings.into())
        .filter(shops::Column::Id.eq(shop_id))
        .exec(db)
        .await?;
    // The storefront shows the shop's language and its "How we collect testimonials" note.
    bump_storefront_version(db, shop_id).await
}

/// The ids of installed shops (periodic per-shop work).
pub async fn installed_ids_all_shops(db: &impl ConnectionTrait) -> Result<Vec<ShopId>, DbErr> {
    use sea_orm::QuerySelect;
    shops::Entity::find()
        .select_only()
        .column(shops::Column::Id)
        .filter(shops::Column::UninstalledAt.is_null())
        .into_tuple::<ShopId>()
        .all(db)
        .await
}

/// Something the storefront shows changed: called in the transaction of the change, so the
/// next storefront response (and its ETag) reflects it, and announced to every replica's
/// storefront cache (`storefront_changes`).
pub async fn bump_storefront_version(db: &impl ConnectionTrait, shop_id: ShopId) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        // One round trip: the bump and its notice (with the new version, which each replica
        // acknowledges), delivered when the transaction commits.
        let sql = "WITH bumped AS (UPDATE shops SET storefront_version = storefront_version + 1 WHERE id = $1 \
                   RETURNING id, storefront_version) \
                   SELECT pg_notify($2, id::text || ':' || storefront_version::text), storefront_version FROM bumped";
        let channel = super::storefront_changes::CHANNEL;
        let row = db
            .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [shop_id.0.into(), channel.into()]))
            .await?;
        let version = row.map(|r| r.try_get::<i64>("", "storefront_version")).transpose()?;
        super::storefront_changes::note(shop_id, version);
        return Ok(());
    }
    super::storefront_changes::note(shop_id, None);
    shops::Entity::update_many()
        .col_expr(shops::Column::StorefrontVersion, Expr::col(shops::Column::StorefrontVersion).add(1))
        .filter(shops::Column::Id.eq(shop_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A shop's Admin API credentials, the tokens already encrypted by the caller.
pub struct AdminTokens {
    pub access: String,
    pub refresh: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub scopes: Option<String>,
}

/// Stores the shop's Admin API credentials, or clears them (`None`: Shopify refused them and
/// the merchant must open the app again).
pub async fn set_admin_tokens(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    tokens: Option<AdminTokens>,
) -> Result<(), DbErr> {
    let storing = tokens.is_some();
    let (access, refresh, expires, scopes) = match tokens {
        Some(t) => (Some(t.access), t.refresh, t.expires_at, t.scopes),
        None => (None, None, None, None),
    };
    let mut update = shops::Entity::update_many()
        .col_expr(shops::Column::AccessToken, Expr::value(access))
        .col_expr(shops::Column::RefreshToken, Expr::value(refresh))
        .col_expr(shops::Column::AccessTokenExpiresAt, Expr::value(expires))
        .col_expr(shops::Column::Scopes, Expr::value(scopes))
        .filter(shops::Column::Id.eq(shop_id));
    if storing {
        // A grant that lands after the shop uninstalled (a background exchange racing
        // `app/uninstalled`) is not kept: Shopify has revoked it anyway.
        update = update.filter(shops::Column::UninstalledAt.is_null());
    }
    update.exec(db).await?;
    Ok(())
}
