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
    assert!(html.contains("GraphiQL") && html.contains("/graphiql/graphiql.min.js"));
    assert!(!html.contains("https://"), "nothing from a CDN: {html}");
    assert!(html.contains("Bearer "), "dev GraphiQL is pre-authorised");
    // Its scripts are ours, and only ours may run there.
    assert_eq!(graphiql_csp(&app).await, SCRIPTS_FROM_SELF);
    for file in ["graphiql.min.js", "graphiql.min.css", "react.production.min.js", "reelproof-graphiql.js"] {
        assert_eq!(app.get(&format!("/graphiql/{file}")).await.status(), 200, "{file}");
    }
    app.finish().await;
}

#[tokio::test]
async fn production_mode_has_no_dev_conveniences() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/dev/session-token").await.status(), 404);
    let graphiql = app.get("/graphiql").await;
    assert_eq!(graphiql.status(), 200, "GraphiQL loads for integrators");
    assert!(!graphiql.text().await.unwrap().contains("Bearer "), "but carries no credential");
    assert_eq!(graphiql_csp(&app).await, SCRIPTS_FROM_SELF);
    // The demo shop does not exist in production.
    let demo = server::domain::shop_domain::ShopDomain::parse("demo.myshopify.com").unwrap();
    let resp = app.graphql_with(Some(&app.session_token_for(&demo)), "{ shop { domain } }", json!({})).await;
    assert_eq!(resp.status(), 401);
    app.finish().await;
}

const SCRIPTS_FROM_SELF: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; frame-ancestors 'none'";

async fn graphiql_csp(app: &TestApp) -> String {
    app.get("/graphiql").await.headers()["content-security-policy"].to_str().unwrap().to_owned()
}
