//! `/api/graphql` authentication: Shopify session tokens (SHOPIFY.md §3.1).

use reelproof_tests::{TEST_API_KEY, TEST_API_SECRET, TestApp};
use serde_json::{Value, json};

const SHOP_QUERY: &str = "{ shop { domain installedAt timezone settings { locale brandColour autoPublishEnabled } } }";

fn claims(shop: &str, aud: &str, iat: i64, ttl: i64) -> Value {
    json!({
        "iss": format!("https://{shop}/admin"), "dest": format!("https://{shop}"), "aud": aud,
        "sub": "42", "exp": iat + ttl, "nbf": iat, "iat": iat, "jti": "j", "sid": "s"
    })
}

async fn assert_unauthorized(app: &TestApp, bearer: Option<&str>, why: &str) {
    let resp = app.graphql_with(bearer, SHOP_QUERY, json!({})).await;
    assert_eq!(resp.status(), 401, "{why}");
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    let body: Value = resp.json().await.expect("a JSON error body");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{why}: {body}");
    assert!(body.get("data").is_none(), "{why}: no data leaks: {body}");
}

#[tokio::test]
async fn a_valid_session_token_returns_the_shop_of_that_token() {
    let app = TestApp::spawn().await;
    let body = app.graphql(SHOP_QUERY, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let shop = &body["data"]["shop"];
    assert_eq!(shop["domain"], "test-shop.myshopify.com");
    assert_eq!(shop["timezone"], "UTC");
    assert_eq!(shop["settings"]["locale"], "en");
    assert_eq!(shop["settings"]["autoPublishEnabled"], false);
    let installed: chrono::DateTime<chrono::Utc> = shop["installedAt"].as_str().unwrap().parse().expect("RFC 3339");
    assert!((chrono::Utc::now() - installed).num_minutes() < 5);
    app.finish().await;
}

#[tokio::test]
async fn the_shop_comes_only_from_the_token() {
    let app = TestApp::spawn().await;
    app.add_shop("other-shop.myshopify.com").await;
    let other = server::domain::shop_domain::ShopDomain::parse("other-shop.myshopify.com").unwrap();
    let resp = app.graphql_with(Some(&app.session_token_for(&other)), SHOP_QUERY, json!({"shop": "test-shop"})).await;
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["shop"]["domain"], "other-shop.myshopify.com");
    app.finish().await;
}

#[tokio::test]
async fn missing_forged_expired_or_foreign_tokens_get_401() {
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now().timestamp();
    let shop = "test-shop.myshopify.com";
    assert_unauthorized(&app, None, "no Authorization header").await;
    assert_unauthorized(&app, Some("not-a-jwt"), "garbage token").await;
    let wrong_secret = TestApp::sign_claims(&claims(shop, TEST_API_KEY, now, 60), "some-other-secret");
    assert_unauthorized(&app, Some(&wrong_secret), "signed with the wrong secret").await;
    let expired = TestApp::sign_claims(&claims(shop, TEST_API_KEY, now - 120, 60), TEST_API_SECRET);
    assert_unauthorized(&app, Some(&expired), "expired a minute ago").await;
    let other_app = TestApp::sign_claims(&claims(shop, "another-apps-key", now, 60), TEST_API_SECRET);
    assert_unauthorized(&app, Some(&other_app), "aud of another app").await;
    let unknown_shop = TestApp::sign_claims(&claims("nobody.myshopify.com", TEST_API_KEY, now, 60), TEST_API_SECRET);
    assert_unauthorized(&app, Some(&unknown_shop), "shop not installed").await;
    let mut not_shop = claims(shop, TEST_API_KEY, now, 60);
    not_shop["dest"] = "https://evil.example".into();
    assert_unauthorized(&app, Some(&TestApp::sign_claims(&not_shop, TEST_API_SECRET)), "dest not a shop").await;

    // Basic auth is not a session token.
    let resp = app
        .client
        .post(app.url("/api/graphql"))
        .basic_auth("user", Some("pass"))
        .json(&json!({"query": SHOP_QUERY}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    app.finish().await;
}

#[tokio::test]
async fn a_token_within_the_clock_skew_leeway_is_accepted() {
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now().timestamp();
    let just_expired =
        TestApp::sign_claims(&claims("test-shop.myshopify.com", TEST_API_KEY, now - 65, 60), TEST_API_SECRET);
    let resp = app.graphql_with(Some(&just_expired), SHOP_QUERY, json!({})).await;
    assert_eq!(resp.status(), 200, "5 s past exp is inside the 10 s leeway");
    app.finish().await;
}

#[tokio::test]
async fn bad_requests_with_a_valid_token_are_client_errors_not_500() {
    let app = TestApp::spawn().await;
    let token = app.session_token();
    let resp = app
        .client
        .post(app.url("/api/graphql"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body = app.graphql("{ shop { nope } }", json!({})).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("nope"), "{body}");
    let huge = "x".repeat(2 * 1024 * 1024);
    let resp = app
        .client
        .post(app.url("/api/graphql"))
        .bearer_auth(&token)
        .json(&json!({"query": huge}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413, "body over 1 MiB");
    app.finish().await;
}

#[tokio::test]
async fn an_uninstalled_shop_cannot_use_the_admin_api() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let app = TestApp::spawn().await;
    entity::shops::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(app.shop_id()),
        uninstalled_at: Set(Some(chrono::Utc::now())),
        ..Default::default()
    }
    .update(app.db())
    .await
    .unwrap();
    let resp = app.graphql_with(Some(&app.session_token()), SHOP_QUERY, json!({})).await;
    assert_eq!(resp.status(), 401);
    app.finish().await;
}
