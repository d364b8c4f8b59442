//! The Shopify Flow trigger "Video testimonial submitted": fired once per submission of a
//! connected shop, with the payload its extension declares.

use super::capture::{SUBMIT, sent};
use reelproof_tests::TestApp;
use reelproof_tests::shopify::FakeShopify;
use serde_json::json;

#[tokio::test]
async fn a_submission_fires_the_flow_trigger_once_with_the_documented_payload() {
    let shopify = FakeShopify::start().await;
    let app = shopify.connected_app().await;
    let (r, token) = sent(&app).await;
    let input =
        json!({"displayName": "Ada", "rating": 4, "quote": "Lovely", "consentPublish": true, "consentVersion": 1});
    let s = app.public_graphql(SUBMIT, json!({"t": token, "i": input.clone()})).await;
    let id = s["data"]["submitTestimonial"]["id"].as_str().unwrap_or_else(|| panic!("{s}")).to_owned();
    app.run_background_until_idle().await;
    // A second submit is refused; the trigger is not fired again, however often jobs run.
    let again = app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    assert_eq!(again["errors"][0]["extensions"]["code"], "ALREADY_SUBMITTED");
    app.run_background_until_idle().await;

    let fired = shopify.flow_triggers(app.shop().as_str());
    assert_eq!(fired.len(), 1, "{fired:?}");
    let (handle, payload) = &fired[0];
    assert_eq!(handle, "video-testimonial-submitted");
    assert_eq!(payload["product_id"], 101);
    assert_eq!(payload["Rating"], 4);
    assert_eq!(payload["Has video"], false);
    assert_eq!(payload["Order name"], r.order_name.clone().unwrap_or_default());
    assert_eq!(
        payload["Testimonial link"],
        format!("https://{}/admin/apps/reelproof/app/submissions/{id}", app.shop().as_str())
    );
    if let Some(customer) = r.shopify_customer_id {
        assert_eq!(payload["customer_id"], customer);
    }
    assert!(!payload.to_string().contains("ada@example.com"), "no contact data in the trigger");
    app.finish().await;
}

#[tokio::test]
async fn a_shop_that_never_connected_fires_nothing() {
    let app = TestApp::spawn().await;
    let (_, token) = sent(&app).await;
    let input = json!({"displayName": "Ada", "consentPublish": true, "consentVersion": 1, "quote": "Nice"});
    app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    let jobs = server::store::jobs::count_unfinished_all_shops(app.db()).await.unwrap();
    assert_eq!(jobs, 0, "no Flow job without an Admin API connection");
    app.finish().await;
}
