//! The fault suite's fast parts (RELIABILITY.md): what must hold when deliveries arrive in a
//! storm, duplicated and out of order.

use super::campaigns::active;
use entity::{RequestStatus, testimonial_requests as requests};
use futures_util::StreamExt;
use reelproof_tests::{TestApp, fixtures};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use std::collections::HashMap;

/// A small deterministic generator, so a failing storm can be replayed exactly.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

#[tokio::test]
async fn a_replay_storm_of_duplicated_reordered_deliveries_plans_exactly_the_expected_rows() {
    const ORDERS: i64 = 150;
    const DELIVERIES: usize = 1_500;
    let app = TestApp::spawn().await;
    active(&app, json!({})).await;
    let mut rng = Lcg(0x5eed);
    // Every order is paid; one in five is also cancelled (the cancellation may come first).
    let mut base: Vec<(String, &str, serde_json::Value)> = Vec::new();
    for o in 0..ORDERS {
        let id = 9_000 + o;
        let email = format!("storm-{o}@example.com");
        let paid = fixtures::order(id, &[(100_000 + o, 500 + o)], Some(&email));
        base.push((format!("paid-{id}"), "orders/paid", paid.clone()));
        if o % 5 == 0 {
            let mut cancelled = paid;
            cancelled["cancelled_at"] = json!(app.now().to_rfc3339());
            base.push((format!("cancel-{id}"), "orders/cancelled", cancelled));
        }
    }
    // The storm: every delivery at least once, the rest random redeliveries (same webhook id),
    // all shuffled.
    let mut storm: Vec<usize> = (0..base.len()).collect();
    while storm.len() < DELIVERIES {
        storm.push((rng.next() as usize) % base.len());
    }
    for i in (1..storm.len()).rev() {
        storm.swap(i, (rng.next() as usize) % (i + 1));
    }
    let started = std::time::Instant::now();
    let statuses: Vec<u16> = futures_util::stream::iter(storm.iter().map(|&i| {
        let (id, topic, body) = &base[i];
        let app = &app;
        async move { app.webhook_as(topic, id, body).await.status().as_u16() }
    }))
    .buffer_unordered(8)
    .collect()
    .await;
    let elapsed = started.elapsed();
    assert!(statuses.iter().all(|s| *s == 200), "every delivery answered 2xx");

    let rows = requests::Entity::find().filter(requests::Column::ShopId.eq(app.shop_id())).all(app.db()).await.unwrap();
    let mut per_order: HashMap<i64, Vec<&requests::Model>> = HashMap::new();
    for r in &rows {
        per_order.entry(r.shopify_order_id).or_default().push(r);
    }
    for o in 0..ORDERS {
        let id = 9_000 + o;
        let found = per_order.get(&id).map(Vec::as_slice).unwrap_or_default();
        assert!(found.len() <= 1, "order {id} planned {} times", found.len());
        if o % 5 == 0 {
            // Cancelled: nothing left to send, whichever came first.
            assert!(
                found.iter().all(|r| r.status == RequestStatus::Expired),
                "order {id}: {:?}",
                found.iter().map(|r| r.status).collect::<Vec<_>>()
            );
        } else {
            assert_eq!(found.len(), 1, "order {id} planned once");
            assert_eq!(found[0].status, RequestStatus::Scheduled);
        }
    }
    let recorded = entity::webhook_deliveries::Entity::find().all(app.db()).await.unwrap().len();
    assert_eq!(
        recorded,
        base.len(),
        "each distinct delivery recorded once; the {} duplicates added nothing",
        DELIVERIES - base.len()
    );
    println!(
        "replay storm: {DELIVERIES} deliveries ({} distinct, {} duplicates) from {ORDERS} orders, 8-way: {:.0} deliveries/s; {} requests planned, 0 planned twice",
        base.len(),
        DELIVERIES - base.len(),
        DELIVERIES as f64 / elapsed.as_secs_f64(),
        rows.len()
    );
    app.finish().await;
}
