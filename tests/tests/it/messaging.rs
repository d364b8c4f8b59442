//! The sender against a real SMTP server (aiosmtpd).

use super::campaigns::active;
use chrono::Duration;
use entity::{RequestEventType, RequestStatus, testimonial_requests as requests};
use reelproof_tests::smtp::SmtpSink;
use reelproof_tests::{TestApp, fixtures};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use server::domain::tokens::{CaptureToken, TokenHash};

const ORDER: i64 = 7_000_000_000_000_000_001;
const EMAIL: &str = "ada@example.com";

/// Undoes quoted-printable soft line breaks and escapes, enough to read links and text.
pub fn decode_qp(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub async fn only_request(app: &TestApp) -> requests::Model {
    let mut all = requests::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(all.len(), 1);
    all.remove(0)
}

/// The request of the order (the only line item's).
pub async fn request_of_order(app: &TestApp, order_id: i64) -> requests::Model {
    requests::Entity::find()
        .filter(requests::Column::ShopifyOrderId.eq(order_id))
        .one(app.db())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("a request for order {order_id}"))
}

pub async fn timeline(app: &TestApp, id: entity::RequestId) -> Vec<RequestEventType> {
    server::store::request_events::timeline(app.db(), app.shop_id(), id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect()
}

#[tokio::test]
async fn a_due_request_is_sent_once_with_a_working_capture_link() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(|c| c.email.smtp_url = Some(url)).await;
    active(&app, json!({"delayDays": 0})).await;
    app.webhook("orders/paid", &fixtures::order(ORDER, &[(11, 101)], Some(EMAIL))).await;

    let report = app.run_scheduler_once().await;
    assert_eq!((report.claimed, report.sent), (1, 1), "{report:?}");
    let messages = sink.wait_for_messages(1).await;
    assert_eq!(messages.len(), 1);
    let msg = decode_qp(&messages[0]);
    assert!(msg.contains("To: ada@example.com"), "{msg}");
    assert!(msg.contains("Subject: Ada, how do you like your Product 101?"), "{msg}");
    assert!(msg.contains("multipart/alternative"));

    // The link carries a token whose hash is the one stored; nothing else stores it.
    let prefix = format!("{}/t/", app.url(""));
    let at = msg.find(&prefix).expect("capture link in the message") + prefix.len();
    let token = &msg[at..at + 43];
    let r = only_request(&app).await;
    assert!(TokenHash::from_stored(r.token_hash.clone()).matches(token));
    assert!(CaptureToken::parse(token).is_ok());
    assert_eq!(r.status, RequestStatus::Sent);
    assert!(r.provider_message_id.as_deref().unwrap().starts_with(&format!("<{}.request@", r.id)));
    assert_eq!(
        timeline(&app, r.id).await,
        vec![RequestEventType::Scheduled, RequestEventType::Queued, RequestEventType::Sent]
    );

    // Another round sends nothing.
    let again = app.run_scheduler_once().await;
    assert_eq!(again.claimed, 0);
    assert_eq!(sink.messages().len(), 1);
    app.finish().await;
}

#[tokio::test]
async fn provider_down_retries_with_growing_delays_then_fails_with_an_alert() {
    let mut sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(|c| c.email.smtp_url = Some(url)).await;
    sink.stop().await;
    active(&app, json!({"delayDays": 0})).await;
    app.webhook("orders/paid", &fixtures::order(ORDER, &[(11, 101)], Some(EMAIL))).await;

    // Attempt 1 and 2 fail transiently; each retry waits at most its backoff ceiling.
    for (attempt, ceiling) in [(1, Duration::minutes(1)), (2, Duration::minutes(4))] {
        let report = app.run_scheduler_once().await;
        assert_eq!(report.retrying, 1, "attempt {attempt}: {report:?}");
        let r = only_request(&app).await;
        assert_eq!((r.status, r.attempts), (RequestStatus::Queued, attempt));
        let wait = r.next_attempt_at.unwrap() - app.now();
        assert!(wait >= Duration::zero() && wait <= ceiling, "attempt {attempt}: waits {wait}");
        assert!(r.last_error.as_deref().unwrap().starts_with("temporary:"), "{:?}", r.last_error);
        // Not due before its time.
        assert_eq!(app.run_scheduler_once().await.claimed, 0);
        app.advance_clock(ceiling + Duration::seconds(1));
    }
    let report = app.run_scheduler_once().await;
    assert_eq!(report.failed, 1, "{report:?}");
    let r = only_request(&app).await;
    assert_eq!((r.status, r.attempts), (RequestStatus::Failed, 3));
    let err = r.last_error.unwrap();
    assert!(err.contains("temporary:") && err.len() < 600, "readable: {err}");
    assert_eq!(
        timeline(&app, r.id).await,
        vec![
            RequestEventType::Scheduled,
            RequestEventType::Queued,
            RequestEventType::Retrying,
            RequestEventType::Retrying,
            RequestEventType::Failed
        ]
    );
    let alerts = entity::alerts::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].kind, "send_failed");
    assert!(
        alerts[0].message.contains("Product 101") && alerts[0].message.contains("3 attempt(s)"),
        "{}",
        alerts[0].message
    );
    assert_eq!(app.run_scheduler_once().await.claimed, 0, "failed is final");
    app.finish().await;
}

#[tokio::test]
async fn a_permanent_refusal_fails_at_once() {
    let app = TestApp::spawn().await;
    active(&app, json!({"delayDays": 0})).await;
    app.webhook("orders/paid", &fixtures::order(ORDER, &[(11, 101)], Some("broken@@example.com"))).await;
    let report = app.run_scheduler_once().await;
    assert_eq!(report.failed, 1, "{report:?}");
    let r = only_request(&app).await;
    assert_eq!((r.status, r.attempts), (RequestStatus::Failed, 1));
    assert!(r.last_error.unwrap().starts_with("permanent: invalid to address"));
    app.finish().await;
}

#[tokio::test]
async fn paused_campaigns_wait_archived_ones_expire_and_old_links_expire() {
    let app = TestApp::spawn().await;
    let id = active(&app, json!({"delayDays": 0, "tokenTtlDays": 5})).await;
    app.webhook("orders/paid", &fixtures::order(ORDER, &[(11, 101)], Some(EMAIL))).await;
    super::campaigns::set_status(&app, "pauseCampaign", &id).await;
    let report = app.run_scheduler_once().await;
    assert_eq!(report.deferred, 1);
    assert_eq!(only_request(&app).await.status, RequestStatus::Queued);
    super::campaigns::set_status(&app, "activateCampaign", &id).await;
    app.advance_clock(Duration::hours(1) + Duration::seconds(1));
    assert_eq!(app.run_scheduler_once().await.sent, 1, "resumes once active again");

    // The sweeper expires a sent request whose link ran out.
    app.advance_clock(Duration::days(6));
    let report = app.run_scheduler_once().await;
    assert_eq!(report.expired, 1);
    let r = only_request(&app).await;
    assert_eq!((r.status, r.expire_reason), (RequestStatus::Expired, Some(entity::ExpireReason::TokenExpired)));

    // Archiving a campaign expires what it never sent.
    app.webhook("orders/paid", &fixtures::order(ORDER + 1, &[(21, 201)], Some("b@example.com"))).await;
    super::campaigns::set_status(&app, "archiveCampaign", &id).await;
    let unsent = requests::Entity::find()
        .filter(requests::Column::ShopifyOrderId.eq(ORDER + 1))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unsent.expire_reason, Some(entity::ExpireReason::CampaignArchived));
    app.finish().await;
}

#[tokio::test]
async fn sends_wait_for_the_shops_local_send_window() {
    let app = TestApp::spawn().await;
    active(&app, json!({"delayDays": 0})).await;
    // A one-hour window starting two hours from now, in Tokyo local time.
    let tokyo: chrono_tz::Tz = "Asia/Tokyo".parse().unwrap();
    let local = app.now().with_timezone(&tokyo);
    let start = (local + Duration::hours(2)).format("%H:00").to_string();
    let end = (local + Duration::hours(3)).format("%H:00").to_string();
    server::store::shops::set_send_window(app.db(), app.shop_id(), "Asia/Tokyo", &start, &end).await.unwrap();
    app.webhook("orders/paid", &fixtures::order(ORDER, &[(11, 101)], Some(EMAIL))).await;

    let report = app.run_scheduler_once().await;
    assert_eq!((report.deferred, report.sent), (1, 0), "{report:?}");
    let r = only_request(&app).await;
    assert_eq!(r.status, RequestStatus::Queued);
    let opening = r.next_attempt_at.unwrap();
    assert_eq!(opening.with_timezone(&tokyo).format("%H:%M").to_string(), start, "waits for local {start}");
    assert!(opening > app.now() && opening - app.now() <= Duration::hours(2));
    assert_eq!(r.attempts, 0, "waiting is not an attempt");
    assert_eq!(app.run_scheduler_once().await.claimed, 0);
    app.advance_clock(opening - app.now() + Duration::seconds(1));
    assert_eq!(app.run_scheduler_once().await.sent, 1);
    app.finish().await;
}

#[tokio::test]
async fn four_concurrent_schedulers_send_each_of_1000_requests_exactly_once() {
    let app = TestApp::spawn().await;
    let db = app.db();
    let campaign = fixtures::campaign(db, app.shop_id()).await;
    for p in 0..1000 {
        fixtures::request(
            db,
            app.shop_id(),
            campaign.id,
            p,
            &CaptureToken::generate().hash(),
            RequestStatus::Scheduled,
        )
        .await;
    }
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let state = app.state().clone();
            tokio::spawn(async move {
                let mut sent = 0;
                loop {
                    let r = server::services::messaging::dispatch_due(&state).await.expect("round");
                    sent += r.sent;
                    if r.claimed == 0 {
                        return sent;
                    }
                }
            })
        })
        .collect();
    let mut total = 0;
    for h in handles {
        total += h.await.unwrap();
    }
    assert_eq!(total, 1000);
    let outbox = std::fs::read_dir(app.state().config().data_dir.join("outbox")).unwrap().count();
    assert_eq!(outbox, 1000, "one message per request, no duplicates");
    let sent = requests::Entity::find().filter(requests::Column::Status.eq("sent")).count(db).await.unwrap();
    assert_eq!(sent, 1000);
    let sent_events = entity::testimonial_request_events::Entity::find()
        .filter(entity::testimonial_request_events::Column::EventType.eq("sent"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(sent_events, 1000, "one `sent` event per request");
    let attempts_over_one = requests::Entity::find().filter(requests::Column::Attempts.gt(1)).count(db).await.unwrap();
    assert_eq!(attempts_over_one, 0, "no row was claimed twice");
    let queued_events = entity::testimonial_request_events::Entity::find()
        .filter(entity::testimonial_request_events::Column::EventType.eq("queued"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(queued_events, 1000);
    app.finish().await;
}

#[tokio::test]
async fn a_worker_whose_claim_ran_out_neither_sends_nor_overwrites_the_newer_outcome() {
    use server::store::requests::{
        ChangeDetails, SentRecord, TransitionError, claim_due_all_shops, record_sent_all_shops, renew_claims,
        transition,
    };
    let app = TestApp::spawn().await;
    active(&app, json!({"delayDays": 0})).await;
    app.webhook("orders/paid", &fixtures::order(6_001, &[(61, 101)], Some("ada@example.com"))).await;
    // Worker A claims it, then stalls past its lease; worker B claims it again.
    let now = app.now();
    let a = claim_due_all_shops(app.db(), now, now + Duration::minutes(10), 50).await.unwrap().remove(0);
    let later = now + Duration::minutes(11);
    let b = claim_due_all_shops(app.db(), later, later + Duration::minutes(10), 50).await.unwrap().remove(0);
    assert_eq!((a.id, a.attempts + 1), (b.id, b.attempts), "the same request, a new fencing token");

    // A wakes up: its claim is gone, so it must not send; B's renewal, in the same wave, holds.
    let until = later + Duration::minutes(2);
    let claims = [(app.shop_id(), a.id, a.attempts)];
    assert!(renew_claims(app.db(), &claims, later, until).await.unwrap().is_empty(), "A's claim is not renewed");
    let claims = [(app.shop_id(), b.id, b.attempts)];
    assert_eq!(renew_claims(app.db(), &claims, later, until).await.unwrap().into_iter().collect::<Vec<_>>(), [b.id]);
    // Another shop naming the same request renews nothing.
    let other_shop = entity::ShopId::new_v7();
    assert!(renew_claims(app.db(), &[(other_shop, b.id, b.attempts)], later, until).await.unwrap().is_empty());

    // B records its send; neither A's late send nor its late failure can overwrite it.
    let record = |fence: i32, id: &str| SentRecord {
        shop_id: app.shop_id(),
        id: b.id,
        fence,
        provider_message_id: id.into(),
        next_reminder_at: None,
        payload: json!({"channel": "email"}),
        more_events: Vec::new(),
    };
    assert_eq!(record_sent_all_shops(app.db(), later, vec![record(b.attempts, "m-b")]).await.unwrap(), [b.id]);
    assert!(record_sent_all_shops(app.db(), later, vec![record(a.attempts, "m-a")]).await.unwrap().is_empty());
    let stale = ChangeDetails { last_error: Some("A timed out".into()), fence: Some(a.attempts), ..Default::default() };
    let r = transition(app.db(), app.shop_id(), a.id, RequestStatus::Failed, later, stale).await;
    assert!(matches!(r, Err(TransitionError::Conflict | TransitionError::Invalid(_))), "{r:?}");
    let row = requests::Entity::find_by_id(a.id).one(app.db()).await.unwrap().unwrap();
    assert_eq!((row.status, row.provider_message_id.as_deref()), (RequestStatus::Sent, Some("m-b")));
    assert_eq!((row.first_sent_at, row.lease_until), (Some(later), None), "sent now, the claim released");
    let events = timeline(&app, a.id).await;
    assert_eq!(events.iter().filter(|e| **e == RequestEventType::Sent).count(), 1, "one `sent` event: {events:?}");
    app.finish().await;
}

#[tokio::test]
async fn claims_given_back_at_shutdown_are_taken_at_once_uncounted_and_stay_fenced() {
    use server::store::requests::{ClaimKind, claim_due_all_shops, release_claims_all_shops, renew_claims};
    let app = TestApp::spawn().await;
    active(&app, json!({"delayDays": 0})).await;
    for i in 0..3 {
        let email = format!("drain-{i}@example.com");
        app.webhook("orders/paid", &fixtures::order(6_100 + i, &[(610 + i, 101 + i)], Some(&email))).await;
    }
    let now = app.now();
    let claimed = claim_due_all_shops(app.db(), now, now + Duration::minutes(2), 50).await.unwrap();
    assert_eq!(claimed.len(), 3);
    // The stopping worker sent the first and gives back the other two.
    assert_eq!(release_claims_all_shops(app.db(), &claimed[1..], ClaimKind::Send).await.unwrap(), 2);
    // Given back twice (a retry of the shutdown step) changes nothing more.
    assert_eq!(release_claims_all_shops(app.db(), &claimed[1..], ClaimKind::Send).await.unwrap(), 0);
    // Another worker takes them now, not after the lease, with the attempt count they had.
    let again = claim_due_all_shops(app.db(), now, now + Duration::minutes(2), 50).await.unwrap();
    let mut ids: Vec<_> = again.iter().map(|r| (r.id, r.attempts)).collect();
    ids.sort();
    let mut expected: Vec<_> = claimed[1..].iter().map(|r| (r.id, r.attempts)).collect();
    expected.sort();
    assert_eq!(ids, expected, "the same requests, the released attempt not counted");
    // The new holder renews and sends; a late give-back by the stopped worker (its lease is
    // not the one the row holds any more) touches nothing.
    let old = &claimed[1];
    let taken = again.iter().find(|r| r.id == old.id).unwrap();
    let claims = [(app.shop_id(), taken.id, taken.attempts)];
    assert!(renew_claims(app.db(), &claims, now, now + Duration::minutes(3)).await.unwrap().contains(&taken.id));
    let late = release_claims_all_shops(app.db(), std::slice::from_ref(old), ClaimKind::Send).await.unwrap();
    assert_eq!(late, 0, "not the stopped worker's to give back any more");
    let row = requests::Entity::find_by_id(old.id).one(app.db()).await.unwrap().unwrap();
    assert!(row.lease_until.is_some(), "the new holder keeps its claim");
    app.finish().await;
}
