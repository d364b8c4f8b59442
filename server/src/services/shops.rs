//! Shops: provisioning (install or `reelproof shops add`) and reading a shop's profile.

use crate::domain::settings::ShopSettings;
use crate::domain::shop_domain::ShopDomain;
use crate::domain::shop_facts::ShopFacts;
use crate::store;
use chrono::{DateTime, Utc};
use entity::ShopId;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};

#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    #[error("shop not found")]
    NotFound,
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Why the merchant's wording of the capture page was refused.
#[derive(Debug, thiserror::Error)]
pub enum CaptureCopyError {
    #[error("unknown text key {0:?}")]
    UnknownKey(String),
    #[error("locale must be one of en, fr, de, es, it, nl, pt")]
    UnknownLocale,
    #[error("the text is at most 300 characters on one line")]
    TooLong,
    #[error(transparent)]
    Shop(#[from] ShopError),
}

/// Sets (or with `None`, resets to ours) the merchant's wording of one capture-page text in
/// one shipped locale.
pub async fn set_capture_text(
    db: &DatabaseConnection,
    shop_id: ShopId,
    locale: &str,
    key: &str,
    text: Option<String>,
) -> Result<(), CaptureCopyError> {
    if !crate::domain::i18n::SHIPPED.contains(&locale) {
        return Err(CaptureCopyError::UnknownLocale);
    }
    if !crate::domain::capture_copy::keys().any(|k| k == key) {
        return Err(CaptureCopyError::UnknownKey(key.to_owned()));
    }
    let text = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if text.as_ref().is_some_and(|t| t.chars().count() > 300 || t.chars().any(char::is_control)) {
        return Err(CaptureCopyError::TooLong);
    }
    let txn = db.begin().await.map_err(ShopError::from)?;
    let shop = store::shops::get(&txn, shop_id).await.map_err(ShopError::from)?.ok_or(ShopError::NotFound)?;
    let mut settings = ShopSettings::from_json(&shop.settings);
    let texts = settings.capture_copy.entry(locale.to_owned()).or_default();
    match text {
        Some(t) => {
            texts.insert(key.to_owned(), t);
        }
        None => {
            texts.remove(key);
        }
    }
    store::shops::set_settings(&txn, shop_id, settings.to_json()).await.map_err(ShopError::from)?;
    txn.commit().await.map_err(ShopError::from)?;
    Ok(())
}

/// What the admin sees of its own shop.
#[derive(Debug, Clone)]
pub struct ShopProfile {
    pub id: ShopId,
    pub domain: ShopDomain,
    pub installed_at: DateTime<Utc>,
    pub uninstalled_at: Option<DateTime<Utc>>,
    pub timezone: String,
    pub send_window_start: String,
    pub send_window_end: String,
    pub settings: ShopSettings,
    /// Whether the shop's Admin API credentials are stored (see `shop_connection`).
    pub admin_connected: bool,
}

#[derive(Debug, Clone)]
pub struct Provisioned {
    pub profile: ShopProfile,
    pub created: bool,
}

fn profile(row: entity::shops::Model) -> Result<ShopProfile, ShopError> {
    // A stored domain that no longer parses would be a bug in a migration; treat it as missing
    // rather than panic.
    let domain = ShopDomain::parse(&row.shop_domain).map_err(|_| ShopError::NotFound)?;
    Ok(ShopProfile {
        id: row.id,
        domain,
        installed_at: row.installed_at,
        uninstalled_at: row.uninstalled_at,
        timezone: row.timezone,
        send_window_start: row.send_window_start,
        send_window_end: row.send_window_end,
        settings: ShopSettings::from_json(&row.settings),
        admin_connected: row.access_token.is_some(),
    })
}

/// Provisions a shop without Shopify (dev mode's demo shop, `reelproof shops add`). Idempotent.
pub async fn provision(
    db: &DatabaseConnection,
    domain: &ShopDomain,
    now: DateTime<Utc>,
) -> Result<Provisioned, ShopError> {
    let (mut row, created) = store::shops::insert_if_absent(db, domain, now).await?;
    if created {
        tracing::info!(shop_id = %row.id, shop = %domain, "shop provisioned");
    } else if row.uninstalled_at.is_some() {
        // Provisioning an uninstalled shop reinstalls it: sending resumes.
        store::shops::mark_installed(db, row.id, now).await?;
        row = store::shops::get(db, row.id).await?.ok_or(ShopError::NotFound)?;
        tracing::info!(shop_id = %row.id, shop = %domain, "shop reinstalled");
    }
    // Every installed shop has the built-in templates in its own locale (idempotent).
    let locale = ShopSettings::from_json(&row.settings).locale;
    store::templates::insert_defaults(db, row.id, &locale, now).await?;
    Ok(Provisioned { profile: profile(row)?, created })
}

pub async fn get(db: &DatabaseConnection, shop_id: ShopId) -> Result<ShopProfile, ShopError> {
    let row = store::shops::get(db, shop_id).await?.ok_or(ShopError::NotFound)?;
    profile(row)
}

/// The installed (not uninstalled) shop with this domain, if any: the tenant behind a
/// credential.
pub async fn find_installed(db: &DatabaseConnection, domain: &ShopDomain) -> Result<Option<ShopProfile>, ShopError> {
    match store::shops::find_by_domain(db, domain).await? {
        Some(row) if row.uninstalled_at.is_none() => Ok(Some(profile(row)?)),
        _ => Ok(None),
    }
}

/// Records what Shopify says about the shop (install, `shop/update`) and makes it the shop's
/// defaults where the merchant has not chosen otherwise: the time zone of the send window, the
/// sender name, the language. Facts a payload leaves out keep their known value.
pub async fn apply_facts(db: &impl ConnectionTrait, shop_id: ShopId, facts: &ShopFacts) -> Result<(), ShopError> {
    let row = store::shops::get(db, shop_id).await?.ok_or(ShopError::NotFound)?;
    let mut settings = ShopSettings::from_json(&row.settings);
    settings.apply_facts(facts);
    store::shops::set_settings(db, shop_id, settings.to_json()).await?;
    if let Some(zone) = &facts.iana_timezone
        && *zone != row.timezone
    {
        store::shops::set_timezone(db, shop_id, zone).await?;
    }
    Ok(())
}

/// Changes the shop's settings with `change` (read, change, write back).
pub async fn update_settings(
    db: &DatabaseConnection,
    shop_id: ShopId,
    change: impl FnOnce(&mut ShopSettings),
) -> Result<ShopProfile, ShopError> {
    let mut profile = get(db, shop_id).await?;
    change(&mut profile.settings);
    store::shops::set_settings(db, shop_id, profile.settings.to_json()).await?;
    Ok(profile)
}

/// Changes the shop's profile (sender, reply-to, branding, language, time zone and send
/// window) in one transaction; the change is validated first and nothing is written when any
/// field is wrong.
pub async fn update_profile(
    db: &DatabaseConnection,
    shop_id: ShopId,
    change: crate::domain::settings::ProfileChange,
) -> Result<Result<ShopProfile, Vec<crate::domain::settings::SettingsFieldError>>, ShopError> {
    let change = match change.validate() {
        Ok(c) => c,
        Err(errors) => return Ok(Err(errors)),
    };
    let txn = db.begin().await?;
    let mut profile = profile(store::shops::get(&txn, shop_id).await?.ok_or(ShopError::NotFound)?)?;
    change.apply(&mut profile.settings);
    store::shops::set_settings(&txn, shop_id, profile.settings.to_json()).await?;
    if let Some(tz) = &change.timezone {
        profile.timezone = tz.clone();
    }
    if let Some(start) = &change.send_window_start {
        profile.send_window_start = start.clone();
    }
    if let Some(end) = &change.send_window_end {
        profile.send_window_end = end.clone();
    }
    store::shops::set_send_window(
        &txn,
        shop_id,
        &profile.timezone,
        &profile.send_window_start,
        &profile.send_window_end,
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(profile))
}
