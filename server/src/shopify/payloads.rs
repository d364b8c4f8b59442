//! Webhook payload types (SHOPIFY.md §2), read leniently.
//!
//! Real payloads have ids above 2^53, `product_id: null`, money as strings, `tags` as one
//! comma string, unknown extra fields and nulls almost anywhere. We read from a parsed
//! `serde_json::Value` (which keeps integers exact — never `f64`), take what we need, and treat
//! anything missing or of the wrong type as absent instead of failing the whole delivery.

use crate::domain::campaign::parse_money_cents;
use crate::domain::planner::{CustomerFacts, LineItemFacts, OrderFacts};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// An id: a JSON integer (signed or unsigned, exact) or a numeric string. GraphQL gids
/// (`gid://shopify/Order/123`) are accepted too.
pub fn id(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_u64().and_then(|u| i64::try_from(u).ok())),
        Value::String(s) => s.rsplit('/').next()?.trim().parse().ok(),
        _ => None,
    }
}

pub fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn flag(v: &Value, key: &str) -> Option<bool> {
    match v.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

pub fn time(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v.get(key)?.as_str()?).ok().map(|t| t.with_timezone(&Utc))
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

fn ids(v: &Value, key: &str) -> Vec<i64> {
    list(v, key)
        .iter()
        .filter_map(|x| match x {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.rsplit('/').next()?.parse().ok(),
            _ => None,
        })
        .collect()
}

fn obj<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|x| x.is_object())
}

fn consent_subscribed(v: Option<&Value>) -> bool {
    v.and_then(|c| text(c, "state")).is_some_and(|s| s.eq_ignore_ascii_case("subscribed"))
}

/// A line item; `None` when it has no id (nothing could ever refer to it).
pub fn line_item(v: &Value) -> Option<LineItemFacts> {
    Some(LineItemFacts {
        id: id(v, "id")?,
        product_id: id(v, "product_id"),
        variant_id: id(v, "variant_id"),
        title: text(v, "title").or_else(|| text(v, "name")).unwrap_or_else(|| "your purchase".into()),
        gift_card: flag(v, "gift_card").unwrap_or(false),
        requires_shipping: flag(v, "requires_shipping").unwrap_or(true),
    })
}

fn line_items(v: &Value) -> (Vec<LineItemFacts>, u32) {
    let all = list(v, "line_items");
    let parsed: Vec<_> = all.iter().filter_map(line_item).collect();
    let malformed = u32::try_from(all.len() - parsed.len()).unwrap_or(0);
    (parsed, malformed)
}

/// The shop a payload itself names, where Shopify puts one in the body (`shop_domain` in the
/// privacy topics, `myshopify_domain` in `app/uninstalled` and `shop/update`), lower-cased.
pub fn shop_domain_in(v: &Value) -> Option<String> {
    text(v, "shop_domain").or_else(|| text(v, "myshopify_domain")).map(|d| d.to_ascii_lowercase())
}

/// The order of `orders/*` topics.
#[derive(Debug, Clone)]
pub struct Order {
    pub facts: OrderFacts,
    pub fulfillments: Vec<Fulfillment>,
    pub processed_at: Option<DateTime<Utc>>,
    /// Line items dropped because they had no id.
    pub malformed_items: u32,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PayloadError {
    #[error("payload is not a JSON object")]
    NotAnObject,
    #[error("payload has no usable `{0}`")]
    Missing(&'static str),
}

fn customer_from(order: &Value) -> CustomerFacts {
    let customer = obj(order, "customer");
    let shipping = obj(order, "shipping_address");
    let billing = obj(order, "billing_address");
    let from_any = |key: &str| -> Option<String> {
        customer
            .and_then(|c| text(c, key))
            .or_else(|| shipping.and_then(|s| text(s, key)))
            .or_else(|| billing.and_then(|b| text(b, key)))
    };
    CustomerFacts {
        id: customer.and_then(|c| id(c, "id")),
        email: text(order, "email")
            .or_else(|| text(order, "contact_email"))
            .or_else(|| customer.and_then(|c| text(c, "email"))),
        phone: text(order, "phone").or_else(|| from_any("phone")),
        first_name: from_any("first_name"),
        last_name: from_any("last_name"),
        locale: text(order, "customer_locale"),
        email_consent: flag(order, "buyer_accepts_marketing").unwrap_or(false)
            || consent_subscribed(customer.and_then(|c| c.get("email_marketing_consent"))),
        sms_consent: consent_subscribed(customer.and_then(|c| c.get("sms_marketing_consent"))),
    }
}

impl Order {
    pub fn from_json(v: &Value) -> Result<Self, PayloadError> {
        if !v.is_object() {
            return Err(PayloadError::NotAnObject);
        }
        let order_id = id(v, "id").ok_or(PayloadError::Missing("id"))?;
        let (items, malformed) = line_items(v);
        let customer = customer_from(v);
        let fulfillments = list(v, "fulfillments")
            .iter()
            .filter_map(|f| Fulfillment::from_json_with_customer(f, customer.clone()).ok())
            .collect();
        Ok(Self {
            facts: OrderFacts {
                order_id,
                order_name: text(v, "name"),
                test: flag(v, "test").unwrap_or(false),
                cancelled: v.get("cancelled_at").is_some_and(|c| !c.is_null()),
                total_cents: text(v, "current_total_price")
                    .or_else(|| text(v, "total_price"))
                    .and_then(|m| parse_money_cents(&m)),
                customer,
                line_items: items,
            },
            fulfillments,
            processed_at: time(v, "processed_at"),
            malformed_items: malformed,
        })
    }
}

/// A fulfillment (`fulfillments/create|update`, or inside an order).
#[derive(Debug, Clone)]
pub struct Fulfillment {
    pub id: i64,
    pub order_id: i64,
    pub status: Option<String>,
    pub shipment_status: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    /// An order view of this shipment: its items and the contact on the fulfillment. Shopify
    /// puts no test flag or total on a fulfillment; those order-level rules were applied (or
    /// not applicable) when the order itself arrived.
    pub order: OrderFacts,
    pub malformed_items: u32,
}

impl Fulfillment {
    pub fn from_json(v: &Value) -> Result<Self, PayloadError> {
        let destination = obj(v, "destination");
        let customer = CustomerFacts {
            email: text(v, "email"),
            phone: destination.and_then(|d| text(d, "phone")),
            first_name: destination.and_then(|d| text(d, "first_name")),
            last_name: destination.and_then(|d| text(d, "last_name")),
            ..CustomerFacts::default()
        };
        Self::from_json_with_customer(v, customer)
    }

    fn from_json_with_customer(v: &Value, customer: CustomerFacts) -> Result<Self, PayloadError> {
        if !v.is_object() {
            return Err(PayloadError::NotAnObject);
        }
        let fulfillment_id = id(v, "id").ok_or(PayloadError::Missing("id"))?;
        let order_id = id(v, "order_id").ok_or(PayloadError::Missing("order_id"))?;
        let (items, malformed) = line_items(v);
        // "#1001.1" → "#1001".
        let order_name = text(v, "name").map(|n| n.split('.').next().unwrap_or(&n).to_owned());
        let status = text(v, "status");
        Ok(Self {
            id: fulfillment_id,
            order_id,
            shipment_status: text(v, "shipment_status"),
            created_at: time(v, "created_at"),
            updated_at: time(v, "updated_at"),
            order: OrderFacts {
                order_id,
                order_name,
                test: false,
                cancelled: status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("cancelled")),
                total_cents: None,
                customer,
                line_items: items,
            },
            status,
            malformed_items: malformed,
        })
    }

    pub fn is_delivered(&self) -> bool {
        self.shipment_status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("delivered"))
    }
}

/// `fulfillment_events/create`.
#[derive(Debug, Clone)]
pub struct FulfillmentEvent {
    pub id: Option<i64>,
    pub fulfillment_id: i64,
    pub order_id: i64,
    pub status: Option<String>,
    pub happened_at: Option<DateTime<Utc>>,
}

impl FulfillmentEvent {
    pub fn from_json(v: &Value) -> Result<Self, PayloadError> {
        if !v.is_object() {
            return Err(PayloadError::NotAnObject);
        }
        Ok(Self {
            id: id(v, "id"),
            fulfillment_id: id(v, "fulfillment_id").ok_or(PayloadError::Missing("fulfillment_id"))?,
            order_id: id(v, "order_id").ok_or(PayloadError::Missing("order_id"))?,
            status: text(v, "status"),
            happened_at: time(v, "happened_at"),
        })
    }

    pub fn is_delivered(&self) -> bool {
        self.status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("delivered"))
    }
}

/// `refunds/create`: which line items this refund covers entirely.
#[derive(Debug, Clone)]
pub struct Refund {
    pub order_id: i64,
    pub fully_refunded_line_items: Vec<i64>,
}

impl Refund {
    pub fn from_json(v: &Value) -> Result<Self, PayloadError> {
        if !v.is_object() {
            return Err(PayloadError::NotAnObject);
        }
        let order_id = id(v, "order_id").ok_or(PayloadError::Missing("order_id"))?;
        let fully_refunded_line_items = list(v, "refund_line_items")
            .iter()
            .filter_map(|r| {
                let line_item_id = id(r, "line_item_id").or_else(|| obj(r, "line_item").and_then(|li| id(li, "id")))?;
                let refunded = id(r, "quantity")?;
                let ordered = obj(r, "line_item").and_then(|li| id(li, "quantity"))?;
                (refunded >= ordered).then_some(line_item_id)
            })
            .collect();
        Ok(Self { order_id, fully_refunded_line_items })
    }
}

/// `customers/redact` and `customers/data_request`.
#[derive(Debug, Clone)]
pub struct CustomerPrivacyRequest {
    pub customer_id: Option<i64>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// `orders_to_redact` or `orders_requested`.
    pub order_ids: Vec<i64>,
    pub data_request_id: Option<i64>,
}

impl CustomerPrivacyRequest {
    pub fn from_json(v: &Value) -> Result<Self, PayloadError> {
        if !v.is_object() {
            return Err(PayloadError::NotAnObject);
        }
        let customer = obj(v, "customer");
        let mut order_ids = ids(v, "orders_to_redact");
        order_ids.extend(ids(v, "orders_requested"));
        Ok(Self {
            customer_id: customer.and_then(|c| id(c, "id")),
            email: customer.and_then(|c| text(c, "email")),
            phone: customer.and_then(|c| text(c, "phone")),
            order_ids,
            data_request_id: obj(v, "data_request").and_then(|d| id(d, "id")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Shaped like Shopify's orders/paid sample (#9999), trimmed, with real-sized ids.
    pub(crate) fn sample_order() -> Value {
        json!({
            "id": 820982911946154508u64, "admin_graphql_api_id": "gid://shopify/Order/820982911946154508",
            "name": "#9999", "email": "jon@example.com", "phone": null, "customer_locale": "en",
            "buyer_accepts_marketing": false, "cancelled_at": null, "test": true,
            "processed_at": "2021-12-31T19:00:00-05:00", "total_price": "403.00", "current_total_price": "398.00",
            "tags": "tag1, tag2", "unknown_future_field": {"nested": [1, 2]},
            "customer": { "id": 115310627314723954u64, "email": "john@example.com", "first_name": "John",
                          "last_name": "Smith", "phone": null,
                          "email_marketing_consent": {"state": "not_subscribed"} },
            "shipping_address": { "first_name": "Steve", "phone": "555-625-1199" },
            "line_items": [
                { "id": 866550311766439020u64, "product_id": 632910392, "variant_id": 808950810, "title": "IPod Nano - 8GB",
                  "quantity": 1, "requires_shipping": true, "gift_card": false, "price": "199.00" },
                { "id": 141249953214522974u64, "product_id": null, "variant_id": null, "title": "IPod Nano - 8GB",
                  "product_exists": false, "quantity": 1, "requires_shipping": true, "gift_card": false },
                { "title": "no id at all" }
            ],
            "fulfillments": []
        })
    }

    #[test]
    fn orders_read_big_ids_exactly_and_money_as_cents() {
        let o = Order::from_json(&sample_order()).unwrap();
        assert_eq!(o.facts.order_id, 820_982_911_946_154_508);
        assert_eq!(o.facts.customer.id, Some(115_310_627_314_723_954));
        assert_eq!(o.facts.line_items[0].id, 866_550_311_766_439_020);
        assert_eq!(o.facts.line_items[1].product_id, None);
        assert_eq!(o.malformed_items, 1);
        assert_eq!(o.facts.total_cents, Some(39_800));
        assert!(o.facts.test);
        assert!(!o.facts.cancelled);
        assert_eq!(o.facts.customer.email.as_deref(), Some("jon@example.com"), "order email wins");
        assert_eq!(o.facts.customer.phone.as_deref(), Some("555-625-1199"), "falls back to shipping");
        assert_eq!(o.facts.customer.first_name.as_deref(), Some("John"));
        assert!(!o.facts.customer.email_consent);
        assert_eq!(o.processed_at.unwrap().to_rfc3339(), "2022-01-01T00:00:00+00:00");
    }

    #[test]
    fn nulls_and_wrong_types_are_absent_not_errors() {
        let o = Order::from_json(&json!({"id": "42", "line_items": null, "customer": "weird", "test": "true",
            "cancelled_at": "2024-01-01T00:00:00Z"}))
        .unwrap();
        assert_eq!(o.facts.order_id, 42);
        assert!(o.facts.line_items.is_empty());
        assert!(o.facts.test);
        assert!(o.facts.cancelled);
        assert_eq!(Order::from_json(&json!({"name": "#1"})).unwrap_err(), PayloadError::Missing("id"));
        assert_eq!(Order::from_json(&json!([1, 2])).unwrap_err(), PayloadError::NotAnObject);
    }

    #[test]
    fn fulfillments_carry_their_items_and_contact() {
        let f = Fulfillment::from_json(&json!({
            "id": 255858046, "order_id": 450789469, "status": "success", "shipment_status": "delivered",
            "name": "#1001.1", "email": "bob@example.com", "destination": {"first_name": "Bob", "phone": "+15550100"},
            "line_items": [{"id": 466157049, "product_id": 632910392, "variant_id": 39072856, "title": "IPod"}]
        }))
        .unwrap();
        assert!(f.is_delivered());
        assert_eq!(f.order.order_name.as_deref(), Some("#1001"));
        assert_eq!(f.order.customer.email.as_deref(), Some("bob@example.com"));
        assert_eq!(f.order.line_items.len(), 1);
        let e = FulfillmentEvent::from_json(&json!({"id": 1, "fulfillment_id": 255858046, "order_id": 450789469,
            "status": "delivered", "happened_at": "2026-11-20T10:00:00Z"}))
        .unwrap();
        assert!(e.is_delivered());
        assert!(
            !FulfillmentEvent::from_json(&json!({"fulfillment_id": 1, "order_id": 2, "status": "in_transit"}))
                .unwrap()
                .is_delivered()
        );
    }

    #[test]
    fn refunds_name_only_fully_refunded_items() {
        let r = Refund::from_json(&json!({"order_id": 450789469, "refund_line_items": [
            {"line_item_id": 1, "quantity": 2, "line_item": {"id": 1, "quantity": 2}},
            {"line_item_id": 2, "quantity": 1, "line_item": {"id": 2, "quantity": 3}}
        ]}))
        .unwrap();
        assert_eq!(r.fully_refunded_line_items, vec![1]);
    }

    #[test]
    fn privacy_requests_read_customer_and_orders() {
        let r = CustomerPrivacyRequest::from_json(&json!({"shop_id": 954889, "shop_domain": "x.myshopify.com",
            "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
            "orders_to_redact": [299938, 280263, 220458]}))
        .unwrap();
        assert_eq!(r.customer_id, Some(191167));
        assert_eq!(r.order_ids, vec![299938, 280263, 220458]);
        let d = CustomerPrivacyRequest::from_json(&json!({"customer": {"id": 1}, "orders_requested": [5],
            "data_request": {"id": 9999}}))
        .unwrap();
        assert_eq!((d.order_ids, d.data_request_id), (vec![5], Some(9999)));
    }
}
