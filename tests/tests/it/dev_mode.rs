//! Dev-mode conveniences exist only without Shopify credentials (DESIGN.md §7).

use reelproof_tests::TestApp;
use serde_json::json;

#[tokio::test]
async fn dev_mode_hands_out_demo_shop_tokens_that_the_admin_api_accepts() {
    let app = TestApp::spawn_dev().await;
    let resp = app.get("/dev/session-token").await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["shop"], "demo.myshopify.com");
    let token = body["token"].as_str().unwrap();
    let resp = app.graphql_with(Some(token), "{ shop { domain } }", json!({})).await;
    let data: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(data["data"]["shop"]["domain"], "demo.myshopify.com");

    let graphiql = app.get("/graphiql").await;
    assert_eq!(graphiql.status(), 200);
    let html = graphiql.text().await.unwrap();
    assert!(html.contains("GraphiQL") && html.contains("/api/graphql"));
    assert!(html.contains("Bearer "), "dev GraphiQL is pre-authorised");
    app.finish().await;
}

#[tokio::test]
async fn production_mode_has_no_dev_conveniences() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/dev/session-token").await.status(), 404);
    let graphiql = app.get("/graphiql").await;
    assert_eq!(graphiql.status(), 200, "GraphiQL loads for integrators");
    assert!(!graphiql.text().await.unwrap().contains("Bearer "), "but carries no credential");
    // The demo shop does not exist in production.
    let demo = server::domain::shop_domain::ShopDomain::parse("demo.myshopify.com").unwrap();
    let resp = app.graphql_with(Some(&app.session_token_for(&demo)), "{ shop { domain } }", json!({})).await;
    assert_eq!(resp.status(), 401);
    app.finish().await;
}
