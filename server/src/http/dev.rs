//! Dev-mode conveniences (DESIGN.md §7). These routes exist only when no Shopify credentials
//! are configured; the router does not mount them otherwise, and a test proves it.

use crate::domain::shop_domain::ShopDomain;
use crate::shopify::session_token;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    Router::new().route("/dev/session-token", get(session_token_for_demo))
}

/// A fresh one-minute session token for the demo shop: what App Bridge gives the admin app
/// inside Shopify, so the same app code runs outside it.
async fn session_token_for_demo(State(state): State<AppState>) -> Json<serde_json::Value> {
    let creds = &state.config().shopify;
    let shop = ShopDomain::parse(crate::DEV_SHOP).expect("constant is valid");
    let token = session_token::mint(&creds.api_key, &creds.api_secret, &shop, chrono::Utc::now().timestamp(), 60);
    Json(serde_json::json!({ "token": token, "shop": shop.as_str() }))
}
