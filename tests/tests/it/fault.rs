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
    // CI's size; the long run (RELIABILITY.md) sets 500 orders and 10 000 deliveries.
    let size = |var: &str, default: usize| std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let orders = size("REELPROOF_STORM_ORDERS", 150) as i64;
    let deliveries = size("REELPROOF_STORM_DELIVERIES", 1_500);
    let app = TestApp::spawn().await;
    active(&app, json!({})).await;
    let mut rng = Lcg(0x5eed);
    // Every order is paid; one in five is also cancelled (the cancellation may come first).
    let mut base: Vec<(String, &str, serde_json::Value)> = Vec::new();
    for o in 0..orders {
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
    while storm.len() < deliveries {
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
    for o in 0..orders {
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
        deliveries - base.len()
    );
    println!(
        "replay storm: {deliveries} deliveries ({} distinct, {} duplicates) from {orders} orders, 8-way: {:.0} deliveries/s; {} requests planned, 0 planned twice",
        base.len(),
        deliveries - base.len(),
        deliveries as f64 / elapsed.as_secs_f64(),
        rows.len()
    );
    app.finish().await;
}

/// The Postgres server this test run uses, as host and port (`TEST_DATABASE_URL`).
fn postgres_addr() -> std::net::SocketAddr {
    let url = url::Url::parse(&std::env::var("TEST_DATABASE_URL").unwrap()).unwrap();
    let host = url.host_str().unwrap_or("127.0.0.1").replace("localhost", "127.0.0.1");
    format!("{host}:{}", url.port().unwrap_or(5432)).parse().expect("TEST_DATABASE_URL names an IP host")
}

/// `url` with its host and port replaced by `addr` (the proxy's).
fn through(url: &str, addr: std::net::SocketAddr) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_ip_host(addr.ip()).unwrap();
    url.set_port(Some(addr.port())).unwrap();
    url.to_string()
}

/// Orders a signed webhook for order `id` (one product) with a webhook id of its own.
fn paid(id: i64) -> (String, serde_json::Value) {
    (format!("outage-{id}"), fixtures::order(id, &[(id * 10, 700 + id)], Some(&format!("outage-{id}@example.com"))))
}

#[tokio::test]
async fn a_database_outage_loses_no_acknowledged_webhook_and_the_server_recovers_without_a_restart() {
    use reelproof_tests::{db::TestDb, process::ServerProcess, proxy::TcpProxy, wait_for};
    use std::time::{Duration, Instant};
    if !TestDb::is_postgres() {
        println!("database outage: PostgreSQL only (an SQLite file has no connection to cut)");
        return;
    }
    const OUTAGE: Duration = Duration::from_secs(10);
    const ORDERS: i64 = 170;
    let proxy = TcpProxy::start(postgres_addr()).await;
    let app = TestApp::spawn_with(|c| c.database_url = through(&c.database_url, proxy.addr())).await;
    active(&app, json!({"delayDays": 0})).await;
    // The sends: a real worker process on the same cut connection, its own scheduler running.
    let worker = ServerProcess::start_with(&app, "worker", &[("RUST_LOG", "error")], None).await;

    // Webhooks flow at 10 a second, before, during and after the outage; each is answered, or
    // times out as Shopify's 5 s would.
    let started = Instant::now();
    let flow = futures_util::stream::iter((0..ORDERS).map(|i| {
        let app = &app;
        async move {
            tokio::time::sleep(Duration::from_millis(100) * i as u32).await;
            let (hook, body) = paid(20_000 + i);
            let sent = tokio::time::timeout(Duration::from_secs(20), app.webhook_as("orders/paid", &hook, &body));
            let status = sent.await.map(|r| r.status().as_u16()).unwrap_or(0);
            (20_000 + i, hook, status)
        }
    }))
    .buffer_unordered(ORDERS as usize)
    .collect::<Vec<_>>();
    // The outage: two seconds in, ten seconds long; readiness watched throughout.
    let outage = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        proxy.cut();
        let cut_at = Instant::now();
        let not_ready = wait_for("/readyz to say 503 during the outage", Duration::from_secs(8), || async {
            let r = tokio::time::timeout(Duration::from_secs(5), app.get("/readyz")).await.ok()?;
            (r.status() == 503).then(|| cut_at.elapsed())
        })
        .await;
        tokio::time::sleep(OUTAGE.saturating_sub(cut_at.elapsed())).await;
        proxy.restore();
        let restored_at = Instant::now();
        wait_for("/readyz to say 200 after the outage", Duration::from_secs(30), || async {
            (app.get("/readyz").await.status() == 200).then_some(())
        })
        .await;
        (not_ready, restored_at.elapsed())
    };
    let (answers, (not_ready_after, ready_again_after)) = futures_util::future::join(flow, outage).await;
    let acked: Vec<&(i64, String, u16)> = answers.iter().filter(|(_, _, s)| (200..300).contains(s)).collect();
    let refused: Vec<&(i64, String, u16)> = answers.iter().filter(|(_, _, s)| !(200..300).contains(s)).collect();
    assert!(!refused.is_empty(), "the outage refused some webhooks (else it did not happen)");
    assert!(
        acked.len() >= 15,
        "the webhooks before and after the outage were taken ({} of {})",
        acked.len(),
        answers.len()
    );

    // Every acknowledged delivery is stored.
    let stored: std::collections::HashSet<String> = entity::webhook_deliveries::Entity::find()
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.external_id)
        .collect();
    let lost: Vec<&String> = acked.iter().map(|(_, hook, _)| hook).filter(|h| !stored.contains(*h)).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    // Shopify redelivers what was refused; the same server, never restarted, takes it now.
    for (id, hook, _) in &refused {
        let (_, body) = paid(*id);
        assert_eq!(app.webhook_as("orders/paid", hook, &body).await.status(), 200, "redelivery of {hook}");
    }
    // And the worker, never restarted either, sends every request.
    let sent = wait_for("every order's request to be sent", Duration::from_secs(120), || async {
        let rows =
            requests::Entity::find().filter(requests::Column::ShopId.eq(app.shop_id())).all(app.db()).await.unwrap();
        let sent = rows.iter().filter(|r| r.status == RequestStatus::Sent).count();
        (rows.len() == ORDERS as usize && sent == rows.len()).then_some(sent)
    })
    .await;
    println!(
        "database outage: {} s cut; {} webhooks: {} acknowledged and stored, {} refused (non-2xx) and redelivered, 0 lost; /readyz 503 within {:.1} s of the cut, 200 again {:.1} s after it ended; {sent} requests sent by a worker never restarted; {:.0} s in all",
        OUTAGE.as_secs(),
        answers.len(),
        acked.len(),
        refused.len(),
        not_ready_after.as_secs_f64(),
        ready_again_after.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    worker.stop().await;
    app.run_background_until_idle().await;
    app.finish().await;
}

/// The request id an email was sent for (the header Postmark echoes back in its callbacks).
fn request_id_of(message: &str) -> Option<String> {
    message.lines().find_map(|l| l.strip_prefix("X-PM-Metadata-reelproof_request_id: ")).map(|v| v.trim().to_owned())
}

#[tokio::test]
async fn a_worker_killed_at_random_moments_while_sending_leaves_no_slot_unsent() {
    use reelproof_tests::{db::TestDb, process::ServerProcess, smtp::SmtpSink, wait_for};
    use std::time::{Duration, Instant};
    if !TestDb::is_postgres() {
        println!("crash during dispatch: PostgreSQL only (the production database for several workers)");
        return;
    }
    const ORDERS: i64 = 1_000;
    const KILLS: usize = 20;
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn().await;
    active(&app, json!({"delayDays": 0})).await;
    let hooks: Vec<u16> = futures_util::stream::iter((0..ORDERS).map(|i| {
        let app = &app;
        async move {
            let id = 40_000 + i;
            let order = fixtures::order(id, &[(id * 10, 900 + i)], Some(&format!("crash-{i}@example.com")));
            app.webhook("orders/paid", &order).await.status().as_u16()
        }
    }))
    .buffer_unordered(8)
    .collect()
    .await;
    assert!(hooks.iter().all(|s| *s == 200));

    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let mut rng = Lcg(seed);
    let smtp = sink.url();
    let env = [("RUST_LOG", "error"), ("EMAIL_TRANSPORT", smtp.as_str()), ("REELPROOF_SEND_LEASE_SECONDS", "5")];
    let started = Instant::now();
    let mut sent_at_kill = Vec::new();
    for _ in 0..KILLS {
        let worker = ServerProcess::start_with(&app, "worker", &env, None).await;
        tokio::time::sleep(Duration::from_millis(50 + rng.next() % 450)).await;
        worker.stop().await;
        sent_at_kill.push(sink.messages().len());
    }
    // The last worker is left to finish: every slot goes out, the killed workers' claims taken
    // over once their lease ran out.
    let worker = ServerProcess::start_with(&app, "worker", &env, None).await;
    wait_for("every request to be sent after the crashes", Duration::from_secs(120), || async {
        let rows =
            requests::Entity::find().filter(requests::Column::ShopId.eq(app.shop_id())).all(app.db()).await.unwrap();
        (rows.len() == ORDERS as usize && rows.iter().all(|r| r.status == RequestStatus::Sent)).then_some(())
    })
    .await;
    worker.stop().await;
    let messages = sink.messages();
    let mut per_request: HashMap<String, usize> = HashMap::new();
    for m in &messages {
        *per_request.entry(request_id_of(m).expect("every message names its request")).or_default() += 1;
    }
    assert_eq!(per_request.len(), ORDERS as usize, "every request's email arrived");
    let duplicates: usize = per_request.values().map(|n| n - 1).sum();
    // A worker sends a wave at a time, each on its renewed claim, and records the wave's sends
    // together: a kill can repeat at most the sends of the wave it interrupted (accepted by the
    // SMTP server, not yet recorded) — the price of sending concurrently, which SMTP, unable to
    // say what it accepted, cannot take back.
    let wave = server::services::messaging::WAVE;
    assert!(duplicates <= KILLS * wave, "{duplicates} duplicates from {KILLS} kills (at most {wave} each)");
    println!(
        "crash during dispatch: {ORDERS} due requests, {KILLS} SIGKILLs at random moments (seed {seed:#x}; messages out at each kill: {sent_at_kill:?}); all {ORDERS} sent in {:.1} s; {} SMTP messages, {duplicates} duplicates (SMTP cannot be asked whether a message was taken; at most a wave per kill)",
        started.elapsed().as_secs_f64(),
        messages.len()
    );
    app.run_background_until_idle().await;
    app.finish().await;
}

const UPLOAD_PARTS: &str = "mutation($t: String!, $ct: String!, $n: Int!) { createUpload(token: $t, contentType: $ct, sizeBytes: $n) { uploadKey parts { number offset size url } } }";

/// An ffmpeg that is killed (SIGKILL, as by the OOM killer) during its first transcode, and is
/// the real ffmpeg every other time.
fn ffmpeg_killed_once(dir: &std::path::Path) -> std::path::PathBuf {
    let mark = dir.join("killed-once");
    let kill = format!(
        "if [ ! -e '{m}' ]; then\n  touch '{m}'\n  ffmpeg \"$@\" & pid=$!\n  sleep 0.2\n  kill -9 $pid 2>/dev/null\n  kill -9 $$\nfi",
        m = mark.display()
    );
    reelproof_tests::media::ffmpeg_wrapper(dir, &kill)
}

/// Given back after a passing failure: still processing (the retry is planned), its lease
/// over so the retry or the sweep can take it, and the reason on show.
fn assert_released(a: &entity::testimonial_media_assets::Model, now: chrono::DateTime<chrono::Utc>) {
    assert_eq!(a.processing_status, entity::AssetStatus::Processing, "not failed: {:?}", a.processing_error);
    assert!(a.lease_until.is_some_and(|l| l <= now), "the lease is over");
    assert!(
        a.processing_error.as_deref().is_some_and(|e| e.starts_with("interrupted, will retry")),
        "{:?}",
        a.processing_error
    );
}

#[tokio::test]
async fn a_storage_outage_or_a_killed_ffmpeg_fails_clearly_is_retried_and_leaves_no_asset_processing() {
    use entity::{AssetStatus, testimonial_media_assets as assets};
    use reelproof_tests::{media, proxy::TcpProxy, s3::MotoS3};
    let s3 = MotoS3::start().await;
    let proxy = TcpProxy::start(([127, 0, 0, 1], s3.port).into()).await;
    let tools = tempfile::tempdir().unwrap();
    let ffmpeg = ffmpeg_killed_once(tools.path());
    let mut settings = s3.settings();
    settings.endpoint = Some(format!("http://{}", proxy.addr()));
    let app = TestApp::spawn_with(move |c| {
        c.media.store = server::config::MediaStore::S3(settings);
        c.media.tools.ffmpeg = ffmpeg;
    })
    .await;
    let (_, token) = super::capture::sent(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::chrome_webm(dir.path());
    let asset = || async { assets::Entity::find().one(app.db()).await.unwrap().unwrap() };

    // The store is down when the customer starts the upload: a sentence and a code to retry on.
    proxy.cut();
    let up = app.public_graphql(UPLOAD_PARTS, json!({"t": token, "ct": "video/webm", "n": video.len()})).await;
    assert_eq!(up["errors"][0]["extensions"]["code"], "UNAVAILABLE", "{up}");
    assert_eq!(up["errors"][0]["message"], "the video store is not answering; please try again in a minute");
    proxy.restore();
    let up = app.public_graphql(UPLOAD_PARTS, json!({"t": token, "ct": "video/webm", "n": video.len()})).await;
    let target = &up["data"]["createUpload"];
    let part = &target["parts"][0];
    let put = reelproof_tests::http().put(part["url"].as_str().unwrap()).body(video.clone()).send().await.unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    let input =
        json!({"uploadKey": target["uploadKey"], "displayName": "Ada", "consentPublish": true, "consentVersion": 1});
    let s = app.public_graphql(super::capture::SUBMIT, json!({"t": token, "i": input})).await;
    assert_eq!(s["data"]["submitTestimonial"]["hasVideo"], true, "{s}");

    // The store is down when the worker picks the video up: the job is retried later, and the
    // asset is not left in processing meanwhile.
    proxy.cut();
    assert_eq!(app.run_background_until_idle().await, 1);
    let a = asset().await;
    assert_released(&a, app.now());
    proxy.restore();

    // Back up, but ffmpeg is killed mid-transcode: retried again, still not failed.
    app.advance_clock(chrono::Duration::hours(1));
    assert_eq!(app.run_background_until_idle().await, 1);
    let a = asset().await;
    assert!(tools.path().join("killed-once").exists(), "the transcode was the one killed");
    assert_released(&a, app.now());
    assert!(a.processing_error.as_deref().unwrap().contains("killed by signal 9"), "{:?}", a.processing_error);

    // The third attempt goes through.
    app.advance_clock(chrono::Duration::hours(1));
    assert_eq!(app.run_background_until_idle().await, 1);
    let a = asset().await;
    assert_eq!(a.processing_status, AssetStatus::Ready, "{:?}", a.processing_error);
    assert!(s3.keys().await.contains(a.playback_key.as_ref().unwrap()));
    println!(
        "storage and ffmpeg faults: store down at upload creation (UNAVAILABLE, retried), down during processing (job retried), ffmpeg SIGKILLed mid-transcode (job retried); ready after {} attempts, 0 assets left processing",
        a.attempts
    );
    app.finish().await;
}
