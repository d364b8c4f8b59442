//! What comes back after a send: signed provider callbacks (SendGrid, Postmark, Twilio), our
//! click tracking and open pixel, and telling people from mail scanners.

use super::campaigns::active;
use super::messaging::{only_request, timeline};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Duration;
use entity::{RequestEventType, RequestStatus, testimonial_request_events as events};
use reelproof_tests::{TestApp, fixtures};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use server::providers::callbacks::sendgrid::PublicKey;

const EMAIL: &str = "ada@example.com";
const BROWSER: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15";

fn keypair() -> EcdsaKeyPair {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap()
}

fn public_key(kp: &EcdsaKeyPair) -> PublicKey {
    PublicKey::from_base64_der(&PublicKey::spki_base64(kp.public_key().as_ref())).unwrap()
}

async fn post_sendgrid(app: &TestApp, kp: &EcdsaKeyPair, body: &str) -> reqwest::Response {
    let ts = app.now().timestamp().to_string();
    let sig = STANDARD.encode(kp.sign(&SystemRandom::new(), &[ts.as_bytes(), body.as_bytes()].concat()).unwrap());
    reelproof_tests::http()
        .post(app.url("/webhooks/messaging/sendgrid"))
        .header("X-Twilio-Email-Event-Webhook-Signature", sig)
        .header("X-Twilio-Email-Event-Webhook-Timestamp", ts)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn event_count(app: &TestApp) -> usize {
    events::Entity::find().all(app.db()).await.unwrap().len()
}

/// A campaign, an order and its first message sent (to the outbox).
async fn sent_request(app: &TestApp, channel: &str) -> entity::testimonial_requests::Model {
    active(app, json!({"delayDays": 0, "channel": channel})).await;
    app.webhook("orders/paid", &fixtures::order(8_001, &[(11, 101)], Some(EMAIL))).await;
    assert_eq!(app.run_scheduler_once().await.sent, 1);
    only_request(app).await
}

#[tokio::test]
async fn sendgrid_events_are_recorded_once_and_forgeries_refused() {
    let kp = keypair();
    let key = public_key(&kp);
    let app = TestApp::spawn_with(|c| c.callbacks.sendgrid_public_key = Some(key)).await;
    let r = sent_request(&app, "EMAIL").await;
    let t = app.now().timestamp();
    let batch = json!([
        { "event": "processed", "email": EMAIL, "timestamp": t, "reelproof_request_id": r.id.to_string(), "sg_event_id": "p1" },
        { "event": "delivered", "email": EMAIL, "timestamp": t + 2, "reelproof_request_id": r.id.to_string(), "sg_event_id": "d1", "response": "250 OK" },
        { "event": "open", "email": EMAIL, "timestamp": t + 3600, "useragent": BROWSER, "reelproof_request_id": r.id.to_string(), "sg_event_id": "o1" },
        // Found through the Message-ID we set, not a custom argument; a link scanner.
        { "event": "click", "email": EMAIL, "timestamp": t + 3, "smtp-id": r.provider_message_id.clone().unwrap(), "useragent": "Mozilla/5.0 (compatible; Barracuda Sentinel)", "url": "https://x/t/y", "sg_event_id": "c1" },
        { "event": "delivered", "email": "someone@else.example", "timestamp": t, "reelproof_request_id": uuid::Uuid::now_v7().to_string() }
    ])
    .to_string();
    let before = event_count(&app).await;
    let res = post_sendgrid(&app, &kp, &batch).await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["report"], json!({"recorded": 3, "duplicates": 0, "unmatched": 1}), "{body}");
    assert_eq!(event_count(&app).await, before + 3);

    // The same batch again (SendGrid retries): 2xx, nothing added.
    let res = post_sendgrid(&app, &kp, &batch).await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["report"]["duplicates"], 3, "{body}");
    assert_eq!(event_count(&app).await, before + 3);

    let tl = server::store::request_events::timeline(app.db(), app.shop_id(), r.id).await.unwrap();
    let delivered = tl.iter().find(|e| e.event_type == RequestEventType::Delivered).unwrap();
    let payload = delivered.payload.clone().unwrap();
    assert_eq!(payload["provider"], "sendgrid");
    assert_eq!(payload["event"]["email"], "[redacted]", "no personal data in the timeline: {payload}");
    let opened = tl.iter().find(|e| e.event_type == RequestEventType::Opened).unwrap();
    assert_eq!(opened.payload.as_ref().unwrap()["actor"], "human");
    let clicked = tl.iter().find(|e| e.event_type == RequestEventType::Clicked).unwrap();
    assert_eq!(clicked.payload.as_ref().unwrap()["machine"], true);
    assert_eq!(only_request(&app).await.status, RequestStatus::Sent, "a scanner's click is not the customer's");

    // Forgeries: another key, a changed body, no signature at all.
    let forged = post_sendgrid(&app, &keypair(), &batch).await;
    assert_eq!(forged.status(), 401);
    let ts = app.now().timestamp().to_string();
    let sig = STANDARD.encode(kp.sign(&SystemRandom::new(), &[ts.as_bytes(), b"[]"].concat()).unwrap());
    let tampered = reelproof_tests::http()
        .post(app.url("/webhooks/messaging/sendgrid"))
        .header("X-Twilio-Email-Event-Webhook-Signature", sig)
        .header("X-Twilio-Email-Event-Webhook-Timestamp", ts)
        .body(batch.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 401);
    let unsigned =
        reelproof_tests::http().post(app.url("/webhooks/messaging/sendgrid")).body(batch).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);
    assert_eq!(event_count(&app).await, before + 3);
    app.finish().await;
}

#[tokio::test]
async fn a_postmark_hard_bounce_fails_the_request_with_an_alert() {
    let app = TestApp::spawn_with(|c| c.callbacks.postmark_basic_auth = Some("hook:s3cret".into())).await;
    let r = sent_request(&app, "EMAIL").await;
    let post = |auth: &'static str, body: serde_json::Value| {
        reelproof_tests::http()
            .post(app.url("/webhooks/messaging/postmark"))
            .basic_auth(auth.split(':').next().unwrap(), auth.split(':').nth(1))
            .json(&body)
            .send()
    };
    let bounce = json!({
        "RecordType": "Bounce", "Type": "HardBounce", "MessageID": "pm-1", "Email": EMAIL,
        "Description": "The server was unable to deliver your message", "BouncedAt": app.now().to_rfc3339(),
        "Metadata": { "reelproof_request_id": r.id.to_string() }
    });
    assert_eq!(post("hook:wrong", bounce.clone()).await.unwrap().status(), 401);
    assert_eq!(only_request(&app).await.status, RequestStatus::Sent);

    assert_eq!(post("hook:s3cret", bounce.clone()).await.unwrap().status(), 200);
    let failed = only_request(&app).await;
    assert_eq!(failed.status, RequestStatus::Failed);
    assert!(failed.last_error.unwrap().contains("HardBounce"));
    let alerts = entity::alerts::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].message.contains("Product 101"), "{}", alerts[0].message);

    // Replayed: still 200, nothing more.
    let n = event_count(&app).await;
    assert_eq!(post("hook:s3cret", bounce).await.unwrap().status(), 200);
    assert_eq!(event_count(&app).await, n);
    assert_eq!(entity::alerts::Entity::find().all(app.db()).await.unwrap().len(), 1);
    assert_eq!(
        timeline(&app, r.id).await,
        [RequestEventType::Scheduled, RequestEventType::Queued, RequestEventType::Sent, RequestEventType::Failed]
    );
    app.finish().await;
}

#[tokio::test]
async fn channel_both_records_each_message_and_twilio_callbacks_are_verified() {
    let app = TestApp::spawn_with(|c| c.callbacks.twilio_auth_token = Some("twilio-token".into())).await;
    let r = sent_request(&app, "BOTH").await;
    let sent: Vec<_> = events::Entity::find().filter(events::Column::EventType.eq("sent")).all(app.db()).await.unwrap();
    let channels: Vec<_> = sent.iter().map(|e| e.payload.as_ref().unwrap()["channel"].clone()).collect();
    assert_eq!(channels, [json!("email"), json!("sms")], "one sent event per channel");
    let sms_id = sent[1].provider_message_id.clone().unwrap();

    let path = format!("/webhooks/messaging/twilio?request_id={}", r.id);
    let params = vec![
        ("AccountSid".to_owned(), "AC123".to_owned()),
        ("MessageSid".to_owned(), sms_id.clone()),
        ("MessageStatus".to_owned(), "delivered".to_owned()),
        ("To".to_owned(), "+15550101234".to_owned()),
    ];
    let post = |signature: String| {
        reelproof_tests::http()
            .post(app.url(&path))
            .header("X-Twilio-Signature", signature)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter()).finish())
            .send()
    };
    let good = server::providers::callbacks::twilio::signature("twilio-token", &app.url(&path), &params);
    let bad = server::providers::callbacks::twilio::signature("other-token", &app.url(&path), &params);
    assert_eq!(post(bad).await.unwrap().status(), 401);
    assert_eq!(post(good.clone()).await.unwrap().status(), 200);
    assert_eq!(post(good).await.unwrap().status(), 200, "a replay is still 2xx");
    let delivered: Vec<_> =
        events::Entity::find().filter(events::Column::EventType.eq("delivered")).all(app.db()).await.unwrap();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].provider_message_id.as_deref(), Some(sms_id.as_str()));
    assert_eq!(delivered[0].payload.as_ref().unwrap()["event"]["To"], "[redacted]");
    app.finish().await;
}

#[tokio::test]
async fn callbacks_of_unconfigured_or_unknown_providers_are_not_found() {
    let app = TestApp::spawn().await;
    for p in ["sendgrid", "postmark", "twilio", "mailgun"] {
        let res =
            reelproof_tests::http().post(app.url(&format!("/webhooks/messaging/{p}"))).body("[]").send().await.unwrap();
        assert_eq!(res.status(), 404, "{p}");
    }
    app.finish().await;
}

#[tokio::test]
async fn the_capture_link_records_human_clicks_and_flags_scanners() {
    let app = TestApp::spawn().await;
    let r = sent_request(&app, "EMAIL").await;
    let link = app.url(&format!("/t/{}", app.state().links().capture_token(r.id).expose()));
    let client = reelproof_tests::http();

    // Within seconds of the send, a HEAD, a scanner, a prefetch: recorded as machine, no status change.
    let fast = client.get(&link).header("user-agent", BROWSER).send().await.unwrap();
    assert_eq!(fast.status(), 200);
    app.advance_clock(Duration::minutes(5));
    assert_eq!(client.head(&link).header("user-agent", BROWSER).send().await.unwrap().status(), 200);
    app.advance_clock(Duration::minutes(1));
    let scanner = client.get(&link).header("user-agent", "Mozilla/5.0 (compatible; proofpoint)").send().await.unwrap();
    assert_eq!(scanner.status(), 200);
    app.advance_clock(Duration::minutes(1));
    client.get(&link).header("user-agent", BROWSER).header("Sec-Purpose", "prefetch").send().await.unwrap();
    assert_eq!(only_request(&app).await.status, RequestStatus::Sent);
    let reasons: Vec<_> = server::store::request_events::timeline(app.db(), app.shop_id(), r.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == RequestEventType::Clicked)
        .map(|e| e.payload.unwrap()["reason"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(reasons, ["within_seconds_of_send", "head_request", "scanner_user_agent", "prefetch"]);

    // The customer.
    app.advance_clock(Duration::hours(2));
    let page = client.get(&link).header("user-agent", BROWSER).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page.text().await.unwrap().contains("Product 101"));
    let clicked = only_request(&app).await;
    assert_eq!(clicked.status, RequestStatus::Clicked);
    assert_eq!(clicked.clicked_at, Some(app.now()));

    // Bad, unknown and expired links.
    assert_eq!(client.get(app.url("/t/not-a-token")).send().await.unwrap().status(), 404);
    let unknown = server::domain::tokens::CaptureToken::generate();
    assert_eq!(client.get(app.url(&format!("/t/{}", unknown.expose()))).send().await.unwrap().status(), 404);
    app.advance_clock(Duration::days(31));
    assert_eq!(client.get(&link).header("user-agent", BROWSER).send().await.unwrap().status(), 410);
    app.finish().await;
}

#[tokio::test]
async fn the_open_pixel_records_signed_opens_only() {
    let app = TestApp::spawn().await;
    let r = sent_request(&app, "EMAIL").await;
    let eml = std::fs::read_dir(app.state().config().data_dir.join("outbox"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .find(|t| t.contains("Message-ID"))
        .unwrap();
    let sig = app.state().links().sign("open", r.id);
    assert!(
        eml.replace("=\r\n", "").replace("=3D", "=").contains(&format!("/o/{}/{sig}.gif", r.id)),
        "pixel in the HTML part"
    );
    app.advance_clock(Duration::hours(1));
    let client = reelproof_tests::http();
    let res =
        client.get(app.url(&format!("/o/{}/{sig}.gif", r.id))).header("user-agent", BROWSER).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/gif");
    let forged = client.get(app.url(&format!("/o/{}/AAAAAAAAAAAAAAAAAAAAAA.gif", r.id))).send().await.unwrap();
    assert_eq!(forged.status(), 200, "a forged pixel looks the same from outside");
    let opens: Vec<_> = server::store::request_events::timeline(app.db(), app.shop_id(), r.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == RequestEventType::Opened)
        .collect();
    assert_eq!(opens.len(), 1);
    assert_eq!(opens[0].payload.as_ref().unwrap()["actor"], "human");
    app.finish().await;
}

#[tokio::test]
async fn a_send_the_provider_accepted_before_a_crash_is_not_repeated() {
    let app = TestApp::spawn().await;
    active(&app, json!({"delayDays": 0})).await;
    app.webhook("orders/paid", &fixtures::order(8_002, &[(11, 101)], Some(EMAIL))).await;
    // A sender claims the request, hands the message to the provider, and dies before
    // recording it.
    let now = app.now();
    let claimed =
        server::store::requests::claim_due_all_shops(app.db(), now, now + Duration::minutes(10), 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let r = &claimed[0];
    let email = server::providers::email::OutgoingEmail {
        from: "Shop <no-reply@reelproof.localhost>".into(),
        reply_to: None,
        to: EMAIL.into(),
        subject: "Hi".into(),
        html: "<p>Hi</p>".into(),
        text: "Hi".into(),
        idempotency_key: format!("{}:request", r.id),
        request_id: Some(r.id),
        unsubscribe_url: None,
    };
    let accepted_id = app.state().email().send(&email).await.unwrap();
    // Nobody else takes it while the lease holds.
    assert_eq!(app.run_scheduler_once().await.claimed, 0);
    // After the lease, another sender takes over and records the accepted message.
    app.advance_clock(Duration::minutes(11));
    let report = app.run_scheduler_once().await;
    assert_eq!(report.sent, 1, "{report:?}");
    let after = only_request(&app).await;
    assert_eq!(after.status, RequestStatus::Sent);
    assert_eq!(after.provider_message_id.as_deref(), Some(accepted_id.as_str()));
    let files = std::fs::read_dir(app.state().config().data_dir.join("outbox")).unwrap().count();
    assert_eq!(files, 1, "exactly one message left the building");
    app.finish().await;
}

#[tokio::test]
async fn one_click_unsubscribe_ends_the_customers_requests_and_plans_no_more() {
    let app = TestApp::spawn().await;
    active(&app, json!({"delayDays": 0})).await;
    app.webhook("orders/paid", &fixtures::order(8_101, &[(11, 101), (12, 102)], Some(EMAIL))).await;
    assert_eq!(app.run_scheduler_once().await.sent, 2);
    let eml = std::fs::read_dir(app.state().config().data_dir.join("outbox"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .next()
        .unwrap()
        .replace("=\r\n", "");
    let line = eml.lines().find(|l| l.starts_with("List-Unsubscribe: ")).expect("List-Unsubscribe header");
    assert!(eml.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    let url = line.trim_start_matches("List-Unsubscribe: <").trim_end_matches('>');
    assert!(url.starts_with(&app.url("/u/")), "{url}");

    // What a mailbox provider's one-click POST looks like (RFC 8058).
    let res = reelproof_tests::http()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let rows = entity::testimonial_requests::Entity::find().all(app.db()).await.unwrap();
    assert!(
        rows.iter()
            .all(|r| r.status == RequestStatus::Expired && r.expire_reason == Some(entity::ExpireReason::Unsubscribed))
    );

    // A later order plans nothing for this customer; another customer is not affected.
    app.webhook("orders/paid", &fixtures::order(8_102, &[(13, 103)], Some(EMAIL))).await;
    app.webhook("orders/paid", &fixtures::order(8_103, &[(14, 104)], Some("bob@example.com"))).await;
    let rows = entity::testimonial_requests::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows.iter().filter(|r| r.customer_email.as_deref() == Some("bob@example.com")).count(), 1);
    let delivery = entity::webhook_deliveries::Entity::find()
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.result.as_ref().is_some_and(|r| r.to_string().contains("unsubscribed")));
    assert!(delivery.is_some(), "the delivery says why nothing was planned");
    // Unsubscribing twice is harmless; an unknown token is 404.
    assert_eq!(reelproof_tests::http().post(url).send().await.unwrap().status(), 200);
    let unknown = app.url(&format!("/u/{}", server::domain::tokens::CaptureToken::generate().expose()));
    assert_eq!(reelproof_tests::http().post(unknown).send().await.unwrap().status(), 404);
    app.finish().await;
}

#[tokio::test]
async fn a_spam_report_suppresses_the_customer() {
    let kp = keypair();
    let key = public_key(&kp);
    let app = TestApp::spawn_with(|c| c.callbacks.sendgrid_public_key = Some(key)).await;
    let r = sent_request(&app, "EMAIL").await;
    let batch = json!([{ "event": "spamreport", "email": EMAIL, "timestamp": app.now().timestamp(), "reelproof_request_id": r.id.to_string() }]);
    assert_eq!(post_sendgrid(&app, &kp, &batch.to_string()).await.status(), 200);
    let after = only_request(&app).await;
    assert_eq!((after.status, after.expire_reason), (RequestStatus::Expired, Some(entity::ExpireReason::Unsubscribed)));
    assert_eq!(entity::suppressions::Entity::find().all(app.db()).await.unwrap().len(), 1);
    app.finish().await;
}
