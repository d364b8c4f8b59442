//! `cargo run --release -p bench --bin webhook_intake`
//!
//! N signed `orders/paid` deliveries (3 line items each) against the real server on a fresh
//! Postgres database, C at a time; then, in the same run and on the same Postgres, the plain
//! inserts of the same rows (1 delivery + 3 requests + 3 events per order, one transaction per
//! order) without the server. Prints deliveries/s, latency percentiles and the ratio.
//!
//! Then both again at a steady rate (`BENCH_RATE` a second), each delivery timed from when it
//! was due: the latency the goal names (p99 at 500 deliveries a second).
//!
//! Environment: `BENCH_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`),
//! `BENCH_N` (default 2000), `BENCH_CONCURRENCY` (default 16), `BENCH_RATE` (default 500).

use bench::{Latencies, ScratchDb, env_or};
use chrono::Utc;
use entity::{DeliveryStatus, RequestEventType, WebhookSource};
use futures_util::StreamExt;
use sea_orm::{ActiveValue::Set, EntityTrait, TransactionTrait};
use std::time::{Duration, Instant};

const SECRET: &str = "bench-secret";
const SHOP: &str = "bench.myshopify.com";

fn order(i: usize) -> serde_json::Value {
    let order_id = 5_000_000_000_000_000_000i64 + i as i64;
    let items: Vec<_> = (0..3)
        .map(|k| {
            let p = 9_000_000_000 + k as i64;
            serde_json::json!({"id": (i as i64) * 10 + k as i64 + 1, "product_id": p, "variant_id": p * 10,
                "title": format!("Product {k}"), "quantity": 1, "requires_shipping": true, "gift_card": false, "price": "10.00"})
        })
        .collect();
    serde_json::json!({"id": order_id, "name": format!("#{i}"), "email": format!("c{i}@example.com"), "test": false,
        "cancelled_at": null, "total_price": "30.00", "customer": {"id": i + 1, "first_name": "C", "email": format!("c{i}@example.com")},
        "line_items": items})
}

/// How deliveries arrive: `Closed` keeps C in flight (the most the machine can take: the
/// throughput legs); `Paced` starts one every 1/R s whatever is still in flight, as Shopify
/// sends them, and times each from when it was due (a delivery that had to wait for the one
/// before it counts the wait): the latency at a given rate, the goal's p99.
#[derive(Clone, Copy)]
enum Load {
    Closed { concurrency: usize },
    Paced { per_second: f64 },
}

/// What one leg measured.
struct Leg {
    elapsed: Duration,
    latencies: Latencies,
    /// CPU per unit: this process, Postgres (µs).
    cpu: (f64, f64),
}

impl Leg {
    fn rate(&self, n: usize) -> f64 {
        n as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs `one(i)` for `0..n` under `load`, returning each one's latency.
async fn drive<F, Fut>(n: usize, load: Load, one: F) -> Vec<Duration>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    match load {
        Load::Closed { concurrency } => {
            futures_util::stream::iter(0..n)
                .map(|i| {
                    let work = one(i);
                    async move {
                        let t = Instant::now();
                        work.await;
                        t.elapsed()
                    }
                })
                .buffer_unordered(concurrency)
                .collect()
                .await
        }
        Load::Paced { per_second } => {
            let start = tokio::time::Instant::now();
            let mut running = Vec::with_capacity(n);
            for i in 0..n {
                let due = start + Duration::from_secs_f64(i as f64 / per_second);
                tokio::time::sleep_until(due).await;
                let work = one(i);
                running.push(tokio::spawn(async move {
                    work.await;
                    due.elapsed()
                }));
            }
            let mut latencies = Vec::with_capacity(n);
            for r in running {
                latencies.push(r.await.expect("a delivery's task"));
            }
            latencies
        }
    }
}

/// Deliveries through one server on a fresh database, one leg after another under each load
/// (`n` deliveries each, new orders every leg): every one must answer 200 and write its three
/// requests. A later leg finds the server warm, as in production (connections open, statements
/// prepared): a server's first second is not its steady state.
async fn through_server(admin_url: &str, n: usize, loads: &[Load]) -> anyhow::Result<Vec<Leg>> {
    let scratch = ScratchDb::create(admin_url).await?;
    let data = tempfile::tempdir()?;
    let config = bench::server_config(data.path(), &scratch.url, SECRET);
    let app = server::Application::build(config).await?;
    let addr = app.local_addr();
    let state = app.state().clone();
    bench::maybe_drop_scale_indexes(state.db()).await?;
    bench::shop_with_campaign(state.db(), SHOP, 7).await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run(server::Role::Web, async {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let url = format!("http://{addr}/webhooks/shopify");
    let mut legs = Vec::new();
    for (leg, load) in loads.iter().enumerate() {
        let first = leg * n;
        let bodies: Vec<Vec<u8>> = (first..first + n).map(|i| serde_json::to_vec(&order(i)).expect("json")).collect();
        let failures = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let cpu_before = bench::CpuClock::read();
        let start = Instant::now();
        let latencies = drive(n, *load, |i| {
            let (client, url, failures) = (client.clone(), url.clone(), failures.clone());
            let body = bodies[i].clone();
            let sig = server::shopify::webhooks::sign(SECRET, &body);
            async move {
                let r = client
                    .post(&url)
                    .header("X-Shopify-Topic", "orders/paid")
                    .header("X-Shopify-Shop-Domain", SHOP)
                    .header("X-Shopify-Webhook-Id", format!("bench-{}", first + i))
                    .header("X-Shopify-Hmac-Sha256", sig)
                    .body(body)
                    .send()
                    .await;
                if !r.is_ok_and(|r| r.status() == 200) {
                    failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        })
        .await;
        let elapsed = start.elapsed();
        let cpu = bench::CpuClock::read().per_unit_since(&cpu_before, n);
        let failures = failures.load(std::sync::atomic::Ordering::Relaxed);
        let created = entity::testimonial_requests::Entity::find().all(state.db()).await?.len();
        anyhow::ensure!(failures == 0, "{failures} deliveries did not answer 200");
        anyhow::ensure!(created == (first + n) * 3, "expected {} requests, found {created}", (first + n) * 3);
        legs.push(Leg { elapsed, latencies: Latencies::new(latencies), cpu });
    }
    let _ = stop.send(());
    server.await??;
    scratch.drop_now().await?;
    Ok(legs)
}

/// The baseline: the same rows inserted directly, on a fresh database, leg after leg as
/// [`through_server`].
async fn plain_inserts(admin_url: &str, n: usize, loads: &[Load]) -> anyhow::Result<Vec<Leg>> {
    let scratch = ScratchDb::create(admin_url).await?;
    let db = server::db::connect(&scratch.url).await?;
    server::db::migrate(&db).await?;
    bench::maybe_drop_scale_indexes(&db).await?;
    let (shop_id, c) = bench::shop_with_campaign(&db, SHOP, 7).await?;
    let mut legs = Vec::new();
    for (leg, load) in loads.iter().enumerate() {
        let first = leg * n;
        let cpu_before = bench::CpuClock::read();
        let start = Instant::now();
        let latencies = drive(n, *load, |i| {
            let db = db.clone();
            let campaign_id = c.id;
            async move { plain_insert(&db, shop_id, campaign_id, first + i).await.expect("plain insert") }
        })
        .await;
        let elapsed = start.elapsed();
        let cpu = bench::CpuClock::read().per_unit_since(&cpu_before, n);
        legs.push(Leg { elapsed, latencies: Latencies::new(latencies), cpu });
    }
    db.close().await?;
    scratch.drop_now().await?;
    Ok(legs)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let admin_url: String = env_or("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let n: usize = env_or("BENCH_N", 2000);
    let concurrency: usize = env_or("BENCH_CONCURRENCY", 16);
    let per_second: f64 = env_or("BENCH_RATE", 500.0);
    println!(
        "webhook_intake: {n} orders/paid deliveries x 3 line items, concurrency {concurrency}, then paced at {per_second}/s, Postgres"
    );
    server::install_crypto_provider();
    let loads = [Load::Closed { concurrency }, Load::Paced { per_second }];
    let [server, server_paced]: [Leg; 2] =
        through_server(&admin_url, n, &loads).await?.try_into().ok().expect("two legs");
    let [plain, plain_paced]: [Leg; 2] = plain_inserts(&admin_url, n, &loads).await?.try_into().ok().expect("two legs");
    let (server_rate, plain_rate) = (server.rate(n), plain.rate(n));
    println!(
        "server:  {server_rate:>8.1} deliveries/s  ({}) over {:.2} s",
        server.latencies.summary(),
        server.elapsed.as_secs_f64()
    );
    println!(
        "plain:   {plain_rate:>8.1} orders/s      ({}) over {:.2} s",
        plain.latencies.summary(),
        plain.elapsed.as_secs_f64()
    );
    println!("ratio:   server / plain = {:.1} %  (goal >= 85 %)", server_rate / plain_rate * 100.0);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    bench::result(
        &format!("webhook intake, {n} orders/paid, concurrency {concurrency}"),
        &format!("{server_rate:.0}/s, p99 {:.1} ms", ms(server.latencies.percentile(0.99))),
        &format!("{plain_rate:.0}/s (plain inserts)"),
        &format!("{:.1} %", server_rate / plain_rate * 100.0),
        "≥ 85 %",
    );
    // The same comparison in CPU time, which the machine's other tenants move less than rates.
    // The server's side includes the benchmark's HTTP client and its signing.
    let ((server_ours, server_pg), (plain_ours, plain_pg)) = (server.cpu, plain.cpu);
    let (server_cpu, plain_cpu) = (server_ours + server_pg, plain_ours + plain_pg);
    println!(
        "CPU per delivery: server {server_cpu:.0} us (this process {server_ours:.0}, Postgres {server_pg:.0}); plain {plain_cpu:.0} us (this process {plain_ours:.0}, Postgres {plain_pg:.0})"
    );
    bench::result(
        "webhook intake, CPU per delivery (this process + Postgres)",
        &format!("{server_cpu:.0} µs ({server_ours:.0} + {server_pg:.0})"),
        &format!("{plain_cpu:.0} µs (plain inserts)"),
        &format!("{:.1} %", plain_cpu / server_cpu * 100.0),
        "—",
    );

    // The goal's latency: at a steady 500 deliveries a second, not at the most the machine takes
    // (at saturation a p99 is only the queue: 16 in flight at 400/s is 40 ms whatever we do).
    let (server, plain) = (server_paced, plain_paced);
    println!(
        "paced at {per_second}/s, from when each was due: server {}; plain {}",
        server.latencies.summary(),
        plain.latencies.summary()
    );
    let (server_p99, plain_p99) = (ms(server.latencies.percentile(0.99)), ms(plain.latencies.percentile(0.99)));
    bench::result(
        &format!("webhook intake, {n} orders/paid paced at {per_second:.0}/s"),
        &format!("p99 {server_p99:.1} ms, p50 {:.1} ms", ms(server.latencies.percentile(0.5))),
        &format!("p99 {plain_p99:.1} ms, p50 {:.1} ms (plain inserts)", ms(plain.latencies.percentile(0.5))),
        &format!("{:.2}×", server_p99 / plain_p99),
        "p99 ≤ 15 ms",
    );
    Ok(())
}

/// What one delivery writes, without HTTP, HMAC, parsing, planning or dedupe checks.
async fn plain_insert(
    db: &sea_orm::DatabaseConnection,
    shop_id: entity::ShopId,
    campaign_id: entity::CampaignId,
    i: usize,
) -> anyhow::Result<()> {
    let now = Utc::now();
    let txn = db.begin().await?;
    // As the server's intake does before its inserts, so both plan their writes the same way.
    server::store::reuse_plans(&txn).await?;
    entity::webhook_deliveries::Entity::insert(entity::webhook_deliveries::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(Some(shop_id)),
        source: Set(WebhookSource::Shopify),
        topic: Set("orders/paid".into()),
        external_id: Set(format!("plain-{i}")),
        event_id: Set(None),
        triggered_at: Set(None),
        received_at: Set(now),
        status: Set(DeliveryStatus::Processed),
        error: Set(None),
        result: Set(Some(serde_json::json!({"planned": 3}))),
    })
    .exec_without_returning(&txn)
    .await?;
    for k in 0..3i64 {
        let row = bench::request_row(shop_id, campaign_id, i, k, now, now);
        let id = row.id.clone().unwrap();
        entity::testimonial_requests::Entity::insert(row).exec_without_returning(&txn).await?;
        entity::testimonial_request_events::Entity::insert(entity::testimonial_request_events::ActiveModel {
            id: Set(entity::new_id()),
            shop_id: Set(shop_id),
            request_id: Set(id),
            event_type: Set(RequestEventType::Scheduled),
            event_at: Set(now),
            provider_message_id: Set(None),
            payload: Set(None),
            dedupe_key: Set(None),
            created_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}
