//! Shopify webhook deliveries: signature check and headers (SHOPIFY.md §1).
//!
//! The signature is checked over the raw body bytes before anything parses them; header names
//! are matched case-insensitively (`http::HeaderMap` does that).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The topics Reelproof subscribes to (DESIGN.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    OrdersPaid,
    OrdersFulfilled,
    OrdersCancelled,
    FulfillmentsCreate,
    FulfillmentsUpdate,
    FulfillmentEventsCreate,
    RefundsCreate,
    AppUninstalled,
    ShopUpdate,
    CustomersDataRequest,
    CustomersRedact,
    ShopRedact,
}

impl Topic {
    /// Every topic `/webhooks/shopify` handles; `shopify.app.toml` subscribes to exactly these
    /// (a test compares them).
    pub const ALL: [Topic; 12] = [
        Self::OrdersPaid,
        Self::OrdersFulfilled,
        Self::OrdersCancelled,
        Self::FulfillmentsCreate,
        Self::FulfillmentsUpdate,
        Self::FulfillmentEventsCreate,
        Self::RefundsCreate,
        Self::AppUninstalled,
        Self::ShopUpdate,
        Self::CustomersDataRequest,
        Self::CustomersRedact,
        Self::ShopRedact,
    ];

    /// The topic as Shopify names it (`orders/paid`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrdersPaid => "orders/paid",
            Self::OrdersFulfilled => "orders/fulfilled",
            Self::OrdersCancelled => "orders/cancelled",
            Self::FulfillmentsCreate => "fulfillments/create",
            Self::FulfillmentsUpdate => "fulfillments/update",
            Self::FulfillmentEventsCreate => "fulfillment_events/create",
            Self::RefundsCreate => "refunds/create",
            Self::AppUninstalled => "app/uninstalled",
            Self::ShopUpdate => "shop/update",
            Self::CustomersDataRequest => "customers/data_request",
            Self::CustomersRedact => "customers/redact",
            Self::ShopRedact => "shop/redact",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The mandatory privacy topics, which the app configuration declares as
    /// `compliance_topics` rather than as ordinary subscriptions.
    pub fn is_compliance(self) -> bool {
        matches!(self, Self::CustomersDataRequest | Self::CustomersRedact | Self::ShopRedact)
    }

    /// Privacy and lifecycle topics are handled even for uninstalled shops (`shop/redact`
    /// arrives 48 hours after uninstall).
    pub fn applies_to_uninstalled_shops(self) -> bool {
        matches!(self, Self::AppUninstalled | Self::CustomersDataRequest | Self::CustomersRedact | Self::ShopRedact)
    }
}

/// `X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the raw body with the app secret.
/// Constant-time (the `hmac` crate's `verify_slice`).
pub fn verify_hmac(secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(sig) = header.and_then(|h| STANDARD.decode(h.trim()).ok()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// Signs a body as Shopify does (for tests, the benchmark and local tooling).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The delivery headers we keep.
#[derive(Debug, Clone, Default)]
pub struct DeliveryHeaders {
    pub topic: Option<String>,
    pub shop_domain: Option<String>,
    pub webhook_id: Option<String>,
    pub event_id: Option<String>,
    pub triggered_at: Option<DateTime<Utc>>,
}

impl DeliveryHeaders {
    pub fn from_headers(h: &http::HeaderMap) -> Self {
        let get = |name: &str| {
            h.get(name).and_then(|v| v.to_str().ok()).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
        };
        Self {
            topic: get("x-shopify-topic"),
            shop_domain: get("x-shopify-shop-domain"),
            webhook_id: get("x-shopify-webhook-id"),
            event_id: get("x-shopify-event-id"),
            triggered_at: get("x-shopify-triggered-at")
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&Utc)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_vector_verifies() {
        // RFC 4231 test case 2, base64-encoded as Shopify sends it.
        let body = b"what do ya want for nothing?";
        assert_eq!(sign("Jefe", body), "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
        assert!(verify_hmac("Jefe", body, Some("W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=")));
    }

    #[test]
    fn any_change_or_absence_fails() {
        let sig = sign("secret", b"{\"id\":1}");
        assert!(verify_hmac("secret", b"{\"id\":1}", Some(&sig)));
        assert!(!verify_hmac("secret", b"{\"id\":2}", Some(&sig)), "other body");
        assert!(!verify_hmac("other", b"{\"id\":1}", Some(&sig)), "other secret");
        assert!(!verify_hmac("secret", b"{\"id\":1}", None), "missing");
        assert!(!verify_hmac("secret", b"{\"id\":1}", Some("not base64!")), "garbage");
        assert!(!verify_hmac("secret", b"{\"id\":1}", Some(&sig[..20])), "truncated");
    }

    #[test]
    fn topics_parse_case_insensitively() {
        assert_eq!(Topic::parse("orders/paid"), Some(Topic::OrdersPaid));
        assert_eq!(Topic::parse("ORDERS/PAID"), Some(Topic::OrdersPaid));
        assert_eq!(Topic::parse("products/update"), None);
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.as_str()), Some(t), "{t:?} round-trips");
        }
        assert!(Topic::ShopRedact.applies_to_uninstalled_shops());
        assert!(!Topic::OrdersPaid.applies_to_uninstalled_shops());
    }
}
