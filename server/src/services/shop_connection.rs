//! A shop's connection to its Admin API: when a merchant opens the app, their session token is
//! exchanged (in the background, once) for an expiring offline access token, stored encrypted;
//! background work asks [`access_token`], which refreshes it when it is about to run out.
//! Refused credentials are cleared, so the next visit of the merchant connects again.

use crate::domain::shop_domain::ShopDomain;
use crate::shopify::admin_api::{AdminApi, AdminApiError, TokenGrant};
use crate::state::AppState;
use crate::store;
use chrono::{Duration, Utc};
use entity::ShopId;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error("the shop has not connected its Admin API yet: the merchant opens the app once")]
    NotConnected,
    #[error(transparent)]
    Api(#[from] AdminApiError),
    #[error("stored token unreadable: {0}")]
    Secret(#[from] crate::domain::secrets::SecretError),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

/// The messages of a mutation's `userErrors` (`field` is the mutation's name), if any.
pub fn user_errors(data: &serde_json::Value, field: &str) -> Option<String> {
    let errors = data.pointer(&format!("/{field}/userErrors")).and_then(|e| e.as_array())?;
    (!errors.is_empty()).then(|| errors.iter().filter_map(|e| e["message"].as_str()).collect::<Vec<_>>().join("; "))
}

impl ConnectionError {
    /// What a job that needed the Admin API makes of the failure: passing troubles (throttled
    /// past the retries, Shopify down, our database) are tried again; the rest cannot improve.
    pub fn into_job_failure(self) -> crate::jobs::JobFailure {
        use crate::jobs::JobFailure;
        match self {
            ConnectionError::Api(AdminApiError::Passing(m)) => JobFailure::Transient(m),
            ConnectionError::Database(e) => JobFailure::Transient(e.to_string()),
            other => JobFailure::Permanent(other.to_string()),
        }
    }
}

/// Shops whose exchange was tried lately (per process): a merchant's every click must not
/// start another one.
static TRIED: Mutex<Option<HashMap<ShopId, chrono::DateTime<Utc>>>> = Mutex::new(None);

/// Stores a grant (encrypted) as the shop's Admin API credentials.
pub async fn store_grant(state: &AppState, shop_id: ShopId, grant: &TokenGrant) -> Result<(), ConnectionError> {
    let key = &state.config().encryption_key;
    let expires = grant.expires_in.map(|s| state.now() + Duration::seconds(s));
    let refresh = grant.refresh_token.as_deref().map(|r| key.encrypt(r));
    let tokens = store::shops::AdminTokens {
        access: key.encrypt(&grant.access_token),
        refresh,
        expires_at: expires,
        scopes: grant.scope.clone(),
    };
    store::shops::set_admin_tokens(state.db(), shop_id, Some(tokens)).await?;
    Ok(())
}

/// Called on every authenticated staff request (with what authentication already read): starts
/// a token exchange in the background when the shop has no Admin API credentials, at most once
/// every five minutes per shop.
pub fn connect_if_needed(state: &AppState, shop_id: ShopId, connected: bool, shop: &ShopDomain, session_token: &str) {
    // Dev mode has no Shopify to connect to.
    if connected || state.is_dev() {
        return;
    }
    let now = state.now();
    {
        let mut tried = TRIED.lock().unwrap_or_else(|e| e.into_inner());
        let tried = tried.get_or_insert_with(HashMap::new);
        if tried.get(&shop_id).is_some_and(|t| now - *t < Duration::minutes(5)) {
            return;
        }
        tried.insert(shop_id, now);
    }
    let (state, shop, token) = (state.clone(), shop.clone(), session_token.to_owned());
    tokio::spawn(async move {
        match AdminApi::new(&state.config().shopify).exchange(&shop, &token).await {
            Ok(grant) => match store_grant(&state, shop_id, &grant).await {
                Ok(()) => tracing::info!(%shop_id, "Admin API connected"),
                Err(e) => tracing::error!(%shop_id, error = %e, "Admin API token not saved"),
            },
            Err(e) => tracing::warn!(%shop_id, error = %e, "token exchange failed; the next visit tries again"),
        }
    });
}

/// One Admin GraphQL call for the shop, through the one client (paced by query cost, retried
/// when throttled). A refused token is refreshed once and the call tried again; a missing scope
/// becomes an alert the merchant reads, naming what to approve.
pub async fn graphql(
    state: &AppState,
    shop_id: ShopId,
    query: &str,
    variables: serde_json::Value,
) -> Result<serde_json::Value, ConnectionError> {
    let api = AdminApi::new(&state.config().shopify);
    let (shop, token) = access_token(state, shop_id).await?;
    let answer = match api.graphql(&shop, &token, query, variables.clone()).await {
        Err(AdminApiError::Unauthorized(_)) => {
            // The stored token may have been retired early (a reinstall elsewhere, a rotation):
            // refresh once before giving up.
            let (shop, token) = refresh_now(state, shop_id).await?;
            api.graphql(&shop, &token, query, variables).await
        }
        other => other,
    };
    if let Err(AdminApiError::Forbidden(reason)) = &answer {
        let message = format!(
            "Shopify refused a request for lack of access ({reason}). Open Reelproof in your Shopify admin and approve the access it asks for."
        );
        if let Err(e) = store::alerts::raise(
            state.db(),
            shop_id,
            "admin_api_access",
            entity::AlertSeverity::Critical,
            message,
            serde_json::json!({ "reason": reason }),
            state.now(),
        )
        .await
        {
            tracing::error!(%shop_id, error = %e, "missing-scope alert not recorded");
        }
    }
    Ok(answer?)
}

/// Forces a refresh of the shop's access token (after Shopify refused the stored one).
async fn refresh_now(state: &AppState, shop_id: ShopId) -> Result<(ShopDomain, String), ConnectionError> {
    store::shops::expire_admin_token(state.db(), shop_id).await?;
    access_token(state, shop_id).await
}

/// One refresh at a time per shop in this process; Shopify retires a refresh token once used,
/// so a second concurrent refresh would be refused.
fn refresh_lock(shop_id: ShopId) -> std::sync::Arc<tokio::sync::Mutex<()>> {
    static LOCKS: super::KeyedLocks<ShopId> = Mutex::new(None);
    super::lock_for(&LOCKS, shop_id)
}

/// The stored access token if it is good for another minute.
fn usable(state: &AppState, row: &entity::shops::Model) -> Result<Option<String>, ConnectionError> {
    let Some(stored) = &row.access_token else { return Ok(None) };
    let fresh = row.access_token_expires_at.is_none_or(|t| t - Duration::seconds(60) > state.now());
    Ok(if fresh { Some(state.config().decrypt_secret(stored)?) } else { None })
}

/// A working access token for the shop, refreshed first when it expires within a minute.
/// Stored credentials that can no longer be decrypted (the encryption key changed) are cleared,
/// so the merchant's next visit connects the shop again instead of it failing forever.
pub async fn access_token(state: &AppState, shop_id: ShopId) -> Result<(ShopDomain, String), ConnectionError> {
    match access_token_inner(state, shop_id).await {
        Err(ConnectionError::Secret(e)) => {
            store::shops::set_admin_tokens(state.db(), shop_id, None).await?;
            tracing::warn!(%shop_id, error = %e, "stored Admin API credentials unreadable; cleared until the merchant opens the app");
            Err(ConnectionError::NotConnected)
        }
        other => other,
    }
}

async fn access_token_inner(state: &AppState, shop_id: ShopId) -> Result<(ShopDomain, String), ConnectionError> {
    let read = || async { store::shops::get(state.db(), shop_id).await?.ok_or(ConnectionError::NotConnected) };
    let row = read().await?;
    let shop = ShopDomain::parse(&row.shop_domain).map_err(|_| ConnectionError::NotConnected)?;
    if let Some(token) = usable(state, &row)? {
        return Ok((shop, token));
    }
    let lock = refresh_lock(shop_id);
    let _one_at_a_time = lock.lock().await;
    // Whoever held the lock before may have refreshed already.
    let row = read().await?;
    if let Some(token) = usable(state, &row)? {
        return Ok((shop, token));
    }
    let refresh = row.refresh_token.ok_or(ConnectionError::NotConnected)?;
    match AdminApi::new(&state.config().shopify).refresh(&shop, &state.config().decrypt_secret(&refresh)?).await {
        Ok(grant) => {
            store_grant(state, shop_id, &grant).await?;
            tracing::info!(%shop_id, "Admin API token refreshed");
            Ok((shop, grant.access_token))
        }
        Err(AdminApiError::Unauthorized(m)) => {
            // Another replica may have refreshed first (Shopify retires a refresh token once it
            // is used): give its save a moment to land, and use its token.
            for _ in 0..25 {
                let now = read().await?;
                if now.refresh_token.as_deref() != Some(refresh.as_str())
                    && let Some(token) = usable(state, &now)?
                {
                    return Ok((shop, token));
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            store::shops::set_admin_tokens(state.db(), shop_id, None).await?;
            tracing::warn!(%shop_id, reason = %m, "refresh refused; cleared until the merchant opens the app");
            Err(ConnectionError::NotConnected)
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether the shop has Admin API credentials (background work that needs them is only planned
/// for connected shops).
pub async fn is_connected(db: &impl sea_orm::ConnectionTrait, shop_id: ShopId) -> Result<bool, sea_orm::DbErr> {
    Ok(store::shops::get(db, shop_id).await?.is_some_and(|s| s.refresh_token.is_some() || s.access_token.is_some()))
}
