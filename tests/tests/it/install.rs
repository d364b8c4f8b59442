//! Shopify-managed install: the first verified session token of a shop installs it against
//! the (fake) Admin API — token exchange, the shop's facts, templates in its language, one
//! draft campaign — once, however many first requests race; a refused exchange writes nothing;
//! uninstall keeps the data and a reinstall resumes it; `shop/update` keeps the facts current.

use entity::{CampaignStatus, campaigns, message_templates};
use reelproof_tests::TestApp;
use reelproof_tests::shopify::FakeShopify;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use server::domain::settings::ShopSettings;
use server::domain::shop_domain::ShopDomain;

const SHOP_QUERY: &str = "{ shop { domain timezone } }";

async fn app_with(shopify: &FakeShopify) -> TestApp {
    let base = shopify.url();
    TestApp::spawn_with(|c| c.shopify.admin_base = Some(base)).await
}

async fn campaigns_of(app: &TestApp, shop_id: entity::ShopId) -> Vec<campaigns::Model> {
    campaigns::Entity::find().filter(campaigns::Column::ShopId.eq(shop_id)).all(app.db()).await.unwrap()
}

async fn templates_in(app: &TestApp, shop_id: entity::ShopId, locale: &str) -> u64 {
    message_templates::Entity::find()
        .filter(message_templates::Column::ShopId.eq(shop_id))
        .filter(message_templates::Column::Locale.eq(locale))
        .count(app.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_new_shops_first_session_token_installs_it_with_its_facts_templates_and_a_draft_campaign() {
    let shopify = FakeShopify::start().await;
    let app = app_with(&shopify).await;
    let shop = ShopDomain::parse("new-tea.myshopify.com").unwrap();
    let resp = app.graphql_with(Some(&app.session_token_for(&shop)), SHOP_QUERY, json!({})).await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["shop"]["domain"], "new-tea.myshopify.com", "{body}");
    assert_eq!(body["data"]["shop"]["timezone"], "Europe/Berlin", "the send window runs in the shop's zone");

    let row = server::store::shops::find_by_domain(app.db(), &shop).await.unwrap().expect("installed");
    assert!(row.access_token.is_some(), "connected at install");
    assert_eq!(shopify.grants_of(shop.as_str()), ["token-exchange"]);
    let settings = ShopSettings::from_json(&row.settings);
    assert_eq!(settings.sender_name.as_deref(), Some("Ada's Tea House"), "the shop's name signs its emails");
    assert_eq!(settings.locale, "de", "the shop's primary locale");
    assert_eq!(settings.facts.currency.as_deref(), Some("EUR"));
    assert_eq!(settings.facts.plan.as_deref(), Some("Basic"));
    assert_eq!(settings.facts.email.as_deref(), Some("owner@adas-tea.example"));
    assert!(templates_in(&app, row.id, "de").await > 0, "built-in templates in the shop's language");
    let cs = campaigns_of(&app, row.id).await;
    assert_eq!(cs.len(), 1);
    assert_eq!(
        (cs[0].status, cs[0].name.as_str()),
        (CampaignStatus::Draft, server::services::install::DEFAULT_CAMPAIGN_NAME)
    );
    app.finish().await;
}

#[tokio::test]
async fn concurrent_first_loads_install_once() {
    let shopify = FakeShopify::start().await;
    let app = app_with(&shopify).await;
    let shop = ShopDomain::parse("busy-shop.myshopify.com").unwrap();
    let tokens: Vec<String> = (0..4).map(|_| app.session_token_for(&shop)).collect();
    let loads = tokens.iter().map(|t| app.graphql_with(Some(t), SHOP_QUERY, json!({})));
    for resp in futures_util::future::join_all(loads).await {
        assert_eq!(resp.status(), 200);
    }
    let row = server::store::shops::find_by_domain(app.db(), &shop).await.unwrap().unwrap();
    assert_eq!(campaigns_of(&app, row.id).await.len(), 1, "one draft campaign");
    assert_eq!(shopify.grants_of(shop.as_str()), ["token-exchange"], "one install");
    let shops = entity::shops::Entity::find()
        .filter(entity::shops::Column::ShopDomain.eq(shop.as_str()))
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(shops, 1);
    app.finish().await;
}

#[tokio::test]
async fn a_shop_shopify_does_not_confirm_is_not_installed() {
    // Nothing answers at the default Admin API base: the exchange fails, so nothing is written.
    let app = TestApp::spawn().await;
    let shop = ShopDomain::parse("not-confirmed.myshopify.com").unwrap();
    let resp = app.graphql_with(Some(&app.session_token_for(&shop)), SHOP_QUERY, json!({})).await;
    assert_eq!(resp.status(), 401);
    assert!(server::store::shops::find_by_domain(app.db(), &shop).await.unwrap().is_none());
    app.finish().await;
}

#[tokio::test]
async fn uninstall_keeps_the_data_and_a_reinstall_resumes_it() {
    let shopify = FakeShopify::start().await;
    let app = app_with(&shopify).await;
    let before = app.graphql("{ campaigns { id } }", json!({})).await;
    let created = app
        .graphql(
            r#"mutation { createCampaign(input: { name: "Kept", trigger: ORDER_PAID, channel: EMAIL }) { id } }"#,
            json!({}),
        )
        .await;
    let kept =
        created["data"]["createCampaign"]["id"].as_str().unwrap_or_else(|| panic!("{created} {before}")).to_owned();
    // The merchant's visit connected the shop in the background; let that finish first.
    reelproof_tests::wait_for("the Admin API to be connected", std::time::Duration::from_secs(30), || async {
        server::store::shops::get(app.db(), app.shop_id()).await.unwrap().filter(|s| s.access_token.is_some())
    })
    .await;
    app.webhook("app/uninstalled", &json!({ "id": 1, "myshopify_domain": app.shop().as_str() })).await;
    let row = server::store::shops::get(app.db(), app.shop_id()).await.unwrap().unwrap();
    assert!(row.uninstalled_at.is_some());
    assert!(row.access_token.is_none() && row.refresh_token.is_none(), "Shopify revoked the tokens; none are kept");

    // The merchant installs again: Shopify confirms it through the token exchange.
    let resp = app.graphql_with(Some(&app.session_token()), "{ campaigns { id name } }", json!({})).await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    let ids: Vec<&str> =
        body["data"]["campaigns"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&kept.as_str()), "the same shop, its campaigns kept: {body}");
    let row = server::store::shops::get(app.db(), app.shop_id()).await.unwrap().unwrap();
    assert!(row.uninstalled_at.is_none() && row.access_token.is_some());
    assert_eq!(campaigns_of(&app, app.shop_id()).await.len(), 1, "no draft added to a shop that has campaigns");
    app.finish().await;
}

#[tokio::test]
async fn shop_update_keeps_the_facts_current_without_overriding_the_merchant() {
    let app = TestApp::spawn().await;
    app.webhook(
        "shop/update",
        &json!({ "id": 1, "name": "Tea by Ada", "email": "hi@tea.example", "iana_timezone": "America/New_York",
                 "primary_locale": "en", "currency": "USD", "plan_display_name": "Advanced" }),
    )
    .await;
    let row = server::store::shops::get(app.db(), app.shop_id()).await.unwrap().unwrap();
    assert_eq!(row.timezone, "America/New_York");
    let s = ShopSettings::from_json(&row.settings);
    assert_eq!(s.sender_name.as_deref(), Some("Tea by Ada"));
    assert_eq!((s.facts.currency.as_deref(), s.facts.plan.as_deref()), (Some("USD"), Some("Advanced")));

    // The merchant names the sender themselves; a later rename leaves their choice alone.
    server::services::shops::update_settings(app.db(), app.shop_id(), |s| s.sender_name = Some("Ada".into()))
        .await
        .unwrap();
    app.webhook("shop/update", &json!({ "id": 1, "name": "Ada's Teas", "iana_timezone": "Not/AZone" })).await;
    let row = server::store::shops::get(app.db(), app.shop_id()).await.unwrap().unwrap();
    let s = ShopSettings::from_json(&row.settings);
    assert_eq!(s.sender_name.as_deref(), Some("Ada"));
    assert_eq!(s.facts.name.as_deref(), Some("Ada's Teas"));
    assert_eq!(row.timezone, "America/New_York", "an unknown zone is not taken");
    app.finish().await;
}

pub(crate) async fn embedded_app(shopify: &FakeShopify) -> TestApp {
    let (base, bridge) = (shopify.url(), shopify.app_bridge_url());
    TestApp::spawn_with(|c| {
        c.shopify.admin_base = Some(base);
        c.shopify.app_bridge_url = Some(bridge);
    })
    .await
}

#[tokio::test]
async fn the_admin_document_is_framed_by_its_shop_only_and_loads_app_bridge_first() {
    let shopify = FakeShopify::start().await;
    let app = embedded_app(&shopify).await;
    let resp = app.get("/app/?shop=test-shop.myshopify.com&host=YWRtaW4").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-security-policy"],
        "frame-ancestors https://test-shop.myshopify.com https://admin.shopify.com;"
    );
    let html = resp.text().await.unwrap();
    let head = &html[html.find("<head>").unwrap() + "<head>".len()..];
    assert!(
        head.starts_with(&format!(
            r#"<meta name="shopify-api-key" content="{}"><script src="{}">"#,
            reelproof_tests::TEST_API_KEY,
            shopify.app_bridge_url()
        )),
        "App Bridge is the first script of <head>: {head:.200}"
    );
    // A shop parameter that is not a shop is never echoed into the header.
    let resp = app.get("/app/?shop=evil.example%20https://attacker.example").await;
    assert_eq!(resp.headers()["content-security-policy"], "frame-ancestors https://admin.shopify.com;");
    // Other HTML pages may not be framed at all.
    let resp = app.get("/t/not-a-token").await;
    assert_eq!(resp.headers()["content-security-policy"], "frame-ancestors 'none'");
    app.finish().await;
}

#[tokio::test]
async fn an_embedded_load_without_a_session_token_bounces_for_one() {
    let shopify = FakeShopify::start().await;
    let app = embedded_app(&shopify).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = client.get(app.url("/app/?shop=test-shop.myshopify.com&host=YWRtaW4&embedded=1")).send().await.unwrap();
    assert_eq!(resp.status(), 307);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/app/auth/session-token?"), "{location}");
    let reload: Vec<(String, String)> =
        url::Url::parse(&format!("http://x{location}")).unwrap().query_pairs().into_owned().collect();
    assert!(
        reload
            .iter()
            .any(|(k, v)| k == "shopify-reload" && v == "/app/?shop=test-shop.myshopify.com&host=YWRtaW4&embedded=1"),
        "{reload:?}"
    );
    let bounce = app.get(&location).await;
    assert!(
        bounce.text().await.unwrap().contains(shopify.app_bridge_url().as_str()),
        "the bounce page loads App Bridge"
    );
    // A forged id_token is refused, and installs nothing.
    let shop = ShopDomain::parse("forged.myshopify.com").unwrap();
    let forged = TestApp::sign_claims(
        &json!({ "iss": "https://forged.myshopify.com/admin", "dest": "https://forged.myshopify.com", "aud": reelproof_tests::TEST_API_KEY,
                 "sub": "1", "exp": chrono::Utc::now().timestamp() + 60, "nbf": chrono::Utc::now().timestamp() - 5,
                 "iat": chrono::Utc::now().timestamp(), "jti": "x", "sid": "y" }),
        "not-the-secret",
    );
    let resp = app.get(&format!("/app/?shop=forged.myshopify.com&embedded=1&id_token={forged}")).await;
    assert_eq!(resp.status(), 401);
    assert!(server::store::shops::find_by_domain(app.db(), &shop).await.unwrap().is_none());
    app.finish().await;
}

#[tokio::test]
async fn a_merchant_opens_reelproof_from_shopify_for_the_first_time_in_chromium() {
    use reelproof_tests::browser::Browser;
    let shopify = FakeShopify::start().await;
    let app = embedded_app(&shopify).await;
    let shop = ShopDomain::parse("first-visit.myshopify.com").unwrap();
    let browser = Browser::launch(&[]).await;
    let name = open_admin(&browser, &app, &shop).await;
    browser.screenshot("install-first-visit").await;
    assert_eq!(name, "Ada's Tea House", "the admin greets the shop by the name Shopify gave");
    assert_eq!(browser.text_of("[data-testid=shop-domain]", std::time::Duration::from_secs(5)).await, shop.as_str());
    let url = browser.client.current_url().await.unwrap();
    assert!(
        url.query_pairs().any(|(k, _)| k == "id_token"),
        "App Bridge reloaded the document with a session token: {url}"
    );
    browser.close().await;

    let row = server::store::shops::find_by_domain(app.db(), &shop).await.unwrap().expect("installed");
    assert_eq!(row.timezone, "Europe/Berlin");
    assert_eq!(ShopSettings::from_json(&row.settings).facts.currency.as_deref(), Some("EUR"), "the shop's facts");
    assert!(templates_in(&app, row.id, "de").await > 0, "the built-in templates, in the shop's language");
    assert_eq!(campaigns_of(&app, row.id).await.len(), 1, "one draft campaign");
    assert_eq!(shopify.grants_of(shop.as_str()), ["token-exchange"], "installed once, at the document load");

    // The merchant uninstalls, then installs again and opens the app: the same shop resumes.
    let body = serde_json::to_vec(&json!({ "id": 1, "myshopify_domain": shop.as_str() })).unwrap();
    let resp = app
        .client
        .post(app.url("/webhooks/shopify"))
        .header("X-Shopify-Topic", "app/uninstalled")
        .header("X-Shopify-Shop-Domain", shop.as_str())
        .header("X-Shopify-Webhook-Id", "uninstall-first-visit")
        .header("X-Shopify-Hmac-Sha256", server::shopify::webhooks::sign(reelproof_tests::TEST_API_SECRET, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(server::store::shops::find_by_domain(app.db(), &shop).await.unwrap().unwrap().uninstalled_at.is_some());
    let browser = Browser::launch(&[]).await;
    assert_eq!(open_admin(&browser, &app, &shop).await, "Ada's Tea House");
    browser.close().await;
    let again = server::store::shops::find_by_domain(app.db(), &shop).await.unwrap().unwrap();
    assert_eq!(again.id, row.id, "the same shop");
    assert!(again.uninstalled_at.is_none());
    assert_eq!(campaigns_of(&app, row.id).await.len(), 1, "its data kept, nothing created twice");
    assert_eq!(shopify.grants_of(shop.as_str()), ["token-exchange", "token-exchange"], "confirmed again by Shopify");

    // Two first loads at once, in two browsers, install another shop once.
    let twin = ShopDomain::parse("twin-visit.myshopify.com").unwrap();
    let (one, two) = (Browser::launch(&[]).await, Browser::launch(&[]).await);
    let (a, b) = futures_util::join!(open_admin(&one, &app, &twin), open_admin(&two, &app, &twin));
    assert_eq!((a.as_str(), b.as_str()), ("Ada's Tea House", "Ada's Tea House"));
    one.close().await;
    two.close().await;
    let twin_row = server::store::shops::find_by_domain(app.db(), &twin).await.unwrap().unwrap();
    assert_eq!(campaigns_of(&app, twin_row.id).await.len(), 1, "one draft campaign");
    assert_eq!(shopify.grants_of(twin.as_str()), ["token-exchange"], "installed once");
    app.finish().await;
}

/// Opens the admin as Shopify's admin does (shop, host, embedded=1, no session token yet) and
/// returns the shop name the app shows.
async fn open_admin(browser: &reelproof_tests::browser::Browser, app: &TestApp, shop: &ShopDomain) -> String {
    let url = app.url(&format!("/app/?shop={}&host=YWRtaW4uc2hvcGlmeS5jb20&embedded=1", shop.as_str()));
    browser.client.goto(&url).await.expect("page loads");
    browser.text_of("[data-testid=shop-name]", std::time::Duration::from_secs(60)).await
}
