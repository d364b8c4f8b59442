//! Webhook bodies as Shopify might send them, or as an attacker with a leaked secret might:
//! every payload reader, then the planner on what they read, then the redaction that stores
//! the body. Nothing may panic, and the plan keeps its promises whatever the order says.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use server::domain::campaign::Eligibility;
use server::domain::event_payload::{MAX_PAYLOAD_BYTES, sanitise};
use server::domain::planner::{CampaignFacts, CustomerHistory, Plan, plan};
use server::shopify::payloads::{CustomerPrivacyRequest, Fulfillment, FulfillmentEvent, Order, Refund, shop_domain_in};
use std::collections::HashSet;

fn campaign(strict: bool) -> CampaignFacts {
    CampaignFacts {
        id: entity::CampaignId::from(uuid::Uuid::nil()),
        channel: entity::Channel::Email,
        delay_days: 7,
        token_ttl_days: 30,
        frequency_cap_30d: strict.then_some(2),
        eligibility: Eligibility {
            require_contact_consent: strict,
            min_order_total_cents: strict.then_some(1_000),
            ..Eligibility::default()
        },
    }
}

/// The planner's promises: at most one request per product, only for items of the order
/// (or of the shipment), each scheduled after the delay and expiring after its lifetime.
fn check(p: &Plan, items: &[i64], trigger: chrono::DateTime<Utc>) {
    let mut products = HashSet::new();
    for r in &p.requests {
        assert!(products.insert(r.product_id), "product {} planned twice", r.product_id);
        assert!(items.contains(&r.line_item_id), "planned an item the order does not have");
        assert_eq!(r.scheduled_for, trigger + chrono::Duration::days(7));
        assert_eq!(r.expires_at, trigger + chrono::Duration::days(37));
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let trigger = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
    let _ = shop_domain_in(&body);
    if let Ok(order) = Order::from_json(&body) {
        let items: Vec<i64> = order.facts.line_items.iter().map(|li| li.id).collect();
        let mut history = CustomerHistory::default();
        for strict in [false, true] {
            check(&plan(&campaign(strict), &order.facts, trigger, None, &history), &items, trigger);
            history.asked_products.extend(order.facts.line_items.iter().filter_map(|li| li.product_id).take(1));
            history.requests_last_30d = 1;
        }
        for f in &order.fulfillments {
            let shipped: Vec<i64> = f.order.line_items.iter().map(|li| li.id).collect();
            let p = plan(&campaign(false), &order.facts, trigger, Some(&shipped), &CustomerHistory::default());
            check(&p, &items, trigger);
            assert!(p.requests.iter().all(|r| shipped.contains(&r.line_item_id)), "planned outside the shipment");
        }
    }
    if let Ok(f) = Fulfillment::from_json(&body) {
        let items: Vec<i64> = f.order.line_items.iter().map(|li| li.id).collect();
        check(&plan(&campaign(false), &f.order, trigger, Some(&items), &CustomerHistory::default()), &items, trigger);
        let _ = f.is_delivered();
    }
    if let Ok(e) = FulfillmentEvent::from_json(&body) {
        let _ = e.is_delivered();
    }
    let _ = Refund::from_json(&body);
    let _ = CustomerPrivacyRequest::from_json(&body);
    let _ = server::shopify::orders::replays(&body);
    // What is stored of a delivery is bounded, whatever came in.
    let stored = serde_json::to_vec(&sanitise(body)).unwrap();
    assert!(stored.len() <= MAX_PAYLOAD_BYTES, "a stored payload of {} bytes", stored.len());
});
