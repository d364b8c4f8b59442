//! Whether an admin credential still holds, long after it was verified: a GraphQL socket lives
//! for hours on the credential it opened with, and must stop when that credential would no
//! longer be accepted.

use crate::domain::tokens::TokenHash;
use crate::state::AppState;
use entity::ShopId;

/// What authenticated a principal, kept to re-check it later (never the secret itself).
#[derive(Clone)]
pub enum Credential {
    /// A Shopify session token, good until `expires_at` (Unix seconds).
    Session { expires_at: i64 },
    /// An API token, by the hash it is stored under.
    ApiToken { hash: TokenHash },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Session { expires_at } => f.debug_struct("Session").field("expires_at", expires_at).finish(),
            Self::ApiToken { .. } => f.write_str("ApiToken"),
        }
    }
}

/// A principal verified this recently needs no second look (every HTTP request is verified just
/// before it runs).
const FRESH: chrono::Duration = chrono::Duration::seconds(5);

/// `Ok` while the credential would still be accepted; `Err` carries the reason, for logs and
/// metrics: a session token past its `exp` (with Shopify's leeway), a revoked API token, a shop
/// that uninstalled.
pub async fn still_valid(
    state: &AppState,
    shop_id: ShopId,
    credential: &Credential,
    verified_at: chrono::DateTime<chrono::Utc>,
) -> Result<(), &'static str> {
    let now = state.now();
    if now - verified_at < FRESH {
        return Ok(());
    }
    match credential {
        Credential::Session { expires_at } => {
            let leeway = crate::shopify::session_token::LEEWAY_SECS as i64;
            if now.timestamp() > expires_at + leeway {
                return Err("expired");
            }
        }
        Credential::ApiToken { hash } => match super::api_tokens::is_active(state, hash).await {
            Ok(true) => {}
            Ok(false) => return Err("revoked_api_token"),
            Err(_) => return Err("lookup_failed"),
        },
    }
    match super::shops::get(state.db(), shop_id).await {
        Ok(profile) if profile.uninstalled_at.is_none() => Ok(()),
        Ok(_) => Err("uninstalled"),
        Err(_) => Err("lookup_failed"),
    }
}
