//! Reading orders back through the Admin API, for the reconciliation of missed webhooks:
//! Shopify does not guarantee delivery, so every connected shop's orders updated since its
//! watermark are read page by page and replayed as the webhooks they imply.
//!
//! Each GraphQL order node is turned into the deliveries a webhook subscriber would have
//! received — `orders/paid`, `orders/fulfilled`, `fulfillments/update` (shipment delivered),
//! `orders/cancelled`, `refunds/create` — in the REST shape the payload readers already read,
//! so the replay goes through the very same intake path. Each gets a stable external id
//! (topic, order, what happened), so a replay is recorded once, and planning's idempotency keys
//! make a later real webhook add nothing.

use serde_json::{Value, json};

/// One page of orders updated after a moment, with what the replay needs. Cost: about 1 + 50 ×
/// (line items, fulfillments, refunds) — paced by the client's cost bucket.
pub const ORDERS_QUERY: &str = r#"query($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id name email phone test updatedAt processedAt cancelledAt customerLocale
      displayFinancialStatus displayFulfillmentStatus
      currentTotalPriceSet { shopMoney { amount } }
      customer { id firstName lastName email phone }
      lineItems(first: 50) { nodes { id title quantity requiresShipping isGiftCard product { id } variant { id } } }
      fulfillments(first: 10) { id status displayStatus deliveredAt createdAt updatedAt
        fulfillmentLineItems(first: 50) { nodes { quantity lineItem { id } } } }
      refunds(first: 10) { id createdAt refundLineItems(first: 50) { nodes { quantity lineItem { id quantity } } } }
    }
  }
}"#;

/// Orders per page.
pub const PAGE: i64 = 50;

/// The search filter for orders updated after `since` (RFC 3339, seconds).
pub fn updated_since(since: chrono::DateTime<chrono::Utc>) -> String {
    format!("updated_at:>'{}'", since.format("%Y-%m-%dT%H:%M:%SZ"))
}

/// A delivery the replay makes: the topic, a stable external id and the REST-shaped payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    pub topic: &'static str,
    pub external_id: String,
    pub payload: Value,
}

fn gid(v: &Value) -> Option<i64> {
    v.as_str()?.rsplit('/').next()?.parse().ok()
}

fn nodes<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.pointer(&format!("/{key}/nodes")).and_then(Value::as_array).into_iter().flatten()
}

fn line_item(li: &Value) -> Value {
    json!({
        "id": gid(&li["id"]),
        "title": li["title"],
        "quantity": li["quantity"],
        "requires_shipping": li["requiresShipping"],
        "gift_card": li["isGiftCard"],
        "product_id": li.pointer("/product/id").and_then(gid),
        "variant_id": li.pointer("/variant/id").and_then(gid),
    })
}

/// The deliveries an order node implies, oldest first.
pub fn replays(order: &Value) -> Vec<Replay> {
    let Some(order_id) = gid(&order["id"]) else { return Vec::new() };
    let items: Vec<Value> = nodes(order, "lineItems").map(line_item).collect();
    let customer = order.get("customer").filter(|c| c.is_object()).map(|c| {
        json!({ "id": gid(&c["id"]), "first_name": c["firstName"], "last_name": c["lastName"],
                "email": c["email"], "phone": c["phone"] })
    });
    let rest = json!({
        "id": order_id,
        "name": order["name"],
        "email": order["email"],
        "phone": order["phone"],
        "test": order["test"],
        "customer_locale": order["customerLocale"],
        "processed_at": order["processedAt"],
        "cancelled_at": order["cancelledAt"],
        "current_total_price": order.pointer("/currentTotalPriceSet/shopMoney/amount"),
        "customer": customer,
        "line_items": items,
    });
    let status = |key: &str| order[key].as_str().unwrap_or_default().to_ascii_uppercase();
    let mut out = Vec::new();
    let paid = matches!(
        status("displayFinancialStatus").as_str(),
        "PAID" | "PARTIALLY_REFUNDED" | "REFUNDED" | "PARTIALLY_PAID"
    );
    if paid {
        out.push(Replay {
            topic: "orders/paid",
            external_id: format!("reconcile:orders/paid:{order_id}"),
            payload: rest.clone(),
        });
    }
    if status("displayFulfillmentStatus") == "FULFILLED" {
        out.push(Replay {
            topic: "orders/fulfilled",
            external_id: format!("reconcile:orders/fulfilled:{order_id}"),
            payload: rest.clone(),
        });
    }
    for f in order["fulfillments"].as_array().into_iter().flatten() {
        let delivered = f["displayStatus"].as_str().is_some_and(|s| s.eq_ignore_ascii_case("DELIVERED"))
            || f["deliveredAt"].is_string();
        let Some(fid) = gid(&f["id"]) else { continue };
        if !delivered {
            continue;
        }
        let fitems: Vec<Value> = nodes(f, "fulfillmentLineItems")
            .filter_map(|n| {
                let id = gid(n.pointer("/lineItem/id")?)?;
                items.iter().find(|li| li["id"] == json!(id)).cloned()
            })
            .collect();
        out.push(Replay {
            topic: "fulfillments/update",
            external_id: format!("reconcile:fulfillments/update:{order_id}:{fid}:delivered"),
            payload: json!({
                "id": fid, "order_id": order_id, "name": order["name"], "status": "success",
                "shipment_status": "delivered", "email": order["email"],
                "created_at": f["createdAt"], "updated_at": f["deliveredAt"].as_str().or(f["updatedAt"].as_str()),
                "line_items": fitems,
            }),
        });
    }
    for r in order["refunds"].as_array().into_iter().flatten() {
        let Some(rid) = gid(&r["id"]) else { continue };
        let lines: Vec<Value> = nodes(r, "refundLineItems")
            .filter_map(|n| {
                Some(json!({ "line_item_id": gid(n.pointer("/lineItem/id")?)?, "quantity": n["quantity"],
                             "line_item": { "id": gid(n.pointer("/lineItem/id")?)?, "quantity": n.pointer("/lineItem/quantity") } }))
            })
            .collect();
        out.push(Replay {
            topic: "refunds/create",
            external_id: format!("reconcile:refunds/create:{order_id}:{rid}"),
            payload: json!({ "id": rid, "order_id": order_id, "refund_line_items": lines }),
        });
    }
    if order["cancelledAt"].is_string() {
        out.push(Replay {
            topic: "orders/cancelled",
            external_id: format!("reconcile:orders/cancelled:{order_id}"),
            payload: rest,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shopify::payloads::{Fulfillment, Order, Refund};

    fn node() -> Value {
        json!({
            "id": "gid://shopify/Order/9007199254740993", "name": "#1001", "email": "ada@example.com", "phone": null,
            "test": false, "updatedAt": "2026-12-01T10:00:00Z", "processedAt": "2026-11-30T10:00:00Z",
            "cancelledAt": null, "customerLocale": "de", "displayFinancialStatus": "PAID",
            "displayFulfillmentStatus": "FULFILLED", "currentTotalPriceSet": { "shopMoney": { "amount": "25.00" } },
            "customer": { "id": "gid://shopify/Customer/7", "firstName": "Ada", "lastName": "L", "email": "ada@example.com", "phone": null },
            "lineItems": { "nodes": [
                { "id": "gid://shopify/LineItem/11", "title": "Tea", "quantity": 2, "requiresShipping": true, "isGiftCard": false,
                  "product": { "id": "gid://shopify/Product/101" }, "variant": { "id": "gid://shopify/ProductVariant/5" } } ] },
            "fulfillments": [ { "id": "gid://shopify/Fulfillment/3", "status": "SUCCESS", "displayStatus": "DELIVERED",
                "deliveredAt": "2026-12-01T09:00:00Z", "createdAt": "2026-11-30T12:00:00Z", "updatedAt": "2026-12-01T09:00:00Z",
                "fulfillmentLineItems": { "nodes": [ { "quantity": 2, "lineItem": { "id": "gid://shopify/LineItem/11" } } ] } } ],
            "refunds": [ { "id": "gid://shopify/Refund/4", "createdAt": "2026-12-01T10:00:00Z",
                "refundLineItems": { "nodes": [ { "quantity": 2, "lineItem": { "id": "gid://shopify/LineItem/11", "quantity": 2 } } ] } } ]
        })
    }

    #[test]
    fn an_order_node_becomes_the_webhooks_it_implies_in_their_own_shape() {
        let r = replays(&node());
        let topics: Vec<&str> = r.iter().map(|x| x.topic).collect();
        assert_eq!(topics, ["orders/paid", "orders/fulfilled", "fulfillments/update", "refunds/create"]);
        let order = Order::from_json(&r[0].payload).unwrap();
        assert_eq!(order.facts.order_id, 9_007_199_254_740_993, "ids stay exact");
        assert_eq!(order.facts.order_name.as_deref(), Some("#1001"));
        assert_eq!(order.facts.total_cents, Some(2500));
        assert_eq!(order.facts.customer.id, Some(7));
        assert_eq!(order.facts.line_items[0].product_id, Some(101));
        let f = Fulfillment::from_json(&r[2].payload).unwrap();
        assert!(f.is_delivered());
        assert_eq!(f.order.line_items.len(), 1);
        let refund = Refund::from_json(&r[3].payload).unwrap();
        assert_eq!(refund.fully_refunded_line_items, [11]);
        assert_eq!(r[0].external_id, "reconcile:orders/paid:9007199254740993", "stable: a replay is recorded once");
    }

    #[test]
    fn a_cancelled_unpaid_order_is_only_a_cancellation() {
        let mut n = node();
        n["cancelledAt"] = json!("2026-12-01T11:00:00Z");
        n["displayFinancialStatus"] = json!("VOIDED");
        n["displayFulfillmentStatus"] = json!("UNFULFILLED");
        n["fulfillments"] = json!([]);
        n["refunds"] = json!([]);
        let r = replays(&n);
        assert_eq!(r.iter().map(|x| x.topic).collect::<Vec<_>>(), ["orders/cancelled"]);
        assert!(Order::from_json(&r[0].payload).unwrap().facts.cancelled);
        assert!(replays(&json!({ "id": "not a gid" })).is_empty());
    }
}
