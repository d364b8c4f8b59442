//! What the server logs never holds a secret or a customer's contact: a real `reelproof`
//! process, logging as in production (JSON, `info`), goes through install (token exchange),
//! a webhook with the customer's email and phone, a send, the capture link, a submission and
//! an API token's use; then every line it wrote is searched.

use reelproof_tests::process::ServerProcess;
use reelproof_tests::shopify::{FakeShopify, ShopFacts};
use reelproof_tests::{TEST_API_SECRET, TestApp, wait_for};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use server::domain::shop_domain::ShopDomain;
use std::time::Duration;

const EMAIL: &str = "log-scan-customer@example.com";
const PHONE: &str = "+15550109876";

/// A zone where it is now the middle of the day, so the shop's send window is open.
fn daytime_zone() -> &'static str {
    use chrono::Timelike;
    let zones = [
        "Europe/Berlin",
        "America/New_York",
        "America/Los_Angeles",
        "Asia/Tokyo",
        "Asia/Kolkata",
        "Pacific/Auckland",
        "America/Sao_Paulo",
        "Asia/Dubai",
    ];
    zones
        .into_iter()
        .find(|z| {
            let tz: chrono_tz::Tz = z.parse().unwrap();
            (10..19).contains(&chrono::Utc::now().with_timezone(&tz).hour())
        })
        .expect("one of eight zones is in daytime")
}

async fn admin(client: &reqwest::Client, url: &str, auth: &str, query: &str, vars: Value) -> Value {
    reelproof_tests::json_of(client.post(url).bearer_auth(auth).json(&json!({ "query": query, "variables": vars })))
        .await
}

#[tokio::test]
async fn nothing_the_server_logs_holds_a_token_an_email_address_or_a_phone_number() {
    let shopify = FakeShopify::start().await;
    shopify.set_facts(ShopFacts {
        iana_timezone: daytime_zone().into(),
        primary_locale: "en".into(),
        ..Default::default()
    });
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("reelproof.log");
    let admin_base = shopify.url().to_string();
    let server = ServerProcess::start_with(
        &app,
        "all",
        &[("RUST_LOG", "info"), ("SHOPIFY_ADMIN_BASE", admin_base.as_str())],
        Some(&log),
    )
    .await;
    let client = reelproof_tests::http();
    let api = server.url("/api/graphql");
    let shop = ShopDomain::parse("log-scan.myshopify.com").unwrap();
    let session = app.session_token_for(&shop);

    // Install (token exchange), then an active campaign that asks at once.
    let s = admin(&client, &api, &session, "{ shop { domain } }", json!({})).await;
    assert_eq!(s["data"]["shop"]["domain"], shop.as_str(), "{s}");
    let c = admin(
        &client,
        &api,
        &session,
        r#"mutation { createCampaign(input: { name: "Now", trigger: ORDER_PAID, channel: EMAIL, delayDays: 0 }) { id } }"#,
        json!({}),
    )
    .await;
    let id = c["data"]["createCampaign"]["id"].clone();
    let a = admin(
        &client,
        &api,
        &session,
        "mutation($id: ID!) { activateCampaign(id: $id) { status } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(a["data"]["activateCampaign"]["status"], "ACTIVE", "{a}");

    // The order, with the customer's email and phone, as Shopify sends it.
    let mut order = reelproof_tests::fixtures::order(8_001, &[(81, 101)], Some(EMAIL));
    order["phone"] = json!(PHONE);
    order["customer"]["phone"] = json!(PHONE);
    let body = serde_json::to_vec(&order).unwrap();
    let resp = client
        .post(server.url("/webhooks/shopify"))
        .header("content-type", "application/json")
        .header("X-Shopify-Topic", "orders/paid")
        .header("X-Shopify-Shop-Domain", shop.as_str())
        .header("X-Shopify-Webhook-Id", uuid::Uuid::new_v4().to_string())
        .header("X-Shopify-Hmac-Sha256", server::shopify::webhooks::sign(TEST_API_SECRET, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // The server's own scheduler sends it.
    let request = wait_for("the request to be sent", Duration::from_secs(90), || async {
        entity::testimonial_requests::Entity::find()
            .all(app.db())
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.shopify_order_id == 8_001 && r.status == entity::RequestStatus::Sent)
    })
    .await;
    // The customer opens the link and submits.
    let token = app.state().config().encryption_key.derive("links").capture_token(request.id).expose().to_owned();
    let page = client
        .get(server.url(&format!("/t/{token}")))
        .header("user-agent", "Mozilla/5.0 (iPhone)")
        .send()
        .await
        .unwrap();
    assert!(page.status().is_success(), "{}", page.status());
    let submit =
        "mutation($t: String!, $i: SubmitTestimonialInput!) { submitTestimonial(token: $t, input: $i) { id } }";
    let input = json!({"displayName": "Ada Lovelace", "quote": "Lovely", "consentPublish": true, "consentVersion": 1});
    let r = reelproof_tests::json_of(
        client
            .post(server.url("/api/public/graphql"))
            .json(&json!({"query": submit, "variables": {"t": token, "i": input}})),
    )
    .await;
    assert!(r["data"]["submitTestimonial"]["id"].is_string(), "{r}");
    // An integrator's API token, used once.
    let t = admin(
        &client,
        &api,
        &session,
        r#"mutation { createApiToken(name: "BI", scopes: [READ]) { token } }"#,
        json!({}),
    )
    .await;
    let api_token = t["data"]["createApiToken"]["token"].as_str().unwrap().to_owned();
    assert_eq!(
        admin(&client, &api, &api_token, "{ shop { domain } }", json!({})).await["data"]["shop"]["domain"],
        shop.as_str()
    );
    // Its own job runner finishes what the flow planned (the Flow trigger) before it stops.
    wait_for("the server's jobs to finish", Duration::from_secs(60), || async {
        (server::store::jobs::count_unfinished_all_shops(app.db()).await.unwrap() == 0).then_some(())
    })
    .await;
    server.stop().await;

    let logged = std::fs::read_to_string(&log).unwrap();
    let lines = logged.lines().count();
    assert!(lines > 10 && logged.contains("testimonial submitted"), "the flow was logged ({lines} lines)");
    let key = app.state().config().encryption_key.to_base64();
    let secrets = [
        ("the customer's email", EMAIL),
        ("the customer's phone", PHONE),
        ("the phone's digits", "5550109876"),
        ("the capture token", token.as_str()),
        ("a shop access token", "shpat_"),
        ("a shop refresh token", "shprt_"),
        ("the merchant's session token", session.as_str()),
        ("an API token", api_token.as_str()),
        ("the encryption key", key.as_str()),
        ("the app secret", TEST_API_SECRET),
    ];
    for (what, secret) in secrets {
        if let Some(line) = logged.lines().find(|l| l.contains(secret)) {
            panic!("{what} was logged: {line}");
        }
    }
    app.finish().await;
}
