//! The production topology with real processes (OPERATIONS.md, deploy/compose.yaml): two
//! `serve --role web` processes and one `serve --role worker` process of the real binary on one
//! PostgreSQL, one S3-compatible bucket (moto) and a real SMTP server (aiosmtpd). Then the
//! worker is stopped the way an orchestrator stops it (SIGTERM) in the middle of its work, and a
//! second worker finishes that work: nothing lost, nothing done twice.

use super::campaigns::active;
use super::capture::SUBMIT;
use entity::{
    AssetStatus, JobStatus, RequestStatus, jobs, testimonial_media_assets as assets, testimonial_requests as requests,
};
use futures_util::StreamExt;
use reelproof_tests::process::ServerProcess;
use reelproof_tests::{TestApp, db::TestDb, fixtures, media, s3::MotoS3, smtp::SmtpSink, wait_for};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use server::config::MediaStore;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const ORDERS: i64 = 1_000;
const UPLOAD_PARTS: &str = "mutation($t: String!, $ct: String!, $n: Int!) { createUpload(token: $t, contentType: $ct, sizeBytes: $n) { uploadKey parts { number offset size url } } }";
const STOREFRONT: &str = "query($shop: String!) { testimonials(shop: $shop, placement: HOME, first: 10) { edges { node { id displayName videoUrl } } } }";

/// The request an email was sent for (the header Postmark echoes back in its callbacks).
fn request_id_of(message: &str) -> Option<String> {
    message.lines().find_map(|l| l.strip_prefix("X-PM-Metadata-reelproof_request_id: ")).map(|v| v.trim().to_owned())
}

async fn post_json(url: &str, bearer: Option<&str>, body: Value) -> Value {
    let mut req = reelproof_tests::http().post(url).json(&body);
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("the request reaches the server");
    assert_eq!(res.status(), 200, "{url}");
    res.json().await.expect("a JSON answer")
}

/// Requests still held by a claim (queued with a lease in the future).
async fn held_claims(app: &TestApp) -> usize {
    let now = chrono::Utc::now();
    requests::Entity::find()
        .filter(requests::Column::ShopId.eq(app.shop_id()))
        .filter(requests::Column::Status.eq(RequestStatus::Queued.as_str()))
        .filter(requests::Column::LeaseUntil.gt(now))
        .all(app.db())
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn two_web_processes_and_a_worker_share_the_work_and_a_stopped_worker_drains_without_losing_or_repeating_any() {
    if !TestDb::is_postgres() {
        println!("topology: PostgreSQL only (several processes share one database in production)");
        return;
    }
    let started = Instant::now();
    let sink = SmtpSink::start().await;
    let s3 = MotoS3::start().await;
    let settings = s3.settings();
    // The in-process server only prepares the shop and its campaign, and signs as Shopify does.
    let app = TestApp::spawn_with(move |c| c.media.store = MediaStore::S3(settings)).await;
    active(&app, json!({"delayDays": 0})).await;
    let tools = tempfile::tempdir().unwrap();
    // The first transcode is slow (a long video, say), so the SIGTERM finds it running.
    let mark = tools.path().join("slowed-once");
    let ffmpeg = media::ffmpeg_wrapper(
        tools.path(),
        &format!("if [ ! -e '{m}' ]; then touch '{m}'; sleep 60; fi", m = mark.display()),
    );
    let smtp = sink.url();
    let endpoint = s3.endpoint();
    let store = format!("s3://{}", s3.bucket);
    let ffmpeg = ffmpeg.display().to_string();
    let env = [
        ("RUST_LOG", "warn,server::services::messaging=info"),
        ("EMAIL_TRANSPORT", smtp.as_str()),
        ("MEDIA_STORE", store.as_str()),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("FFMPEG_PATH", ffmpeg.as_str()),
        ("REELPROOF_DRAIN_SECONDS", "3"),
    ];
    let web_a = ServerProcess::start_with(&app, "web", &env, None).await;
    let web_b = ServerProcess::start_with(&app, "web", &env, None).await;

    // Shopify's deliveries reach either replica.
    let bases = [web_a.url(""), web_b.url("")];
    let statuses: Vec<u16> = futures_util::stream::iter((0..ORDERS).map(|i| {
        let (app, base) = (&app, bases[i as usize % 2].clone());
        async move {
            let id = 70_000 + i;
            let order = fixtures::order(id, &[(id * 10, 700 + i)], Some(&format!("topology-{i}@example.com")));
            app.webhook_at(&base, "orders/paid", &order).await.status().as_u16()
        }
    }))
    .buffer_unordered(8)
    .collect()
    .await;
    assert!(statuses.iter().all(|s| *s == 200), "every delivery acknowledged");
    let rows = requests::Entity::find().filter(requests::Column::ShopId.eq(app.shop_id())).all(app.db()).await.unwrap();
    assert_eq!(rows.len(), ORDERS as usize, "one request per order, whichever replica took the delivery");
    assert!(sink.count() == 0, "web processes send nothing");

    // The merchant's admin is open on replica B.
    let session = app.session_token();
    let subscriber = reelproof_tests::graphql_ws_client(
        &web_b.url("/api/graphql"),
        &format!("Bearer {session}"),
        "subscription { moderationQueue { kind submissionId status } }",
        1,
    );
    wait_for("the admin's subscription to be open on replica B", Duration::from_secs(30), || async {
        let metrics = reelproof_tests::http().get(web_b.url("/metrics")).send().await.ok()?.text().await.ok()?;
        metrics.lines().any(|l| l.starts_with("reelproof_live_subscribers") && l.ends_with(" 1")).then_some(())
    })
    .await;

    let worker_log = tools.path().join("worker-1.log");
    let worker = ServerProcess::start_with(&app, "worker", &env, Some(&worker_log)).await;
    let first = wait_for("the worker to send its first emails", Duration::from_secs(60), || async {
        let m = sink.messages();
        (m.len() >= 20).then_some(m)
    })
    .await;
    let request_id: entity::RequestId =
        request_id_of(&first[0]).expect("a request id in the email").parse().expect("a request id");
    let token = app.state().links().capture_token(request_id).expose().to_owned();
    // The sink has the email before the worker records its group of sends: the customer's
    // click comes after that here, as from a real inbox.
    wait_for("the first email's request to be recorded as sent", Duration::from_secs(30), || async {
        let r = requests::Entity::find_by_id(request_id).one(app.db()).await.ok()??;
        (r.status == entity::RequestStatus::Sent).then_some(())
    })
    .await;

    // The customer records on replica A; the video goes straight to the bucket.
    let dir = tempfile::tempdir().unwrap();
    let video = media::chrome_webm(dir.path());
    let public = web_a.url("/api/public/graphql");
    let up = post_json(
        &public,
        None,
        json!({"query": UPLOAD_PARTS, "variables": {"t": token, "ct": "video/webm", "n": video.len()}}),
    )
    .await;
    let target = &up["data"]["createUpload"];
    for part in target["parts"].as_array().unwrap_or_else(|| panic!("{up}")) {
        let (offset, size) = (part["offset"].as_u64().unwrap() as usize, part["size"].as_u64().unwrap() as usize);
        let res = reelproof_tests::http()
            .put(part["url"].as_str().unwrap())
            .body(video[offset..offset + size].to_vec())
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "part stored in the bucket: {}", res.status());
    }
    let input = json!({"uploadKey": target["uploadKey"], "displayName": "Topology Tess", "consentPublish": true, "consentVersion": 1});
    let submitted = post_json(&public, None, json!({"query": SUBMIT, "variables": {"t": token, "i": input}})).await;
    let submission_id = submitted["data"]["submitTestimonial"]["id"].as_str().unwrap_or_else(|| panic!("{submitted}"));

    // Heard live on replica B, through PostgreSQL's LISTEN/NOTIFY.
    let lines = reelproof_tests::client_lines(subscriber).await;
    let event = &lines[1]["data"]["moderationQueue"];
    assert_eq!(event["kind"], "SUBMISSION_CREATED", "{lines:?}");
    assert_eq!(event["submissionId"], submission_id);

    // The worker is transcoding (held by the slow ffmpeg) and still sending: stop it now.
    wait_for("the worker to be transcoding", Duration::from_secs(60), || async {
        let running = jobs::Entity::find().filter(jobs::Column::Status.eq(JobStatus::Running.as_str())).all(app.db());
        (!running.await.unwrap().is_empty() && mark.exists()).then_some(())
    })
    .await;
    let sent_before_stop = sink.count();
    assert!(sent_before_stop < ORDERS as usize, "the worker is stopped mid-work ({sent_before_stop} sent)");
    let stopping = Instant::now();
    let status = worker.terminate(Duration::from_secs(20)).await;
    let drained_in = stopping.elapsed();
    assert!(status.success(), "a graceful stop exits 0: {status:?}");
    // Given back at shutdown, not left to run out: no claim held, no job running, the asset free.
    assert_eq!(held_claims(&app).await, 0, "every unsent claim was given back");
    let media_job = jobs::Entity::find().filter(jobs::Column::Kind.eq("process_media")).one(app.db()).await.unwrap();
    let media_job = media_job.expect("the media job exists");
    assert_eq!(media_job.status, JobStatus::Pending, "the stopped transcode's job is waiting for the next worker");
    assert_eq!(media_job.attempts, 0, "a run stopped by a shutdown is not counted as an attempt");
    assert!(media_job.locked_by.is_none() && media_job.lease_until.is_none());
    let asset = assets::Entity::find().one(app.db()).await.unwrap().expect("the asset");
    assert!(asset.lease_until.is_some_and(|l| l <= chrono::Utc::now()), "the asset's lease ended at shutdown");
    // What the drain did is in the worker's log (`claims given back`, `released`), unless the
    // signal fell between two batches (one chance in fifty), when there was nothing to give.
    let log = std::fs::read_to_string(&worker_log).unwrap_or_default();
    let released = log.lines().filter(|l| l.contains("claims given back")).count();

    // A second worker finishes everything.
    let worker = ServerProcess::start_with(&app, "worker", &env, None).await;
    wait_for("every request to be sent and the video to be ready", Duration::from_secs(120), || async {
        let rows =
            requests::Entity::find().filter(requests::Column::ShopId.eq(app.shop_id())).all(app.db()).await.unwrap();
        let sent = rows.iter().filter(|r| matches!(r.status, RequestStatus::Sent | RequestStatus::Submitted)).count();
        let asset = assets::Entity::find().one(app.db()).await.unwrap()?;
        (sent == ORDERS as usize && asset.processing_status == AssetStatus::Ready).then_some(())
    })
    .await;
    let messages = sink.messages();
    let mut per_request: HashMap<String, usize> = HashMap::new();
    for m in &messages {
        *per_request.entry(request_id_of(m).expect("every message names its request")).or_default() += 1;
    }
    assert_eq!(per_request.len(), ORDERS as usize, "every request's email arrived");
    let repeated: Vec<_> = per_request.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "a graceful stop repeats no send: {repeated:?}");
    let media_job = jobs::Entity::find().filter(jobs::Column::Kind.eq("process_media")).one(app.db()).await.unwrap();
    let media_job = media_job.unwrap();
    assert_eq!((media_job.status, media_job.attempts), (JobStatus::Done, 1), "the video was processed by one run");

    // The merchant approves and publishes on replica B; the storefront on either replica shows it.
    let admin = web_b.url("/api/graphql");
    // A session token lives a minute, as Shopify's do: the merchant's admin fetches a fresh one.
    let session = app.session_token();
    let publish = "mutation($id: ID!) { approveSubmission(id: $id) { id } publishSubmission(id: $id, placements: [HOME]) { id published } }";
    let body = post_json(&admin, Some(&session), json!({"query": publish, "variables": {"id": submission_id}})).await;
    assert_eq!(body["data"]["publishSubmission"]["published"], true, "{body}");
    for web in [&web_a, &web_b] {
        let shown = post_json(
            &web.url("/api/storefront/graphql"),
            None,
            json!({"query": STOREFRONT, "variables": {"shop": app.shop().as_str()}}),
        )
        .await;
        let edges = shown["data"]["testimonials"]["edges"].as_array().unwrap_or_else(|| panic!("{shown}"));
        assert_eq!(edges.len(), 1, "{shown}");
        assert_eq!(edges[0]["node"]["id"], submission_id);
        // The storefront's stable link, answered by a redirect to the bucket.
        let video = edges[0]["node"]["videoUrl"].as_str().unwrap();
        assert!(video.ends_with(&format!("/{submission_id}/video.mp4")), "{shown}");
        let to_bucket = app.client.get(video).send().await.unwrap();
        assert_eq!(to_bucket.status(), 302, "{video}");
        let location = to_bucket.headers()["location"].to_str().unwrap();
        assert!(location.starts_with(&s3.endpoint()), "{location}");
    }
    println!(
        "topology: 2 web + 1 worker processes; {ORDERS} webhooks over both web processes, {ORDERS} emails exactly once; SIGTERM after {sent_before_stop} sends and mid-transcode, drained in {:.1} s ({released} batch(es) given back); a second worker finished; whole run {:.1} s",
        drained_in.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    let status = worker.terminate(Duration::from_secs(20)).await;
    assert!(status.success(), "{status:?}");
    web_a.terminate(Duration::from_secs(20)).await;
    web_b.terminate(Duration::from_secs(20)).await;
    app.run_background_until_idle().await;
    app.finish().await;
}
