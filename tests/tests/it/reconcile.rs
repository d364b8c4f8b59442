//! Reconciliation of missed webhooks against the fake's Admin API: an order Shopify never sent
//! us is planned once, its late webhook adds nothing, and a cancellation known only through the
//! API still stops the request.

use super::campaigns::active;
use entity::{RequestStatus, testimonial_requests as requests};
use reelproof_tests::shopify::FakeShopify;
use reelproof_tests::{TestApp, fixtures};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// An order as the Admin GraphQL API returns it: paid, one line item of product 101.
fn order_node(order_id: i64, updated_at: &str, cancelled_at: Option<&str>) -> Value {
    json!({
        "id": format!("gid://shopify/Order/{order_id}"), "name": "#2001", "email": "ada@example.com", "phone": null,
        "test": false, "updatedAt": updated_at, "processedAt": updated_at, "cancelledAt": cancelled_at,
        "customerLocale": "en", "displayFinancialStatus": if cancelled_at.is_some() { "VOIDED" } else { "PAID" },
        "displayFulfillmentStatus": "UNFULFILLED", "currentTotalPriceSet": { "shopMoney": { "amount": "19.99" } },
        "customer": { "id": "gid://shopify/Customer/7200000000000001", "firstName": "Ada", "lastName": "Lovelace",
                      "email": "ada@example.com", "phone": null },
        "lineItems": { "nodes": [ { "id": "gid://shopify/LineItem/31", "title": "Product 101", "quantity": 1,
            "requiresShipping": true, "isGiftCard": false, "product": { "id": "gid://shopify/Product/101" },
            "variant": { "id": "gid://shopify/ProductVariant/1011" } } ] },
        "fulfillments": [], "refunds": []
    })
}

async fn requests_of(app: &TestApp, order_id: i64) -> Vec<requests::Model> {
    requests::Entity::find()
        .filter(requests::Column::ShopId.eq(app.shop_id()))
        .filter(requests::Column::ShopifyOrderId.eq(order_id))
        .all(app.db())
        .await
        .unwrap()
}

fn later(app: &TestApp, minutes: i64) -> String {
    (app.now() + chrono::Duration::minutes(minutes)).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[tokio::test]
async fn an_order_known_only_through_the_api_is_planned_once_and_its_late_webhook_adds_nothing() {
    let shopify = FakeShopify::start().await;
    let app = shopify.connected_app().await;
    active(&app, json!({"delayDays": 0})).await;
    // Shopify never delivered orders/paid for 5001; its API knows the order.
    shopify.put_order(app.shop().as_str(), order_node(5001, &later(&app, 1), None));
    app.advance_clock(chrono::Duration::minutes(20));
    app.run_scheduler_once().await;
    app.run_background_until_idle().await;
    assert_eq!(requests_of(&app, 5001).await.len(), 1, "planned from the API");

    // The next round reads it again (still updated after the overlap): nothing more.
    app.advance_clock(chrono::Duration::minutes(16));
    app.run_scheduler_once().await;
    app.run_background_until_idle().await;
    // The webhook arrives after all: the same request, not another.
    app.webhook("orders/paid", &fixtures::order(5001, &[(31, 101)], Some("ada@example.com"))).await;
    assert_eq!(requests_of(&app, 5001).await.len(), 1, "one request between the replay and the webhook");
    let shop = server::store::shops::get(app.db(), app.shop_id()).await.unwrap().unwrap();
    assert!(
        shop.orders_reconciled_at.is_some_and(|w| w > app.now() - chrono::Duration::minutes(1)),
        "the watermark moved"
    );
    app.finish().await;
}

#[tokio::test]
async fn a_cancellation_known_only_through_the_api_expires_the_request() {
    let shopify = FakeShopify::start().await;
    let app = shopify.connected_app().await;
    active(&app, json!({"delayDays": 3})).await;
    app.webhook("orders/paid", &fixtures::order(5002, &[(31, 101)], Some("ada@example.com"))).await;
    let r = &requests_of(&app, 5002).await[0];
    assert_eq!(r.status, RequestStatus::Scheduled);
    // orders/cancelled never arrives; the API says the order was cancelled.
    shopify.put_order(app.shop().as_str(), order_node(5002, &later(&app, 2), Some(&later(&app, 2))));
    app.advance_clock(chrono::Duration::minutes(20));
    app.run_scheduler_once().await;
    app.run_background_until_idle().await;
    let r = &requests_of(&app, 5002).await[0];
    assert_eq!(r.status, RequestStatus::Expired, "the missed cancellation still stops the request");
    app.finish().await;
}

#[tokio::test]
async fn the_look_back_is_off_by_default_and_bounded() {
    let shopify = FakeShopify::start().await;
    let app = shopify.connected_app().await;
    active(&app, json!({"delayDays": 0})).await;
    // An order from before the install: not asked about unless the merchant looks back.
    let ten_days_ago = (app.now() - chrono::Duration::days(10)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    shopify.put_order(app.shop().as_str(), order_node(5003, &ten_days_ago, None));
    app.advance_clock(chrono::Duration::minutes(20));
    app.run_scheduler_once().await;
    app.run_background_until_idle().await;
    assert!(requests_of(&app, 5003).await.is_empty(), "no look-back by default");
    let refused = app.graphql("mutation { lookBackOrders(days: 90) }", json!({})).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "VALIDATION", "{refused}");
    let ok = app.graphql("mutation { lookBackOrders(days: 14) }", json!({})).await;
    assert_eq!(ok["data"]["lookBackOrders"], true, "{ok}");
    app.run_background_until_idle().await;
    assert_eq!(requests_of(&app, 5003).await.len(), 1, "the merchant asked for the last 14 days");
    app.finish().await;
}
