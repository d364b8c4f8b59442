//! Daily analytics: the funnel rolled up from real events and moderation, idempotently, and
//! read through the admin API.

use super::capture::{CAPTURE, SUBMIT, sent};
use reelproof_tests::TestApp;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

const ANALYTICS: &str = "query($from: NaiveDate!, $to: NaiveDate!) { analytics(from: $from, to: $to) { days { day counts { scheduled sent clicked submitted approved published } } totals { scheduled sent delivered opened clicked submitted approved published } rates { submittedPerSent publishedPerApproved deliveredPerSent } } }";

#[tokio::test]
async fn the_funnel_is_rolled_up_from_what_happened_and_recomputing_changes_nothing() {
    let app = TestApp::spawn().await;
    let first_day = app.now().date_naive();
    let (_, token) = sent(&app).await;
    app.public_graphql(CAPTURE, json!({"t": token})).await;
    let input = json!({"displayName": "Ada", "quote": "Lovely", "consentPublish": true, "consentVersion": 1});
    let s = app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    let id = s["data"]["submitTestimonial"]["id"].clone();
    app.graphql("mutation($id: ID!) { approveSubmission(id: $id) { status } }", json!({"id": id})).await;
    app.graphql(
        "mutation($id: ID!) { publishSubmission(id: $id, placements: [PRODUCT]) { status } }",
        json!({"id": id}),
    )
    .await;

    server::services::analytics::recompute_recent(app.state()).await.unwrap();
    let rows = entity::daily_analytics::Entity::find().count(app.db()).await.unwrap();
    server::services::analytics::recompute_recent(app.state()).await.unwrap();
    assert_eq!(entity::daily_analytics::Entity::find().count(app.db()).await.unwrap(), rows, "idempotent");

    let vars =
        json!({"from": (first_day - chrono::Duration::days(1)).to_string(), "to": app.now().date_naive().to_string()});
    let a = app.graphql(ANALYTICS, vars.clone()).await;
    let a = &a["data"]["analytics"];
    assert!(a["days"].as_array().unwrap_or_else(|| panic!("{a}")).len() >= 2, "every day of the range, empty ones too");
    assert_eq!(
        a["totals"],
        json!({"scheduled": 1, "sent": 1, "delivered": 0, "opened": 0, "clicked": 1, "submitted": 1, "approved": 1, "published": 1}),
        "{a}"
    );
    assert_eq!(a["rates"]["submittedPerSent"], 1.0);
    assert_eq!(a["rates"]["publishedPerApproved"], 1.0);
    assert_eq!(a["rates"]["deliveredPerSent"], 0.0);

    let theirs = app.other_shop_token().await;
    server::services::analytics::recompute_recent(app.state()).await.unwrap();
    let r: serde_json::Value = app.graphql_with(Some(&theirs), ANALYTICS, vars).await.json().await.unwrap();
    assert_eq!(r["data"]["analytics"]["totals"]["sent"], 0, "another shop's funnel is its own");

    let bad = app.graphql(ANALYTICS, json!({"from": "2026-01-10", "to": "2026-01-01"})).await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "VALIDATION");
    app.finish().await;
}
