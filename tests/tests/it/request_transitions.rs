//! The request state machine as applied to the database: every (from, to) pair, on SQLite and
//! Postgres, through the one transition function.

use entity::{ExpireReason, RequestEventType, RequestStatus};
use reelproof_tests::{TestApp, fixtures};
use sea_orm::Iterable;
use server::domain::request_state;
use server::domain::tokens::CaptureToken;
use server::store::request_events;
use server::store::requests::{self, ChangeDetails, TransitionError};

#[tokio::test]
async fn every_status_pair_is_applied_or_refused_exactly_as_the_table_says() {
    let app = TestApp::spawn().await;
    let db = app.db();
    let shop = app.shop_id();
    let campaign = fixtures::campaign(db, shop).await;
    let mut product = 0;
    for from in RequestStatus::iter() {
        for to in RequestStatus::iter() {
            product += 1;
            let req = fixtures::request(db, shop, campaign.id, product, &CaptureToken::generate().hash(), from).await;
            let now = chrono::Utc::now();
            let result = requests::transition(db, shop, req.id, to, now, ChangeDetails::default()).await;
            let events = request_events::timeline(db, shop, req.id).await.unwrap();
            match request_state::transition(from, to) {
                Ok(expected_event) => {
                    let after = result.unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
                    assert_eq!(after.status, to);
                    assert_eq!(events.len(), 1, "{from} -> {to} appends exactly one event");
                    assert_eq!(events[0].event_type, expected_event);
                }
                Err(_) => {
                    assert!(matches!(result, Err(TransitionError::Invalid(_))), "{from} -> {to}: {result:?}");
                    let unchanged = requests::get(db, shop, req.id).await.unwrap().unwrap();
                    assert_eq!(unchanged.status, from, "a refused change writes nothing");
                    assert!(events.is_empty(), "a refused change appends nothing");
                }
            }
        }
    }
    app.finish().await;
}

#[tokio::test]
async fn transitions_stamp_their_times_and_are_scoped_by_shop() {
    let app = TestApp::spawn().await;
    let db = app.db();
    let shop = app.shop_id();
    let other_shop = app.add_shop("other.myshopify.com").await;
    let campaign = fixtures::campaign(db, shop).await;
    let req =
        fixtures::request(db, shop, campaign.id, 1, &CaptureToken::generate().hash(), RequestStatus::Queued).await;
    let now = chrono::Utc::now();

    let err = requests::transition(db, other_shop, req.id, RequestStatus::Sent, now, ChangeDetails::default()).await;
    assert!(matches!(err, Err(TransitionError::NotFound)), "another shop cannot touch it: {err:?}");

    let details = ChangeDetails { provider_message_id: Some("msg-1".into()), ..Default::default() };
    let sent = requests::transition(db, shop, req.id, RequestStatus::Sent, now, details).await.unwrap();
    assert!(sent.first_sent_at.is_some() && sent.last_sent_at.is_some());
    assert_eq!(sent.provider_message_id.as_deref(), Some("msg-1"));
    let details = ChangeDetails { expire_reason: Some(ExpireReason::OrderCancelled), ..Default::default() };
    let expired = requests::transition(db, shop, req.id, RequestStatus::Expired, now, details).await.unwrap();
    assert_eq!(expired.expire_reason, Some(ExpireReason::OrderCancelled));
    assert!(expired.expired_at.is_some());
    // Big Shopify ids survive the round trip on both databases.
    assert_eq!(expired.shopify_order_id, 9_007_199_254_740_993);

    let timeline: Vec<_> =
        request_events::timeline(db, shop, req.id).await.unwrap().into_iter().map(|e| e.event_type).collect();
    assert_eq!(timeline, vec![RequestEventType::Sent, RequestEventType::Expired]);
    assert_eq!(timeline.len(), request_events::timeline(db, shop, req.id).await.unwrap().len());
    assert!(request_events::timeline(db, other_shop, req.id).await.unwrap().is_empty(), "timeline is tenant-scoped");
    app.finish().await;
}

#[tokio::test]
async fn a_concurrent_status_change_is_detected_not_overwritten() {
    let app = TestApp::spawn().await;
    let db = app.db();
    let shop = app.shop_id();
    let campaign = fixtures::campaign(db, shop).await;
    let req = fixtures::request(db, shop, campaign.id, 1, &CaptureToken::generate().hash(), RequestStatus::Sent).await;
    // Eight submits race for one sent request (a double-tapped button, two tabs): one wins.
    let mut handles = Vec::new();
    for _ in 0..8 {
        let db = db.clone();
        let id = req.id;
        handles.push(tokio::spawn(async move {
            requests::transition(&db, shop, id, RequestStatus::Submitted, chrono::Utc::now(), ChangeDetails::default())
                .await
        }));
    }
    let mut won = 0;
    for h in handles {
        match h.await.unwrap() {
            Ok(_) => won += 1,
            Err(TransitionError::Conflict | TransitionError::Invalid(_)) => {}
            Err(TransitionError::Database(e)) if is_lock_error(&e) => {}
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert_eq!(won, 1);
    let events = request_events::timeline(db, shop, req.id).await.unwrap();
    assert_eq!(events.len(), 1, "one submitted event, not eight");
    assert_eq!(events[0].event_type, entity::RequestEventType::Submitted);
    app.finish().await;
}

/// Postgres may abort one of two racing transactions with a serialization or deadlock error;
/// that is a refusal, not a double write.
fn is_lock_error(e: &sea_orm::DbErr) -> bool {
    let s = e.to_string();
    s.contains("deadlock") || s.contains("could not serialize") || s.contains("database is locked")
}
