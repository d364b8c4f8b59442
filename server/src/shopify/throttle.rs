//! Pacing Admin GraphQL calls by Shopify's calculated query cost (SHOPIFY.md §5.1): each app
//! and shop share a leaky bucket of points (`maximumAvailable`, refilled at `restoreRate` per
//! second); a query whose requested cost exceeds what is available is refused as `THROTTLED`.
//! Every answer reports the bucket (`extensions.cost.throttleStatus`) and the query's
//! `requestedQueryCost`, so the client keeps a model of each shop's bucket and waits for
//! points instead of being refused:
//!
//! - a query's cost is learned from its first answer; until then only one call of it is in
//!   flight per shop (the probe), so a burst never starts on a guess;
//! - a call reserves its cost in the model before it is sent and waits while the model says
//!   the points are not there; the reservation is released when the answer comes;
//! - an answer can only lower the model (`currentlyAvailable` minus what is still in flight,
//!   because answers arrive out of order); time refills it at the restore rate.
//!
//! Before any answer the bucket is unknown and calls go one at a time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What an answer says about the bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleStatus {
    pub maximum: f64,
    pub available: f64,
    pub restore_rate: f64,
}

impl ThrottleStatus {
    /// Reads `extensions.cost` of a GraphQL answer: the status and the requested cost.
    pub fn from_extensions(body: &serde_json::Value) -> (Option<ThrottleStatus>, Option<f64>) {
        let cost = body.pointer("/extensions/cost");
        let f = |p: &str| cost.and_then(|c| c.pointer(p)).and_then(serde_json::Value::as_f64);
        let status = match (
            f("/throttleStatus/maximumAvailable"),
            f("/throttleStatus/currentlyAvailable"),
            f("/throttleStatus/restoreRate"),
        ) {
            (Some(maximum), Some(available), Some(restore_rate)) if restore_rate > 0.0 => {
                Some(ThrottleStatus { maximum, available, restore_rate })
            }
            _ => None,
        };
        (status, f("/requestedQueryCost"))
    }
}

#[derive(Default)]
struct Bucket {
    /// `None` until the first answer.
    model: Option<(ThrottleStatus, Instant)>,
    in_flight: f64,
    /// Requested cost per query text.
    costs: HashMap<u64, f64>,
    /// Queries whose cost is being learned right now.
    probing: std::collections::HashSet<u64>,
    /// A call is in flight while the bucket is unknown.
    unknown_busy: bool,
}

impl Bucket {
    fn available_now(&self, now: Instant) -> Option<f64> {
        self.model.map(|(s, at)| {
            (s.available + now.duration_since(at).as_secs_f64() * s.restore_rate).min(s.maximum) - self.in_flight
        })
    }
}

/// A reservation; hand it back with [`Throttle::finish`].
#[derive(Debug)]
pub struct Permit {
    shop: String,
    query: u64,
    reserved: f64,
    probe: bool,
    unknown: bool,
}

impl Permit {
    fn new(shop: &str, query: u64, reserved: f64, probe: bool, unknown: bool) -> Self {
        Self { shop: shop.to_owned(), query, reserved, probe, unknown }
    }
}

/// The buckets of every shop this process calls (Shopify's bucket is per app and shop).
#[derive(Default)]
pub struct Throttle {
    buckets: Mutex<HashMap<String, Bucket>>,
}

fn query_key(query: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    query.hash(&mut h);
    h.finish()
}

/// How long to wait before asking again when nothing can be decided yet.
const POLL: Duration = Duration::from_millis(20);

impl Throttle {
    /// The process's one throttle.
    pub fn global() -> &'static Throttle {
        static T: std::sync::OnceLock<Throttle> = std::sync::OnceLock::new();
        T.get_or_init(Throttle::default)
    }

    /// Waits until the shop's bucket can take this query, then reserves its cost.
    pub async fn acquire(&self, shop: &str, query: &str) -> Permit {
        let key = query_key(query);
        loop {
            let wait = {
                let mut all = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
                let b = all.entry(shop.to_owned()).or_default();
                let now = Instant::now();
                match (b.available_now(now), b.costs.get(&key).copied()) {
                    // Nothing known of the bucket: one call at a time until an answer tells.
                    (None, _) => {
                        if b.unknown_busy {
                            POLL
                        } else {
                            b.unknown_busy = true;
                            return Permit::new(shop, key, 0.0, false, true);
                        }
                    }
                    // A known bucket and a known cost: reserve when the points are there.
                    (Some(available), Some(cost)) => {
                        if available >= cost {
                            b.in_flight += cost;
                            return Permit::new(shop, key, cost, false, false);
                        }
                        let rate = b.model.map_or(1.0, |(s, _)| s.restore_rate);
                        Duration::from_secs_f64(((cost - available) / rate).clamp(0.005, 5.0))
                    }
                    // A new query on a known bucket: probe it alone, with the bucket at least half full.
                    (Some(available), None) => {
                        let half = b.model.map_or(0.0, |(s, _)| s.maximum / 2.0);
                        if b.probing.contains(&key) || available < half {
                            POLL
                        } else {
                            b.probing.insert(key);
                            b.in_flight += half;
                            return Permit::new(shop, key, half, true, false);
                        }
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Records an answer (or its absence, for a failed call) and releases the reservation.
    pub fn finish(&self, permit: Permit, status: Option<ThrottleStatus>, requested: Option<f64>) {
        let mut all = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = all.entry(permit.shop).or_default();
        b.in_flight = (b.in_flight - permit.reserved).max(0.0);
        if permit.unknown {
            b.unknown_busy = false;
        }
        if permit.probe {
            b.probing.remove(&permit.query);
        }
        if let Some(cost) = requested {
            b.costs.insert(permit.query, cost);
        }
        if let Some(s) = status {
            let now = Instant::now();
            // Only lower the model: an answer that was overtaken by later ones says more than
            // is left.
            let from_answer = s.available;
            let modelled = b.available_now(now).map(|a| a + b.in_flight);
            let available = modelled.map_or(from_answer, |m| m.min(from_answer));
            b.model = Some((ThrottleStatus { available, ..s }, now));
        }
    }

    /// After a refusal (`THROTTLED`): how long until the points are back.
    pub fn backoff(status: Option<ThrottleStatus>, requested: Option<f64>) -> Duration {
        match (status, requested) {
            (Some(s), Some(r)) if r > s.available => {
                Duration::from_secs_f64(((r - s.available) / s.restore_rate).clamp(0.05, 10.0))
            }
            _ => Duration::from_secs(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_cost_extension() {
        let body = json!({ "data": {}, "extensions": { "cost": { "requestedQueryCost": 12, "actualQueryCost": 10,
            "throttleStatus": { "maximumAvailable": 2000.0, "currentlyAvailable": 1988, "restoreRate": 100.0 } } } });
        let (s, r) = ThrottleStatus::from_extensions(&body);
        assert_eq!(s, Some(ThrottleStatus { maximum: 2000.0, available: 1988.0, restore_rate: 100.0 }));
        assert_eq!(r, Some(12.0));
        assert_eq!(ThrottleStatus::from_extensions(&json!({ "data": {} })), (None, None));
    }

    #[tokio::test]
    async fn the_first_call_goes_alone_then_costs_are_reserved() {
        let t = Throttle::default();
        let first = t.acquire("a.myshopify.com", "q").await;
        assert!(first.unknown);
        // A second call waits while the bucket is unknown.
        let waiting = tokio::time::timeout(Duration::from_millis(60), t.acquire("a.myshopify.com", "q")).await;
        assert!(waiting.is_err(), "no second call before the first answer");
        let s = ThrottleStatus { maximum: 100.0, available: 90.0, restore_rate: 10.0 };
        t.finish(first, Some(s), Some(10.0));
        // Now 9 calls of 10 points fit at once; the tenth waits for the refill.
        let mut permits = Vec::new();
        for _ in 0..9 {
            permits.push(
                tokio::time::timeout(Duration::from_millis(50), t.acquire("a.myshopify.com", "q")).await.expect("fits"),
            );
        }
        let started = Instant::now();
        let tenth = t.acquire("a.myshopify.com", "q").await;
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "waited for 10 points at 10/s: {:?}",
            started.elapsed()
        );
        assert_eq!(tenth.reserved, 10.0);
        // Another shop has its own bucket.
        assert!(t.acquire("b.myshopify.com", "q").await.unknown);
    }
}
