//! The media worker on real ffmpeg: the formats phones and browsers upload become H.264/AAC MP4
//! with a poster; broken uploads fail with a specific reason, and the worker goes on.

use entity::{AssetStatus, testimonial_media_assets as assets};
use reelproof_tests::{TestApp, fixtures, media};
use sea_orm::EntityTrait;

async fn request(app: &TestApp, product: i64) -> entity::testimonial_requests::Model {
    fixtures::submitted_request(app.db(), app.shop_id(), product).await
}

async fn asset(app: &TestApp, id: entity::AssetId) -> assets::Model {
    assets::Entity::find_by_id(id).one(app.db()).await.unwrap().unwrap()
}

#[tokio::test]
async fn phone_and_browser_formats_become_h264_mp4_with_a_poster() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("safari.mp4", media::safari_mp4(dir.path()), "video/mp4", (640, 360)),
        ("chrome.webm", media::chrome_webm(dir.path()), "video/webm", (320, 240)),
        ("firefox.webm", media::firefox_webm(dir.path()), "video/webm", (320, 240)),
        // Portrait: stored as rotated landscape, played upright.
        ("iphone.mov", media::iphone_mov(dir.path()), "video/quicktime", (240, 320)),
    ];
    let mut ids = Vec::new();
    for (i, (name, bytes, ct, dims)) in cases.into_iter().enumerate() {
        let r = request(&app, 500 + i as i64).await;
        ids.push((name, fixtures::uploaded_asset(app.state(), &r, bytes, ct).await.id, dims));
    }
    assert_eq!(app.run_background_until_idle().await, 4);
    for (name, id, (w, h)) in ids {
        let a = asset(&app, id).await;
        assert_eq!(a.processing_status, AssetStatus::Ready, "{name}: {:?}", a.processing_error);
        assert!(a.duration_ms.unwrap() >= 1900 && a.duration_ms.unwrap() <= 2200, "{name}: {:?}", a.duration_ms);
        assert!(a.width.is_some() && a.height.is_some() && a.video_codec.is_some() && a.ready_at.is_some());
        let playback = app.state().storage().get(a.playback_key.as_deref().unwrap()).await.unwrap();
        let file = dir.path().join(format!("{name}.out.mp4"));
        std::fs::write(&file, &playback).unwrap();
        let p = media::probe(&file);
        let streams = p["streams"].as_array().unwrap();
        let video = streams.iter().find(|s| s["codec_type"] == "video").unwrap();
        assert_eq!(video["codec_name"], "h264", "{name}");
        assert_eq!((video["width"].as_i64(), video["height"].as_i64()), (Some(w), Some(h)), "{name}");
        assert!(streams.iter().any(|s| s["codec_type"] == "audio" && s["codec_name"] == "aac"), "{name}");
        // +faststart: the index (moov) comes before the media data (mdat).
        let moov = playback.windows(4).position(|w| w == b"moov").unwrap();
        let mdat = playback.windows(4).position(|w| w == b"mdat").unwrap();
        assert!(moov < mdat, "{name}: faststart");
        let poster = app.state().storage().get(a.poster_key.as_deref().unwrap()).await.unwrap();
        assert_eq!(&poster[..3], &[0xFF, 0xD8, 0xFF], "{name}: a JPEG poster");
    }
    app.finish().await;
}

#[tokio::test]
async fn broken_uploads_fail_with_a_specific_reason_and_the_worker_goes_on() {
    let app = TestApp::spawn_with(|c| c.media.limits.max_duration_ms = 60_000).await;
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", media::truncated_mp4(dir.path()), "not a video we can read"),
        ("random", media::random_bytes(), "not a video we can read"),
        ("audio only", media::audio_only(dir.path()), "no video track"),
        ("empty", Vec::new(), "the file is empty"),
        // Not one of the accepted containers: refused before any decoder runs.
        ("wav named mp4", media::wav_audio(dir.path()), "does not start like an MP4, QuickTime or WebM file"),
        ("ten minutes", media::ten_minutes(dir.path()), "s long; the limit is 60 s"),
        ("good", media::safari_mp4(dir.path()), ""),
    ];
    let mut ids = Vec::new();
    for (i, (name, bytes, want)) in cases.into_iter().enumerate() {
        let r = request(&app, 600 + i as i64).await;
        ids.push((name, fixtures::uploaded_asset(app.state(), &r, bytes, "video/mp4").await.id, want));
    }
    assert_eq!(app.run_background_until_idle().await, 7, "one job each, none retried");
    for (name, id, want) in ids {
        let a = asset(&app, id).await;
        if want.is_empty() {
            assert_eq!(a.processing_status, AssetStatus::Ready, "{name}: {:?}", a.processing_error);
        } else {
            assert_eq!(a.processing_status, AssetStatus::Failed, "{name}");
            let err = a.processing_error.unwrap();
            assert!(err.contains(want), "{name}: {err}");
            assert!(a.playback_key.is_none());
        }
    }
    app.finish().await;
}

#[tokio::test]
async fn browser_recordings_without_a_stated_length_are_measured() {
    let app = TestApp::spawn_with(|c| c.media.limits.max_duration_ms = 20_000).await;
    let dir = tempfile::tempdir().unwrap();
    let short = media::streamed_webm(3, "320x240");
    let long = media::streamed_webm(40, "64x48");
    std::fs::write(dir.path().join("short.webm"), &short).unwrap();
    let probe = media::probe(&dir.path().join("short.webm"));
    assert!(probe["format"]["duration"].is_null(), "like MediaRecorder's, the file states no length: {probe}");
    let (r1, r2) = (request(&app, 701).await, request(&app, 702).await);
    let ok = fixtures::uploaded_asset(app.state(), &r1, short, "video/webm").await.id;
    let too_long = fixtures::uploaded_asset(app.state(), &r2, long, "video/webm").await.id;
    assert_eq!(app.run_background_until_idle().await, 2);
    let a = asset(&app, ok).await;
    assert_eq!(a.processing_status, AssetStatus::Ready, "{:?}", a.processing_error);
    let ms = a.duration_ms.unwrap();
    assert!((2_500..=3_500).contains(&ms), "measured on the transcode: {ms} ms");
    let b = asset(&app, too_long).await;
    assert_eq!(b.processing_status, AssetStatus::Failed);
    assert_eq!(b.processing_error.as_deref(), Some("the video is longer than the limit of 20 s"));
    app.finish().await;
}

#[tokio::test]
async fn without_ffmpeg_the_asset_fails_saying_so() {
    let app = TestApp::spawn_with(|c| {
        c.media.tools.ffmpeg = "/nonexistent/ffmpeg".into();
        c.media.tools.ffprobe = "/nonexistent/ffprobe".into();
    })
    .await;
    let r = request(&app, 700).await;
    let dir = tempfile::tempdir().unwrap();
    let a = fixtures::uploaded_asset(app.state(), &r, media::safari_mp4(dir.path()), "video/mp4").await;
    app.run_background_until_idle().await;
    let a = asset(&app, a.id).await;
    assert_eq!(a.processing_status, AssetStatus::Failed);
    assert_eq!(a.processing_error.as_deref(), Some("ffmpeg not installed"));
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200, "the rest of the product still works");
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["media"], "degraded: ffmpeg not installed");

    // The merchant is alerted, reads it, and the badge clears; another shop sees nothing.
    const ALERTS: &str = "query($u: Boolean) { alerts(unreadOnly: $u) { id kind severity message metadata } }";
    let list = app.graphql(ALERTS, serde_json::json!({"u": true})).await;
    let alerts = list["data"]["alerts"].as_array().unwrap_or_else(|| panic!("{list}")).clone();
    assert_eq!(alerts.len(), 1, "{list}");
    assert_eq!(alerts[0]["kind"], "media_failed");
    assert_eq!(alerts[0]["severity"], "WARNING");
    assert!(alerts[0]["message"].as_str().unwrap().contains("ffmpeg not installed"));
    assert_eq!(alerts[0]["metadata"]["asset_id"], a.id.to_string());
    let theirs = app.other_shop_token().await;
    const READ: &str = "mutation($ids: [ID!]!) { markAlertsRead(ids: $ids) }";
    let ids = serde_json::json!({"ids": [alerts[0]["id"]]});
    let r: serde_json::Value = app.graphql_with(Some(&theirs), READ, ids.clone()).await.json().await.unwrap();
    assert_eq!(r["data"]["markAlertsRead"], 0, "not theirs to mark");
    let r: serde_json::Value =
        app.graphql_with(Some(&theirs), ALERTS, serde_json::json!({})).await.json().await.unwrap();
    assert_eq!(r["data"]["alerts"].as_array().map(Vec::len), Some(0), "{r}");
    assert_eq!(app.graphql(READ, ids).await["data"]["markAlertsRead"], 1);
    let unread = app.graphql(ALERTS, serde_json::json!({"u": true})).await;
    assert_eq!(unread["data"]["alerts"].as_array().unwrap().len(), 0);
    app.finish().await;
}

const REPROCESS: &str = "mutation($id: ID!) { reprocessAsset(id: $id) { id status processingError attempts } }";

#[tokio::test]
async fn the_merchant_can_reprocess_a_failed_asset_and_only_a_failed_one() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let bad =
        fixtures::uploaded_asset(app.state(), &request(&app, 800).await, media::random_bytes(), "video/mp4").await;
    let good =
        fixtures::uploaded_asset(app.state(), &request(&app, 801).await, media::safari_mp4(dir.path()), "video/mp4")
            .await;
    app.run_background_until_idle().await;
    assert_eq!(asset(&app, bad.id).await.processing_status, AssetStatus::Failed);

    let r = app.graphql(REPROCESS, serde_json::json!({"id": bad.id.to_string()})).await;
    assert_eq!(r["data"]["reprocessAsset"]["status"], "PROCESSING", "{r}");
    assert!(r["data"]["reprocessAsset"]["processingError"].is_null());
    assert_eq!(app.run_background_until_idle().await, 1, "its job runs again");
    let again = asset(&app, bad.id).await;
    assert_eq!((again.processing_status, again.attempts), (AssetStatus::Failed, 2));

    let refused = app.graphql(REPROCESS, serde_json::json!({"id": good.id.to_string()})).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "INVALID_TRANSITION", "{refused}");
    // Another shop's asset does not exist for this merchant.
    let other = app.add_shop("other.myshopify.com").await;
    let token = app.session_token_for(&server::domain::shop_domain::ShopDomain::parse("other.myshopify.com").unwrap());
    let res = app
        .graphql_with(Some(&token), REPROCESS, serde_json::json!({"id": bad.id.to_string()}))
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(res["errors"][0]["extensions"]["code"], "NOT_FOUND", "{res} ({other})");
    app.finish().await;
}

/// A good upload a worker claimed (a lease of `lease_minutes`) and then died on.
async fn claimed_by_a_dead_worker(
    app: &TestApp,
    dir: &std::path::Path,
    product: i64,
    lease_minutes: i64,
) -> assets::Model {
    let a =
        fixtures::uploaded_asset(app.state(), &request(app, product).await, media::safari_mp4(dir), "video/mp4").await;
    let now = app.now();
    server::store::media_assets::claim(
        app.db(),
        app.shop_id(),
        a.id,
        now,
        now + chrono::Duration::minutes(lease_minutes),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn an_asset_stuck_in_processing_after_its_worker_died_can_be_reprocessed_once_its_lease_ran_out() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    // A worker claims it and dies: the asset sits in processing under its lease.
    let a = claimed_by_a_dead_worker(&app, dir.path(), 900, 5).await;
    app.run_background_until_idle().await;
    assert_eq!(asset(&app, a.id).await.processing_status, AssetStatus::Processing, "stuck");
    let early = app.graphql(REPROCESS, serde_json::json!({"id": a.id.to_string()})).await;
    assert_eq!(early["errors"][0]["extensions"]["code"], "INVALID_TRANSITION", "not from a live worker: {early}");

    app.advance_clock(chrono::Duration::minutes(6));
    let r = app.graphql(REPROCESS, serde_json::json!({"id": a.id.to_string()})).await;
    assert_eq!(r["data"]["reprocessAsset"]["status"], "PROCESSING", "{r}");
    // The reprocess's job and the upload job's retry (it found the asset held): one does the
    // work, the other finds it done.
    assert_eq!(app.run_background_until_idle().await, 2);
    assert_eq!(asset(&app, a.id).await.processing_status, AssetStatus::Ready);
    app.finish().await;
}

#[tokio::test]
async fn an_asset_whose_worker_died_is_planned_again_by_the_sweep_once_its_lease_ran_out() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    // A worker claims it and dies mid-transcode; its job is gone with it.
    let a = claimed_by_a_dead_worker(&app, dir.path(), 950, 20).await;
    entity::jobs::Entity::delete_many().exec(app.db()).await.unwrap();
    assert_eq!(server::services::media::sweep_stranded(app.state()).await.unwrap(), 0, "not while the lease lasts");
    app.advance_clock(chrono::Duration::minutes(26));
    assert_eq!(server::services::media::sweep_stranded(app.state()).await.unwrap(), 1);
    assert_eq!(server::services::media::sweep_stranded(app.state()).await.unwrap(), 0, "planned once");
    assert_eq!(app.run_background_until_idle().await, 1);
    assert_eq!(asset(&app, a.id).await.processing_status, AssetStatus::Ready);
    app.finish().await;
}

#[tokio::test]
async fn a_job_that_finds_its_asset_held_by_another_worker_tries_again_instead_of_finishing() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    // Another worker holds the asset (and then dies); this job, planned at upload, runs meanwhile.
    let a = claimed_by_a_dead_worker(&app, dir.path(), 960, 20).await;
    assert_eq!(app.run_background_until_idle().await, 1);
    assert_eq!(asset(&app, a.id).await.processing_status, AssetStatus::Processing);
    let left = server::store::jobs::count_unfinished_all_shops(app.db()).await.unwrap();
    assert_eq!(left, 1, "the job is kept for a retry, not marked done");
    // Once the holder's lease has run out, the retry does the work.
    app.advance_clock(chrono::Duration::minutes(30));
    assert_eq!(app.run_background_until_idle().await, 1);
    assert_eq!(asset(&app, a.id).await.processing_status, AssetStatus::Ready);
    app.finish().await;
}
