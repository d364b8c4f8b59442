//! Talking to the server: session tokens and GraphQL.

use gloo_net::http::Request;
use serde::Deserialize;
use wasm_bindgen::JsCast;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shop {
    pub name: String,
    pub domain: String,
    pub installed_at: String,
    pub timezone: String,
    pub send_window_start: String,
    pub send_window_end: String,
}

#[derive(Deserialize)]
struct GraphQlResponse<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<GraphQlError>,
}

#[derive(Deserialize)]
struct GraphQlError {
    message: String,
}

#[derive(Deserialize)]
struct ShopData {
    shop: Shop,
}

pub async fn fetch_shop() -> Result<Shop, String> {
    let data: ShopData = graphql(
        "query Shop { shop { name domain installedAt timezone sendWindowStart sendWindowEnd } }",
        serde_json::json!({}),
    )
    .await?;
    Ok(data.shop)
}

/// Runs one GraphQL operation with a fresh session token; any error becomes a message the
/// merchant can read.
pub async fn graphql<T: for<'de> Deserialize<'de>>(query: &str, variables: serde_json::Value) -> Result<T, String> {
    let token = session_token().await?;
    let body = serde_json::json!({ "query": query, "variables": variables });
    let resp = Request::post("/api/graphql")
        .header("Authorization", &format!("Bearer {token}"))
        .json(&body)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| format!("cannot reach the server: {e}"))?;
    if resp.status() == 401 {
        return Err("your session has expired; reload the page".into());
    }
    let parsed: GraphQlResponse<T> =
        resp.json().await.map_err(|e| format!("unexpected answer from the server: {e}"))?;
    if let Some(first) = parsed.errors.into_iter().next() {
        return Err(first.message);
    }
    parsed.data.ok_or_else(|| "the server returned no data".into())
}

fn dev_mode() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("meta[name=reelproof-dev-mode]").ok().flatten())
        .is_some()
}

async fn session_token() -> Result<String, String> {
    if dev_mode() {
        #[derive(Deserialize)]
        struct Dev {
            token: String,
        }
        let dev: Dev = Request::get("/dev/session-token")
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        return Ok(dev.token);
    }
    app_bridge_token().await
}

/// `await shopify.idToken()` — App Bridge's session token.
async fn app_bridge_token() -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let shopify = js_sys::Reflect::get(&window, &"shopify".into()).map_err(|_| "App Bridge is not loaded")?;
    if shopify.is_undefined() {
        return Err("open Reelproof from your Shopify admin".into());
    }
    let id_token = js_sys::Reflect::get(&shopify, &"idToken".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or("App Bridge has no idToken()")?;
    let promise = id_token
        .call0(&shopify)
        .ok()
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
        .ok_or("idToken() did not return a promise")?;
    let token =
        wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|_| "App Bridge refused a session token")?;
    token.as_string().ok_or_else(|| "App Bridge returned no token".into())
}
