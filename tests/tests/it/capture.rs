//! The customer's side: open the link, upload, submit — through the public GraphQL API and the
//! signed upload URL, with the media worker turning the upload into a playable video.

use super::campaigns::active;
use super::messaging::only_request;
use chrono::Duration;
use entity::{AssetStatus, RequestEventType, RequestStatus, testimonial_media_assets as assets};
use reelproof_tests::{TestApp, fixtures, media};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub(crate) const CAPTURE: &str = "query($t: String!) { capture(token: $t) { shopName productTitle prompt consentText consentVersion maxBytes acceptedTypes } }";
pub(crate) const UPLOAD: &str = "mutation($t: String!, $ct: String!, $n: Int!) { createUpload(token: $t, contentType: $ct, sizeBytes: $n) { url uploadKey contentType maxBytes } }";
pub(crate) const SUBMIT: &str =
    "mutation($t: String!, $i: SubmitTestimonialInput!) { submitTestimonial(token: $t, input: $i) { id hasVideo } }";

pub(crate) fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("<none>")
}

/// A sent request and its customer's token.
pub(crate) async fn sent(app: &TestApp) -> (entity::testimonial_requests::Model, String) {
    active(app, json!({"delayDays": 0})).await;
    app.webhook("orders/paid", &fixtures::order(4_001, &[(11, 101)], Some("ada@example.com"))).await;
    assert_eq!(app.run_scheduler_once().await.sent, 1);
    let r = only_request(app).await;
    let token = app.state().links().capture_token(r.id).expose().to_owned();
    app.advance_clock(Duration::hours(1));
    (r, token)
}

/// Uploads a short browser recording for the link's customer, as the capture page does;
/// returns the `uploadKey` to submit with.
pub(crate) async fn upload_video(app: &TestApp, token: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let video = media::chrome_webm(dir.path());
    let up = app.public_graphql(UPLOAD, json!({"t": token, "ct": "video/webm", "n": video.len()})).await;
    let target = &up["data"]["createUpload"];
    assert_eq!(put(target["url"].as_str().unwrap(), "video/webm", video).await.status(), 201);
    target["uploadKey"].clone()
}

async fn put(url: &str, content_type: &str, body: Vec<u8>) -> reqwest::Response {
    reelproof_tests::http().put(url).header("content-type", content_type).body(body).send().await.unwrap()
}

#[tokio::test]
async fn open_upload_submit_and_the_video_becomes_playable() {
    let app = TestApp::spawn().await;
    let (r, token) = sent(&app).await;

    let c = app.public_graphql(CAPTURE, json!({"t": token})).await;
    assert_eq!(c["data"]["capture"]["productTitle"], "Product 101", "{c}");
    assert!(!c.to_string().contains("ada@example.com"), "no contact data on the capture page");
    app.public_graphql(CAPTURE, json!({"t": token})).await;
    let clicks = server::store::request_events::timeline(app.db(), app.shop_id(), r.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == RequestEventType::Clicked)
        .count();
    assert_eq!(clicks, 1, "the first human open is the click; reopening adds nothing");
    assert_eq!(only_request(&app).await.status, RequestStatus::Clicked);

    let dir = tempfile::tempdir().unwrap();
    let video = media::chrome_webm(dir.path());
    let up = app.public_graphql(UPLOAD, json!({"t": token, "ct": "video/webm", "n": video.len()})).await;
    let target = &up["data"]["createUpload"];
    let res = put(target["url"].as_str().unwrap(), "video/webm", video).await;
    assert_eq!(res.status(), 201);
    let input = json!({"uploadKey": target["uploadKey"], "displayName": "Ada Lovelace", "rating": 5,
                       "quote": "Sturdy and beautiful", "consentPublish": true,
                       "consentVersion": c["data"]["capture"]["consentVersion"]});
    let s = app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    assert_eq!(s["data"]["submitTestimonial"]["hasVideo"], true, "{s}");
    assert_eq!(only_request(&app).await.status, RequestStatus::Submitted);
    let a = assets::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert_eq!(a.processing_status, AssetStatus::Uploaded);
    let sub = entity::testimonial_submissions::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert_eq!(sub.display_name, "Ada L.");

    // A second submit, even with the same upload.
    let again = app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    assert_eq!(code(&again), "ALREADY_SUBMITTED", "{again}");

    assert_eq!(app.run_background_until_idle().await, 1);
    let a = assets::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert_eq!(a.processing_status, AssetStatus::Ready, "{:?}", a.processing_error);
    assert!(a.duration_ms.is_some() && a.width.is_some() && a.poster_key.is_some() && a.size_bytes > 0);

    // Playback from the local store: signed, with range requests.
    let key = a.playback_key.unwrap();
    let exp = app.now().timestamp() + 300;
    let q = server::domain::signed_url::media_query(app.state().links(), &key, exp);
    let part = reelproof_tests::http()
        .get(app.url(&format!("/media/{key}?{q}")))
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206, "{:?}", part.headers());
    assert_eq!(part.bytes().await.unwrap().len(), 100);
    let forged =
        reelproof_tests::http().get(app.url(&format!("/media/{key}?exp={exp}&sig=AAAA"))).send().await.unwrap();
    assert_eq!(forged.status(), 403);
    app.finish().await;
}

/// A customer quick on their phone opens the link while the worker that sent it is still
/// sending the rest of its wave (it records a wave at once): the capture page waits for the
/// record instead of calling a real link invalid. A request whose claim ran out (its worker
/// died) is refused at once, as a link that was never sent.
#[tokio::test]
async fn a_link_opened_before_its_send_is_recorded_works_and_one_whose_claim_ran_out_does_not() {
    use server::store::requests::{SentRecord, claim_due_all_shops, record_sent_all_shops};
    const OPENED_BEFORE_RECORDED: &str = "reelproof_links_opened_before_their_send_was_recorded_total";
    let app = TestApp::spawn().await;
    active(&app, json!({"delayDays": 0})).await;
    app.webhook("orders/paid", &fixtures::order(4_001, &[(11, 101)], Some("ada@example.com"))).await;
    let r = only_request(&app).await;
    let token = app.state().links().capture_token(r.id).expose().to_owned();
    let now = app.now();
    let claimed = claim_due_all_shops(app.db(), now, now + Duration::minutes(5), 10).await.unwrap();
    assert_eq!(claimed.iter().map(|c| c.id).collect::<Vec<_>>(), [r.id]);

    let record = async {
        // The worker records its wave once the customer's open is waiting for it.
        reelproof_tests::wait_for("the open to wait for the record", std::time::Duration::from_secs(20), || async {
            (app.metric(OPENED_BEFORE_RECORDED).await == 1.0).then_some(())
        })
        .await;
        let sent = SentRecord {
            shop_id: r.shop_id,
            id: r.id,
            fence: claimed[0].attempts,
            provider_message_id: "m-1".into(),
            next_reminder_at: None,
            payload: json!({}),
            more_events: Vec::new(),
        };
        record_sent_all_shops(app.db(), now, vec![sent]).await.unwrap()
    };
    let (c, recorded) = tokio::join!(app.public_graphql(CAPTURE, json!({"t": token})), record);
    assert_eq!(recorded, [r.id]);
    assert_eq!(c["data"]["capture"]["productTitle"], "Product 101", "{c}");

    // Another order's request is claimed by a worker that then dies: its claim runs out.
    app.webhook("orders/paid", &fixtures::order(4_002, &[(12, 102)], Some("bob@example.com"))).await;
    let claimed = claim_due_all_shops(app.db(), now, now + Duration::minutes(5), 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let token = app.state().links().capture_token(claimed[0].id).expose().to_owned();
    app.advance_clock(Duration::minutes(10));
    let c = app.public_graphql(CAPTURE, json!({"t": token})).await;
    assert_eq!(code(&c), "TOKEN_INVALID", "{c}");
    assert_eq!(app.metric(OPENED_BEFORE_RECORDED).await, 1.0, "nothing in flight: no wait");
    app.finish().await;
}

#[tokio::test]
async fn bad_tokens_types_sizes_and_signatures_are_refused_clearly() {
    let app = TestApp::spawn().await;
    let (_, token) = sent(&app).await;
    let unknown = server::domain::tokens::CaptureToken::generate().expose().to_owned();
    for t in [unknown.as_str(), "garbage"] {
        let c = app.public_graphql(CAPTURE, json!({"t": t})).await;
        assert_eq!(code(&c), "TOKEN_INVALID", "{c}");
    }
    let png = app.public_graphql(UPLOAD, json!({"t": token, "ct": "image/png", "n": 1000})).await;
    assert_eq!(code(&png), "VALIDATION");
    assert!(png["errors"][0]["message"].as_str().unwrap().contains("unsupported file type"));
    let huge = app.public_graphql(UPLOAD, json!({"t": token, "ct": "video/mp4", "n": 10_i64.pow(12)})).await;
    assert_eq!(code(&huge), "VALIDATION");

    let up = app.public_graphql(UPLOAD, json!({"t": token, "ct": "video/mp4", "n": 1000})).await;
    let url = up["data"]["createUpload"]["url"].as_str().unwrap().to_owned();
    // Tampered: another size limit than the one signed.
    let tampered = url.replace("max=1000", "max=100000");
    assert_eq!(put(&tampered, "video/mp4", vec![0; 10]).await.status(), 403);
    // Wrong type.
    let wrong = put(&url, "video/webm", vec![0; 10]).await;
    assert_eq!(wrong.status(), 415);
    assert!(wrong.text().await.unwrap().contains("expects Content-Type video/mp4"));
    // Announced too big.
    assert_eq!(put(&url, "video/mp4", vec![0; 1001]).await.status(), 413);
    // Streamed without a length and cut at the limit.
    let u = url::Url::parse(&url).unwrap();
    let mut s = tokio::net::TcpStream::connect((u.host_str().unwrap(), u.port().unwrap())).await.unwrap();
    let head = format!(
        "PUT {}?{} HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        u.path(),
        u.query().unwrap()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..3 {
        let _ = s.write_all(b"258\r\n").await;
        let _ = s.write_all(&[7u8; 600]).await;
        let _ = s.write_all(b"\r\n").await;
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp).await;
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
    let key = up["data"]["createUpload"]["uploadKey"].as_str().unwrap();
    assert_eq!(app.state().storage().size(key).await.unwrap(), None, "nothing half-stored");

    // Submitting that (absent) upload is a clear error, not a broken submission.
    let input = json!({"uploadKey": key, "displayName": "Ada", "consentPublish": true, "consentVersion": 1});
    let s = app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    assert_eq!(code(&s), "VALIDATION", "{s}");
    // Another request's upload key is refused.
    let foreign = json!({"uploadKey": "shops/x/uploads/y/z.mp4", "displayName": "Ada", "consentPublish": true, "consentVersion": 1});
    assert_eq!(code(&app.public_graphql(SUBMIT, json!({"t": token, "i": foreign})).await), "VALIDATION");

    // Expired upload URL.
    app.advance_clock(Duration::minutes(31));
    assert_eq!(put(&url, "video/mp4", vec![0; 10]).await.status(), 403);
    // Expired link.
    app.advance_clock(Duration::days(40));
    let c = app.public_graphql(CAPTURE, json!({"t": token})).await;
    assert_eq!(code(&c), "TOKEN_INVALID");
    app.finish().await;
}

#[tokio::test]
async fn a_text_only_testimonial_needs_no_upload() {
    let app = TestApp::spawn().await;
    let (_, token) = sent(&app).await;
    let input = json!({"displayName": "Ada", "quote": "Great desk", "consentPublish": true, "consentVersion": 1});
    let s = app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    assert_eq!(s["data"]["submitTestimonial"]["hasVideo"], false, "{s}");
    assert_eq!(only_request(&app).await.status, RequestStatus::Submitted);
    assert!(assets::Entity::find().one(app.db()).await.unwrap().is_none());
    app.finish().await;
}

#[tokio::test]
async fn hammering_a_link_is_rate_limited_with_a_clear_error() {
    let app = TestApp::spawn_with(|c| {
        c.capture.rate_per_token_per_minute = 3;
        c.capture.rate_per_ip_per_minute = 5;
    })
    .await;
    let (_, token) = sent(&app).await;
    for _ in 0..3 {
        let c = app.public_graphql(CAPTURE, json!({"t": token})).await;
        assert!(c["errors"].is_null(), "{c}");
    }
    let limited = app.public_graphql(CAPTURE, json!({"t": token})).await;
    assert_eq!(code(&limited), "RATE_LIMITED", "{limited}");
    assert!(limited["errors"][0]["message"].as_str().unwrap().contains("try again"));
    // Guessing other tokens from the same address runs into the per-IP limit.
    let mut codes = Vec::new();
    for _ in 0..3 {
        let guess = server::domain::tokens::CaptureToken::generate();
        codes.push(code(&app.public_graphql(CAPTURE, json!({"t": guess.expose()})).await).to_owned());
    }
    assert_eq!(codes, ["TOKEN_INVALID", "RATE_LIMITED", "RATE_LIMITED"]);
    app.finish().await;
}

#[tokio::test]
async fn an_interrupted_upload_resumes_and_completes() {
    let app = TestApp::spawn().await;
    let (_, token) = sent(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::safari_mp4(dir.path());
    let n = video.len();
    let up = app.public_graphql(UPLOAD, json!({"t": token, "ct": "video/mp4", "n": n})).await;
    let url = up["data"]["createUpload"]["url"].as_str().unwrap().to_owned();
    let key = up["data"]["createUpload"]["uploadKey"].as_str().unwrap().to_owned();
    let client = reelproof_tests::http();
    let range = |from: usize, to: usize| {
        client
            .put(&url)
            .header("content-type", "video/mp4")
            .header("content-range", format!("bytes {from}-{}/{n}", to - 1))
            .body(video[from..to].to_vec())
            .send()
    };
    let third = n / 3;
    let first = range(0, third).await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["upload-offset"], third.to_string().as_str());

    // The phone loses its connection halfway through the second range.
    let u = url::Url::parse(&url).unwrap();
    let mut s = tokio::net::TcpStream::connect((u.host_str().unwrap(), u.port().unwrap())).await.unwrap();
    let head = format!(
        "PUT {}?{} HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\nContent-Range: bytes {third}-{}/{n}\r\nContent-Length: {}\r\n\r\n",
        u.path(),
        u.query().unwrap(),
        2 * third - 1,
        third
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&video[third..third + third / 2]).await.unwrap();
    s.flush().await.unwrap();
    drop(s);

    // Where to go on: everything that got through is kept.
    let offset: usize =
        reelproof_tests::wait_for("the cut range to be staged", std::time::Duration::from_secs(10), || async {
            let r = client.head(&url).send().await.unwrap();
            let at: usize = r.headers()["upload-offset"].to_str().unwrap().parse().unwrap();
            (at == third + third / 2).then_some(at)
        })
        .await;
    // Skipping ahead is refused with the right offset; going on from it completes the file.
    let gap = range(offset + 10, n).await.unwrap();
    assert_eq!(gap.status(), 409);
    assert_eq!(gap.headers()["upload-offset"], offset.to_string().as_str());
    let done = range(offset, n).await.unwrap();
    assert_eq!(done.status(), 201);
    assert_eq!(app.state().storage().get(&key).await.unwrap().as_ref(), video.as_slice(), "byte for byte");

    let input = json!({"uploadKey": key, "displayName": "Ada", "consentPublish": true, "consentVersion": 1});
    let s = app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    assert_eq!(s["data"]["submitTestimonial"]["hasVideo"], true, "{s}");
    app.run_background_until_idle().await;
    let a = assets::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert_eq!(a.processing_status, AssetStatus::Ready, "{:?}", a.processing_error);
    app.finish().await;
}

#[tokio::test]
async fn the_merchant_hears_live_about_a_submission_and_its_processing() {
    use server::providers::live::{LiveEvent, Next};
    let app = TestApp::spawn().await;
    let other_shop = app.add_shop("other-shop.myshopify.com").await;
    let mut mine = app.state().live().subscribe(app.shop_id());
    let mut theirs = app.state().live().subscribe(other_shop);
    let (r, token) = sent(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::chrome_webm(dir.path());
    let up = app.public_graphql(UPLOAD, json!({"t": token, "ct": "video/webm", "n": video.len()})).await;
    let target = &up["data"]["createUpload"];
    assert_eq!(put(target["url"].as_str().unwrap(), "video/webm", video).await.status(), 201);
    let input =
        json!({"uploadKey": target["uploadKey"], "displayName": "Ada", "consentPublish": true, "consentVersion": 1});
    let s = app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    assert_eq!(s["data"]["submitTestimonial"]["hasVideo"], true, "{s}");
    app.run_background_until_idle().await;

    // On Postgres events travel through NOTIFY and arrive a moment later: wait for the four.
    let mut seen = Vec::new();
    while seen.len() < 4 {
        match tokio::time::timeout(std::time::Duration::from_secs(30), mine.next()).await.expect("the events arrive") {
            Next::Event(e) => seen.push(e),
            other => panic!("{other:?}"),
        }
    }
    let a = assets::Entity::find().one(app.db()).await.unwrap().unwrap();
    let status = |status| LiveEvent::AssetStatusChanged {
        shop_id: app.shop_id(),
        asset_id: a.id,
        submission_id: a.submission_id,
        status,
        error: None,
    };
    assert_eq!(
        seen,
        vec![
            LiveEvent::SubmissionCreated {
                shop_id: app.shop_id(),
                submission_id: a.submission_id,
                request_id: Some(r.id),
                has_video: true
            },
            status(AssetStatus::Uploaded),
            status(AssetStatus::Processing),
            status(AssetStatus::Ready),
        ]
    );
    assert_eq!(theirs.try_next(), None, "another shop hears nothing");
    app.finish().await;
}

#[tokio::test]
async fn a_client_cannot_dodge_the_per_ip_limit_by_writing_its_own_forwarded_for() {
    // Behind one proxy of ours, which appends the address it saw to X-Forwarded-For.
    let app = TestApp::spawn_with(|c| {
        c.capture.rate_per_ip_per_minute = 3;
        c.capture.trusted_proxy_hops = 1;
    })
    .await;
    let mut codes = Vec::new();
    for i in 0..5 {
        let guess = server::domain::tokens::CaptureToken::generate();
        let r = reelproof_tests::json_of(
            app.client
                .post(app.url("/api/public/graphql"))
                // The client forges a fresh first entry each time; the proxy's entry is the same.
                .header("x-forwarded-for", format!("10.9.8.{i}, 203.0.113.7"))
                .json(&json!({"query": CAPTURE, "variables": {"t": guess.expose()}})),
        )
        .await;
        codes.push(code(&r).to_owned());
    }
    assert_eq!(codes[3..], ["RATE_LIMITED", "RATE_LIMITED"], "{codes:?}");
    app.finish().await;
}

#[tokio::test]
async fn uploads_left_half_way_are_swept_from_the_staging_disk_after_a_day() {
    let app = TestApp::spawn().await;
    let staging = app.state().config().data_dir.join("staging");
    let (old_dir, new_dir) = (staging.join("abandoned"), staging.join("in-progress"));
    std::fs::create_dir_all(&old_dir).unwrap();
    std::fs::create_dir_all(&new_dir).unwrap();
    let old = old_dir.join("part");
    std::fs::write(&old, b"half a video").unwrap();
    let two_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 24 * 3600);
    std::fs::File::options().write(true).open(&old).unwrap().set_modified(two_days_ago).unwrap();
    let fresh = new_dir.join("part");
    std::fs::write(&fresh, b"still uploading").unwrap();

    assert_eq!(server::services::uploads::sweep_stale_staging(app.state()).await, 1);
    assert!(!old.exists() && !old_dir.exists(), "the abandoned part and its folder are gone");
    assert!(fresh.exists(), "an upload in progress is kept");
    app.finish().await;
}

/// After [`sent`]: a second customer's order, sent at once; returns their capture token.
async fn another_customers_link(app: &TestApp, order: i64, email: &str) -> String {
    let resp = app.webhook("orders/paid", &fixtures::order(order, &[(order * 10, order + 100)], Some(email))).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(app.run_scheduler_once().await.sent, 1);
    let r = super::messaging::request_of_order(app, order).await;
    app.state().links().capture_token(r.id).expose().to_owned()
}

#[tokio::test]
async fn uploaded_videos_nobody_submitted_are_deleted_after_a_day_and_submitted_ones_kept() {
    let app = TestApp::spawn().await;
    // One customer uploads and submits; another uploads and closes the page.
    let (_, submitted_token) = sent(&app).await;
    let kept_key = upload_video(&app, &submitted_token).await;
    let input = json!({"uploadKey": kept_key, "displayName": "Ada", "consentPublish": true, "consentVersion": 1});
    let s = app.public_graphql(SUBMIT, json!({"t": submitted_token, "i": input})).await;
    assert_eq!(s["data"]["submitTestimonial"]["hasVideo"], true, "{s}");
    let token = another_customers_link(&app, 2_002, "bo@example.com").await;
    let orphan_key = upload_video(&app, &token).await;
    let (kept_key, orphan_key) = (kept_key.as_str().unwrap(), orphan_key.as_str().unwrap());
    let stored = |key: &str| app.state().storage().local_path(key).unwrap().exists();
    assert!(stored(kept_key) && stored(orphan_key));

    use server::services::uploads::{ORPHAN_MAX_AGE, sweep_orphan_uploads};
    // Within the day nothing goes: the customer may still press "Submit".
    assert_eq!(sweep_orphan_uploads(app.state(), chrono::Utc::now() - ORPHAN_MAX_AGE).await.unwrap(), 0);
    // A day on, the orphan goes and the submitted original stays.
    let a_day_on = chrono::Utc::now() + chrono::Duration::minutes(1);
    assert_eq!(sweep_orphan_uploads(app.state(), a_day_on).await.unwrap(), 1);
    assert!(!stored(orphan_key), "the upload nobody submitted is deleted");
    assert!(stored(kept_key), "a submitted original is kept");
    app.run_background_until_idle().await;
    app.finish().await;
}

#[tokio::test]
async fn the_per_link_limit_holds_across_replicas() {
    let app = TestApp::spawn_with(|c| c.capture.rate_per_token_per_minute = 4).await;
    let (_, token) = sent(&app).await;
    let replica = app.replica().await;
    let on = |url: String| {
        let token = token.clone();
        let client = app.client.clone();
        async move {
            let body =
                reelproof_tests::json_of(client.post(url).json(&json!({"query": CAPTURE, "variables": {"t": token}})))
                    .await;
            body["errors"][0]["extensions"]["code"].as_str().unwrap_or("OK").to_owned()
        }
    };
    let mut codes = Vec::new();
    for i in 0..6 {
        // Alternating replicas: each alone would allow four a minute.
        let url = if i % 2 == 0 { app.url("/api/public/graphql") } else { replica.url("/api/public/graphql") };
        codes.push(on(url).await);
    }
    assert_eq!(codes, ["OK", "OK", "OK", "OK", "RATE_LIMITED", "RATE_LIMITED"]);
    replica.stop().await;
    app.finish().await;
}

#[tokio::test]
async fn a_flood_of_uploads_to_one_shop_is_refused_whatever_links_it_comes_through() {
    let app = TestApp::spawn_with(|c| c.capture.uploads_per_shop_per_hour = 2).await;
    let (_, first) = sent(&app).await;
    let second = another_customers_link(&app, 2_003, "cy@example.com").await;
    {
        let app = &app;
        let create =
            |t: String| async move { app.public_graphql(UPLOAD, json!({"t": t, "ct": "video/webm", "n": 1000})).await };
        assert!(create(first.clone()).await["errors"].is_null());
        assert!(create(second.clone()).await["errors"].is_null());
        let refused = create(second).await;
        assert_eq!(code(&refused), "RATE_LIMITED", "{refused}");
        assert!(refused["errors"][0]["message"].as_str().unwrap().contains("more videos than usual"), "{refused}");
        app.advance_clock(Duration::hours(1));
        assert!(create(first).await["errors"].is_null(), "the next hour takes uploads again");
    }
    app.finish().await;
}
