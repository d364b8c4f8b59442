//! Requests that get answered (issue 19): the built-in emails as a customer's mail client shows
//! them, the star links, the buyer's language, and the SMS short link.

use super::campaigns::active;
use super::messaging::{decode_qp, only_request};
use chrono::Duration;
use entity::{RequestEventType, RequestStatus};
use fantoccini::Locator;
use reelproof_tests::browser::Browser;
use reelproof_tests::shopify::FakeShopify;
use reelproof_tests::smtp::SmtpSink;
use reelproof_tests::{TestApp, fixtures, http};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use server::domain::settings::ShopSettings;

const LONG: std::time::Duration = std::time::Duration::from_secs(60);
/// A phone's user agent, so the click classifier takes the browser for a person.
const PHONE: &str = "--user-agent=Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

/// One part of a MIME message, decoded (quoted-printable or base64), by its content type.
pub fn mime_part(raw: &str, content_type: &str) -> String {
    let at = raw.find(&format!("Content-Type: {content_type}")).unwrap_or_else(|| panic!("{content_type} in {raw}"));
    let part = &raw[at..];
    let headers_end = part.find("\r\n\r\n").map(|i| i + 4).or_else(|| part.find("\n\n").map(|i| i + 2)).unwrap();
    let (headers, rest) = part.split_at(headers_end);
    // The part ends at the message's boundary, not at any line starting with "--": a
    // quoted-printable line may begin with a token's "--" wherever the soft break falls.
    let boundary = raw
        .split("boundary=")
        .nth(1)
        .map(|b| b.trim_start_matches('"').split(['"', '\r', '\n', ';']).next().unwrap().to_owned());
    let end = boundary.and_then(|b| rest.find(&format!("\n--{b}"))).unwrap_or(rest.len());
    let body = &rest[..end];
    if headers.contains("base64") {
        use base64::Engine;
        let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(compact).unwrap()).unwrap()
    } else if headers.contains("quoted-printable") {
        decode_qp(body)
    } else {
        body.to_owned()
    }
}

/// A shop with its brand (colour and logo) and a product picture served by `images`.
async fn branded(app: &TestApp, images: &str) {
    let shop = server::store::shops::get(app.db(), app.shop_id()).await.unwrap().unwrap();
    let mut s = ShopSettings::from_json(&shop.settings);
    s.brand_colour = "#b91c1c".into();
    s.sender_name = Some("Ada's Tea House".into());
    s.logo_url = Some(format!("{images}/logo.png"));
    server::store::shops::set_settings(app.db(), app.shop_id(), s.to_json()).await.unwrap();
}

/// Serves a 1200×900 product photo and a logo, as a shop's CDN would.
async fn image_server() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    for (name, size) in [("product.jpg", "1200x900"), ("logo.png", "400x80")] {
        let status = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "lavfi", "-i", &format!("testsrc=size={size}"), "-frames:v", "1"])
            .arg(dir.path().join(name))
            .status()
            .expect("ffmpeg runs");
        assert!(status.success());
    }
    let root = dir.path().to_owned();
    let router = axum::Router::new().route(
        "/{name}",
        axum::routing::get(move |axum::extract::Path(name): axum::extract::Path<String>| {
            let root = root.clone();
            async move {
                let ct = if name.ends_with(".png") { "image/png" } else { "image/jpeg" };
                match std::fs::read(root.join(&name)) {
                    Ok(b) => ([(axum::http::header::CONTENT_TYPE, ct)], b).into_response(),
                    Err(_) => axum::http::StatusCode::NOT_FOUND.into_response(),
                }
            }
        }),
    );
    use axum::response::IntoResponse;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("http://{addr}"), dir)
}

/// Sends the request (and, after its delay, the reminder) of an order in `locale`; returns the
/// raw messages in order.
async fn request_and_reminder(app: &TestApp, sink: &SmtpSink, locale: &str, images: &str) -> Vec<String> {
    active(app, json!({"delayDays": 0, "reminderEnabled": true, "reminderDelayDays": 3})).await;
    let mut order = fixtures::order(5_001, &[(11, 101)], Some("ada@example.com"));
    order["customer_locale"] = json!(locale);
    app.webhook("orders/paid", &order).await;
    let r = only_request(app).await;
    // The picture Shopify would have given (the shop is not connected in this test).
    server::store::requests::set_product_image_url(app.db(), app.shop_id(), &[r.id], &format!("{images}/product.jpg"))
        .await
        .unwrap();
    assert_eq!(app.run_scheduler_once().await.sent, 1);
    app.advance_clock(Duration::days(3) + Duration::hours(1));
    app.run_scheduler_once().await;
    sink.wait_for_messages(2).await
}

/// Renders an email's HTML in Chromium at `width` and checks it the way a mail client would
/// show it: nothing wider than the screen, every image inside the body, no external styles,
/// fonts or scripts. Saves a screenshot.
async fn check_rendering(b: &Browser, html: &str, width: u32, shot: &str) {
    let file = tempfile::Builder::new().suffix(".html").tempfile().unwrap();
    std::fs::write(file.path(), html).unwrap();
    b.client.set_window_size(width, 1000).await.unwrap();
    b.client.goto(&format!("file://{}", file.path().display())).await.unwrap();
    let report = b
        .wait_js(
            "the email's images to load",
            r#"const imgs = [...document.images].filter(i => i.width > 1);
               if (!imgs.every(i => i.complete && i.naturalWidth > 0)) return null;
               return {
                 scroll: document.documentElement.scrollWidth,
                 body: document.body.clientWidth,
                 widest: Math.max(0, ...imgs.map(i => i.getBoundingClientRect().right)),
                 external: document.querySelectorAll('link, script, style[src]').length,
                 imports: [...document.querySelectorAll('style')].filter(s => /@import|@font-face/.test(s.textContent)).length,
                 button: getComputedStyle([...document.links].find(a => a.textContent.trim().length > 6)).backgroundColor,
                 stars: [...document.links].filter(a => a.textContent.trim() === '\u2605').length,
               };"#,
            LONG,
        )
        .await;
    assert!(report["scroll"].as_i64().unwrap() <= i64::from(width), "{shot}: page wider than {width}: {report}");
    assert!(
        report["widest"].as_f64().unwrap() <= report["body"].as_f64().unwrap(),
        "{shot}: an image sticks out: {report}"
    );
    assert_eq!(report["external"], 0, "{shot}: external stylesheet or script: {report}");
    assert_eq!(report["imports"], 0, "{shot}: imported CSS or fonts: {report}");
    assert_eq!(report["stars"], 5, "{shot}: five stars: {report}");
    b.screenshot(shot).await;
}

#[tokio::test]
async fn the_built_in_emails_read_well_on_a_phone_and_a_desktop_with_the_same_links_in_text() {
    let (images, _dir) = image_server().await;
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(|c| c.email.smtp_url = Some(url)).await;
    branded(&app, &images).await;
    let messages = request_and_reminder(&app, &sink, "en", &images).await;
    assert_eq!(messages.len(), 2);
    let b = Browser::launch(&[]).await;
    for (raw, name) in messages.iter().zip(["request", "reminder"]) {
        let html = mime_part(raw, "text/html");
        let text = mime_part(raw, "text/plain");
        // The button wears the shop's colour; the logo and the product picture are there.
        assert!(html.contains("background-color:#b91c1c"), "{name}: {html}");
        assert!(html.contains("logo.png"), "{name}");
        // Every link of the HTML part (but the pixel) is in the text part too.
        let hrefs: Vec<String> = html
            .split("href=\"")
            .skip(1)
            .map(|h| h[..h.find('"').unwrap()].replace("&#x2f;", "/").replace("&amp;", "&"))
            .collect();
        assert!(hrefs.len() >= 7, "{name}: button, five stars, unsubscribe: {hrefs:?}");
        for h in &hrefs {
            assert!(text.contains(h.as_str()), "{name}: the text part lacks {h}\n{text}");
        }
        for width in [375, 800] {
            check_rendering(&b, &html, width, &format!("email-{name}-{width}")).await;
        }
    }
    assert!(mime_part(&messages[0], "text/html").contains("product.jpg"), "the request shows the product");
    b.close().await;
    app.finish().await;
}

fn star_links(raw: &str) -> Vec<String> {
    let text = mime_part(raw, "text/plain");
    text.lines().filter_map(|l| l.find("/rate/").map(|_| l[l.find("http").unwrap()..].trim().to_owned())).collect()
}

#[tokio::test]
async fn a_star_opens_the_capture_page_with_that_rating_and_counts_one_human_click() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(|c| c.email.smtp_url = Some(url)).await;
    active(&app, json!({"delayDays": 0})).await;
    app.webhook("orders/paid", &fixtures::order(5_002, &[(11, 101)], Some("ada@example.com"))).await;
    assert_eq!(app.run_scheduler_once().await.sent, 1);
    let stars = star_links(&sink.wait_for_messages(1).await[0]);
    assert_eq!(stars.len(), 5, "{stars:?}");
    app.advance_clock(Duration::hours(1));

    // An altered star (the four-star signature with a five) and an invented one are refused,
    // and count nothing.
    let four = &stars[3];
    let altered = four.replace("/rate/4/", "/rate/5/");
    let invented = format!("{}/rate/5/AAAAAAAAAAAAAAAAAAAAAA", &four[..four.find("/rate/").unwrap()]);
    for forged in [&altered, &invented] {
        let resp = http().get(forged).header("user-agent", &PHONE[13..]).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{forged}");
    }
    assert_eq!(only_request(&app).await.status, RequestStatus::Sent, "a forged star is no click");

    let b = Browser::launch(&[PHONE]).await;
    b.client.set_window_size(390, 844).await.unwrap();
    b.client.goto(four).await.unwrap();
    let chosen = b.text_of("[data-testid=chosen-rating]", LONG).await;
    assert!(chosen.starts_with("★★★★☆") && chosen.contains("4-star"), "{chosen}");
    b.screenshot("capture-from-four-stars").await;
    b.client.find(Locator::Css("[data-testid=text-only]")).await.unwrap().click().await.unwrap();
    let pressed = b
        .wait_js(
            "the rating to be chosen",
            r#"const on = [...document.querySelectorAll('button[aria-pressed=true]')].map(b => b.getAttribute('aria-label'));
               return on.length ? on : null;"#,
            LONG,
        )
        .await;
    assert_eq!(pressed, json!(["4 of 5 stars"]), "the fourth star is chosen");
    b.screenshot("capture-from-four-stars-details").await;
    // The customer may change it: the rating is a suggestion.
    b.client.find(Locator::Css("button[aria-label='5 of 5 stars']")).await.unwrap().click().await.unwrap();
    let pressed = b
        .js("return [...document.querySelectorAll('button[aria-pressed=true]')].map(b => b.getAttribute('aria-label'))")
        .await;
    assert_eq!(pressed, json!(["5 of 5 stars"]));
    // A second tap on a star from the email is no second click.
    b.client.goto(&stars[1]).await.unwrap();
    b.text_of("[data-testid=prompt]", LONG).await;
    b.close().await;

    let r = only_request(&app).await;
    assert_eq!(r.status, RequestStatus::Clicked);
    let events = server::store::request_events::timeline(app.db(), app.shop_id(), r.id).await.unwrap();
    let clicks: Vec<&Value> = events
        .iter()
        .filter(|e| e.event_type == RequestEventType::Clicked)
        .filter_map(|e| e.payload.as_ref())
        .collect();
    assert_eq!(clicks.len(), 1, "one click: {clicks:?}");
    assert_eq!(clicks[0]["source"], "star");
    assert_eq!(clicks[0]["rating"], 4);
    assert_eq!(clicks[0]["actor"], "human");
    app.finish().await;
}

#[tokio::test]
async fn a_french_order_gets_the_french_email_and_an_unshipped_language_falls_back_to_the_shops() {
    let (images, _dir) = image_server().await;
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(|c| c.email.smtp_url = Some(url)).await;
    let messages = request_and_reminder(&app, &sink, "fr-CA", &images).await;
    let subject = decode_qp(&messages[0]);
    let html = mime_part(&messages[0], "text/html");
    let text = mime_part(&messages[0], "text/plain");
    assert!(text.contains("Bonjour") && text.contains("Enregistrer une vidéo"), "{text}");
    assert!(html.contains("Que pensez-vous de votre Product 101"), "{html}");
    let expires = only_request(&app).await.expires_at.date_naive();
    let date = server::domain::i18n::long_date(expires, "fr");
    assert!(!date.contains("January") && !date.contains("December"), "{date}");
    assert!(text.contains(&format!("valable jusqu'au {date}")), "a French date: {text}");
    assert!(subject.contains("Subject:"), "{subject}");
    let b = Browser::launch(&[]).await;
    check_rendering(&b, &html, 375, "email-request-fr-375").await;
    b.close().await;
    app.finish().await;

    // Japanese is not shipped: a German shop's customer gets German; an English shop's, English.
    for (shop_locale, expect) in [("de", "Hallo"), ("en", "Hi ")] {
        let sink = SmtpSink::start().await;
        let url = sink.url();
        let app = TestApp::spawn_with(|c| c.email.smtp_url = Some(url)).await;
        let shop = server::store::shops::get(app.db(), app.shop_id()).await.unwrap().unwrap();
        let mut s = ShopSettings::from_json(&shop.settings);
        s.locale = shop_locale.into();
        server::store::shops::set_settings(app.db(), app.shop_id(), s.to_json()).await.unwrap();
        active(&app, json!({"delayDays": 0})).await;
        let mut order = fixtures::order(5_003, &[(11, 101)], Some("ada@example.com"));
        order["customer_locale"] = json!("ja");
        app.webhook("orders/paid", &order).await;
        assert_eq!(app.run_scheduler_once().await.sent, 1);
        let text = mime_part(&sink.wait_for_messages(1).await[0], "text/plain");
        assert!(text.starts_with(expect), "{shop_locale} shop, Japanese customer: {text}");
        app.finish().await;
    }
}

#[tokio::test]
async fn an_sms_fits_one_segment_with_a_short_link_that_leads_to_the_capture_page() {
    let (twilio, app) = super::templates::with_twilio().await;
    active(&app, json!({"delayDays": 0, "channel": "SMS"})).await;
    app.webhook("orders/paid", &fixtures::order(5_004, &[(11, 101)], Some("ada@example.com"))).await;
    assert_eq!(app.run_scheduler_once().await.sent, 1);
    let got = twilio.received();
    let body = got[0].param("Body").unwrap();
    assert_eq!(server::domain::templates::sms_segments(body), 1, "{body}");
    let link = body.split_whitespace().find(|w| w.contains("/r/")).expect("a short link");
    let code = link.rsplit('/').next().unwrap();
    assert_eq!(code.len(), 10, "{link}");
    let r = only_request(&app).await;
    assert!(r.short_code_hash.as_ref().is_some_and(|h| !h.contains(code)), "stored, and only hashed");

    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = no_redirect.get(link).send().await.unwrap();
    assert_eq!(resp.status(), 303, "on to the capture link");
    let to = resp.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(to, format!("/t/{}", app.state().links().capture_token(r.id).expose()));
    assert_eq!(resp.headers()["cache-control"], "no-store");
    // The reminder carries the same short link.
    assert_eq!(app.state().links().short_code(r.id), code);
    // A code we never issued, or one of the wrong shape, is the plain "not valid" page.
    for bad in ["AAAAAAAAAA", "short", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        let resp = no_redirect.get(app.url(&format!("/r/{bad}"))).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{bad}");
    }
    app.finish().await;
}

/// A shop connected to the fake Shopify, sending email to `sink`.
async fn connected_with_email(shopify: &FakeShopify, sink: &SmtpSink) -> TestApp {
    let (base, url) = (shopify.url(), sink.url());
    let app = TestApp::spawn_with(|c| {
        c.shopify.admin_base = Some(base);
        c.email.smtp_url = Some(url);
    })
    .await;
    app.graphql("{ shop { domain } }", json!({})).await;
    reelproof_tests::wait_for("the Admin API to be connected", LONG, || async {
        server::store::shops::get(app.db(), app.shop_id()).await.unwrap().filter(|s| s.refresh_token.is_some())
    })
    .await;
    app
}

const SUBMIT_WITH_REWARD: &str = "mutation($t: String!, $i: SubmitTestimonialInput!) { submitTestimonial(token: $t, input: $i) { id rewardCode rewardPending } }";

#[tokio::test]
async fn everyone_who_submits_gets_one_discount_code_whatever_the_rating() {
    let shopify = FakeShopify::start().await;
    let sink = SmtpSink::start().await;
    let app = connected_with_email(&shopify, &sink).await;
    let reward = json!({"kind": "PERCENTAGE", "value": "10", "minimumSubtotal": "30.00", "expiresInDays": 30});
    active(&app, json!({"delayDays": 0, "reward": reward})).await;
    let campaigns =
        app.graphql("{ campaigns { reward { kind value minimumSubtotal expiresInDays } } }", json!({})).await;
    assert_eq!(campaigns["data"]["campaigns"][0]["reward"], reward, "{campaigns}");

    // Two customers: one star and five stars.
    for (order, line) in [(5_101, 21), (5_102, 22)] {
        let o = fixtures::order(order, &[(line, 101)], Some(&format!("c{order}@example.com")));
        app.webhook("orders/paid", &o).await;
    }
    assert_eq!(app.run_scheduler_once().await.sent, 2);
    sink.wait_for_messages(2).await;
    app.advance_clock(Duration::hours(1));
    let requests = entity::testimonial_requests::Entity::find().all(app.db()).await.unwrap();
    let mut codes = Vec::new();
    for (r, rating) in requests.iter().zip([1, 5]) {
        if rating == 5 {
            // Shopify makes this one's discount, but its answer is lost on the way back: the
            // retry meets "already taken" and keeps the one code.
            shopify.lose_next_discount_answer(app.shop().as_str());
        }
        let token = app.state().links().capture_token(r.id).expose().to_owned();
        let input = json!({"displayName": "Ada", "rating": rating, "quote": "Honest words", "consentPublish": true, "consentVersion": 1});
        let s = app.public_graphql(SUBMIT_WITH_REWARD, json!({"t": token, "i": input.clone()})).await;
        let done = &s["data"]["submitTestimonial"];
        app.run_background_until_idle().await;
        let id: entity::SubmissionId = done["id"].as_str().unwrap().parse().unwrap();
        let stored = server::store::submissions::get(app.db(), app.shop_id(), id).await.unwrap().unwrap();
        let code = stored.reward_code.unwrap_or_else(|| panic!("a code: {s}"));
        // At once on the thank-you screen, or (when Shopify's answer was lost) by email.
        assert_eq!(done["rewardCode"].as_str().unwrap_or(&code), code);
        assert_eq!(done["rewardPending"], done["rewardCode"].is_null());
        assert!(code.starts_with("THANKS-"), "{code}");
        // Submitting twice is refused and gives nothing more.
        let again = app.public_graphql(SUBMIT_WITH_REWARD, json!({"t": token, "i": input})).await;
        assert_eq!(again["errors"][0]["extensions"]["code"], "ALREADY_SUBMITTED", "{again}");
        codes.push((done["id"].as_str().unwrap().to_owned(), code));
    }
    app.run_background_until_idle().await;
    let made = shopify.discounts(app.shop().as_str());
    assert_eq!(made.len(), 2, "one discount per submission: {made:?}");
    // The one-star and the five-star customer get the very same reward.
    let strip = |d: &Value| {
        let mut d = d.clone();
        for k in ["code", "title", "startsAt", "endsAt"] {
            d.as_object_mut().unwrap().remove(k);
        }
        d
    };
    assert_eq!(strip(&made[0]), strip(&made[1]), "no reward depends on the rating");
    assert_eq!(made[0]["usageLimit"], 1);
    assert_eq!(made[0]["customerGets"]["value"]["percentage"], 0.1);
    assert_eq!(made[0]["minimumRequirement"]["subtotal"]["greaterThanOrEqualToSubtotal"], "30.00");

    // The compliance record names the incentive; the thank-you email carries the code.
    let (first_id, first_code) = &codes[0];
    let record = app.graphql("query($id: ID!) { complianceRecord(submissionId: $id) }", json!({"id": first_id})).await;
    let record = &record["data"]["complianceRecord"];
    assert_eq!(record["reward_code"], first_code.as_str(), "{record}");
    assert_eq!(record["incentivised"], true);
    assert!(record["moderation"].as_array().unwrap().iter().any(|e| e["action"] == "reward"), "{record}");
    let mail = sink.wait_for_messages(4).await;
    let thanks: Vec<&String> = mail.iter().filter(|m| decode_qp(m).contains("Subject: Your thank-you")).collect();
    assert_eq!(thanks.len(), 2, "one thank-you each");
    assert!(codes.iter().all(|(_, c)| thanks.iter().any(|m| mime_part(m, "text/plain").contains(c.as_str()))));
    app.finish().await;
}

const DISCLOSED: &str = "query($shop: String!) { testimonials(shop: $shop, placement: PRODUCT, productId: \"101\", first: 10) { nodes { id verifiedBuyer incentivised } } collectionNote(shop: $shop) }";

async fn storefront(app: &TestApp, query: &str, shop: &str) -> Value {
    let body = json!({"query": query, "variables": {"shop": shop}});
    app.client.post(app.url("/api/storefront/graphql")).json(&body).send().await.unwrap().json().await.unwrap()
}

/// The proxy's HTML of each testimonial, by id.
fn items_of(html: &str) -> std::collections::HashMap<String, String> {
    html.split("<li class=\"reelproof__item\" data-testimonial=\"")
        .skip(1)
        .map(|s| (s[..s.find('"').unwrap()].to_owned(), s[..s.find("</li>").unwrap()].to_owned()))
        .collect()
}

#[tokio::test]
async fn the_storefront_shows_the_verified_and_reward_badges_exactly_where_they_apply() {
    use entity::testimonial_submissions as subs;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let app = TestApp::spawn().await;
    let verified = super::storefront::published(&app, 101).await;
    let imported = super::storefront::published(&app, 101).await;
    let rewarded = super::storefront::published(&app, 101).await;
    let a = &app;
    let row = |id: &str| {
        let id: entity::SubmissionId = id.parse().unwrap();
        async move { subs::Entity::find_by_id(id).one(a.db()).await.unwrap().unwrap() }
    };
    let mut i: subs::ActiveModel = row(&imported).await.into();
    i.source = Set(entity::SubmissionSource::Import);
    i.request_id = Set(None);
    i.update(app.db()).await.unwrap();
    let mut r: subs::ActiveModel = row(&rewarded).await.into();
    r.incentivised = Set(true);
    r.update(app.db()).await.unwrap();

    let shop = app.shop().as_str().to_owned();
    let body = storefront(&app, DISCLOSED, &shop).await;
    let nodes = body["data"]["testimonials"]["nodes"].as_array().unwrap_or_else(|| panic!("{body}"));
    let flags = |id: &str| {
        let n = nodes.iter().find(|n| n["id"] == id).unwrap_or_else(|| panic!("{id} in {body}"));
        (n["verifiedBuyer"].as_bool().unwrap(), n["incentivised"].as_bool().unwrap())
    };
    assert_eq!(flags(&verified), (true, false));
    assert_eq!(flags(&imported), (false, false), "an import is no verified purchase");
    assert_eq!(flags(&rewarded), (true, true));
    let note = body["data"]["collectionNote"].as_str().unwrap();
    assert!(note.contains("Verified buyer") && note.contains("reward"), "the built-in note: {note}");

    // The same in the HTML the theme shows (the app proxy and the metafields).
    let secret = reelproof_tests::TEST_API_SECRET;
    let proxy = |extra: &'static [(&'static str, &'static str)]| {
        let url = super::storefront::proxy_url(a, "/products/101", extra, secret);
        async move { a.client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let html = proxy(&[]).await;
    let items = items_of(&html);
    assert_eq!(items.len(), 3, "{html}");
    let has = |id: &str, badge: &str| items[id].contains(badge);
    assert!(has(&verified, "Verified buyer") && !has(&verified, "Received a reward"));
    assert!(!has(&imported, "Verified buyer") && !has(&imported, "Received a reward"));
    assert!(has(&rewarded, "Verified buyer") && has(&rewarded, "Received a reward for reviewing"));
    assert!(html.contains("<summary>How we collect testimonials</summary>"), "{html}");
    // The structured data stays as it was: three reviews, badges are not ratings.
    let ld = super::storefront::json_ld(&html);
    assert_eq!(ld[0]["review"].as_array().unwrap().len(), 3);

    // The merchant's own note, escaped; an empty note shows none.
    let set =
        "mutation($n: String) { updateShopSettings(input: {collectionNote: $n}) { settings { collectionNote } } }";
    let saved = app.graphql(set, json!({"n": "We ask <b>every</b> buyer {{ shop.name }}."})).await;
    assert_eq!(
        saved["data"]["updateShopSettings"]["settings"]["collectionNote"],
        "We ask <b>every</b> buyer {{ shop.name }}."
    );
    let html = proxy(&[("format", "fragment")]).await;
    assert!(
        html.contains("<p>We ask &lt;b&gt;every&lt;&#x2f;b&gt; buyer &#123;&#123; shop.name &#125;&#125;.</p>")
            || html.contains("<p>We ask &lt;b&gt;every&lt;/b&gt; buyer &#123;&#123; shop.name &#125;&#125;.</p>"),
        "{html}"
    );
    app.graphql(set, json!({"n": ""})).await;
    assert!(!proxy(&[]).await.contains("reelproof__note"));
    assert!(storefront(&app, DISCLOSED, &shop).await["data"]["collectionNote"].is_null());
    let too_long = app.graphql(set, json!({"n": "x".repeat(601)})).await;
    assert_eq!(too_long["errors"][0]["extensions"]["fields"][0]["field"], "collectionNote", "{too_long}");
    app.finish().await;
}

#[tokio::test]
async fn the_thank_you_screen_shows_the_discount_code_after_a_one_star_testimonial() {
    let shopify = FakeShopify::start().await;
    let sink = SmtpSink::start().await;
    let app = connected_with_email(&shopify, &sink).await;
    let reward = json!({"kind": "FIXED_AMOUNT", "value": "5.00", "expiresInDays": 60});
    active(&app, json!({"delayDays": 0, "reward": reward})).await;
    app.webhook("orders/paid", &fixtures::order(5_201, &[(31, 101)], Some("ada@example.com"))).await;
    assert_eq!(app.run_scheduler_once().await.sent, 1);
    let stars = star_links(&sink.wait_for_messages(1).await[0]);
    app.advance_clock(Duration::hours(1));

    let b = Browser::launch(&[PHONE]).await;
    b.client.set_window_size(390, 844).await.unwrap();
    b.client.goto(&stars[0]).await.unwrap();
    b.text_of("[data-testid=chosen-rating]", LONG).await;
    b.client.find(Locator::Css("[data-testid=text-only]")).await.unwrap().click().await.unwrap();
    let fill = |testid: &'static str, text: &'static str| {
        let client = b.client.clone();
        async move {
            let el = client.find(Locator::Css(&format!("[data-testid={testid}]"))).await.unwrap();
            el.send_keys(text).await.unwrap();
        }
    };
    fill("quote", "Not for me, but delivered quickly.").await;
    b.client.find(Locator::Css("[data-testid=name]")).await.unwrap().clear().await.unwrap();
    fill("name", "Ada Lovelace").await;
    b.client.find(Locator::Css("[data-testid=consent]")).await.unwrap().click().await.unwrap();
    b.client.find(Locator::Css("[data-testid=send]")).await.unwrap().click().await.unwrap();
    let code = b.text_of("[data-testid=reward-code]", LONG).await;
    assert!(code.starts_with("THANKS-"), "{code}");
    let done = b.text_of("[data-testid=done]", LONG).await;
    assert!(done.contains("We have emailed it to you too."), "the customer has an address: {done}");
    b.screenshot("capture-thank-you-with-code").await;
    b.close().await;

    let sub = entity::testimonial_submissions::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert_eq!(sub.rating, Some(1), "a one-star testimonial");
    assert_eq!(sub.reward_code.as_deref(), Some(code.as_str()), "the code on screen is the one recorded");
    let made = shopify.discounts(app.shop().as_str());
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["code"], code.as_str());
    assert_eq!(made[0]["customerGets"]["value"]["discountAmount"]["amount"], "5.00");
    app.run_background_until_idle().await;
    assert_eq!(shopify.discounts(app.shop().as_str()).len(), 1, "the job finds it done");
    app.finish().await;
}

/// A sent request of an order in `locale`; returns its capture link.
async fn sent_in(app: &TestApp, locale: &str, order_id: i64) -> String {
    let email = format!("c{order_id}@example.com");
    let mut order = fixtures::order(order_id, &[(41, 101)], Some(&email));
    order["customer_locale"] = json!(locale);
    app.webhook("orders/paid", &order).await;
    assert_eq!(app.run_scheduler_once().await.sent, 1);
    let r = super::messaging::request_of_order(app, order_id).await;
    app.url(&format!("/t/{}", app.state().links().capture_token(r.id).expose()))
}

#[tokio::test]
async fn a_french_order_gets_the_french_capture_page_with_the_merchants_own_words() {
    let app = TestApp::spawn().await;
    active(&app, json!({"delayDays": 0})).await;
    let set = "mutation($k: String!, $t: String) { setCaptureText(locale: \"fr\", key: $k, text: $t) { key text overridden } }";
    let saved = app.graphql(set, json!({"k": "choose.text", "t": "Quelques mots suffisent"})).await;
    let row = saved["data"]["setCaptureText"].as_array().unwrap().iter().find(|t| t["key"] == "choose.text").cloned();
    assert_eq!(
        row,
        Some(json!({"key": "choose.text", "text": "Quelques mots suffisent", "overridden": true})),
        "{saved}"
    );
    let bad = app.graphql(set, json!({"k": "no.such", "t": "x"})).await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "VALIDATION", "{bad}");
    let french = sent_in(&app, "fr-CA", 5_301).await;
    let japanese = sent_in(&app, "ja", 5_302).await;
    app.advance_clock(Duration::hours(1));

    let b = Browser::launch(&[PHONE]).await;
    b.client.set_window_size(390, 844).await.unwrap();
    b.client.goto(&french).await.unwrap();
    let record = b.text_of("[data-testid=record]", LONG).await;
    assert_eq!(record, "Enregistrer une vidéo");
    assert_eq!(b.text_of("[data-testid=text-only]", LONG).await, "Quelques mots suffisent", "the merchant's words");
    assert!(b.text_of("h1", LONG).await.starts_with("Votre "));
    assert!(b.text_of("[data-testid=prompt]", LONG).await.starts_with("Qu'en pensez-vous"));
    let doc = b.js("return [document.documentElement.lang, document.documentElement.dir]").await;
    assert_eq!(doc, json!(["fr", "ltr"]));
    b.screenshot("capture-fr").await;
    b.client.find(Locator::Css("[data-testid=text-only]")).await.unwrap().click().await.unwrap();
    assert_eq!(b.text_of("[data-testid=send]", LONG).await, "Envoyer mon témoignage");
    // The campaign kept our prompt and consent: the customer reads them in French too.
    assert!(b.text_of("[data-testid=consent-text]", LONG).await.starts_with("J'accepte que la boutique publie"));

    // Japanese is not shipped: the shop's language (English here).
    b.client.goto(&japanese).await.unwrap();
    assert_eq!(b.text_of("[data-testid=record]", LONG).await, "Record a video");
    assert_eq!(b.js("return document.documentElement.lang").await, "en");
    b.close().await;
    app.finish().await;
}

#[tokio::test]
async fn analytics_count_star_clicks_and_break_the_funnel_down_by_language_and_template() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(|c| c.email.smtp_url = Some(url)).await;
    active(&app, json!({"delayDays": 0})).await;
    for (order, locale) in [(5_401, "fr"), (5_402, "en"), (5_403, "en")] {
        let mut o = fixtures::order(order, &[(order, 101)], Some(&format!("c{order}@example.com")));
        o["customer_locale"] = json!(locale);
        app.webhook("orders/paid", &o).await;
    }
    assert_eq!(app.run_scheduler_once().await.sent, 3);
    let mail = sink.wait_for_messages(3).await;
    // An hour later may be the next day (a run after 23:00 UTC): the questions span both days.
    let sent_day = app.now().date_naive();
    app.advance_clock(Duration::hours(1));
    // The French customer taps the fourth star; one English customer opens the plain link; a
    // mail scanner follows a star of the other.
    let french = mail.iter().find(|m| mime_part(m, "text/plain").contains("Bonjour")).unwrap();
    let english: Vec<&String> = mail.iter().filter(|m| mime_part(m, "text/plain").contains("Hi ")).collect();
    let get = |link: String, agent: &'static str| async move {
        http().get(link).header("user-agent", agent).send().await.unwrap().status()
    };
    let person = &PHONE[13..];
    assert_eq!(get(star_links(french)[3].clone(), person).await, 200);
    let plain = mime_part(english[0], "text/plain");
    let link = plain
        .split_whitespace()
        .find(|w| w.contains("/t/") && !w.contains("/rate/") && !w.contains("postpone"))
        .unwrap();
    assert_eq!(get(link.to_owned(), person).await, 200);
    assert_eq!(get(star_links(english[1])[4].clone(), "Barracuda Sentinel (EE)").await, 200);

    let today = app.now().date_naive();
    server::services::analytics::recompute_recent(app.state()).await.unwrap();
    let funnel = app
        .graphql(
            "query($f: NaiveDate!, $t: NaiveDate!) { analytics(from: $f, to: $t) { totals { sent clicked starClicked } } }",
            json!({"f": sent_day, "t": today}),
        )
        .await;
    assert_eq!(funnel["data"]["analytics"]["totals"], json!({"sent": 3, "clicked": 2, "starClicked": 1}), "{funnel}");

    let q = "query($f: NaiveDate!, $t: NaiveDate!, $by: BreakdownBy!) { analyticsBreakdown(from: $f, to: $t, by: $by) { key sent opened clicked starClicked submitted clickedPerSent } }";
    let by_locale = app.graphql(q, json!({"f": sent_day, "t": today, "by": "LOCALE"})).await;
    assert_eq!(
        by_locale["data"]["analyticsBreakdown"],
        json!([
            {"key": "en", "sent": 2, "opened": 0, "clicked": 1, "starClicked": 0, "submitted": 0, "clickedPerSent": 0.5},
            {"key": "fr", "sent": 1, "opened": 0, "clicked": 1, "starClicked": 1, "submitted": 0, "clickedPerSent": 1.0},
        ]),
        "{by_locale}"
    );
    let by_template = app.graphql(q, json!({"f": sent_day, "t": today, "by": "TEMPLATE"})).await;
    assert_eq!(by_template["data"]["analyticsBreakdown"][0]["key"], "Default", "{by_template}");
    assert_eq!(by_template["data"]["analyticsBreakdown"][0]["sent"], 3);
    app.finish().await;
}

#[tokio::test]
async fn the_consent_text_is_the_campaigns_own_in_the_customers_language_and_recorded_as_read() {
    let app = TestApp::spawn().await;
    let own = "I agree that Acme may show my video on acme.example.";
    let french = "J'accepte qu'Acme montre ma vidéo sur acme.example.";
    let id =
        active(&app, json!({"delayDays": 0, "consentText": own, "consentTexts": [{"locale": "fr", "text": french}]}))
            .await;
    let fr = sent_in(&app, "fr", 5_501).await;
    let de = sent_in(&app, "de", 5_502).await;
    app.advance_clock(Duration::hours(1));
    let token = |link: &str| link.rsplit('/').next().unwrap().to_owned();
    let q = "query($t: String!) { capture(token: $t) { consentText consentVersion } }";
    let read = |t: String| {
        let app = &app;
        async move { app.public_graphql(q, json!({"t": t})).await["data"]["capture"].clone() }
    };
    assert_eq!(read(token(&fr)).await["consentText"], french, "the campaign's French");
    assert_eq!(read(token(&de)).await["consentText"], own, "no German of theirs: their default, not ours");
    // What the French customer agreed to is what is recorded.
    let input = json!({"displayName": "Ada", "quote": "Très bien", "consentPublish": true, "consentVersion": read(token(&fr)).await["consentVersion"]});
    let s = app
        .public_graphql(
            "mutation($t: String!, $i: SubmitTestimonialInput!) { submitTestimonial(token: $t, input: $i) { id } }",
            json!({"t": token(&fr), "i": input}),
        )
        .await;
    assert!(s["errors"].is_null(), "{s}");
    let sub = entity::testimonial_submissions::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert_eq!(sub.consent_text, french);
    // A bad language is refused by name; a change of a translation is a new consent version.
    let upd = "mutation($id: ID!, $i: UpdateCampaignInput!) { updateCampaign(id: $id, input: $i) { consentVersion consentTexts { locale text } } }";
    let bad = app.graphql(upd, json!({"id": id, "i": {"consentTexts": [{"locale": "xx", "text": "x"}]}})).await;
    assert_eq!(bad["errors"][0]["extensions"]["fields"][0]["field"], "consentTexts", "{bad}");
    let before = read(token(&de)).await["consentVersion"].as_i64().unwrap();
    let ok =
        app.graphql(upd, json!({"id": id, "i": {"consentTexts": [{"locale": "fr", "text": "Nouveau texte."}]}})).await;
    assert_eq!(ok["data"]["updateCampaign"]["consentVersion"], before + 1, "{ok}");
    assert_eq!(ok["data"]["updateCampaign"]["consentTexts"], json!([{"locale": "fr", "text": "Nouveau texte."}]));
    app.finish().await;
}
