//! The theme blocks' server-side HTML, kept in Shopify metafields: the shop's Admin API is
//! connected by token exchange when the merchant opens the app, every publication change
//! rewrites the affected pages' metafields, and an expired access token is refreshed first.

use super::storefront::published;
use reelproof_tests::shopify::FakeShopify;
use reelproof_tests::{TestApp, wait_for};
use serde_json::{Value, json};
use std::time::Duration;

fn last<'a>(set: &'a [Value], owner: &str, key: &str) -> &'a str {
    set.iter()
        .rev()
        .find(|m| m["ownerId"] == owner && m["key"] == key)
        .and_then(|m| m["value"].as_str())
        .unwrap_or_else(|| panic!("no {key} on {owner}: {set:?}"))
}

#[tokio::test]
async fn publication_changes_rewrite_the_blocks_metafields_through_the_connected_admin_api() {
    let shopify = FakeShopify::start().await;
    let base = shopify.url();
    let app = TestApp::spawn_with(|c| c.shopify.admin_base = Some(base)).await;

    // The merchant opens the app: the session token is exchanged for an expiring offline token,
    // stored encrypted.
    app.graphql("{ shop { domain } }", json!({})).await;
    let row = wait_for("the Admin API to be connected", Duration::from_secs(30), || async {
        server::store::shops::get(app.db(), app.shop_id()).await.unwrap().filter(|s| s.access_token.is_some())
    })
    .await;
    assert_eq!(shopify.grants(), ["token-exchange"]);
    let stored = row.access_token.unwrap();
    assert!(!stored.contains("shpat_"), "encrypted at rest");
    assert_eq!(app.state().config().encryption_key.decrypt(&stored).unwrap(), "shpat_1");

    // Publishing writes the product's blocks (with and without rating markup) and the home's.
    let id = published(&app, 101).await;
    app.run_background_until_idle().await;
    let set = shopify.metafields();
    let product = last(&set, "gid://shopify/Product/101", "testimonials_html");
    assert!(product.contains(&id) && product.contains("application/ld+json") && product.contains("aggregateRating"));
    assert!(product.contains(&format!("/s/{}/{id}/video.mp4", app.shop_id())), "stable media links: {product}");
    let plain = last(&set, "gid://shopify/Product/101", "testimonials_html_no_rating");
    assert!(plain.contains(&id) && !plain.contains("aggregateRating"), "{plain}");
    let home = last(&set, "gid://shopify/Shop/548380009", "home_html");
    assert!(home.contains(&id) && !home.contains("ld+json"), "{home}");
    assert!(set.iter().all(|m| m["namespace"] == "reelproof" && m["type"] == "multi_line_text_field"));

    // Two hours on the access token has expired: it is refreshed, then the unpublish is written.
    app.advance_clock(chrono::Duration::hours(2));
    app.graphql("mutation($id: ID!) { unpublishSubmission(id: $id) { published } }", json!({"id": id})).await;
    app.run_background_until_idle().await;
    assert_eq!(shopify.grants(), ["token-exchange", "refresh_token"]);
    let set = shopify.metafields();
    let product = last(&set, "gid://shopify/Product/101", "testimonials_html");
    assert!(!product.contains(&id) && product.contains("data-count=\"0\""), "{product}");
    assert!(!last(&set, "gid://shopify/Shop/548380009", "home_html").contains(&id));
    app.finish().await;
}

#[tokio::test]
async fn a_shop_that_never_connected_plans_no_sync() {
    let app = TestApp::spawn().await;
    published(&app, 7).await;
    let jobs = server::store::jobs::count_unfinished_all_shops(app.db()).await.unwrap();
    assert_eq!(jobs, 0, "nothing to write to without an Admin API connection");
    app.finish().await;
}

#[tokio::test]
async fn two_workers_refreshing_at_once_both_get_a_working_token_and_the_shop_stays_connected() {
    let shopify = FakeShopify::start().await;
    let base = shopify.url();
    let app = TestApp::spawn_with(|c| c.shopify.admin_base = Some(base)).await;
    app.graphql("{ shop { domain } }", json!({})).await;
    wait_for("the Admin API to be connected", Duration::from_secs(30), || async {
        server::store::shops::get(app.db(), app.shop_id()).await.unwrap().filter(|s| s.access_token.is_some())
    })
    .await;
    app.advance_clock(chrono::Duration::hours(2));
    let token = || server::services::shop_connection::access_token(app.state(), app.shop_id());
    let (a, b) = tokio::join!(token(), token());
    let (a, b) = (a.expect("first worker").1, b.expect("second worker").1);
    assert_eq!(a, b, "the newest token, whoever refreshed");
    assert_eq!(a, "shpat_2");
    let row = server::store::shops::get(app.db(), app.shop_id()).await.unwrap().unwrap();
    assert!(row.access_token.is_some() && row.refresh_token.is_some(), "still connected");
    app.finish().await;
}
