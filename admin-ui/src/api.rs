//! Talking to the server: a fresh session token for every call (App Bridge's `idToken()` when
//! embedded in Shopify admin, `/dev/session-token` in dev mode), then the shared typed client.

use api_client::{ApiError, ErrorCode, GraphQLQuery, admin};
use serde::Deserialize;
use wasm_bindgen::JsCast;

/// Runs one admin operation.
pub async fn run<Q: GraphQLQuery>(variables: Q::Variables) -> Result<Q::ResponseData, ApiError> {
    let token = session_token().await?;
    api_client::transport::post::<Q>(admin::ENDPOINT, Some(&token), variables).await
}

/// Downloads a file the admin API streams (the testimonials CSV).
pub async fn download(path: &str) -> Result<Vec<u8>, ApiError> {
    let token = session_token().await?;
    api_client::transport::download(path, &token).await
}

/// Whether the page runs inside Shopify admin with App Bridge (then Polaris and App Bridge's
/// save bar, toasts and navigation are real); otherwise the local stylesheet stands in.
pub fn embedded() -> bool {
    shopify().is_some()
}

fn dev_mode() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("meta[name=reelproof-dev-mode]").ok().flatten())
        .is_some()
}

/// `window.shopify`, App Bridge's global, when it is loaded.
pub fn shopify() -> Option<js_sys::Object> {
    let window = web_sys::window()?;
    let value = js_sys::Reflect::get(&window, &"shopify".into()).ok()?;
    value.dyn_into::<js_sys::Object>().ok()
}

/// Calls `shopify.<path>(args…)` (e.g. `saveBar.show`), ignoring an App Bridge without it.
pub fn app_bridge_call(path: &[&str], args: &[wasm_bindgen::JsValue]) -> Option<wasm_bindgen::JsValue> {
    let mut this: wasm_bindgen::JsValue = shopify()?.into();
    let (method, objects) = path.split_last()?;
    for key in objects {
        this = js_sys::Reflect::get(&this, &(*key).into()).ok().filter(|v| v.is_object())?;
    }
    let f = js_sys::Reflect::get(&this, &(*method).into()).ok()?.dyn_into::<js_sys::Function>().ok()?;
    let array: js_sys::Array = args.iter().collect();
    f.apply(&this, &array).ok()
}

pub async fn session_token() -> Result<String, ApiError> {
    if dev_mode() {
        #[derive(Deserialize)]
        struct Dev {
            token: String,
        }
        let dev: Dev = gloo_net::http::Request::get("/dev/session-token")
            .send()
            .await
            .map_err(ApiError::network)?
            .json()
            .await
            .map_err(ApiError::network)?;
        return Ok(dev.token);
    }
    let unavailable =
        || ApiError::new(ErrorCode::Unauthenticated, "Open Reelproof from your Shopify admin to sign in.");
    let promise = app_bridge_call(&["idToken"], &[])
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
        .ok_or_else(unavailable)?;
    let token = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|_| unavailable())?;
    token.as_string().ok_or_else(unavailable)
}
