//! The capture page in headless Chromium, on a real capture link: recording with a fake
//! camera, picking a file, the text-only path, and the messages a customer meets on the way.

use super::capture::sent;
use super::messaging::only_request;
use entity::{AssetStatus, RequestStatus, testimonial_media_assets as assets, testimonial_submissions as submissions};
use fantoccini::Locator;
use reelproof_tests::browser::Browser;
use reelproof_tests::{TestApp, media, wait_for};
use sea_orm::EntityTrait;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);
/// A phone's user agent: headless Chromium names itself `HeadlessChrome`, which the click
/// classifier rightly takes for a machine.
const PHONE: &str = "--user-agent=Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
/// A fake camera (Chromium's test pattern and beep) that is allowed without a prompt.
const FAKE_CAMERA: &[&str] = &[PHONE, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"];

async fn click(b: &Browser, testid: &str) {
    let css = format!("[data-testid={testid}]");
    let el = wait_for(&format!("{css} to be enabled"), LONG, || {
        let (client, css) = (b.client.clone(), css.clone());
        async move {
            let el = client.find(Locator::Css(&css)).await.ok()?;
            el.attr("disabled").await.ok()?.is_none().then_some(el)
        }
    })
    .await;
    el.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn type_into(b: &Browser, testid: &str, text: &str) {
    let el = b.client.find(Locator::Css(&format!("[data-testid={testid}]"))).await.unwrap();
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

/// Name, consent, send; waits for the thank-you.
async fn sign_and_send(b: &Browser) {
    type_into(b, "name", "Ada Lovelace").await;
    click(b, "consent").await;
    click(b, "send").await;
    let thanks = b.text_of("[data-testid=done]", LONG).await;
    assert!(thanks.contains("Thank you"), "{thanks}");
}

#[tokio::test]
async fn a_customer_records_three_seconds_and_the_video_becomes_a_playable_mp4() {
    let app = TestApp::spawn().await;
    let (_, token) = sent(&app).await;
    let b = Browser::launch(FAKE_CAMERA).await;
    b.client.set_window_size(360, 780).await.unwrap();
    b.client.goto(&app.url(&format!("/t/{token}"))).await.unwrap();
    assert!(b.text_of("h1", LONG).await.contains("Product 101"));
    assert_eq!(only_request(&app).await.status, RequestStatus::Clicked);

    click(&b, "record").await;
    // The countdown, then the recording: stop once the page's own timer shows three seconds.
    wait_for("three recorded seconds", LONG, || {
        let client = b.client.clone();
        async move {
            let t = client.find(Locator::Css("[data-testid=timer]")).await.ok()?.text().await.ok()?;
            t.contains("0:03").then_some(())
        }
    })
    .await;
    click(&b, "stop").await;
    click(&b, "use-video").await;
    b.text_of("[data-testid=uploaded]", LONG).await;
    // A 360 px wide phone: nothing sticks out sideways.
    let overflow = b.client.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap();
    assert!(overflow.as_i64().unwrap() <= 360, "page is {overflow} px wide");
    sign_and_send(&b).await;
    b.close().await;

    assert_eq!(only_request(&app).await.status, RequestStatus::Submitted);
    let sub = submissions::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert!(sub.has_video);
    assert_eq!(sub.display_name, "Ada L.");
    assert_eq!(app.run_background_until_idle().await, 1);
    let a = assets::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert_eq!(a.processing_status, AssetStatus::Ready, "{:?}", a.processing_error);
    assert!(a.original_key.ends_with(".webm"), "Chromium records WebM: {}", a.original_key);
    let secs = a.duration_ms.unwrap() as f64 / 1000.0;
    assert!((2.0..6.0).contains(&secs), "about three seconds were recorded, not {secs}");

    // The playback file is H.264 in MP4 and there is a JPEG poster.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("playback.mp4");
    std::fs::write(&out, app.state().storage().get(a.playback_key.as_ref().unwrap()).await.unwrap()).unwrap();
    let probe = media::probe(&out);
    let video = probe["streams"].as_array().unwrap().iter().find(|s| s["codec_type"] == "video").expect("video");
    assert_eq!(video["codec_name"], "h264", "{probe}");
    let poster = app.state().storage().get(a.poster_key.as_ref().unwrap()).await.unwrap();
    assert_eq!(&poster[..3], &[0xFF, 0xD8, 0xFF], "a JPEG poster");
    app.finish().await;
}

#[tokio::test]
async fn a_picked_file_is_checked_then_uploaded_with_progress() {
    let app = TestApp::spawn().await;
    let (_, token) = sent(&app).await;
    let dir = tempfile::tempdir().unwrap();
    media::ten_minutes(dir.path());
    media::safari_mp4(dir.path());
    let b = Browser::launch(&[PHONE]).await;
    b.client.goto(&app.url(&format!("/t/{token}"))).await.unwrap();
    b.text_of("[data-testid=prompt]", LONG).await;

    // Too long: said at once, before any byte is sent.
    let input = b.client.find(Locator::Css("[data-testid=file]")).await.unwrap();
    input.send_keys(dir.path().join("long.mp4").to_str().unwrap()).await.unwrap();
    let error = b.text_of("[data-testid=error]", LONG).await;
    assert!(error.contains("seconds long") && error.contains("the limit is 180 seconds"), "{error}");

    let input = b.client.find(Locator::Css("[data-testid=file]")).await.unwrap();
    input.send_keys(dir.path().join("safari.mp4").to_str().unwrap()).await.unwrap();
    b.text_of("[data-testid=uploaded]", LONG).await;
    sign_and_send(&b).await;
    b.close().await;

    assert_eq!(app.run_background_until_idle().await, 1);
    let a = assets::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert_eq!(a.processing_status, AssetStatus::Ready, "{:?}", a.processing_error);
    assert!(a.original_key.ends_with(".mp4"));
    app.finish().await;
}

#[tokio::test]
async fn a_denied_camera_is_explained_and_the_text_only_path_still_works() {
    let app = TestApp::spawn().await;
    let (_, token) = sent(&app).await;
    let b = Browser::launch(&[PHONE, "--use-fake-device-for-media-stream", "--deny-permission-prompts"]).await;
    b.client.goto(&app.url(&format!("/t/{token}"))).await.unwrap();
    click(&b, "record").await;
    let error = b.text_of("[data-testid=error]", LONG).await;
    assert!(error.contains("access was denied"), "{error}");

    click(&b, "text-only").await;
    // Without words the button stays off.
    type_into(&b, "name", "Ada Lovelace").await;
    click(&b, "consent").await;
    let send = b.client.find(Locator::Css("[data-testid=send]")).await.unwrap();
    assert!(send.attr("disabled").await.unwrap().is_some(), "nothing to send yet");
    type_into(&b, "quote", "Lovely chair, sturdy and beautiful.").await;
    click(&b, "send").await;
    b.text_of("[data-testid=done]", LONG).await;

    // Reopening the link: the page says it was used.
    b.client.goto(&app.url(&format!("/t/{token}"))).await.unwrap();
    let page = b.text_of("body", LONG).await;
    assert!(page.to_lowercase().contains("already"), "{page}");
    b.close().await;

    let sub = submissions::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert!(!sub.has_video);
    assert_eq!(sub.quote.as_deref(), Some("Lovely chair, sturdy and beautiful."));
    app.finish().await;
}

#[tokio::test]
async fn markup_in_a_product_title_or_a_customers_name_shows_as_text_on_the_capture_page() {
    let app = TestApp::spawn().await;
    super::campaigns::active(&app, serde_json::json!({"delayDays": 0})).await;
    let mut order = reelproof_tests::fixtures::order(4_201, &[(11, 101)], Some("ada@example.com"));
    let title = "<img src=x onerror=\"window.__pwned=1\"> {{ shop.name }} Desk";
    order["line_items"][0]["title"] = serde_json::json!(title);
    order["customer"]["first_name"] = serde_json::json!("<b onmouseover=\"window.__pwned=2\">Ada</b>");
    assert_eq!(app.webhook("orders/paid", &order).await.status(), 200);
    assert_eq!(app.run_scheduler_once().await.sent, 1);
    let token = app.state().links().capture_token(only_request(&app).await.id).expose().to_owned();
    let b = Browser::launch(&[PHONE]).await;
    b.client.goto(&app.url(&format!("/t/{token}"))).await.unwrap();
    // The title is printed as typed, braces and all, and nothing it names became an element.
    let h1 = b.text_of("h1", LONG).await;
    assert!(h1.contains(title), "{h1}");
    b.screenshot("capture-hostile-title").await;
    assert_eq!(b.js("return document.querySelectorAll('img[src=\"x\"], b[onmouseover]').length").await, 0);
    assert_eq!(b.js("return window.__pwned === undefined").await, true);
    b.close().await;
    app.finish().await;
}

#[tokio::test]
async fn a_logo_or_product_picture_that_fails_to_load_is_hidden_not_shown_broken() {
    let app = TestApp::spawn().await;
    // Nothing listens on the discard port: both pictures fail to load.
    let shop = server::store::shops::get(app.db(), app.shop_id()).await.unwrap().unwrap();
    let mut s = server::domain::settings::ShopSettings::from_json(&shop.settings);
    s.logo_url = Some("http://127.0.0.1:9/logo.png".into());
    server::store::shops::set_settings(app.db(), app.shop_id(), s.to_json()).await.unwrap();
    let (request, token) = sent(&app).await;
    server::store::requests::set_product_image_url(
        app.db(),
        app.shop_id(),
        &[request.id],
        "http://127.0.0.1:9/chair.jpg",
    )
    .await
    .unwrap();
    let b = Browser::launch(&[PHONE]).await;
    b.client.goto(&app.url(&format!("/t/{token}"))).await.unwrap();
    b.text_of("h1", LONG).await;
    wait_for("both broken pictures to be hidden", LONG, || async {
        let hidden = b
            .js("return [...document.querySelectorAll('header img, .product img')].filter(i => i.hidden).length")
            .await;
        (hidden == 2).then_some(())
    })
    .await;
    b.screenshot("capture-broken-pictures").await;
    // The shop's name and the heading still say whose page it is.
    assert!(!b.text_of("header", LONG).await.is_empty());
    b.close().await;
    app.finish().await;
}
