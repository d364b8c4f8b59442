//! Reminders (spec 001 §5) against a real SMTP server: when they go, that they carry the same
//! link, and every hard stop; and the customer's "not arrived yet" postponement.

use super::campaigns::{active, set_status};
use super::messaging::{decode_qp, only_request, timeline};
use chrono::Duration;
use entity::{RequestEventType, RequestStatus, testimonial_requests as requests};
use reelproof_tests::smtp::SmtpSink;
use reelproof_tests::{TestApp, fixtures};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::json;
use server::store::requests::{ChangeDetails, transition};

const EMAIL: &str = "ada@example.com";

fn capture_link(app: &TestApp, msg: &str) -> String {
    let prefix = format!("{}/t/", app.url(""));
    let at = msg.find(&prefix).expect("capture link in the message");
    msg[at..at + prefix.len() + 43].to_owned()
}

async fn smtp_app() -> (SmtpSink, TestApp) {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(|c| c.email.smtp_url = Some(url)).await;
    (sink, app)
}

#[tokio::test]
async fn reminders_follow_the_window_with_the_same_link_up_to_the_maximum() {
    let (sink, app) = smtp_app().await;
    active(
        &app,
        json!({"delayDays": 0, "reminderEnabled": true, "reminderDelayDays": 3, "maxReminders": 2, "tokenTtlDays": 60}),
    )
    .await;
    app.webhook("orders/paid", &fixtures::order(9_001, &[(11, 101)], Some(EMAIL))).await;
    assert_eq!(app.run_scheduler_once().await.sent, 1);
    let first = decode_qp(&sink.wait_for_messages(1).await[0]);
    let link = capture_link(&app, &first);

    // Not before the window.
    app.advance_clock(Duration::days(3) - Duration::minutes(1));
    assert_eq!(app.run_scheduler_once().await.reminders_sent, 0);
    assert_eq!(sink.messages().len(), 1);

    app.advance_clock(Duration::minutes(2));
    assert_eq!(app.run_scheduler_once().await.reminders_sent, 1);
    let reminder = decode_qp(&sink.wait_for_messages(2).await[1]);
    assert!(reminder.contains("Subject: A quick reminder about your Product 101"), "{reminder}");
    assert_eq!(capture_link(&app, &reminder), link, "the reminder carries the first message's link");
    // The link still works after the reminder.
    let page = reelproof_tests::http().get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(app.run_scheduler_once().await.reminders_sent, 0, "one reminder per window");

    app.advance_clock(Duration::days(3));
    assert_eq!(app.run_scheduler_once().await.reminders_sent, 1);
    sink.wait_for_messages(3).await;

    // The maximum is two.
    app.advance_clock(Duration::days(20));
    assert_eq!(app.run_scheduler_once().await.reminders_sent, 0);
    assert_eq!(sink.messages().len(), 3);
    let r = only_request(&app).await;
    assert_eq!((r.reminder_count, r.next_reminder_at), (2, None));
    let events = timeline(&app, r.id).await;
    assert_eq!(events.iter().filter(|e| **e == RequestEventType::ReminderSent).count(), 2, "{events:?}");
    app.finish().await;
}

#[tokio::test]
async fn no_reminder_after_submission_expiry_or_campaign_pause() {
    let (sink, app) = smtp_app().await;
    let campaign =
        active(&app, json!({"delayDays": 0, "reminderDelayDays": 3, "maxReminders": 3, "tokenTtlDays": 60})).await;
    app.webhook("orders/paid", &fixtures::order(9_002, &[(11, 101), (12, 102), (13, 103)], Some(EMAIL))).await;
    assert_eq!(app.run_scheduler_once().await.sent, 3);
    sink.wait_for_messages(3).await;
    let rows = requests::Entity::find().order_by_asc(requests::Column::ProductId).all(app.db()).await.unwrap();
    let (db, shop, now) = (app.db(), app.shop_id(), app.now());
    transition(db, shop, rows[0].id, RequestStatus::Submitted, now, ChangeDetails::default()).await.unwrap();
    transition(db, shop, rows[1].id, RequestStatus::Expired, now, ChangeDetails::default()).await.unwrap();

    // Only the third (still open) request is reminded.
    app.advance_clock(Duration::days(3));
    assert_eq!(app.run_scheduler_once().await.reminders_sent, 1);
    sink.wait_for_messages(4).await;

    // Paused before its next reminder: none, and none after the campaign is resumed either.
    let paused = set_status(&app, "pauseCampaign", &campaign).await;
    assert_eq!(paused["data"]["pauseCampaign"]["status"], "PAUSED", "{paused}");
    app.advance_clock(Duration::days(3));
    assert_eq!(app.run_scheduler_once().await.reminders_sent, 0);
    set_status(&app, "activateCampaign", &campaign).await;
    app.advance_clock(Duration::days(3));
    assert_eq!(app.run_scheduler_once().await.reminders_sent, 0);
    assert_eq!(sink.messages().len(), 4);
    for r in requests::Entity::find().all(app.db()).await.unwrap() {
        assert_eq!(r.next_reminder_at, None, "{:?} has no reminder left", r.status);
    }
    app.finish().await;
}

#[tokio::test]
async fn not_arrived_yet_postpones_the_link_and_the_reminders_once() {
    let (sink, app) = smtp_app().await;
    active(
        &app,
        json!({"delayDays": 0, "reminderDelayDays": 3, "maxReminders": 1, "postponeDays": 7, "maxPostpones": 1}),
    )
    .await;
    app.webhook("orders/paid", &fixtures::order(9_003, &[(11, 101)], Some(EMAIL))).await;
    app.run_scheduler_once().await;
    let msg = decode_qp(&sink.wait_for_messages(1).await[0]);
    let link = capture_link(&app, &msg);
    assert!(msg.contains(&format!("{link}/postpone")), "the message offers the postpone link: {msg}");
    let before = only_request(&app).await;

    // The GET only shows a confirmation (mail scanners follow links); nothing moves.
    let page = reelproof_tests::http().get(format!("{link}/postpone")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form method=\"post\""));
    assert_eq!(only_request(&app).await.postpone_count, 0);

    let client = reelproof_tests::http();
    let done = client.post(format!("{link}/postpone")).send().await.unwrap();
    assert_eq!(done.status(), 200);
    let after = only_request(&app).await;
    assert_eq!(after.postpone_count, 1);
    assert_eq!(after.expires_at, before.expires_at + Duration::days(7));
    assert_eq!(after.next_reminder_at, before.next_reminder_at.map(|t| t + Duration::days(7)));
    assert_eq!(after.status, RequestStatus::Sent, "postponing is not a status change");

    // Once only.
    let again = client.post(format!("{link}/postpone")).send().await.unwrap();
    assert_eq!(again.status(), 409);

    // The reminder comes 3 + 7 days after the first message, not 3.
    app.advance_clock(Duration::days(3));
    assert_eq!(app.run_scheduler_once().await.reminders_sent, 0);
    app.advance_clock(Duration::days(7));
    assert_eq!(app.run_scheduler_once().await.reminders_sent, 1);
    let reminder = decode_qp(&sink.wait_for_messages(2).await[1]);
    assert!(!reminder.contains("/postpone"), "no postpone link once it is used up: {reminder}");
    app.finish().await;
}

#[tokio::test]
async fn after_a_key_rotation_the_link_already_sent_works_and_the_reminder_carries_it() {
    let (sink, app) = smtp_app().await;
    active(
        &app,
        json!({"delayDays": 0, "reminderEnabled": true, "reminderDelayDays": 3, "maxReminders": 2, "tokenTtlDays": 60}),
    )
    .await;
    app.webhook("orders/paid", &fixtures::order(4_101, &[(11, 101)], Some(EMAIL))).await;
    assert_eq!(app.run_scheduler_once().await.sent, 1);
    let first = decode_qp(&sink.wait_for_messages(1).await[0]);
    let token = capture_link(&app, &first).rsplit('/').next().unwrap().to_owned();

    // The operator rotates the key: a new one, the old one kept as the previous key.
    let old = app.state().config().encryption_key.clone();
    let rotated = app
        .replica_with(|c| {
            c.previous_encryption_key = Some(old);
            c.encryption_key = server::domain::secrets::EncryptionKey::generate();
        })
        .await;
    // The link in the customer's inbox still opens on the rotated server…
    let opened = reelproof_tests::json_of(reelproof_tests::http().post(rotated.url("/api/public/graphql")).json(
        &json!({"query": "query($t: String!) { capture(token: $t) { productTitle } }", "variables": {"t": token}}),
    ))
    .await;
    assert_eq!(opened["data"]["capture"]["productTitle"], "Product 101", "{opened}");
    // …and the reminder it sends carries that same link.
    rotated.state().clock().advance(Duration::days(3) + Duration::minutes(1));
    let report = server::services::messaging::run_once(rotated.state()).await.unwrap();
    assert_eq!(report.reminders_sent, 1, "{report:?}");
    let reminder = decode_qp(&sink.wait_for_messages(2).await[1]);
    assert!(reminder.contains(&format!("/t/{token}")), "the reminder carries the link already sent: {reminder}");
    rotated.stop().await;
    app.finish().await;
}
