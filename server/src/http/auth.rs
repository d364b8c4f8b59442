//! Admin authentication: `Authorization: Bearer <Shopify session token>`.
//!
//! The shop comes only from the verified token (its `dest`), and must be installed. Every
//! failure is the same 401 to the client; the reason goes to the log and a metric.

use super::JsonError;
use crate::graphql::admin::{AdminPrincipal, Credential};
use crate::services;
use crate::shopify::session_token;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;

pub async fn require_admin(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // Browsers cannot put headers on a WebSocket: GraphQL over WebSocket authenticates with the
    // same bearer credential in its `connection_init` message instead (see `admin_api`).
    if is_websocket_upgrade(req.headers()) {
        return next.run(req).await;
    }
    match authenticate(&state, req.headers()).await {
        Ok(principal) => {
            req.extensions_mut().insert(principal);
            next.run(req).await
        }
        Err(reason) => {
            tracing::info!(reason, "admin request refused");
            metrics::counter!("reelproof_admin_auth_failures_total", "reason" => reason).increment(1);
            let mut resp =
                JsonError::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "missing or invalid session token")
                    .into_response();
            resp.headers_mut().insert(http::header::WWW_AUTHENTICATE, http::HeaderValue::from_static("Bearer"));
            resp
        }
    }
}

pub fn is_websocket_upgrade(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

async fn authenticate(state: &AppState, headers: &http::HeaderMap) -> Result<AdminPrincipal, &'static str> {
    let value = headers.get(http::header::AUTHORIZATION).ok_or("missing")?;
    authenticate_bearer(state, value.to_str().map_err(|_| "malformed")?).await
}

/// Verifies an `Authorization` value (`Bearer <token>`); the reason on failure is for logs and
/// metrics only.
pub async fn authenticate_bearer(state: &AppState, text: &str) -> Result<AdminPrincipal, &'static str> {
    let token = text
        .strip_prefix("Bearer ")
        .or_else(|| text.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or("not_bearer")?;
    if crate::domain::api_token::looks_like(token) {
        return api_token_principal(state, token).await;
    }
    let session = verify_session_token(state, token)?;
    let (principal, connected) = principal_for(state, &session, token).await?;
    // A merchant is here: the moment to connect the shop's Admin API if it is not yet.
    services::shop_connection::connect_if_needed(state, principal.shop_id, connected, &session.shop, token);
    Ok(principal)
}

/// Verifies a Shopify session token (App Bridge's ID token) with the current secret and, during
/// a rotation, the previous one; the reason on failure is for logs and metrics only.
pub fn verify_session_token(state: &AppState, token: &str) -> Result<session_token::VerifiedSession, &'static str> {
    let creds = &state.config().shopify;
    let mut result = session_token::verify(token, &creds.api_key, &creds.api_secret);
    if let (Err(session_token::SessionTokenError::BadSignature), Some(previous)) = (&result, &creds.previous_api_secret)
    {
        result = session_token::verify(token, &creds.api_key, previous);
    }
    result.map_err(|e| match e {
        session_token::SessionTokenError::Expired => "expired",
        session_token::SessionTokenError::NotYetValid => "not_yet_valid",
        session_token::SessionTokenError::BadSignature => "bad_signature",
        session_token::SessionTokenError::WrongAudience => "wrong_audience",
        _ => "malformed",
    })
}

async fn api_token_principal(state: &AppState, token: &str) -> Result<AdminPrincipal, &'static str> {
    use crate::domain::api_token::Scope;
    let row = services::api_tokens::resolve(state, token)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "API token lookup failed during authentication");
            "lookup_failed"
        })?
        .ok_or("unknown_api_token")?;
    let scopes = Scope::parse_list(&row.scopes);
    let profile = services::shops::get(state.db(), row.shop_id).await.map_err(|_| "unknown_shop")?;
    if profile.uninstalled_at.is_some() {
        return Err("unknown_shop");
    }
    Ok(AdminPrincipal {
        shop_id: profile.id,
        shop_domain: profile.domain.to_string(),
        actor: format!("token:{}", row.name),
        can_write: scopes.contains(&Scope::Write),
        is_api_token: true,
        credential: Credential::ApiToken { hash: crate::domain::tokens::TokenHash::of(token) },
        verified_at: state.now(),
    })
}

async fn principal_for(
    state: &AppState,
    session: &session_token::VerifiedSession,
    session_token: &str,
) -> Result<(AdminPrincipal, bool), &'static str> {
    let shop = &session.shop;
    let profile = if state.is_dev() {
        // Dev mode has no Shopify to install from: only provisioned shops sign in.
        services::shops::find_installed(state.db(), shop)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "shop lookup failed during authentication");
                "lookup_failed"
            })?
            .ok_or("unknown_shop")?
    } else {
        // A verified token of a shop we do not know (or that uninstalled) is Shopify's managed
        // install telling us about it: install, then answer.
        services::install::installed_shop(state, shop, session_token).await.map_err(|e| {
            tracing::warn!(error = %e, "install failed during authentication");
            "install_failed"
        })?
    };
    let principal = AdminPrincipal {
        shop_id: profile.id,
        shop_domain: profile.domain.to_string(),
        actor: format!("user:{}", session.user_id.as_deref().unwrap_or("unknown")),
        can_write: true,
        is_api_token: false,
        credential: Credential::Session { expires_at: session.expires_at },
        verified_at: state.now(),
    };
    Ok((principal, profile.admin_connected))
}
