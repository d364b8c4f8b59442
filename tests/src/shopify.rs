//! A stand-in for Shopify's side of a shop's Admin API (SHOPIFY.md §3.2, §3.3, §5.1), speaking
//! the documented wire formats. Shopify is a SaaS we cannot run in a test; our side of the wire
//! is real.
//!
//! - `POST /{shop}/admin/oauth/access_token`: token exchange of a session token signed with the
//!   app secret (for that shop, `expiring=1`) and refresh with the newest refresh token only,
//!   answered in Shopify's JSON; any other client is `invalid_client`.
//! - `POST /{shop}/admin/api/{version}/graphql.json`: only the shop's newest access token in
//!   `X-Shopify-Access-Token`; answers `shop { id }`, the shop's facts (`shop { name
//!   contactEmail ianaTimezone currencyCode plan } shopLocales`), `metafieldsSet` and
//!   `discountCodeBasicCreate` (input checked, codes unique per shop: `TAKEN`). Every
//!   answer carries `extensions.cost` (`requestedQueryCost`, `actualQueryCost`,
//!   `throttleStatus`) from a leaky bucket per shop; a query that costs more than is available
//!   is refused with `THROTTLED`, exactly as Shopify refuses it.
//!
//! Each shop has its own tokens, bucket and metafields. Run it alone with the
//! `fake-shopify` binary of this crate to walk the install journey by hand.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What the fake says a shop is, for the facts query.
#[derive(Debug, Clone)]
pub struct ShopFacts {
    pub name: String,
    pub email: String,
    pub iana_timezone: String,
    pub currency: String,
    pub plan: String,
    pub primary_locale: String,
}

impl Default for ShopFacts {
    fn default() -> Self {
        Self {
            name: "Ada's Tea House".into(),
            email: "owner@adas-tea.example".into(),
            iana_timezone: "Europe/Berlin".into(),
            currency: "EUR".into(),
            plan: "Basic".into(),
            primary_locale: "de".into(),
        }
    }
}

/// The cost bucket's shape (Shopify's standard plan is 2000 points, 100 per second).
#[derive(Debug, Clone, Copy)]
pub struct BucketShape {
    pub maximum: f64,
    pub restore_rate: f64,
}

impl Default for BucketShape {
    fn default() -> Self {
        Self { maximum: 2000.0, restore_rate: 100.0 }
    }
}

#[derive(Default)]
struct Shop {
    issued: u32,
    access: Option<String>,
    refresh: Option<String>,
    grants: Vec<String>,
    /// `metafieldsSet` inputs, in order.
    metafields: Vec<serde_json::Value>,
    /// `metafieldsDelete` inputs, in order.
    deleted: Vec<serde_json::Value>,
    /// `flowTriggerReceive` calls: handle and payload.
    flow: Vec<(String, serde_json::Value)>,
    /// The shop's orders as Admin GraphQL order nodes (what reconciliation reads back).
    orders: Vec<serde_json::Value>,
    /// `discountCodeBasicCreate` inputs that made a discount, in order.
    discounts: Vec<serde_json::Value>,
    /// The next discount is made but its answer is lost (a 502 on the way back).
    lose_next_discount_answer: bool,
    /// Points available at `at`; `None` before the first call (a full bucket).
    bucket: Option<(f64, Instant)>,
    calls: u32,
    throttled: u32,
    lowest_available: Option<f64>,
}

#[derive(Default)]
struct Inner {
    shops: HashMap<String, Shop>,
    facts: ShopFacts,
    shape: BucketShape,
    /// Points a query costs, by a word it contains (`orders`, `metafieldsSet`…); 1 otherwise.
    costs: Vec<(String, f64)>,
}

pub struct FakeShopify {
    addr: std::net::SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

fn form(body: &str) -> HashMap<String, String> {
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
    let mut all = inner.lock().unwrap();
    let s = all.shops.entry(shop.clone()).or_default();
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
            s.grants.push("token-exchange".into());
        }
        Some("refresh_token") => {
            if f.get("refresh_token") != s.refresh.as_ref() {
                return bad("invalid_grant");
            }
            s.grants.push("refresh_token".into());
        }
        _ => return bad("unsupported_grant_type"),
    }
    s.issued += 1;
    let (access, refresh) = (format!("shpat_{}", s.issued), format!("shprt_{}", s.issued));
    s.access = Some(access.clone());
    s.refresh = Some(refresh.clone());
    axum::Json(serde_json::json!({
        "access_token": access, "scope": "read_orders,write_products,write_discounts", "expires_in": 3600,
        "refresh_token": refresh, "refresh_token_expires_in": 7_776_000
    }))
    .into_response()
}

async fn graphql(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(shop): Path<String>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<serde_json::Value>,
) -> impl IntoResponse {
    let mut all = inner.lock().unwrap();
    let Inner { shops, facts, shape, costs } = &mut *all;
    let s = shops.entry(shop.clone()).or_default();
    let token = headers.get("x-shopify-access-token").and_then(|v| v.to_str().ok());
    if token.is_none() || token.map(str::to_owned) != s.access {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({ "errors": "[API] Invalid API key or access token" })),
        )
            .into_response();
    }
    let query = body["query"].as_str().unwrap_or_default().to_owned();
    // The leaky bucket: refill since the last call, then charge or refuse.
    let now = Instant::now();
    let available = s.bucket.map_or(shape.maximum, |(a, at)| {
        (a + now.duration_since(at).as_secs_f64() * shape.restore_rate).min(shape.maximum)
    });
    let requested = costs.iter().find(|(w, _)| query.contains(w.as_str())).map_or(1.0, |(_, c)| *c);
    s.calls += 1;
    let status = |available: f64| {
        serde_json::json!({
            "maximumAvailable": shape.maximum, "currentlyAvailable": available, "restoreRate": shape.restore_rate
        })
    };
    if requested > available {
        s.throttled += 1;
        s.bucket = Some((available, now));
        return axum::Json(serde_json::json!({
            "errors": [{ "message": "Throttled", "extensions": { "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits" } }],
            "extensions": { "cost": { "requestedQueryCost": requested, "actualQueryCost": null,
                "throttleStatus": status(available) } }
        }))
        .into_response();
    }
    let left = available - requested;
    s.bucket = Some((left, now));
    s.lowest_available = Some(s.lowest_available.map_or(left, |l: f64| l.min(left)));
    let cost = serde_json::json!({ "cost": {
        "requestedQueryCost": requested, "actualQueryCost": requested, "throttleStatus": status(left) } });
    if query.contains("customers") {
        // The app asked for read_orders and write_products only.
        return axum::Json(serde_json::json!({
            "errors": [{ "message": "Access denied for customers field. Required access: `read_customers` access scope.",
                "extensions": { "code": "ACCESS_DENIED", "requiredAccess": "`read_customers` access scope." } }],
            "extensions": cost
        }))
        .into_response();
    }
    let data = if query.contains("orders(") {
        // `orders(first, after, query: "updated_at:>'…'", sortKey: UPDATED_AT)`, cursor = index.
        let v = &body["variables"];
        let since = v["query"].as_str().and_then(|q| q.split('\'').nth(1)).unwrap_or("").to_owned();
        let mut matching: Vec<&serde_json::Value> =
            s.orders.iter().filter(|o| o["updatedAt"].as_str().is_some_and(|u| u > since.as_str())).collect();
        matching.sort_by(|a, b| a["updatedAt"].as_str().cmp(&b["updatedAt"].as_str()));
        let start: usize = v["after"].as_str().and_then(|c| c.parse().ok()).map_or(0, |c: usize| c + 1);
        let first = v["first"].as_u64().unwrap_or(50) as usize;
        let page: Vec<serde_json::Value> = matching.iter().skip(start).take(first).map(|o| (*o).clone()).collect();
        let end = start + page.len();
        serde_json::json!({ "orders": { "nodes": page,
            "pageInfo": { "hasNextPage": end < matching.len(), "endCursor": (end > 0).then(|| (end - 1).to_string()) } } })
    } else if query.contains("flowTriggerReceive") {
        let v = &body["variables"];
        let (handle, payload) = (v["handle"].as_str().unwrap_or_default().to_owned(), v["payload"].clone());
        // Flow checks the payload against the trigger's fields: every one present, typed.
        let typed = payload["product_id"].is_i64()
            && payload["Rating"].is_i64()
            && payload["Has video"].is_boolean()
            && payload["Order name"].is_string()
            && payload["Testimonial link"].as_str().is_some_and(|l| l.starts_with("https://"));
        if handle != "video-testimonial-submitted" || !typed {
            let e = serde_json::json!([{ "field": ["payload"], "message": format!("invalid trigger or payload: {handle} {payload}") }]);
            serde_json::json!({ "flowTriggerReceive": { "userErrors": e } })
        } else {
            s.flow.push((handle, payload));
            serde_json::json!({ "flowTriggerReceive": { "userErrors": [] } })
        }
    } else if query.contains("discountCodeBasicCreate") {
        let d = body["variables"]["d"].clone();
        let errors = discount_input_errors(&d);
        if !errors.is_empty() {
            serde_json::json!({ "discountCodeBasicCreate": { "codeDiscountNode": null, "userErrors": errors } })
        } else if s
            .discounts
            .iter()
            .any(|x| x["code"].as_str().map(str::to_uppercase) == d["code"].as_str().map(str::to_uppercase))
        {
            // Shopify's answer to a code that exists (codes are unique per shop, any case).
            serde_json::json!({ "discountCodeBasicCreate": { "codeDiscountNode": null, "userErrors": [
                { "field": ["basicCodeDiscount", "code"], "code": "TAKEN", "message": "Code must be unique. Please try a different code." } ] } })
        } else {
            s.discounts.push(d);
            if std::mem::take(&mut s.lose_next_discount_answer) {
                return (StatusCode::BAD_GATEWAY, "upstream connect error").into_response();
            }
            let id = format!("gid://shopify/DiscountCodeNode/{}", 1000 + s.discounts.len());
            serde_json::json!({ "discountCodeBasicCreate": { "codeDiscountNode": { "id": id }, "userErrors": [] } })
        }
    } else if query.contains("metafieldsDelete") {
        let m = body["variables"]["m"].clone();
        s.deleted.extend(m.as_array().cloned().unwrap_or_default());
        serde_json::json!({ "metafieldsDelete": { "deletedMetafields": m, "userErrors": [] } })
    } else if query.contains("metafieldsSet") {
        let m = body["variables"]["m"].clone();
        let keys: Vec<_> = m.as_array().into_iter().flatten().map(|f| serde_json::json!({ "key": f["key"] })).collect();
        s.metafields.extend(m.as_array().cloned().unwrap_or_default());
        serde_json::json!({ "metafieldsSet": { "metafields": keys, "userErrors": [] } })
    } else if query.contains("product(") {
        // Products 1–999 exist, titled after their number; others were deleted.
        let id = body["variables"]["id"].as_str().unwrap_or_default().rsplit('/').next().unwrap_or_default().to_owned();
        match id.parse::<u32>() {
            Ok(n @ 1..=999) => serde_json::json!({ "product": { "title": format!("Oak chair no. {n}"),
                "featuredImage": { "url": format!("https://cdn.shopify.com/s/files/chair-{n}.jpg") } } }),
            _ => serde_json::json!({ "product": null }),
        }
    } else if query.contains("ianaTimezone") {
        serde_json::json!({
            "shop": { "name": facts.name, "contactEmail": facts.email, "ianaTimezone": facts.iana_timezone,
                      "currencyCode": facts.currency, "plan": { "displayName": facts.plan } },
            "shopLocales": [ { "locale": "en", "primary": facts.primary_locale == "en" },
                             { "locale": facts.primary_locale, "primary": true } ]
        })
    } else if query.contains("shop") {
        serde_json::json!({ "shop": { "id": "gid://shopify/Shop/548380009" } })
    } else {
        return axum::Json(serde_json::json!({ "errors": [{ "message": "unexpected query" }], "extensions": cost }))
            .into_response();
    };
    axum::Json(serde_json::json!({ "data": data, "extensions": cost })).into_response()
}

/// What Shopify's `DiscountCodeBasicInput` checks refuse, as `userErrors`.
fn discount_input_errors(d: &serde_json::Value) -> Vec<serde_json::Value> {
    let mut errors = Vec::new();
    let mut bad = |field: &str, message: &str| {
        errors.push(serde_json::json!({ "field": ["basicCodeDiscount", field], "code": "INVALID", "message": message }))
    };
    if d["title"].as_str().is_none_or(str::is_empty) {
        bad("title", "Title can't be blank");
    }
    if d["code"].as_str().is_none_or(|c| c.is_empty() || c.len() > 255) {
        bad("code", "Code can't be blank");
    }
    if d["startsAt"].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).is_none() {
        bad("startsAt", "Starts at is invalid");
    }
    let value = &d["customerGets"]["value"];
    let percentage_ok = value["percentage"].as_f64().is_some_and(|p| p > 0.0 && p <= 1.0);
    let amount_ok =
        value["discountAmount"]["amount"].as_str().and_then(|a| a.parse::<f64>().ok()).is_some_and(|a| a > 0.0);
    if !percentage_ok && !amount_ok {
        bad("customerGets", "Value must be a percentage between 0 and 1 or an amount");
    }
    if d["customerGets"]["items"]["all"] != true {
        bad("customerGets", "Items must be specified");
    }
    if d["context"]["all"] != "ALL" && d["customerSelection"]["all"] != true {
        bad("context", "Context must be specified");
    }
    errors
}

/// A stand-in for App Bridge (`app-bridge.js`), as far as the admin uses it (its `saveBar` and
/// `toast` calls are recorded in `window.__appBridge`; `app.extensions()` reports the theme
/// block active): `shopify.idToken()`
/// answers a real session token for the page's `shop`, minted by this fake with the app secret;
/// on the bounce page (`shopify-reload` in the address) it fetches one and reloads that URL
/// with `id_token` added, as App Bridge does.
const APP_BRIDGE_STUB: &str = r#"(function () {
  var base = document.currentScript.src.replace(/\/app-bridge\.js.*$/, "");
  var params = new URLSearchParams(location.search);
  var shop = params.get("shop") || "";
  function idToken() {
    return fetch(base + "/session-token?shop=" + encodeURIComponent(shop)).then(function (r) { return r.text(); });
  }
  // What the admin asked of App Bridge, in order, for tests to read.
  window.__appBridge = [];
  function record(name) {
    return function () { window.__appBridge.push([name].concat([].slice.call(arguments))); };
  }
  window.shopify = {
    idToken: idToken,
    config: { shop: shop },
    saveBar: { show: record("saveBar.show"), hide: record("saveBar.hide") },
    toast: { show: record("toast.show") },
    // The theme block is active on the published theme (SHOPIFY-2026.md §2.1's shape).
    app: {
      extensions: function () {
        return Promise.resolve([{ handle: "reelproof", type: "theme_app_extension",
          activations: [{ handle: "product_testimonials", name: "Video testimonials", target: "section", status: "active" }] }]);
      }
    }
  };
  var reload = params.get("shopify-reload");
  if (reload) {
    idToken().then(function (t) {
      var u = new URL(reload, location.origin);
      u.searchParams.set("id_token", t);
      location.replace(u.toString());
    });
  }
})();
"#;

async fn app_bridge() -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/javascript; charset=utf-8")], APP_BRIDGE_STUB)
}

async fn session_token(axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>) -> impl IntoResponse {
    let cors = [(axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")];
    let Some(shop) = q.get("shop").and_then(|s| server::domain::shop_domain::ShopDomain::parse(s).ok()) else {
        return (StatusCode::BAD_REQUEST, cors, String::from("no shop")).into_response();
    };
    let now = chrono::Utc::now().timestamp();
    (cors, server::shopify::session_token::mint(crate::TEST_API_KEY, crate::TEST_API_SECRET, &shop, now, 60))
        .into_response()
}

impl FakeShopify {
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().expect("valid address")).await
    }

    /// Listens on `addr` (the `fake-shopify` binary picks a fixed port).
    pub async fn start_on(addr: std::net::SocketAddr) -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let router = axum::Router::new()
            .route("/app-bridge.js", axum::routing::get(app_bridge))
            // Polaris itself cannot be served here: its components stay undefined, and the
            // admin's local stylesheet draws the same markup.
            .route(
                "/polaris-1.js",
                axum::routing::get(|| async {
                    ([(axum::http::header::CONTENT_TYPE, "text/javascript")], "/* Polaris stand-in */")
                }),
            )
            .route("/session-token", axum::routing::get(session_token))
            .route("/{shop}/admin/oauth/access_token", axum::routing::post(token))
            .route(
                &format!("/{{shop}}/admin/api/{}/graphql.json", server::shopify::admin_api::API_VERSION),
                axum::routing::post(graphql),
            )
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self { addr, inner }
    }

    /// A test app whose Admin API is this fake, once its shop is connected (the merchant has
    /// opened the app: the session token is exchanged in the background).
    pub async fn connected_app(&self) -> crate::TestApp {
        let base = self.url();
        let app = crate::TestApp::spawn_with(|c| c.shopify.admin_base = Some(base)).await;
        app.graphql("{ shop { domain } }", serde_json::json!({})).await;
        crate::wait_for("the Admin API to be connected", std::time::Duration::from_secs(30), || async {
            server::store::shops::get(app.db(), app.shop_id()).await.unwrap().filter(|s| s.refresh_token.is_some())
        })
        .await;
        app
    }

    /// `SHOPIFY_APP_BRIDGE_URL` for this fake's App Bridge stand-in.
    pub fn app_bridge_url(&self) -> url::Url {
        format!("http://{}/app-bridge.js", self.addr).parse().expect("valid URL")
    }

    /// `SHOPIFY_ADMIN_BASE` for this fake.
    pub fn url(&self) -> url::Url {
        format!("http://{}", self.addr).parse().expect("valid URL")
    }

    /// What the facts query answers from now on.
    pub fn set_facts(&self, facts: ShopFacts) {
        self.inner.lock().unwrap().facts = facts;
    }

    /// The cost bucket of every shop, and what queries containing `word` cost.
    pub fn set_bucket(&self, shape: BucketShape, costs: &[(&str, f64)]) {
        let mut i = self.inner.lock().unwrap();
        i.shape = shape;
        i.costs = costs.iter().map(|(w, c)| ((*w).to_owned(), *c)).collect();
    }

    fn with_shop<T>(&self, shop: &str, f: impl FnOnce(&Shop) -> T) -> T {
        let i = self.inner.lock().unwrap();
        let default = Shop::default();
        f(i.shops.get(shop).unwrap_or(&default))
    }

    /// The only shop that called, for tests with one shop.
    fn sole_shop(&self) -> String {
        let i = self.inner.lock().unwrap();
        i.shops.keys().next().cloned().unwrap_or_default()
    }

    /// The grant types asked for by the (only) shop, in order.
    pub fn grants(&self) -> Vec<String> {
        let shop = self.sole_shop();
        self.grants_of(&shop)
    }

    pub fn grants_of(&self, shop: &str) -> Vec<String> {
        self.with_shop(shop, |s| s.grants.clone())
    }

    /// Every metafield the (only) shop set so far, in order.
    pub fn metafields(&self) -> Vec<serde_json::Value> {
        let shop = self.sole_shop();
        self.with_shop(&shop, |s| s.metafields.clone())
    }

    /// Every metafield the (only) shop deleted so far, in order.
    pub fn deleted_metafields(&self) -> Vec<serde_json::Value> {
        let shop = self.sole_shop();
        self.with_shop(&shop, |s| s.deleted.clone())
    }

    /// Adds (or replaces, by id) an order the shop's Admin API returns, as a GraphQL order node.
    pub fn put_order(&self, shop: &str, order: serde_json::Value) {
        let mut i = self.inner.lock().unwrap();
        let orders = &mut i.shops.entry(shop.to_owned()).or_default().orders;
        orders.retain(|o| o["id"] != order["id"]);
        orders.push(order);
    }

    /// Every discount the shop's `discountCodeBasicCreate` made, in order.
    pub fn discounts(&self, shop: &str) -> Vec<serde_json::Value> {
        self.with_shop(shop, |s| s.discounts.clone())
    }

    /// The shop's next discount is made, but the answer never reaches the app.
    pub fn lose_next_discount_answer(&self, shop: &str) {
        self.inner.lock().unwrap().shops.entry(shop.to_owned()).or_default().lose_next_discount_answer = true;
    }

    /// Every Flow trigger the shop fired: handle and payload.
    pub fn flow_triggers(&self, shop: &str) -> Vec<(String, serde_json::Value)> {
        self.with_shop(shop, |s| s.flow.clone())
    }

    /// GraphQL calls answered for the shop, those refused as `THROTTLED`, and the lowest the
    /// bucket ever stood after a charge.
    pub fn bucket_report(&self, shop: &str) -> (u32, u32, Option<f64>) {
        self.with_shop(shop, |s| (s.calls, s.throttled, s.lowest_available))
    }
}
