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
    for m in &set {
        match m["key"].as_str().unwrap() {
            "rating" | "rating_count" => assert_eq!(m["namespace"], "reviews", "Shopify's standard review metafields"),
            "api_base" => {
                assert_eq!((&m["namespace"], m["value"].as_str()), (&json!("$app"), Some(app.url("").as_str())))
            }
            _ => assert_eq!(
                (&m["namespace"], &m["type"]),
                (&json!("$app"), &json!("multi_line_text_field")),
                "app-owned: {m}"
            ),
        }
    }
    assert_eq!(last(&set, "gid://shopify/Product/101", "rating_count"), "1");

    // Two hours on the access token has expired: it is refreshed, then the unpublish is written.
    app.advance_clock(chrono::Duration::hours(2));
    app.graphql("mutation($id: ID!) { unpublishSubmission(id: $id) { published } }", json!({"id": id})).await;
    app.run_background_until_idle().await;
    assert_eq!(shopify.grants(), ["token-exchange", "refresh_token"]);
    let set = shopify.metafields();
    let product = last(&set, "gid://shopify/Product/101", "testimonials_html");
    assert!(!product.contains(&id) && product.contains("data-count=\"0\""), "{product}");
    assert!(!last(&set, "gid://shopify/Shop/548380009", "home_html").contains(&id));
    let deleted = shopify.deleted_metafields();
    assert!(
        deleted.iter().any(|m| m["ownerId"] == "gid://shopify/Product/101"
            && m["namespace"] == "reviews"
            && m["key"] == "rating"),
        "nothing rated is shown any more: the product's rating goes: {deleted:?}"
    );
    app.finish().await;
}

/// Published, media-ready testimonials of a product with these ratings and quotes.
async fn shown(app: &TestApp, product: i64, rated: &[(i16, String)]) {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    for (rating, quote) in rated {
        let now = app.now();
        let s = entity::testimonial_submissions::ActiveModel {
            rating: Set(Some(*rating)),
            quote: Set(Some(quote.clone())),
            ..reelproof_tests::fixtures::shown_submission(app.shop_id(), product, now)
        }
        .insert(app.db())
        .await
        .unwrap();
        let key = format!("{}{}", server::providers::storage::shop_prefix(app.shop_id()), s.id);
        let a = server::store::media_assets::insert_uploaded(
            app.db(),
            app.shop_id(),
            s.id,
            format!("{key}/o"),
            "video/mp4".into(),
            1,
            now,
        )
        .await
        .unwrap();
        let mut a: entity::testimonial_media_assets::ActiveModel = a.into();
        a.processing_status = Set(entity::AssetStatus::Ready);
        a.playback_key = Set(Some(format!("{key}/playback.mp4")));
        a.poster_key = Set(Some(format!("{key}/poster.jpg")));
        a.width = Set(Some(720));
        a.height = Set(Some(1280));
        a.update(app.db()).await.unwrap();
    }
    server::services::storefront_sync::enqueue(app.db(), app.shop_id(), &[Some(product)], app.now()).await.unwrap();
    app.run_background_until_idle().await;
}

#[tokio::test]
async fn a_products_ratings_5_4_and_3_become_its_standard_review_metafields_and_agree_with_the_json_ld() {
    let shopify = FakeShopify::start().await;
    let app = shopify.connected_app().await;
    shown(&app, 303, &[(5, "Great".into()), (4, "Good".into()), (3, "Fine".into())]).await;
    let set = shopify.metafields();
    let owner = "gid://shopify/Product/303";
    let rating = set.iter().rev().find(|m| m["ownerId"] == owner && m["key"] == "rating").expect("reviews.rating");
    assert_eq!((&rating["namespace"], &rating["type"]), (&json!("reviews"), &json!("rating")));
    let value: Value = serde_json::from_str(rating["value"].as_str().unwrap()).unwrap();
    assert_eq!(value, json!({ "value": "4.0", "scale_min": "1.0", "scale_max": "5.0" }));
    let count = set.iter().rev().find(|m| m["ownerId"] == owner && m["key"] == "rating_count").unwrap();
    assert_eq!((&count["type"], &count["value"]), (&json!("number_integer"), &json!("3")));
    // The block's structured data says the same.
    let html = last(&set, owner, "testimonials_html");
    let ld =
        html.split("<script type=\"application/ld+json\">").nth(1).and_then(|t| t.split("</script>").next()).unwrap();
    let ld: Value = serde_json::from_str(ld).unwrap();
    assert_eq!(
        (&ld["aggregateRating"]["ratingValue"], &ld["aggregateRating"]["reviewCount"]),
        (&json!(4.0), &json!(3))
    );
    app.finish().await;
}

#[tokio::test]
async fn a_blocks_html_stays_under_shopifys_64_kb_by_leaving_testimonials_out_never_markup() {
    let shopify = FakeShopify::start().await;
    let app = shopify.connected_app().await;
    // Twelve long quotes of characters that grow when escaped: far over 64 KB together.
    let quote: String = "<&\"".repeat(666);
    shown(&app, 404, &vec![(5, quote); 12]).await;
    let set = shopify.metafields();
    for key in ["testimonials_html", "testimonials_html_no_rating"] {
        let html = last(&set, "gid://shopify/Product/404", key);
        assert!(html.len() <= 65_536, "{key}: {} bytes", html.len());
        let shown = html.matches("class=\"reelproof__item\"").count();
        assert!((1..12).contains(&shown), "{key}: testimonials were left out, not all: {shown}");
        assert!(html.starts_with("<section") && html.trim_end().ends_with("</section>"), "{key}: whole markup");
    }
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
