//! A stand-in for a shop's Admin API (SHOPIFY.md §3.2, §3.3): the token endpoint (token
//! exchange of a session token signed with the app secret, and refresh with the last refresh
//! token only, each answered in Shopify's JSON) and the GraphQL endpoint, which accepts only the
//! newest access token in `X-Shopify-Access-Token` and answers `shop { id }` and
//! `metafieldsSet`. Shopify is a SaaS we cannot run in a test; our side of the wire is real.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Inner {
    issued: u32,
    access: Option<String>,
    refresh: Option<String>,
    grants: Vec<String>,
    /// `metafieldsSet` inputs, in order.
    metafields: Vec<serde_json::Value>,
}

pub struct FakeShopify {
    addr: std::net::SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

fn form(body: &str) -> std::collections::HashMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

async fn token(State(inner): State<Arc<Mutex<Inner>>>, Path(shop): Path<String>, body: String) -> impl IntoResponse {
    let f = form(&body);
    let bad = |m: &str| (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({ "error": m }))).into_response();
    if f.get("client_id").map(String::as_str) != Some(crate::TEST_API_KEY)
        || f.get("client_secret").map(String::as_str) != Some(crate::TEST_API_SECRET)
    {
        return (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({ "error": "invalid_client" })))
            .into_response();
    }
    let mut i = inner.lock().unwrap();
    match f.get("grant_type").map(String::as_str) {
        Some("urn:ietf:params:oauth:grant-type:token-exchange") => {
            let Some(subject) = f.get("subject_token") else { return bad("invalid_request") };
            let Ok(session) =
                server::shopify::session_token::verify(subject, crate::TEST_API_KEY, crate::TEST_API_SECRET)
            else {
                return bad("invalid_subject_token");
            };
            if session.shop.as_str() != shop || f.get("expiring").map(String::as_str) != Some("1") {
                return bad("invalid_request");
            }
            i.grants.push("token-exchange".into());
        }
        Some("refresh_token") => {
            if f.get("refresh_token") != i.refresh.as_ref() {
                return bad("invalid_grant");
            }
            i.grants.push("refresh_token".into());
        }
        _ => return bad("unsupported_grant_type"),
    }
    i.issued += 1;
    let (access, refresh) = (format!("shpat_{}", i.issued), format!("shprt_{}", i.issued));
    i.access = Some(access.clone());
    i.refresh = Some(refresh.clone());
    axum::Json(serde_json::json!({
        "access_token": access, "scope": "read_orders,write_products", "expires_in": 3600,
        "refresh_token": refresh, "refresh_token_expires_in": 7_776_000
    }))
    .into_response()
}

async fn graphql(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<serde_json::Value>,
) -> impl IntoResponse {
    let mut i = inner.lock().unwrap();
    let token = headers.get("x-shopify-access-token").and_then(|v| v.to_str().ok());
    if token.is_none() || token.map(str::to_owned) != i.access {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({ "errors": "[API] Invalid API key or access token" })),
        )
            .into_response();
    }
    let query = body["query"].as_str().unwrap_or_default();
    if query.contains("metafieldsSet") {
        let m = body["variables"]["m"].clone();
        let keys: Vec<_> = m.as_array().into_iter().flatten().map(|f| serde_json::json!({ "key": f["key"] })).collect();
        i.metafields.extend(m.as_array().cloned().unwrap_or_default());
        return axum::Json(
            serde_json::json!({ "data": { "metafieldsSet": { "metafields": keys, "userErrors": [] } } }),
        )
        .into_response();
    }
    if query.contains("shop") {
        return axum::Json(serde_json::json!({ "data": { "shop": { "id": "gid://shopify/Shop/548380009" } } }))
            .into_response();
    }
    axum::Json(serde_json::json!({ "errors": [{ "message": "unexpected query" }] })).into_response()
}

impl FakeShopify {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let router = axum::Router::new()
            .route("/{shop}/admin/oauth/access_token", axum::routing::post(token))
            .route(
                &format!("/{{shop}}/admin/api/{}/graphql.json", server::shopify::admin_api::API_VERSION),
                axum::routing::post(graphql),
            )
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self { addr, inner }
    }

    /// `SHOPIFY_ADMIN_BASE` for this fake.
    pub fn url(&self) -> url::Url {
        format!("http://{}", self.addr).parse().expect("valid URL")
    }

    /// The grant types asked for, in order.
    pub fn grants(&self) -> Vec<String> {
        self.inner.lock().unwrap().grants.clone()
    }

    /// Every metafield set so far, in order.
    pub fn metafields(&self) -> Vec<serde_json::Value> {
        self.inner.lock().unwrap().metafields.clone()
    }
}
