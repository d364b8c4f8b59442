//! Integrators' API tokens: create (the text is returned once), list, revoke, and resolve a
//! presented token to its shop and scopes.

use crate::domain::api_token::{self, Scope};
use crate::domain::tokens::TokenHash;
use crate::state::AppState;
use crate::store;
use entity::api_tokens;
use entity::{ApiTokenId, ShopId};
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum ApiTokenError {
    #[error("{0}")]
    Invalid(String),
    #[error("API token not found")]
    NotFound,
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Creates a token; returns the stored row and the token text, which is never shown again.
pub async fn create(
    state: &AppState,
    shop_id: ShopId,
    name: &str,
    scopes: &[Scope],
) -> Result<(api_tokens::Model, String), ApiTokenError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ApiTokenError::Invalid("give the token a name of 1 to 80 characters".into()));
    }
    if scopes.is_empty() {
        return Err(ApiTokenError::Invalid("choose at least one scope (READ, WRITE)".into()));
    }
    let (text, hash) = api_token::generate();
    let row =
        store::api_tokens::insert(state.db(), shop_id, name, &hash, &Scope::store_list(scopes), state.now()).await?;
    tracing::info!(%shop_id, token_id = %row.id, "API token created");
    Ok((row, text))
}

pub async fn list(state: &AppState, shop_id: ShopId) -> Result<Vec<api_tokens::Model>, DbErr> {
    store::api_tokens::list(state.db(), shop_id).await
}

pub async fn revoke(state: &AppState, shop_id: ShopId, id: ApiTokenId) -> Result<api_tokens::Model, ApiTokenError> {
    let row = store::api_tokens::revoke(state.db(), shop_id, id, state.now()).await?.ok_or(ApiTokenError::NotFound)?;
    tracing::info!(%shop_id, token_id = %id, "API token revoked");
    Ok(row)
}

/// Whether the token stored under this hash is still live (not revoked): re-checked before
/// each operation of a long-lived socket.
pub async fn is_active(state: &AppState, hash: &TokenHash) -> Result<bool, DbErr> {
    Ok(store::api_tokens::find_active_all_shops(state.db(), hash).await?.is_some())
}

/// The live token behind a presented credential, if any.
pub async fn resolve(state: &AppState, presented: &str) -> Result<Option<api_tokens::Model>, DbErr> {
    let Some(row) = store::api_tokens::find_active_all_shops(state.db(), &TokenHash::of(presented)).await? else {
        return Ok(None);
    };
    store::api_tokens::touch(state.db(), row.shop_id, row.id, state.now()).await?;
    Ok(Some(row))
}
