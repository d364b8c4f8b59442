//! The merchant's admin in headless Chromium, screen by screen, on the real server: the
//! journeys of issue 14, each saving a screenshot per screen under `target/screenshots/`.
//! Dev mode (no Shopify, the page takes session tokens from the server) unless a test is
//! about the embedded shell, which runs against the fake Shopify's App Bridge stand-in.

use super::campaigns::active;
use super::capture::{SUBMIT, sent};
use super::install::embedded_app;
use entity::{RequestEventType, RequestStatus};
use reelproof_tests::TestApp;
use reelproof_tests::browser::Browser;
use reelproof_tests::shopify::FakeShopify;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

async fn open(b: &Browser, app: &TestApp, path: &str) {
    b.client.goto(&app.url(path)).await.expect("page loads");
    // Every screen ends its loading state: data, an empty state or an error sentence.
    b.wait_js(
        &format!("{path} to load"),
        "return document.querySelector('[data-testid=page]') && !document.querySelector('[data-testid=loading]')",
        LONG,
    )
    .await;
}

/// What a merchant must never read: raw JSON, Rust errors, or bare codes.
async fn assert_readable(b: &Browser, screen: &str) {
    let text = b.js("return document.body.innerText").await;
    let text = text.as_str().unwrap_or_default();
    for bad in
        ["{\"", "INTERNAL", "UNAUTHENTICATED", "NOT_FOUND", "VALIDATION", "Error(", "panicked", "undefined", "[object"]
    {
        assert!(!text.contains(bad), "{screen} shows {bad:?}:\n{text}");
    }
}

/// Where a field's error sentence shows: next to the field.
fn field_error(field: &str) -> String {
    format!("[data-field-error='{field}']")
}

#[tokio::test]
async fn a_merchant_creates_edits_and_activates_a_campaign() {
    let app = TestApp::spawn_dev().await;
    let b = Browser::launch(&[]).await;
    open(&b, &app, "/app/campaigns").await;
    // The install's draft campaign is not there in dev mode: the empty state says what to do.
    b.wait_text("[data-testid=empty]", "No campaigns yet", LONG).await;
    b.screenshot("admin-campaigns-empty").await;

    b.click("[data-testid=new-campaign]", LONG).await;
    b.wait_text("s-page", "New campaign", LONG).await;
    b.fill("[data-testid=name]", "Spring asks", LONG).await;
    b.fill("[data-testid=delayDays]", "soon", LONG).await;
    b.click("[data-testid=save]", LONG).await;
    let e = b.wait_text(&field_error("delayDays"), "whole number", LONG).await;
    assert!(e.contains("must be a whole number"), "{e}");
    // The API's own limits come back next to the field, not in a toast.
    b.fill("[data-testid=delayDays]", "120", LONG).await;
    b.fill("[data-testid=name]", " ", LONG).await;
    b.click("[data-testid=save]", LONG).await;
    b.wait_text(&field_error("delayDays"), "between 0 and 90", LONG).await;
    b.wait_text(&field_error("name"), "must not be empty", LONG).await;
    b.screenshot("admin-campaign-field-errors").await;
    assert_readable(&b, "the campaign editor").await;

    b.fill("[data-testid=delayDays]", "5", LONG).await;
    b.fill("[data-testid=name]", "Spring asks", LONG).await;
    b.click("[data-testid=save]", LONG).await;
    // Created: the editor moves to the campaign's own address, a draft.
    let url = b
        .wait_js(
            "the campaign's address",
            "return /\\/app\\/campaigns\\/[0-9a-f-]{36}$/.test(location.pathname) && location.pathname",
            LONG,
        )
        .await;
    let id = url.as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    b.wait_js(
        "the draft badge",
        "return document.querySelector('[data-testid=campaign-status] [data-status=DRAFT]')",
        LONG,
    )
    .await;
    assert_eq!(
        b.js("return document.querySelector('[data-testid=save-bar]').hidden").await,
        json!(true),
        "nothing unsaved"
    );

    // Editing shows the save bar; saving hides it and the API has the change.
    b.fill("[data-testid=name]", "Spring asks, after delivery", LONG).await;
    b.wait_js("the save bar", "return !document.querySelector('[data-testid=save-bar]').hidden", LONG).await;
    b.screenshot("admin-campaign-unsaved").await;
    b.click("[data-testid=save]", LONG).await;
    b.wait_js("the save bar to go", "return document.querySelector('[data-testid=save-bar]').hidden", LONG).await;
    let c = app
        .graphql("query($id: ID!) { campaign(id: $id) { name delayDays consentText status } }", json!({"id": id}))
        .await;
    assert_eq!(c["data"]["campaign"]["name"], "Spring asks, after delivery", "{c}");
    assert_eq!(c["data"]["campaign"]["delayDays"], 5);

    // Activating asks first, saying what happens.
    b.click("[data-testid=activate]", LONG).await;
    let body = b.text_of("[data-testid=confirm]", LONG).await;
    assert!(body.contains("new orders that match it get a request"), "{body}");
    b.screenshot("admin-campaign-activate-confirm").await;
    b.click("[data-testid=confirm-ok]", LONG).await;
    b.wait_js(
        "the active badge",
        "return document.querySelector('[data-testid=campaign-status] [data-status=ACTIVE]')",
        LONG,
    )
    .await;
    let c = app.graphql("query($id: ID!) { campaign(id: $id) { status } }", json!({"id": id})).await;
    assert_eq!(c["data"]["campaign"]["status"], "ACTIVE");

    open(&b, &app, "/app/campaigns").await;
    let row = b.wait_text("[data-testid=campaign]", "Spring asks", LONG).await;
    assert!(row.contains("Active") && row.contains("5 days after order delivered"), "{row}");
    b.screenshot("admin-campaigns").await;
    b.close().await;
    app.finish().await;
}

/// A customer's video submission through the public API, as the capture page makes it.
async fn customer_submits(app: &TestApp, token: &str) -> String {
    let upload_key = super::capture::upload_video(app, token).await;
    let input = json!({"uploadKey": upload_key, "displayName": "Grace Hopper", "rating": 5,
                       "quote": "It changed how I work", "consentPublish": true, "consentVersion": 1});
    let s = app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    s["data"]["submitTestimonial"]["id"].as_str().unwrap_or_else(|| panic!("{s}")).to_owned()
}

#[tokio::test]
async fn a_submission_arrives_live_in_the_inbox_is_processed_approved_published_and_shown() {
    let app = TestApp::spawn_dev().await;
    let (_, token) = sent(&app).await;
    let b = Browser::launch(&[]).await;
    open(&b, &app, "/app/inbox").await;
    b.wait_text("[data-testid=empty]", "Nothing to moderate", LONG).await;
    b.wait_js("live updates", "return document.querySelector('[data-testid=live][data-state=live]')", LONG).await;

    // The customer submits while the inbox is open: it appears without a reload.
    let id = customer_submits(&app, &token).await;
    let row = format!("[data-testid=submission][data-id='{id}']");
    let text = b.wait_text(&row, "Grace H.", LONG).await;
    assert!(text.contains("It changed how I work") && text.contains("Uploaded"), "{text}");
    assert!(text.contains("Approves automatically in 14 days"), "the countdown: {text}");
    b.screenshot("admin-inbox-new-submission").await;

    // The worker processes the video: the badge turns ready, still without a reload.
    assert_eq!(app.run_background_until_idle().await, 1);
    b.wait_text(&format!("{row} [data-testid=media-status]"), "Ready", LONG).await;
    b.wait_js(
        "the poster",
        &format!("const i = document.querySelector(\"{row} img\"); return i && i.complete && i.naturalWidth > 0"),
        LONG,
    )
    .await;
    b.screenshot("admin-inbox-ready").await;
    assert_readable(&b, "the inbox").await;

    // The detail view: the video, what was said, consent, no log yet.
    open(&b, &app, &format!("/app/inbox/{id}")).await;
    b.wait_js("the player", "return document.querySelector('[data-testid=player]')", LONG).await;
    assert_eq!(b.text_of("[data-testid=display-name]", LONG).await, "Grace H.");
    b.screenshot("admin-submission-detail").await;

    // Back in the inbox: approve and publish with one click (or `p`).
    open(&b, &app, "/app/inbox").await;
    b.click(&format!("{row} [data-testid=publish]"), LONG).await;
    b.wait_text("[data-testid=empty]", "Nothing to moderate", LONG).await;

    // Published: on both placements, and the storefront API shows it.
    open(&b, &app, "/app/published").await;
    b.wait_text("[data-testid=order-HOME]", "Grace H.", LONG).await;
    b.wait_text("[data-testid=order-PRODUCT]", "Grace H.", LONG).await;
    let q =
        "query($shop: String!) { testimonials(shop: $shop, placement: HOME) { edges { node { id displayName } } } }";
    let shown = reelproof_tests::json_of(
        app.client
            .post(app.url("/api/storefront/graphql"))
            .json(&json!({"query": q, "variables": {"shop": app.shop().as_str()}})),
    )
    .await;
    assert_eq!(shown["data"]["testimonials"]["edges"][0]["node"]["id"], id, "{shown}");
    // The preview is the widget's own rendering of the same list.
    b.client.enter_frame(0).await.unwrap();
    b.wait_js(
        "the widget in the preview",
        "return document.querySelector('.reelproof-widget[data-enhanced=true] [data-testimonial]')",
        LONG,
    )
    .await;
    b.client.enter_parent_frame().await.unwrap();
    b.screenshot("admin-published").await;

    let detail = app
        .graphql(
            "query($id: ID!) { submission(id: $id) { status published moderationLog { action } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(detail["data"]["submission"]["published"], true, "{detail}");
    b.close().await;
    app.finish().await;
}

#[tokio::test]
async fn a_merchant_finds_a_failed_request_through_the_filters_and_resends_it() {
    use RequestEventType::*;
    let app = TestApp::spawn_dev().await;
    let failed = super::requests_log::request(&app, 7, RequestStatus::Failed, &[Scheduled, Queued, Failed]).await;
    let row = entity::testimonial_requests::Entity::find_by_id(failed).one(app.db()).await.unwrap().unwrap();
    let mut row: entity::testimonial_requests::ActiveModel = row.into();
    row.last_error = Set(Some("550 mailbox unavailable".into()));
    row.update(app.db()).await.unwrap();
    for product in [8, 9] {
        super::requests_log::request(&app, product, RequestStatus::Sent, &[Scheduled, Queued, Sent]).await;
    }

    let b = Browser::launch(&[]).await;
    open(&b, &app, "/app/requests").await;
    b.wait_js("three requests", "return document.querySelectorAll('[data-testid=request]').length === 3", LONG).await;
    b.screenshot("admin-requests").await;
    b.click("[data-testid=filter-failed]", LONG).await;
    b.click("[data-testid=apply]", LONG).await;
    b.wait_js("only the failed one", "return document.querySelectorAll('[data-testid=request]').length === 1 && location.search.includes('failed=1')", LONG).await;
    let text = b.text_of("[data-testid=request]", LONG).await;
    assert!(text.contains("Failed") && text.contains("550 mailbox unavailable"), "{text}");

    b.click("[data-testid=request]", LONG).await;
    b.wait_text("[data-testid=panel-error]", "550 mailbox unavailable", LONG).await;
    let timeline = b.text_of("[data-testid=timeline]", LONG).await;
    assert!(timeline.contains("Failed") && timeline.contains("Queued"), "{timeline}");
    b.screenshot("admin-request-panel").await;
    b.click("[data-testid=resend]", LONG).await;
    b.wait_text("[data-testid=confirm]", "Send this request again?", LONG).await;
    b.click("[data-testid=confirm-ok]", LONG).await;
    b.wait_js(
        "the request rescheduled",
        "return document.querySelector('[data-testid=panel-status] [data-status=SCHEDULED]')",
        LONG,
    )
    .await;
    assert_readable(&b, "the requests log").await;
    b.close().await;
    let r = app.graphql("query($id: ID!) { request(id: $id) { status } }", json!({"id": failed.to_string()})).await;
    assert_eq!(r["data"]["request"]["status"], "SCHEDULED", "{r}");
    assert_eq!(app.run_scheduler_once().await.sent, 1, "and it goes out again");
    app.finish().await;
}

#[tokio::test]
async fn a_merchant_edits_a_template_and_the_preview_follows() {
    let app = TestApp::spawn_dev().await;
    let b = Browser::launch(&[]).await;
    open(&b, &app, "/app/templates").await;
    b.wait_js("the built-in templates", "return document.querySelectorAll('[data-testid=template]').length >= 4", LONG)
        .await;
    b.screenshot("admin-templates").await;
    let href = b.js("return [...document.querySelectorAll('[data-testid=template]')].find(r => r.innerText.includes('Email') && r.innerText.includes('Request')).querySelector('a').getAttribute('href')").await;
    open(&b, &app, href.as_str().unwrap()).await;
    b.wait_js("the preview", "return document.querySelector('[data-testid=preview-subject]')", LONG).await;
    b.fill("[data-testid=subject]", "A minute for {{ product_title }}?", LONG).await;
    b.wait_text("[data-testid=preview-subject]", "A minute for Walnut desk?", LONG).await;
    b.screenshot("admin-template-preview").await;

    // A broken template: the preview and the save both say what is wrong, at the field.
    b.fill("[data-testid=body]", "<p>Hi {{ customer_first_name </p>", LONG).await;
    b.wait_js("the preview's error", "return document.querySelector('[data-testid=preview-error]')", LONG).await;
    b.click("[data-testid=save]", LONG).await;
    b.wait_js("the save error", "return document.querySelector('[data-testid=save-error]')", LONG).await;
    let e = b.wait_text(&field_error("body"), "line 1", LONG).await;
    assert!(e.starts_with("⚠ line 1: ") || e.starts_with("line 1: "), "at the field, with its line: {e}");
    b.screenshot("admin-template-error").await;
    assert_readable(&b, "the template editor").await;
    b.click("[data-testid=discard]", LONG).await;
    b.fill("[data-testid=subject]", "A minute for {{ product_title }}?", LONG).await;
    b.click("[data-testid=save]", LONG).await;
    b.wait_js("saved", "return document.querySelector('[data-testid=save-bar]').hidden", LONG).await;
    let t = app.graphql("{ templates { subject } }", json!({})).await;
    assert!(t.to_string().contains("A minute for {{ product_title }}?"), "{t}");
    b.close().await;
    app.finish().await;
}

#[tokio::test]
async fn an_import_with_one_bad_row_shows_that_rows_error_and_imports_nothing() {
    let app = TestApp::spawn_dev().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("testimonials.csv");
    std::fs::write(
        &csv,
        "product_id,display_name,consent,rating,quote\n101,Ada,yes,5,Lovely\n102,Grace,yes,9,Too many stars\n",
    )
    .unwrap();
    let b = Browser::launch(&[]).await;
    open(&b, &app, "/app/settings?tab=data").await;
    b.screenshot("admin-settings-data").await;
    let input = b.client.find(fantoccini::Locator::Css("[data-testid=import-file]")).await.unwrap();
    input.send_keys(csv.to_str().unwrap()).await.unwrap();
    let errors = b.wait_text("[data-testid=row-errors]", "Line 3", LONG).await;
    assert!(errors.contains("rating"), "{errors}");
    assert!(!errors.contains("Line 2"), "only the bad row: {errors}");
    b.screenshot("admin-import-row-error").await;
    assert_readable(&b, "the import").await;
    let subs = app.graphql("{ submissions { nodes { id } } }", json!({})).await;
    assert_eq!(subs["data"]["submissions"]["nodes"], json!([]), "nothing imported");
    b.close().await;
    app.finish().await;
}

#[tokio::test]
async fn settings_save_with_field_errors_in_place_and_tokens_are_shown_once() {
    let app = TestApp::spawn_dev().await;
    let b = Browser::launch(&[]).await;
    open(&b, &app, "/app/settings").await;
    b.fill("[data-testid=brandColour]", "red; background:url(x)", LONG).await;
    b.fill("[data-testid=timezone]", "Mars/Olympus", LONG).await;
    b.click("[data-testid=save]", LONG).await;
    b.wait_text(&field_error("brandColour"), "colour like", LONG).await;
    b.wait_text(&field_error("timezone"), "time zone", LONG).await;
    b.screenshot("admin-settings-errors").await;
    b.fill("[data-testid=brandColour]", "#b91c1c", LONG).await;
    b.fill("[data-testid=timezone]", "Europe/Paris", LONG).await;
    b.fill("[data-testid=senderName]", "Ada's Teas", LONG).await;
    b.click("[data-testid=save]", LONG).await;
    b.wait_js("saved", "return document.querySelector('[data-testid=save-bar]').hidden && !document.querySelector('[data-field-error]')", LONG).await;
    let shop = app.graphql("{ shop { timezone settings { brandColour senderName } } }", json!({})).await;
    assert_eq!(shop["data"]["shop"]["timezone"], "Europe/Paris", "{shop}");
    assert_eq!(shop["data"]["shop"]["settings"]["brandColour"], "#b91c1c");
    assert_eq!(shop["data"]["shop"]["settings"]["senderName"], "Ada's Teas");

    open(&b, &app, "/app/settings?tab=tokens").await;
    b.fill("[data-testid=name]", "Klaviyo sync", LONG).await;
    b.click("[data-testid=create-token]", LONG).await;
    let token = b.text_of("[data-testid=token-text]", LONG).await;
    assert!(token.starts_with("rp_"), "{token}");
    b.wait_text("[data-testid=token]", "Klaviyo sync", LONG).await;
    b.screenshot("admin-token-created").await;
    // The token works, read-only.
    let r: Value = app.graphql_with(Some(&token), "{ shop { domain } }", json!({})).await.json().await.unwrap();
    assert_eq!(r["data"]["shop"]["domain"], app.shop().as_str(), "{r}");
    // Revoked after a confirmation, it stops working.
    b.click("[data-testid=revoke]", LONG).await;
    b.click("[data-testid=confirm-ok]", LONG).await;
    b.wait_text("[data-testid=token]", "Revoked", LONG).await;
    let r = app.graphql_with(Some(&token), "{ shop { domain } }", json!({})).await;
    assert_eq!(r.status(), 401);
    b.close().await;
    app.finish().await;
}

#[tokio::test]
async fn every_screen_renders_offline_readable_at_desktop_and_tablet_widths() {
    let app = TestApp::spawn_dev().await;
    active(&app, json!({"delayDays": 0})).await;
    let b = Browser::launch(&[]).await;
    for (width, suffix) in [(1280, ""), (820, "-tablet")] {
        b.client.set_window_size(width, 1000).await.unwrap();
        for (path, name) in [
            ("/app/", "home"),
            ("/app/inbox", "inbox"),
            ("/app/published", "published"),
            ("/app/requests", "requests"),
            ("/app/campaigns", "campaign-list"),
            ("/app/templates", "template-list"),
            ("/app/analytics", "analytics"),
            ("/app/settings", "settings"),
            ("/app/settings?tab=moderation", "settings-moderation"),
            ("/app/settings?tab=alerts", "settings-alerts"),
            ("/app/settings?tab=tokens", "settings-tokens"),
            ("/app/nowhere", "not-found"),
        ] {
            open(&b, &app, path).await;
            // Named apart from the journeys' screenshots of the same screens.
            b.screenshot(&format!("admin-screen-{name}{suffix}")).await;
            assert_readable(&b, path).await;
            let wide = b.js("return document.documentElement.scrollWidth").await;
            assert!(wide.as_i64().unwrap() <= i64::from(width), "{path} is {wide} px wide at {width}");
            if name == "home" {
                // Nothing was asked yet: every step of the funnel counts 0 and draws no bar.
                b.wait_js(
                    "the funnel",
                    "return document.querySelectorAll('[data-testid=funnel] .rp-funnel-row').length === 6",
                    LONG,
                )
                .await;
                let bars = b.js("return [...document.querySelectorAll('.rp-funnel-row')].map(r => [r.dataset.step, r.querySelector('.rp-funnel-count').innerText, r.querySelector('.rp-funnel-bar span').getBoundingClientRect().width, r.querySelector('.rp-funnel-bar span').getAttribute('style')])").await;
                for bar in bars.as_array().unwrap() {
                    assert_eq!((&bar[1], &bar[2]), (&json!("0"), &json!(0)), "{bars}");
                }
            }
        }
    }
    // Dev mode needs no network beyond the server: every resource came from it.
    let foreign = b.js("return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith(location.origin))").await;
    assert_eq!(foreign, json!([]), "resources from elsewhere");
    assert!(b.text_of("s-page", LONG).await.contains("There is nothing here"));
    b.close().await;
    app.finish().await;
}

#[tokio::test]
async fn the_embedded_shell_uses_app_bridge_for_tokens_navigation_save_bar_and_the_theme_check() {
    let shopify = FakeShopify::start().await;
    let app = embedded_app(&shopify).await;
    let shop = "embedded-shell.myshopify.com";
    let b = Browser::launch(&[]).await;
    b.client.goto(&app.url(&format!("/app/?shop={shop}&host=YWRtaW4&embedded=1"))).await.unwrap();
    b.wait_text("[data-testid=shop-domain]", shop, LONG).await;
    // Navigation is App Bridge's <s-app-nav>, its first link the app's home.
    let nav = b.js("return [...document.querySelectorAll('s-app-nav a')].map(a => [a.getAttribute('href'), a.getAttribute('rel')])").await;
    assert_eq!(nav[0], json!(["/app/", "home"]), "{nav}");
    assert_eq!(nav.as_array().unwrap().len(), 8, "{nav}");
    // The setup checklist asks App Bridge whether the theme block is active.
    b.wait_js("the theme block step", "return [...document.querySelectorAll('[data-testid=checklist] li')].some(li => li.dataset.done === 'true' && li.innerText.includes('theme'))", LONG).await;
    b.screenshot("admin-embedded-home").await;

    // A form's unsaved changes raise App Bridge's save bar; saving lowers it.
    b.click("s-app-nav a[href='/app/settings']", LONG).await;
    b.fill("[data-testid=senderName]", "Embedded Teas", LONG).await;
    b.wait_js(
        "saveBar.show",
        "return window.__appBridge.some(c => c[0] === 'saveBar.show' && c[1] === 'reelproof-save-bar')",
        LONG,
    )
    .await;
    b.click("ui-save-bar button[variant=primary]", LONG).await;
    b.wait_js("toast.show", "return window.__appBridge.some(c => c[0] === 'toast.show')", LONG).await;
    let calls: Vec<String> = serde_json::from_value(b.js("return window.__appBridge.map(c => c[0])").await).unwrap();
    let shown = calls.iter().rposition(|c| c == "saveBar.show").unwrap();
    assert!(calls[shown..].iter().any(|c| c == "saveBar.hide"), "saved: the bar is lowered again: {calls:?}");
    b.close().await;
    let profile =
        server::store::shops::find_by_domain(app.db(), &server::domain::shop_domain::ShopDomain::parse(shop).unwrap())
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        server::domain::settings::ShopSettings::from_json(&profile.settings).sender_name.as_deref(),
        Some("Embedded Teas")
    );
    app.finish().await;
}

#[tokio::test]
async fn an_integrator_creates_a_token_in_the_admin_and_uses_it_in_graphiql() {
    let shopify = FakeShopify::start().await;
    let app = embedded_app(&shopify).await;
    let shop = app.shop().as_str().to_owned();
    let b = Browser::launch(&[]).await;
    b.client.goto(&app.url(&format!("/app/settings?tab=tokens&shop={shop}&host=YWRtaW4&embedded=1"))).await.unwrap();
    b.fill("[data-testid=name]", "Integration", LONG).await;
    b.click("[data-testid=create-token]", LONG).await;
    let token = b.text_of("[data-testid=token-text]", LONG).await;

    // GraphiQL, served by Reelproof: no token yet, so it says where to get one.
    b.client.goto(&app.url("/graphiql?query=%7B%20shop%20%7B%20domain%20%7D%20%7D")).await.unwrap();
    b.wait_js("GraphiQL", "return document.querySelector('.graphiql-execute-button')", LONG).await;
    b.click(".graphiql-execute-button", LONG).await;
    b.wait_js("the hint", "return document.querySelector('.result-window') && document.querySelector('.result-window').innerText.includes('Settings › API tokens')", LONG).await;
    b.screenshot("graphiql-no-token").await;

    b.fill("#token", &token, LONG).await;
    b.click("#token-bar button", LONG).await;
    b.wait_js("GraphiQL again", "return document.querySelector('.graphiql-execute-button')", LONG).await;
    b.click(".graphiql-execute-button", LONG).await;
    b.wait_js(
        "the answer",
        &format!("return document.querySelector('.result-window').innerText.includes('{shop}')"),
        LONG,
    )
    .await;
    // The docs explorer knows the schema (fetched with the token).
    b.click(".graphiql-sidebar button[aria-label='Show Documentation Explorer']", LONG).await;
    b.screenshot("graphiql-with-token").await;
    b.wait_js("the docs", "return document.querySelector('.graphiql-doc-explorer') && document.querySelector('.graphiql-doc-explorer').innerText.includes('AdminQuery')", LONG).await;
    b.screenshot("graphiql-with-token").await;
    // The token stays in this tab only.
    let kept = b
        .js(&format!("return Object.keys(localStorage).filter(k => localStorage.getItem(k).includes('{token}'))"))
        .await;
    assert_eq!(kept, json!([]), "GraphiQL's own storage never holds the token");
    assert_eq!(b.js("return sessionStorage.getItem('reelproof-graphiql-token')").await, json!(token));
    b.close().await;
    app.finish().await;
}

#[tokio::test]
async fn the_inbox_moderates_from_the_keyboard_and_publishes_in_bulk() {
    let app = TestApp::spawn_dev().await;
    let mut ids = Vec::new();
    for (i, name) in ["Ada", "Grace", "Edsger"].iter().enumerate() {
        let mut s = reelproof_tests::fixtures::shown_submission(
            app.shop_id(),
            101,
            app.now() - chrono::Duration::minutes(i as i64),
        );
        s.display_name = Set(format!("{name} Example"));
        s.status = Set(entity::SubmissionStatus::Pending);
        s.published = Set(false);
        s.published_at = Set(None);
        s.moderated_at = Set(None);
        s.has_video = Set(false);
        ids.push(
            entity::testimonial_submissions::Entity::insert(s).exec(app.db()).await.unwrap().last_insert_id.to_string(),
        );
    }
    let b = Browser::launch(&[]).await;
    open(&b, &app, "/app/inbox").await;
    b.wait_js("three pending", "return document.querySelectorAll('[data-testid=submission]').length === 3", LONG).await;
    let body = b.client.find(fantoccini::Locator::Css("body")).await.unwrap();
    body.send_keys("?").await.unwrap();
    b.wait_text("[data-testid=shortcut-help]", "approve and publish", LONG).await;
    b.screenshot("admin-inbox-shortcuts").await;
    // Newest first: j moves to the second (Grace), a approves it.
    body.send_keys("ja").await.unwrap();
    b.wait_js("two left", "return document.querySelectorAll('[data-testid=submission]').length === 2", LONG).await;
    let status = |id: String| {
        let app = &app;
        async move {
            let r =
                app.graphql("query($id: ID!) { submission(id: $id) { status published } }", json!({"id": id})).await;
            (
                r["data"]["submission"]["status"].as_str().unwrap().to_owned(),
                r["data"]["submission"]["published"].as_bool().unwrap(),
            )
        }
    };
    assert_eq!(status(ids[1].clone()).await, ("APPROVED".to_owned(), false));
    // Both others selected, then approved and published in one go.
    for id in [&ids[0], &ids[2]] {
        b.click(&format!("[data-testid=submission][data-id='{id}'] input[type=checkbox]"), LONG).await;
    }
    b.wait_text("[data-testid=bulk]", "2 selected", LONG).await;
    b.click("[data-testid=bulk-publish]", LONG).await;
    b.wait_text("[data-testid=empty]", "Nothing to moderate", LONG).await;
    // The queue empties as soon as the last one is approved (a live refresh), which can be
    // before its publication lands: both end approved and published.
    for id in [&ids[0], &ids[2]] {
        reelproof_tests::wait_for("the bulk action to approve and publish it", LONG, || async {
            (status(id.clone()).await == ("APPROVED".to_owned(), true)).then_some(())
        })
        .await;
    }
    b.close().await;
    app.finish().await;
}
