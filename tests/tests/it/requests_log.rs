//! The requests log in the admin API (spec 004 §9): filters, timelines newest first with the
//! last event, the merchant's actions, tenancy, and a bounded number of SQL statements.

use entity::{RequestEventType, RequestStatus};
use reelproof_tests::{TestApp, fixtures};
use serde_json::{Value, json};
use server::domain::tokens::CaptureToken;
use server::store::request_events::{NewEvent, append};

const LOG: &str = "query($f: RequestFilter, $first: Int) { requests(filter: $f, first: $first) { edges { node { id status orderName lastEventAt lastEventType expireReason timeline { type at payload } } } pageInfo { hasNextPage } } }";

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("<none>")
}

pub(crate) async fn request(
    app: &TestApp,
    product: i64,
    status: RequestStatus,
    events: &[RequestEventType],
) -> entity::RequestId {
    let c = fixtures::campaign(app.db(), app.shop_id()).await;
    let r = fixtures::request(app.db(), app.shop_id(), c.id, product, &CaptureToken::generate().hash(), status).await;
    for (i, e) in events.iter().enumerate() {
        let at = app.now() + chrono::Duration::seconds(i as i64);
        append(app.db(), app.shop_id(), r.id, NewEvent::new(*e, at)).await.unwrap();
    }
    r.id
}

fn ids(body: &Value) -> Vec<String> {
    body["data"]["requests"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn statements(app: &TestApp) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("reelproof_db_statements_total ").map(|n| n.trim().parse::<f64>().unwrap() as u64))
        .unwrap_or(0)
}

#[tokio::test]
async fn fifty_requests_with_timelines_take_a_bounded_number_of_statements() {
    use RequestEventType::*;
    let app = TestApp::spawn().await;
    for p in 0..50 {
        request(&app, 1000 + p, RequestStatus::Sent, &[Scheduled, Queued, Sent]).await;
    }
    // A scrape reads the backlog from the database itself: measure what one costs.
    let first = statements(&app).await;
    let before = statements(&app).await;
    let scrape = before - first;
    let body = app.graphql(LOG, json!({"first": 50})).await;
    let after = statements(&app).await - scrape;
    let edges = body["data"]["requests"]["edges"].as_array().unwrap_or_else(|| panic!("{body}"));
    assert_eq!(edges.len(), 50);
    for e in edges {
        let t = e["node"]["timeline"].as_array().unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t[0]["type"], "SENT", "newest first");
        assert_eq!(e["node"]["lastEventType"], "SENT");
        assert_eq!(e["node"]["lastEventAt"], t[0]["at"]);
    }
    // The credential's shop, the page, the timelines: not one query per row.
    let used = after - before;
    assert!((2..=4).contains(&used), "{used} statements for 50 requests with timelines");
    app.finish().await;
}

#[tokio::test]
async fn the_log_filters_and_the_merchant_repairs_cancels_and_hurries_requests() {
    use RequestEventType::*;
    let app = TestApp::spawn().await;
    let failed = request(&app, 1, RequestStatus::Failed, &[Scheduled, Queued, Failed]).await;
    let sent = request(&app, 2, RequestStatus::Sent, &[Scheduled, Queued, Sent]).await;
    let later = request(&app, 3, RequestStatus::Scheduled, &[Scheduled]).await;

    let by_status = app.graphql(LOG, json!({"f": {"statuses": ["FAILED"]}})).await;
    assert_eq!(ids(&by_status), [failed.to_string()]);
    let by_event = app.graphql(LOG, json!({"f": {"eventType": "FAILED"}})).await;
    assert_eq!(ids(&by_event), [failed.to_string()]);
    let by_search = app.graphql(LOG, json!({"f": {"search": "ada@example.com"}})).await;
    assert_eq!(ids(&by_search).len(), 3);
    let none = app.graphql(LOG, json!({"f": {"search": "#999"}})).await;
    assert!(ids(&none).is_empty());
    // Names and order names match anywhere, whatever the case, on both databases.
    for term in ["lovelace", "ADA LOVE", "#100", "velac"] {
        let found = app.graphql(LOG, json!({"f": {"search": term}})).await;
        assert_eq!(ids(&found).len(), 3, "{term}: {found}");
    }
    let range = app.graphql(LOG, json!({"f": {"from": (app.now() + chrono::Duration::days(1)).to_rfc3339()}})).await;
    assert!(ids(&range).is_empty());

    app.advance_clock(chrono::Duration::minutes(1));
    let m = |name: &str| {
        format!(
            "mutation($id: ID!) {{ {name}(id: $id) {{ status expireReason scheduledFor lastEventType timeline {{ type payload }} }} }}"
        )
    };
    let resent = app.graphql(&m("resendRequest"), json!({"id": failed})).await;
    let r = &resent["data"]["resendRequest"];
    assert_eq!(r["status"], "SCHEDULED", "{resent}");
    assert_eq!(r["timeline"][0]["type"], "SCHEDULED");
    assert_eq!(r["timeline"][0]["payload"]["action"], "resend");
    assert!(r["timeline"][0]["payload"]["by"].as_str().unwrap().starts_with("user:"));

    let cancelled = app.graphql(&m("cancelRequest"), json!({"id": sent})).await;
    assert_eq!(cancelled["data"]["cancelRequest"]["status"], "EXPIRED");
    assert_eq!(cancelled["data"]["cancelRequest"]["expireReason"], "merchant_cancelled");

    let hurried = app.graphql(&m("sendRequestNow"), json!({"id": later})).await;
    assert_eq!(hurried["data"]["sendRequestNow"]["status"], "SCHEDULED", "{hurried}");
    assert_eq!(hurried["data"]["sendRequestNow"]["timeline"][0]["payload"]["action"], "send_now");
    assert_eq!(app.run_scheduler_once().await.sent, 2, "the hurried one and the resent one go out");

    // Postponing: a scheduled request goes out later; a sent one's link lasts longer.
    const POSTPONE: &str = "mutation($id: ID!, $d: Int!) { postponeRequest(id: $id, days: $d) { status scheduledFor expiresAt timeline { type payload } } }";
    let waiting = request(&app, 4, RequestStatus::Scheduled, &[Scheduled]).await;
    let before = fixtures_get(&app, waiting).await;
    let moved = app.graphql(POSTPONE, json!({"id": waiting, "d": 3})).await;
    let p = &moved["data"]["postponeRequest"];
    assert_eq!(p["status"], "SCHEDULED", "{moved}");
    assert_eq!(p["timeline"][0]["payload"]["action"], "postpone");
    assert_eq!(p["timeline"][0]["payload"]["days"], 3);
    let after = fixtures_get(&app, waiting).await;
    assert_eq!(after.scheduled_for, app.now() + chrono::Duration::days(3));
    assert_eq!(after.expires_at, before.expires_at + chrono::Duration::days(3));
    assert_eq!(after.postpone_count, 0, "the customer's own postpones are untouched");
    assert_eq!(app.run_scheduler_once().await.sent, 0, "not due any more");
    let bad = app.graphql(POSTPONE, json!({"id": waiting, "d": 0})).await;
    assert_eq!(code(&bad), "VALIDATION");
    let closed = app.graphql(POSTPONE, json!({"id": sent, "d": 3})).await;
    assert_eq!(code(&closed), "INVALID_TRANSITION", "a cancelled request cannot be postponed");

    for (name, id) in [("resendRequest", later), ("sendRequestNow", sent), ("cancelRequest", sent)] {
        let again = app.graphql(&m(name), json!({"id": id})).await;
        assert_eq!(code(&again), "INVALID_TRANSITION", "{name}: {again}");
    }

    let theirs = app.other_shop_token().await;
    let r: Value =
        app.graphql_with(Some(&theirs), &m("cancelRequest"), json!({"id": later})).await.json().await.unwrap();
    assert_eq!(code(&r), "NOT_FOUND");
    let list: Value = app.graphql_with(Some(&theirs), LOG, json!({})).await.json().await.unwrap();
    assert!(ids(&list).is_empty());
    app.finish().await;
}

async fn fixtures_get(app: &TestApp, id: entity::RequestId) -> entity::testimonial_requests::Model {
    server::store::requests::get(app.db(), app.shop_id(), id).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_graphql_ws_client_follows_one_requests_events_as_they_happen() {
    use RequestEventType::*;
    let app = TestApp::spawn().await;
    let id = request(&app, 7, RequestStatus::Sent, &[Scheduled, Queued, Sent]).await;
    let other = request(&app, 8, RequestStatus::Sent, &[Scheduled]).await;
    let query = format!("subscription {{ requestEvents(requestId: \"{id}\") {{ type }} }}");
    let client = reelproof_tests::graphql_ws_client(
        &app.url("/api/graphql"),
        &format!("Bearer {}", app.session_token()),
        &query,
        5,
    );
    reelproof_tests::wait_for("the subscription", std::time::Duration::from_secs(30), || async {
        (app.state().live().subscribers() >= 1).then_some(())
    })
    .await;
    // Another request's event is not this one's; then two of this one's, as callbacks add them,
    // after the history (the timeline is in event time, and the subscription's first read may
    // come after these appends on a busy machine).
    app.advance_clock(chrono::Duration::seconds(10));
    append(app.db(), app.shop_id(), other, NewEvent::new(Opened, app.now())).await.unwrap();
    append(app.db(), app.shop_id(), id, NewEvent::new(Delivered, app.now())).await.unwrap();
    append(app.db(), app.shop_id(), id, NewEvent::new(Opened, app.now())).await.unwrap();
    let lines = reelproof_tests::client_lines(client).await;
    let types: Vec<&str> = lines[1..].iter().map(|l| l["data"]["requestEvents"]["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["SCHEDULED", "QUEUED", "SENT", "DELIVERED", "OPENED"], "{lines:?}");

    // Another shop cannot follow it.
    let theirs = app.other_shop_token().await;
    let refused = reelproof_tests::client_lines(reelproof_tests::graphql_ws_client(
        &app.url("/api/graphql"),
        &format!("Bearer {theirs}"),
        &query,
        1,
    ))
    .await;
    assert_eq!(refused[1]["errors"][0]["extensions"]["code"], "NOT_FOUND", "{refused:?}");
    app.finish().await;
}
