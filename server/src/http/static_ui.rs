//! The built UIs (`.ci/build-ui.mjs`): the admin SPA at `/app/*`, the storefront widget at `/widget/*`, and the
//! customer's capture page (its shell is served at `/t/{token}`, its assets at `/capture/*`).
//!
//! The build names every asset with a content hash, so those are cached for a year (`immutable`);
//! `index.html` is never cached, so a deploy is picked up on the next load. Unknown paths under
//! `/app` get `index.html` (client-side routes). MIME types come from the file extension
//! (`.wasm` → `application/wasm`, needed for streaming compilation).

use super::JsonError;
use crate::domain::html::escape as html_escape;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::response::{Html, IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use std::path::{Component, Path, PathBuf};
use tower::ServiceExt;
use tower_http::services::ServeFile;

const LONG_CACHE: &str = "public, max-age=31536000, immutable";
const NO_CACHE: &str = "no-cache";

/// Where App Bridge fetches a session token for a document load that came without one.
const BOUNCE_PATH: &str = "auth/session-token";

pub async fn admin_app(State(state): State<AppState>, req: Request) -> Response {
    let dir = state.config().ui_dir.join("app");
    let rel = req.uri().path().trim_start_matches("/app").trim_start_matches('/').to_owned();
    if let Some(file) = existing_file(&dir, &rel)
        && rel != "index.html"
    {
        return serve_file(file, req).await;
    }
    // Client-side routes have no file extension; a file the build did not make (a chunk of a
    // deploy that has gone) must fail as a file, not come back as the app shell.
    if rel != "index.html" && Path::new(&rel).extension().is_some() {
        return JsonError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such file").into_response();
    }
    let query: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes()).into_owned().collect();
    let csp = frame_ancestors(&state, query.get("shop").map(String::as_str));
    if !state.is_dev() {
        if rel == BOUNCE_PATH {
            return with_csp(Html(bounce_page(&state)).into_response(), &csp);
        }
        if let Some(refused) = embedded_load(&state, &query, req.uri()).await {
            return with_csp(refused, &csp);
        }
    }
    // Not a file: a client-side route (or the root) gets the app shell.
    match tokio::fs::read_to_string(dir.join("index.html")).await {
        Ok(html) => {
            let mut resp = Html(inject_head(&html, &state)).into_response();
            resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
            with_csp(resp, &csp)
        }
        Err(_) => JsonError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "UI_NOT_BUILT",
            format!("the admin UI is not built in {} (run `bash .ci/dev`, or `node .ci/build-ui.mjs` to build the UIs alone)", dir.display()),
        )
        .into_response(),
    }
}

pub async fn widget_asset(State(state): State<AppState>, req: Request) -> Response {
    let dir = state.config().ui_dir.join("widget");
    let rel = req.uri().path().trim_start_matches("/widget/").to_owned();
    let Some(file) = existing_file(&dir, &rel) else {
        return JsonError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such widget asset").into_response();
    };
    let mut resp = serve_file(file, req).await;
    // Themes load the widget from the shop's own domain.
    resp.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    resp
}

/// The loader for hand-written embeds (`/widget/loader.js`): the very file the theme extension
/// ships from its assets. Cached for five minutes.
pub async fn widget_loader() -> Response {
    script(include_str!("../../../widget/extension/assets/reelproof-loader.js").to_owned())
}

/// `/widget/entry.js`: a module naming the widget's current hashed files, as the build wrote them
/// into its `index.html`, so loaders anywhere (the extension's, on Shopify's CDN) need no
/// rebuild when the widget changes. Cached for five minutes: a deploy reaches storefronts
/// quickly while the hashed files themselves stay cached for a year.
pub async fn widget_entry(State(state): State<AppState>) -> Response {
    let index = state.config().ui_dir.join("widget").join("index.html");
    let Some((js, wasm)) = std::fs::read_to_string(&index).ok().as_deref().and_then(widget_files) else {
        return JsonError::new(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", "the widget is not built")
            .into_response();
    };
    let body = format!(
        "export {{ default }} from \"./{js}\";\nexport const wasm = new URL(\"./{wasm}\", import.meta.url).href;\n"
    );
    script(body)
}

/// `/widget/preview?shop=&placement=home|product&product=`: the storefront block as a theme
/// shows it, for the admin's live preview of Published. The widget renders what is published
/// now through the public storefront API, exactly as on the store; only public data is shown,
/// so the page needs no credential. The shop must be a valid shop domain and the product a
/// number (nothing else reaches the page).
pub async fn widget_preview(
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let Some(shop) = q.get("shop").and_then(|s| crate::domain::shop_domain::ShopDomain::parse(s).ok()) else {
        return JsonError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", "shop must be a shop's myshopify.com domain")
            .into_response();
    };
    let product = match q.get("product").map(|p| p.parse::<u64>()) {
        Some(Ok(p)) if q.get("placement").map(String::as_str) == Some("product") => {
            format!(r#" data-product-id="{p}""#)
        }
        _ => String::new(),
    };
    let layout = if product.is_empty() { "carousel" } else { "grid" };
    let html = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Preview</title><link rel="stylesheet" href="/widget/reelproof.css"><style>body{{margin:0;padding:12px;font-family:system-ui,sans-serif}}</style></head>
<body><div class="reelproof-widget" data-shop="{shop}"{product} data-layout="{layout}"></div>
<script src="/widget/loader.js" async></script></body></html>"#,
        shop = html_escape(shop.as_str()),
    );
    let mut resp = Html(html).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
    // Framed by the admin (our own origin), which Shopify's admin frames in turn: every
    // ancestor must be allowed.
    let ancestors = format!("frame-ancestors 'self' https://{} https://admin.shopify.com;", shop.as_str());
    if let Ok(v) = HeaderValue::from_str(&ancestors) {
        resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    resp
}

/// A script storefronts load from anywhere, cached for five minutes.
fn script(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300")),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")),
        ],
        body,
    )
        .into_response()
}

/// The stylesheet of the testimonials' HTML (the theme extension ships the same file).
pub async fn widget_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300")),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")),
        ],
        include_str!("../../../widget/extension/assets/reelproof.css"),
    )
        .into_response()
}

/// The widget's hashed module and WebAssembly names, as the build wrote them into `index.html`.
fn widget_files(index: &str) -> Option<(String, String)> {
    let find = |suffix: &str| {
        index.split(['"', '\'', '/']).find(|p| p.starts_with("widget-") && p.ends_with(suffix)).map(str::to_owned)
    };
    Some((find(".js")?, find("_bg.wasm")?))
}

pub async fn capture_asset(State(state): State<AppState>, req: Request) -> Response {
    asset_of(&state, "capture", req).await
}

/// GraphiQL's scripts and styles (`/graphiql/*`), copied from npm at build time.
pub async fn graphiql_asset(State(state): State<AppState>, req: Request) -> Response {
    asset_of(&state, "graphiql", req).await
}

/// A file of one built UI, `/<ui>/<file>` from `<ui_dir>/<ui>/<file>`.
async fn asset_of(state: &AppState, ui: &str, req: Request) -> Response {
    let dir = state.config().ui_dir.join(ui);
    let rel = req.uri().path().trim_start_matches('/').trim_start_matches(ui).trim_start_matches('/').to_owned();
    match existing_file(&dir, &rel) {
        Some(file) => serve_file(file, req).await,
        None => JsonError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such asset").into_response(),
    }
}

/// The capture page's shell, with the "not arrived yet?" link when it is offered; `None` when
/// the page is not built (the caller then renders a plain page).
/// What the capture page's shell says before the app loads.
pub struct CaptureShell<'a> {
    /// The tab's and the share sheet's title.
    pub title: &'a str,
    /// "Not arrived yet?", when the customer may still postpone.
    pub postpone_href: Option<&'a str>,
    /// The star the customer tapped in the email, chosen for them.
    pub rating: Option<u8>,
    /// The page's language (`lang`, and `dir` from it) and its words.
    pub language: &'a str,
    pub copy: &'a std::collections::BTreeMap<&'static str, String>,
}

pub async fn capture_shell(state: &AppState, shell: &CaptureShell<'_>) -> Option<String> {
    let html = tokio::fs::read_to_string(state.config().ui_dir.join("capture").join("index.html")).await.ok()?;
    // The tab and the share sheet name the product before the app has loaded.
    let html =
        html.replacen("<title>Share your video</title>", &format!("<title>{}</title>", html_escape(shell.title)), 1);
    let mut extra = shell
        .postpone_href
        .map(|h| format!(r#"<meta name="reelproof-postpone" content="{}">"#, html_escape(h)))
        .unwrap_or_default();
    if let Some(n) = shell.rating {
        extra.push_str(&format!(r#"<meta name="reelproof-rating" content="{n}">"#));
    }
    let copy = serde_json::to_value(shell.copy).expect("strings serialise");
    extra.push_str(&format!(
        r#"<script type="application/json" id="reelproof-copy">{}</script>"#,
        crate::domain::storefront::script_json(&copy)
    ));
    let lang = format!(
        r#"<html lang="{}" dir="{}">"#,
        html_escape(shell.language),
        crate::domain::i18n::direction(shell.language)
    );
    let html = html.replacen(r#"<html lang="en">"#, &lang, 1);
    Some(match html.find("</head>") {
        Some(at) => format!("{}{extra}{}", &html[..at], &html[at..]),
        None => format!("{extra}{html}"),
    })
}

/// A document load from Shopify's admin (`embedded=1`): without an `id_token` it goes to the
/// bounce page, where App Bridge fetches one and reloads the document with it
/// (`shopify-reload`); with one, the token is verified and a shop we do not know is installed
/// before the shell is served. `None`: serve the shell.
async fn embedded_load(
    state: &AppState,
    query: &std::collections::HashMap<String, String>,
    uri: &http::Uri,
) -> Option<Response> {
    if query.get("embedded").map(String::as_str) != Some("1") {
        return None;
    }
    let Some(id_token) = query.get("id_token") else {
        let reload = uri.path_and_query().map_or("/app/", |p| p.as_str());
        let mut bounce = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in query {
            bounce.append_pair(k, v);
        }
        bounce.append_pair("shopify-reload", reload);
        let location = format!("/app/{BOUNCE_PATH}?{}", bounce.finish());
        return Some(axum::response::Redirect::temporary(&location).into_response());
    };
    let session = match super::auth::verify_session_token(state, id_token) {
        Ok(s) => s,
        Err(reason) => {
            tracing::info!(reason, "embedded document load with an invalid id_token");
            metrics::counter!("reelproof_admin_auth_failures_total", "reason" => reason).increment(1);
            return Some((StatusCode::UNAUTHORIZED, Html("<!DOCTYPE html><title>Reelproof</title><p>This link has expired. Open Reelproof again from your Shopify admin.</p>")).into_response());
        }
    };
    match crate::services::install::installed_shop(state, &session.shop, id_token).await {
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, "install at document load failed");
            Some((StatusCode::SERVICE_UNAVAILABLE, Html("<!DOCTYPE html><title>Reelproof</title><p>Reelproof could not finish installing: Shopify did not confirm it. Reload the page to try again.</p>")).into_response())
        }
    }
}

/// The bounce page: App Bridge alone, which sees `shopify-reload` in the address, fetches a
/// session token and reloads that URL with `id_token` added.
fn bounce_page(state: &AppState) -> String {
    format!("<!DOCTYPE html><html><head>{}</head><body></body></html>", app_bridge_head(state))
}

/// `Content-Security-Policy: frame-ancestors` for the admin (SHOPIFY-2026.md §2.3): framed by
/// the shop's own admin and `admin.shopify.com` only. The shop comes from the `shop` parameter
/// Shopify appends, used only when it is a valid shop domain (never echoed otherwise).
fn frame_ancestors(state: &AppState, shop: Option<&str>) -> HeaderValue {
    if state.is_dev() {
        return HeaderValue::from_static("frame-ancestors 'self'");
    }
    let shop = shop.and_then(|s| crate::domain::shop_domain::ShopDomain::parse(s).ok());
    let value = match shop {
        Some(s) => format!("frame-ancestors https://{} https://admin.shopify.com;", s.as_str()),
        None => "frame-ancestors https://admin.shopify.com;".to_owned(),
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("frame-ancestors 'none'"))
}

fn with_csp(mut resp: Response, csp: &HeaderValue) -> Response {
    resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp.clone());
    resp
}

/// Our API key and App Bridge: the first elements of `<head>`, since App Bridge refuses to
/// start unless it is the first blocking script of the document.
fn app_bridge_head(state: &AppState) -> String {
    let creds = &state.config().shopify;
    // Polaris web components come after App Bridge, which must be the first script.
    format!(
        r#"<meta name="shopify-api-key" content="{}"><script src="{}"></script><script src="{}"></script>"#,
        html_escape(&creds.api_key),
        html_escape(creds.app_bridge_src()),
        html_escape(&creds.polaris_src())
    )
}

/// Adds what the server knows at run time to the app shell: in production the API key and App
/// Bridge, first in `<head>`; in dev mode a marker that tells the app to take session tokens
/// from `/dev/session-token`.
fn inject_head(html: &str, state: &AppState) -> String {
    let extra = if state.is_dev() {
        r#"<meta name="reelproof-dev-mode" content="1">"#.to_owned()
    } else {
        app_bridge_head(state)
    };
    match html.find("<head>") {
        Some(at) => format!("{}{extra}{}", &html[..at + "<head>".len()], &html[at + "<head>".len()..]),
        None => match html.find("</head>") {
            Some(at) => format!("{}{extra}{}", &html[..at], &html[at..]),
            None => format!("{extra}{html}"),
        },
    }
}

/// Resolves `rel` inside `dir`, refusing anything that could climb out of it.
fn existing_file(dir: &Path, rel: &str) -> Option<PathBuf> {
    if rel.is_empty() {
        return None;
    }
    let rel = Path::new(rel);
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    let path = dir.join(rel);
    path.is_file().then_some(path)
}

async fn serve_file(path: PathBuf, req: Request) -> Response {
    // A hashed name, or a file inside a hashed directory (the split admin's module and chunks,
    // which name each other and so keep plain names inside `admin-ui-<hash>/`).
    let hashed_part = |p: Option<&std::ffi::OsStr>| p.and_then(|n| n.to_str()).is_some_and(is_hashed_name);
    let hashed = hashed_part(path.file_name()) || hashed_part(path.parent().and_then(Path::file_name));
    let mut resp = match ServeFile::new(&path).oneshot(req).await {
        Ok(r) => r.into_response(),
        Err(never) => match never {},
    };
    let cache = if hashed { LONG_CACHE } else { NO_CACHE };
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    resp
}

/// Hashed names look like `admin-ui-0123456789abcdef.js` or `admin-ui-0123456789abcdef_bg.wasm`:
/// a dash-separated hexadecimal segment. Our build writes 16 digits; Trunk, which built the UIs
/// before it, printed its 64-bit hash without leading zeros, so one build in sixteen named a
/// file with 15 digits (`admin-ui-997586bc5cef303_bg.wasm`), one in 256 with 14, and so on.
/// Those names may still be cached, so 12 to 16 digits count; fewer would start to mistake
/// words for hashes.
fn is_hashed_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, seg)| (12..=16).contains(&seg.len()) && seg.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_hashed_names() {
        assert!(is_hashed_name("admin-ui-0123456789abcdef.js"));
        assert!(is_hashed_name("admin-ui-0123456789abcdef_bg.wasm"));
        assert!(is_hashed_name("style-fedcba9876543210.css"));
        // A hash with leading zeros, as Trunk printed it.
        assert!(is_hashed_name("admin-ui-997586bc5cef303_bg.wasm"));
        assert!(is_hashed_name("admin-ui-7586bc5cef303.js"));
        assert!(!is_hashed_name("0123456789abcdef.js"));
        assert!(!is_hashed_name("reelproof-loader.js"));
        assert!(!is_hashed_name("reelproof-cafe.js"));
        assert!(!is_hashed_name("index.html"));
        assert!(!is_hashed_name("favicon.ico"));
        assert!(!is_hashed_name("admin-ui.js"));
    }

    #[test]
    fn finds_the_widgets_hashed_files() {
        let index = r#"<link rel="modulepreload" href="/widget/widget-0123456789abcdef.js" crossorigin=anonymous>
            <link rel="preload" href="/widget/widget-0123456789abcdef_bg.wasm" as="fetch">"#;
        assert_eq!(
            widget_files(index),
            Some(("widget-0123456789abcdef.js".into(), "widget-0123456789abcdef_bg.wasm".into()))
        );
        assert_eq!(widget_files("<html></html>"), None);
    }

    #[test]
    fn refuses_paths_that_leave_the_directory() {
        let dir = std::env::temp_dir();
        assert!(existing_file(&dir, "../etc/passwd").is_none());
        assert!(existing_file(&dir, "/etc/passwd").is_none());
        assert!(existing_file(&dir, "").is_none());
    }
}
