//! Shopify-managed installation (SHOPIFY-2026.md §3): Shopify installs the app with the scopes
//! of `shopify.app.toml` without calling us; the first verified session token from a shop we
//! do not know — or from one that uninstalled — is how we learn of it. That request installs
//! the shop, then is answered as usual:
//!
//! 1. create the shop row, or reactivate it (its data stayed until `shop/redact`);
//! 2. exchange the session token for an expiring offline access token (stored encrypted);
//! 3. read the shop's facts through the Admin API (name, contact email, time zone, primary
//!    locale, currency, plan) and make them its defaults;
//! 4. write the built-in templates in its language and one campaign, left in `DRAFT`.
//!
//! The exchange comes first: Shopify granting a token for the shop is its confirmation, and a
//! refused exchange writes nothing. Concurrent first requests install once: one install at a
//! time per shop in this process, and the draft campaign is created under the shop row's write
//! lock, so two replicas cannot both create it. Facts that cannot be read (3) do not refuse the
//! merchant: the shop works on defaults until `shop/update` or the next install reads them.

use super::shops::{self, ShopError, ShopProfile};
use crate::domain::campaign::CampaignSettings;
use crate::domain::shop_domain::ShopDomain;
use crate::domain::shop_facts::{self, ShopFacts};
use crate::shopify::admin_api::AdminApi;
use crate::state::AppState;
use crate::store;
use entity::{CampaignTrigger, Channel, ShopId};
use sea_orm::{DbErr, TransactionTrait};
use std::sync::{Arc, Mutex};

/// The draft campaign every new shop starts with.
pub const DEFAULT_CAMPAIGN_NAME: &str = "Ask for a video after delivery";

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// Shopify did not confirm the install: the token exchange was refused or failed. Nothing
    /// is created or reactivated (a session token minted before an uninstall must not bring
    /// the shop back).
    #[error("Shopify did not confirm the install: {0}")]
    NotConfirmed(#[from] crate::shopify::admin_api::AdminApiError),
    #[error(transparent)]
    Connection(#[from] super::shop_connection::ConnectionError),
    #[error(transparent)]
    Shop(#[from] ShopError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

fn install_lock(domain: &ShopDomain) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: super::KeyedLocks<String> = Mutex::new(None);
    super::lock_for(&LOCKS, domain.as_str().to_owned())
}

/// The installed shop behind a verified session token: installs it first when it is new or
/// had uninstalled.
pub async fn installed_shop(
    state: &AppState,
    domain: &ShopDomain,
    session_token: &str,
) -> Result<ShopProfile, InstallError> {
    // The fast path, for every request after the install. A shop not yet connected may be in
    // the middle of its install (the row exists before its token is stored): wait for it.
    if let Some(p) = shops::find_installed(state.db(), domain).await?
        && p.admin_connected
    {
        return Ok(p);
    }
    let lock = install_lock(domain);
    let _one_install_at_a_time = lock.lock().await;
    // A request that waited for the lock finds the shop installed by the one before it.
    if let Some(p) = shops::find_installed(state.db(), domain).await? {
        return Ok(p);
    }
    install(state, domain, session_token).await
}

async fn install(state: &AppState, domain: &ShopDomain, session_token: &str) -> Result<ShopProfile, InstallError> {
    // Shopify confirms the install by granting a token for this shop; only then is anything
    // written.
    let grant = AdminApi::new(&state.config().shopify).exchange(domain, session_token).await?;
    let now = state.now();
    let provisioned = shops::provision(state.db(), domain, now).await?;
    let shop_id = provisioned.profile.id;
    tracing::info!(%shop_id, shop = %domain, reinstall = !provisioned.created, "installing");
    super::shop_connection::store_grant(state, shop_id, &grant).await?;
    // Reconciliation reads orders from now on; older ones only on the merchant's look-back.
    store::shops::set_orders_reconciled_at(state.db(), shop_id, now).await?;
    if let Err(e) = read_facts(state, shop_id).await {
        tracing::warn!(%shop_id, error = %e, "shop facts not read; the shop runs on defaults until they are");
    }
    let profile = shops::get(state.db(), shop_id).await?;
    // Templates in the shop's own language, now that it is known (idempotent).
    store::templates::insert_defaults(state.db(), shop_id, &profile.settings.locale, now).await?;
    create_draft_campaign(state, shop_id).await?;
    metrics::counter!("reelproof_installs_total", "kind" => if provisioned.created { "new" } else { "reinstall" })
        .increment(1);
    Ok(profile)
}

/// Reads the shop's facts through the Admin API and stores them as its defaults.
pub async fn read_facts(
    state: &AppState,
    shop_id: ShopId,
) -> Result<ShopFacts, super::shop_connection::ConnectionError> {
    let data = super::shop_connection::graphql(state, shop_id, shop_facts::ADMIN_QUERY, serde_json::json!({})).await?;
    let facts = ShopFacts::from_admin_graphql(&data);
    shops::apply_facts(state.db(), shop_id, &facts).await.map_err(|e| match e {
        ShopError::Database(e) => e,
        ShopError::NotFound => DbErr::RecordNotFound("shop".into()),
    })?;
    Ok(facts)
}

/// One draft campaign for a shop that has none, under the shop row's write lock (every replica
/// queues behind it, so exactly one creates it).
async fn create_draft_campaign(state: &AppState, shop_id: ShopId) -> Result<(), InstallError> {
    let now = state.now();
    let txn = state.db().begin().await?;
    store::shops::lock_for_update(&txn, shop_id, now).await?;
    if store::campaigns::list(&txn, shop_id).await?.is_empty() {
        let settings = CampaignSettings::new(DEFAULT_CAMPAIGN_NAME, CampaignTrigger::OrderDelivered, Channel::Email)
            .validate()
            .map_err(|e| DbErr::Custom(format!("the default campaign is invalid: {e}")))?;
        store::campaigns::insert(&txn, shop_id, &settings, now).await?;
    }
    txn.commit().await?;
    Ok(())
}
