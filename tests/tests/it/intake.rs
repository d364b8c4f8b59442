//! Order intake: signed Shopify webhooks → eligibility → one request per product.

use super::campaigns::active;
use chrono::Duration;
use entity::{DeliveryStatus, ExpireReason, RequestEventType, RequestStatus, testimonial_requests as requests};
use reelproof_tests::{TestApp, fixtures};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

const ORDER: i64 = 5_000_000_000_000_000_001;
const EMAIL: &str = "ada@example.com";

async fn all_requests(app: &TestApp) -> Vec<requests::Model> {
    requests::Entity::find().order_by_asc(requests::Column::ProductId).all(app.db()).await.unwrap()
}

async fn deliveries(app: &TestApp) -> Vec<entity::webhook_deliveries::Model> {
    entity::webhook_deliveries::Entity::find().all(app.db()).await.unwrap()
}

async fn last_result(app: &TestApp) -> Value {
    let mut d = deliveries(app).await;
    d.sort_by_key(|d| d.received_at);
    d.last().unwrap().result.clone().unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_paid_order_with_three_products_plans_three_requests_once() {
    let app = TestApp::spawn().await;
    active(&app, json!({"delayDays": 7})).await;
    let body = fixtures::order(ORDER, &[(11, 101), (12, 102), (13, 103)], Some(EMAIL));
    let sent_at = app.now();
    let resp = app.webhook_as("orders/paid", "wh-1", &body).await;
    assert_eq!(resp.status(), 200);

    let rows = all_requests(&app).await;
    assert_eq!(rows.len(), 3);
    for (r, product) in rows.iter().zip([101, 102, 103]) {
        assert_eq!(r.product_id, product);
        assert_eq!(r.status, RequestStatus::Scheduled);
        assert_eq!(r.shopify_order_id, ORDER, "order id beyond 2^53 kept exactly");
        // Triggered-At (the server's clock here) + 7 days, to the second.
        assert_eq!((r.scheduled_for - sent_at).num_seconds(), Duration::days(7).num_seconds());
        assert_eq!(r.expires_at - r.scheduled_for, Duration::days(30));
        assert_eq!(r.customer_email.as_deref(), Some(EMAIL));
        assert_eq!(r.token_hash.len(), 64);
        let events = server::store::request_events::timeline(app.db(), app.shop_id(), r.id).await.unwrap();
        assert_eq!(events.iter().map(|e| e.event_type).collect::<Vec<_>>(), vec![RequestEventType::Scheduled]);
    }

    // Shopify retries the same delivery: ten replays change nothing.
    for _ in 0..10 {
        assert_eq!(app.webhook_as("orders/paid", "wh-1", &body).await.status(), 200);
    }
    // Eight identical copies at once (same webhook id) and a second subscription's delivery
    // (new webhook id, same order): still three requests, one delivery row per webhook id.
    let copies = (0..8).map(|_| app.webhook_as("orders/paid", "wh-2", &body));
    for r in futures_join(copies).await {
        assert_eq!(r.status(), 200);
    }
    assert_eq!(all_requests(&app).await.len(), 3);
    assert_eq!(deliveries(&app).await.len(), 2);
    let events = entity::testimonial_request_events::Entity::find().count(app.db()).await.unwrap();
    assert_eq!(events, 3, "one scheduled event per request, none from replays");

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("reelproof_webhooks_duplicate_total"), "{metrics}");
    assert!(metrics.contains("reelproof_requests_created_total"));
    app.finish().await;
}

async fn futures_join<F: std::future::Future>(fs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = fs.collect();
    let mut out = Vec::new();
    // Drive all concurrently.
    let joined = futures_util::future::join_all(handles).await;
    out.extend(joined);
    out
}

#[tokio::test]
async fn bad_missing_or_misplaced_signatures_are_401_and_store_nothing() {
    let app = TestApp::spawn().await;
    active(&app, json!({})).await;
    let body = serde_json::to_vec(&fixtures::order(ORDER, &[(11, 101)], Some(EMAIL))).unwrap();
    let other = serde_json::to_vec(&fixtures::order(ORDER + 1, &[(11, 101)], Some(EMAIL))).unwrap();
    let secret = &app.state().config().shopify.api_secret;
    let over_other_body = server::shopify::webhooks::sign(secret, &other);
    let wrong_secret = server::shopify::webhooks::sign("not-the-secret", &body);
    for (sig, why) in [
        (None, "missing"),
        (Some("AAAA"), "garbage"),
        (Some(wrong_secret.as_str()), "wrong secret"),
        (Some(over_other_body.as_str()), "HMAC over a different body"),
    ] {
        let resp = app.raw_webhook("orders/paid", "wh-x", body.clone(), sig).await;
        assert_eq!(resp.status(), 401, "{why}");
    }
    assert!(deliveries(&app).await.is_empty(), "no delivery row");
    assert!(all_requests(&app).await.is_empty(), "no request row");
    app.finish().await;
}

#[tokio::test]
async fn during_a_secret_rotation_both_secrets_are_accepted() {
    let app = TestApp::spawn_with(|c| c.shopify.previous_api_secret = Some("the-old-secret".into())).await;
    active(&app, json!({})).await;
    let body = serde_json::to_vec(&fixtures::order(ORDER, &[(11, 101)], Some(EMAIL))).unwrap();
    let old = server::shopify::webhooks::sign("the-old-secret", &body);
    assert_eq!(app.raw_webhook("orders/paid", "wh-old", body.clone(), Some(&old)).await.status(), 200);
    assert_eq!(all_requests(&app).await.len(), 1);
    let stranger = server::shopify::webhooks::sign("some-other-secret", &body);
    assert_eq!(app.raw_webhook("orders/paid", "wh-other", body, Some(&stranger)).await.status(), 401);
    // Session tokens signed with the old secret still open the admin.
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": format!("https://{}/admin", app.shop()), "dest": format!("https://{}", app.shop()),
        "aud": reelproof_tests::TEST_API_KEY, "sub": "1", "exp": now + 60, "nbf": now, "iat": now});
    let token = TestApp::sign_claims(&claims, "the-old-secret");
    assert_eq!(app.graphql_with(Some(&token), "{ shop { domain } }", json!({})).await.status(), 200);
    app.finish().await;
}

#[tokio::test]
async fn unusable_deliveries_answer_200_and_say_why() {
    let app = TestApp::spawn().await;
    active(&app, json!({})).await;
    let secret = app.state().config().shopify.api_secret.clone();
    let junk = b"{not json".to_vec();
    let sig = server::shopify::webhooks::sign(&secret, &junk);
    assert_eq!(app.raw_webhook("orders/paid", "wh-junk", junk, Some(&sig)).await.status(), 200);
    let d = deliveries(&app).await;
    assert_eq!(d[0].status, DeliveryStatus::Failed);
    assert!(d[0].error.as_deref().unwrap().starts_with("malformed JSON"), "{:?}", d[0].error);

    assert_eq!(app.webhook("orders/paid", &json!({"no": "id"})).await.status(), 200);
    assert_eq!(app.webhook("products/update", &json!({"id": 1})).await.status(), 200);

    // A shop we do not know.
    let body = serde_json::to_vec(&fixtures::order(ORDER, &[(11, 101)], Some(EMAIL))).unwrap();
    let resp = app
        .client
        .post(app.url("/webhooks/shopify"))
        .header("X-Shopify-Topic", "orders/paid")
        .header("X-Shopify-Shop-Domain", "stranger.myshopify.com")
        .header("X-Shopify-Webhook-Id", "wh-stranger")
        .header("X-Shopify-Hmac-Sha256", server::shopify::webhooks::sign(&secret, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut statuses: Vec<(&str, String)> =
        deliveries(&app).await.iter().map(|d| (d.status.as_str(), d.error.clone().unwrap_or_default())).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        vec![
            ("failed", "malformed JSON: key must be a string at line 1 column 2".into()),
            ("failed", "unusable OrdersPaid payload: payload has no usable `id`".into()),
            ("ignored", "topic not handled by Reelproof".into()),
            ("ignored", "unknown shop".into()),
        ]
    );
    assert!(all_requests(&app).await.is_empty());

    let huge = vec![b' '; 2 * 1024 * 1024];
    let sig = server::shopify::webhooks::sign(&secret, &huge);
    assert_eq!(app.raw_webhook("orders/paid", "wh-huge", huge, Some(&sig)).await.status(), 413);
    app.finish().await;
}

#[tokio::test]
async fn ineligible_items_are_skipped_with_reasons() {
    let app = TestApp::spawn().await;
    active(&app, json!({"eligibility": {"excludeProductIds": ["103"]}})).await;
    let mut body = fixtures::order(ORDER, &[(11, 101), (12, 102), (13, 103), (14, 104)], Some(EMAIL));
    body["line_items"][1]["gift_card"] = json!(true);
    body["line_items"][3]["product_id"] = Value::Null;
    app.webhook("orders/paid", &body).await;
    assert_eq!(all_requests(&app).await.len(), 1);
    assert_eq!(last_result(&app).await["skipped"], json!({"gift_card": 1, "excluded_product": 1, "no_product": 1}));

    // The same customer buys product 101 again: never asked twice about one product.
    app.webhook("orders/paid", &fixtures::order(ORDER + 1, &[(21, 101), (22, 105)], Some(EMAIL))).await;
    assert_eq!(last_result(&app).await["skipped"], json!({"already_asked": 1}));
    assert_eq!(all_requests(&app).await.len(), 2);

    // A test order, and an order without an email for an email campaign.
    let mut test_order = fixtures::order(ORDER + 2, &[(31, 201)], Some("other@example.com"));
    test_order["test"] = json!(true);
    app.webhook("orders/paid", &test_order).await;
    assert_eq!(last_result(&app).await["skipped"], json!({"test_order": 1}));
    let mut no_email = fixtures::order(ORDER + 3, &[(41, 301), (42, 302)], None);
    no_email["customer"]["email"] = Value::Null;
    app.webhook("orders/paid", &no_email).await;
    assert_eq!(last_result(&app).await["skipped"], json!({"no_contact": 2}));
    assert_eq!(all_requests(&app).await.len(), 2);

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains(r#"reelproof_items_skipped_total{reason="gift_card"}"#), "{metrics}");
    app.finish().await;
}

#[tokio::test]
async fn frequency_cap_limits_requests_per_customer_per_30_days() {
    let app = TestApp::spawn().await;
    active(&app, json!({"frequencyCap30d": 2})).await;
    app.webhook("orders/paid", &fixtures::order(ORDER, &[(11, 101), (12, 102), (13, 103)], Some(EMAIL))).await;
    assert_eq!(all_requests(&app).await.len(), 2);
    assert_eq!(last_result(&app).await["skipped"], json!({"frequency_cap": 1}));
    app.advance_clock(Duration::days(31));
    app.webhook("orders/paid", &fixtures::order(ORDER + 1, &[(21, 104)], Some(EMAIL))).await;
    assert_eq!(all_requests(&app).await.len(), 3, "a month later the cap has room again");
    app.finish().await;
}

#[tokio::test]
async fn cancelling_an_order_expires_its_open_requests() {
    let app = TestApp::spawn().await;
    active(&app, json!({})).await;
    app.webhook("orders/paid", &fixtures::order(ORDER, &[(11, 101), (12, 102), (13, 103)], Some(EMAIL))).await;
    let mut cancelled = fixtures::order(ORDER, &[(11, 101), (12, 102), (13, 103)], Some(EMAIL));
    cancelled["cancelled_at"] = json!(app.now().to_rfc3339());
    cancelled["cancel_reason"] = json!("customer");
    assert_eq!(app.webhook("orders/cancelled", &cancelled).await.status(), 200);
    let rows = all_requests(&app).await;
    assert_eq!(rows.len(), 3);
    for r in &rows {
        assert_eq!(r.status, RequestStatus::Expired);
        assert_eq!(r.expire_reason, Some(ExpireReason::OrderCancelled));
        let events = server::store::request_events::timeline(app.db(), app.shop_id(), r.id).await.unwrap();
        assert_eq!(events.last().unwrap().event_type, RequestEventType::Expired);
    }
    assert_eq!(last_result(&app).await["expired"], 3);
    // Nothing is left for a sender to pick up: no request is in a sendable state, and replaying
    // the paid webhook (new id) does not bring them back.
    app.webhook("orders/paid", &fixtures::order(ORDER, &[(11, 101), (12, 102), (13, 103)], Some(EMAIL))).await;
    let sendable = requests::Entity::find()
        .filter(requests::Column::Status.is_in(["scheduled", "queued"]))
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(sendable, 0);
    // A later scheduler round, even days later, sends nothing.
    app.advance_clock(Duration::days(8));
    let report = app.run_scheduler_once().await;
    assert_eq!((report.claimed, report.sent), (0, 0), "{report:?}");
    let outbox = app.state().config().data_dir.join("outbox");
    assert!(!outbox.exists() || std::fs::read_dir(&outbox).unwrap().count() == 0, "no message written");
    assert_eq!(app.run_background_until_idle().await, 0);
    app.finish().await;
}

#[tokio::test]
async fn a_full_refund_of_a_line_item_expires_only_its_request() {
    let app = TestApp::spawn().await;
    active(&app, json!({})).await;
    app.webhook("orders/paid", &fixtures::order(ORDER, &[(11, 101), (12, 102)], Some(EMAIL))).await;
    let refund = json!({"id": 1, "order_id": ORDER, "created_at": app.now().to_rfc3339(), "refund_line_items": [
        {"id": 1, "line_item_id": 11, "quantity": 2, "line_item": {"id": 11, "quantity": 2, "product_id": 101}},
        {"id": 2, "line_item_id": 12, "quantity": 1, "line_item": {"id": 12, "quantity": 2, "product_id": 102}}
    ]});
    app.webhook("refunds/create", &refund).await;
    let rows = all_requests(&app).await;
    assert_eq!((rows[0].status, rows[0].expire_reason), (RequestStatus::Expired, Some(ExpireReason::OrderRefunded)));
    assert_eq!(rows[1].status, RequestStatus::Scheduled, "partly refunded item is still asked about");
    app.finish().await;
}

#[tokio::test]
async fn a_partial_shipment_plans_only_its_items_for_fulfilled_campaigns() {
    let app = TestApp::spawn().await;
    active(&app, json!({"trigger": "ORDER_FULFILLED", "delayDays": 2})).await;
    let f = fixtures::fulfillment(900, ORDER, &[(12, 102)], EMAIL, app.now());
    app.webhook("fulfillments/create", &f).await;
    let rows = all_requests(&app).await;
    assert_eq!(rows.iter().map(|r| r.product_id).collect::<Vec<_>>(), vec![102]);
    assert_eq!(rows[0].order_name.as_deref(), Some("#1001"));
    // orders/fulfilled later covers everything; the already planned item is not duplicated.
    app.webhook("orders/fulfilled", &fixtures::order(ORDER, &[(11, 101), (12, 102)], Some(EMAIL))).await;
    assert_eq!(all_requests(&app).await.iter().map(|r| r.product_id).collect::<Vec<_>>(), vec![101, 102]);
    app.finish().await;
}

#[tokio::test]
async fn a_delivery_event_plans_delivered_campaigns() {
    let app = TestApp::spawn().await;
    active(&app, json!({"trigger": "ORDER_DELIVERED", "delayDays": 1, "fallbackDays": 10})).await;
    app.webhook("fulfillments/create", &fixtures::fulfillment(900, ORDER, &[(11, 101), (12, 102)], EMAIL, app.now()))
        .await;
    assert!(all_requests(&app).await.is_empty(), "shipped is not delivered");
    let in_transit = json!({"id": 1, "fulfillment_id": 900, "order_id": ORDER, "status": "in_transit"});
    app.webhook("fulfillment_events/create", &in_transit).await;
    assert!(all_requests(&app).await.is_empty());

    app.advance_clock(Duration::days(3));
    let delivered_at = app.now();
    let delivered = json!({"id": 2, "fulfillment_id": 900, "order_id": ORDER, "status": "delivered",
        "happened_at": delivered_at.to_rfc3339()});
    assert_eq!(app.webhook("fulfillment_events/create", &delivered).await.status(), 200);
    let rows = all_requests(&app).await;
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].scheduled_for - delivered_at).num_seconds(), Duration::days(1).num_seconds());
    // The fallback was retired: ten days on, nothing new happens.
    app.advance_clock(Duration::days(10));
    app.run_background_until_idle().await;
    assert_eq!(all_requests(&app).await.len(), 2);
    app.finish().await;
}

#[tokio::test]
async fn without_a_delivery_event_the_fallback_plans_after_fallback_days() {
    let app = TestApp::spawn().await;
    active(&app, json!({"trigger": "ORDER_DELIVERED", "delayDays": 1, "fallbackDays": 10})).await;
    let shipped_at = app.now();
    app.webhook("fulfillments/create", &fixtures::fulfillment(900, ORDER, &[(11, 101), (12, 102)], EMAIL, shipped_at))
        .await;
    app.advance_clock(Duration::days(9));
    assert_eq!(app.run_background_until_idle().await, 0, "not yet due");
    assert!(all_requests(&app).await.is_empty());
    app.advance_clock(Duration::days(1) + Duration::minutes(1));
    assert_eq!(app.run_background_until_idle().await, 1);
    let rows = all_requests(&app).await;
    assert_eq!(rows.len(), 2);
    // Planned as if delivered at shipment + fallback days, then the campaign's delay.
    assert_eq!((rows[0].scheduled_for - shipped_at).num_seconds(), Duration::days(11).num_seconds());
    app.finish().await;
}

#[tokio::test]
async fn an_uninstalled_shop_gets_nothing_planned_until_it_reinstalls() {
    let app = TestApp::spawn().await;
    active(&app, json!({})).await;
    app.webhook("app/uninstalled", &json!({"id": 1, "myshopify_domain": app.shop().as_str()})).await;
    app.webhook("orders/paid", &fixtures::order(ORDER, &[(11, 101)], Some(EMAIL))).await;
    assert!(all_requests(&app).await.is_empty());
    let resp = app.graphql_with(Some(&app.session_token()), "{ shop { domain } }", json!({})).await;
    assert_eq!(resp.status(), 401, "an uninstalled shop has no admin session");
    // Reinstall.
    server::services::shops::provision(app.db(), app.shop(), app.now()).await.unwrap();
    app.webhook("orders/paid", &fixtures::order(ORDER, &[(11, 101)], Some(EMAIL))).await;
    assert_eq!(all_requests(&app).await.len(), 1, "{:?}", deliveries(&app).await);
    app.finish().await;
}

#[tokio::test]
async fn a_cancellation_that_arrives_before_the_payment_still_stops_planning() {
    let app = TestApp::spawn().await;
    active(&app, json!({})).await;
    // Shopify does not promise order: the cancellation is delivered first.
    let mut cancelled = fixtures::order(ORDER, &[(11, 101), (12, 102)], Some(EMAIL));
    cancelled["cancelled_at"] = json!(app.now().to_rfc3339());
    assert_eq!(app.webhook("orders/cancelled", &cancelled).await.status(), 200);
    // The paid event was triggered before the cancellation, so its payload is not cancelled.
    assert_eq!(
        app.webhook("orders/paid", &fixtures::order(ORDER, &[(11, 101), (12, 102)], Some(EMAIL))).await.status(),
        200
    );
    assert_eq!(all_requests(&app).await.len(), 0);
    let result = last_result(&app).await;
    assert!(result.to_string().contains("order_cancelled"), "the delivery says why: {result}");
    // Another order of the same customer is planned as usual.
    app.webhook("orders/paid", &fixtures::order(ORDER + 1, &[(21, 201)], Some(EMAIL))).await;
    assert_eq!(all_requests(&app).await.len(), 1);
    app.finish().await;
}
