//! The axum router: health, metrics, GraphQL, static UIs, dev conveniences.
//!
//! Handlers parse, authorize, call one service and map the result; they hold no business rule.

mod admin_api;
mod auth;
mod dev;
mod error;
mod exports;
mod health;
mod links;
mod media;
mod messaging_webhooks;
mod observe;
mod static_ui;
mod storefront;
mod webhooks;

use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;

pub use error::JsonError;

/// GraphQL documents and webhook bodies are small; anything bigger is a mistake or an attack.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Every HTML page that does not say who may frame it (the admin says so per shop) may not be
/// framed at all: the capture page, confirmations, GraphiQL (SHOPIFY-2026.md §2.3).
async fn no_framing_by_default(mut resp: axum::response::Response) -> axum::response::Response {
    let html = resp
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html && !resp.headers().contains_key(http::header::CONTENT_SECURITY_POLICY) {
        resp.headers_mut()
            .insert(http::header::CONTENT_SECURITY_POLICY, http::HeaderValue::from_static("frame-ancestors 'none'"));
    }
    resp
}

/// Every request is a unit of work for the storefront cache: when it ends, this replica
/// forgets the shops whose storefront it changed (`services::storefront::tracking`).
async fn storefront_changes(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    crate::services::storefront::tracking(&state, next.run(req)).await
}

pub fn router(state: AppState) -> Router {
    let schema = crate::graphql::admin::build_schema(state.clone());
    let admin_api = Router::new()
        .route("/api/graphql", axum::routing::post(admin_api::graphql).get(admin_api::graphql_get))
        .route("/api/exports/testimonials.csv", get(exports::testimonials_csv))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::require_admin))
        .with_state((schema, state.clone()));

    let mut app = Router::new()
        .route("/", get(|| async { axum::response::Redirect::temporary("/app/") }))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(observe::metrics))
        .route("/graphiql", get(admin_api::graphiql))
        .route("/graphiql/{*path}", get(static_ui::graphiql_asset))
        .route("/app", get(static_ui::admin_app))
        .route("/app/", get(static_ui::admin_app))
        .route("/app/{*path}", get(static_ui::admin_app))
        .route("/widget/loader.js", get(static_ui::widget_loader))
        .route("/widget/entry.js", get(static_ui::widget_entry))
        .route("/widget/reelproof.css", get(static_ui::widget_css))
        .route("/widget/preview", get(static_ui::widget_preview))
        .route("/widget/{*path}", get(static_ui::widget_asset))
        .route("/capture/{*path}", get(static_ui::capture_asset))
        .route("/webhooks/shopify", axum::routing::post(webhooks::shopify))
        .route("/webhooks/messaging/{provider}", axum::routing::post(messaging_webhooks::receive))
        .route("/t/{token}", get(links::capture_link))
        .route("/t/{token}/postpone", get(links::postpone_page).post(links::postpone))
        .route("/t/{token}/rate/{rating}/{signature}", get(links::star_link))
        .route("/r/{code}", get(links::short_link))
        .route("/o/{request_id}/{signature}", get(links::open_pixel))
        .route("/u/{token}", get(links::unsubscribe_page).post(links::unsubscribe))
        .route("/s/{shop_id}/{submission_id}/{file}", get(storefront::media))
        .route("/proxy", get(storefront::app_proxy))
        .route("/proxy/", get(storefront::app_proxy))
        .route("/proxy/{*path}", get(storefront::app_proxy));
    if state.is_dev() {
        app = app.merge(dev::routes());
    }
    let public_api = Router::new()
        .route("/api/public/graphql", axum::routing::post(admin_api::public_graphql))
        .with_state((crate::graphql::public::build_schema(state.clone()), state.config().capture.trusted_proxy_hops));
    let storefront_api = Router::new()
        .route(
            "/api/storefront/graphql",
            get(storefront::graphql).post(storefront::graphql).options(storefront::preflight),
        )
        .with_state((crate::graphql::storefront::build_schema(state.clone()), state.clone()));
    let limited = app
        .with_state(state.clone())
        .merge(admin_api)
        .merge(public_api)
        .merge(storefront_api)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Enforced on the body stream itself, so extractors that read the body their own way
        // (GraphQL) are limited too and the client gets 413, not a parse error.
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)));
    // Uploads stream up to the media limit and may take minutes on a phone: they sit outside
    // the 1 MiB body limit and the 30 s timeout, and the handler enforces the signed size.
    let media_routes = Router::new()
        .route("/uploads/{*key}", axum::routing::put(media::upload).head(media::upload_offset))
        .route("/media/{*key}", get(media::media))
        .layer(DefaultBodyLimit::disable())
        .with_state(state.clone());
    let request_id = http::HeaderName::from_static("x-request-id");
    limited
        .merge(media_routes)
        .layer(axum::middleware::from_fn_with_state(state, storefront_changes))
        .layer(axum::middleware::map_response(no_framing_by_default))
        .layer(axum::middleware::from_fn(observe::track))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}
