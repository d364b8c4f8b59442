//! Moderation through the admin API: the queue, every action with its log entry, invalid
//! transitions, another shop's credential, and live events over a real graphql-ws client.

use super::capture::{SUBMIT, sent};
use entity::RequestStatus;
use reelproof_tests::{TestApp, fixtures, wait_for};
use serde_json::{Value, json};
use server::domain::tokens::CaptureToken;
use std::time::Duration;

const QUEUE: &str = "query($s: SubmissionStatus, $first: Int, $after: String) { submissions(status: $s, first: $first, after: $after) { edges { cursor node { id status displayName quote media { status } } } pageInfo { hasNextPage endCursor } } }";
const ONE: &str = "query($id: ID!) { submission(id: $id) { id status published placements productId featured sortOrder moderationLog { action actor fromStatus toStatus note } } }";

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("<none>")
}

/// A pending submission straight in the database (for lists).
async fn pending(app: &TestApp, product: i64) -> entity::SubmissionId {
    let r = fixtures::submitted_request(app.db(), app.shop_id(), product).await;
    let new = server::store::submissions::NewCaptureSubmission {
        request: &r,
        display_name: format!("Customer {product}"),
        rating: Some(5),
        quote: Some("Good".into()),
        has_video: false,
        consent_text: "ok".into(),
        consent_version: 1,
        flagged_reason: None,
        incentivised: false,
    };
    server::store::submissions::insert_capture(app.db(), app.shop_id(), new, app.now()).await.unwrap().id
}

async fn mutate(app: &TestApp, call: &str, id: &str) -> Value {
    let q = format!("mutation($id: ID!) {{ {call} {{ id status published placements productId featured }} }}");
    app.graphql(&q, json!({"id": id})).await
}

#[tokio::test]
async fn every_moderation_action_is_applied_and_logged_and_bad_ones_are_refused() {
    let app = TestApp::spawn().await;
    let (_, token) = sent(&app).await;
    let input =
        json!({"displayName": "Ada Lovelace", "quote": "Great desk", "consentPublish": true, "consentVersion": 1});
    app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;

    let q = app.graphql(QUEUE, json!({"s": "PENDING"})).await;
    let edges = q["data"]["submissions"]["edges"].as_array().unwrap_or_else(|| panic!("{q}"));
    assert_eq!(edges.len(), 1);
    let id = edges[0]["node"]["id"].as_str().unwrap().to_owned();
    assert_eq!(edges[0]["node"]["displayName"], "Ada L.");
    assert!(edges[0]["node"]["media"].is_null(), "text only");

    // Publishing needs approval first.
    let early = mutate(&app, "publishSubmission(id: $id, placements: [HOME])", &id).await;
    assert_eq!(code(&early), "INVALID_TRANSITION", "{early}");
    let restore = mutate(&app, "restoreSubmission(id: $id)", &id).await;
    assert_eq!(code(&restore), "INVALID_TRANSITION", "a pending submission cannot be restored");

    let steps: [(&str, &str, bool); 7] = [
        ("approveSubmission(id: $id, note: \"lovely\")", "APPROVED", false),
        ("publishSubmission(id: $id, placements: [HOME, PRODUCT])", "APPROVED", true),
        ("bindSubmissionProduct(id: $id, productId: \"gid://shopify/Product/8123456789012\")", "APPROVED", true),
        ("featureSubmission(id: $id, featured: true, sortOrder: 2)", "APPROVED", true),
        ("rejectSubmission(id: $id, note: \"changed my mind\")", "REJECTED", false),
        ("restoreSubmission(id: $id)", "PENDING", false),
        ("archiveSubmission(id: $id)", "ARCHIVED", false),
    ];
    for (call, status, published) in steps {
        let r = mutate(&app, call, &id).await;
        let name = call.split('(').next().unwrap();
        let s = &r["data"][name];
        assert_eq!(s["status"], status, "{call}: {r}");
        assert_eq!(s["published"], published, "{call}: {r}");
    }
    let one = app.graphql(ONE, json!({"id": id})).await;
    let s = &one["data"]["submission"];
    assert_eq!(
        // Real Shopify ids pass 2³¹ and JavaScript's safe integers: they travel as strings.
        (s["productId"].as_str(), s["featured"].as_bool(), s["sortOrder"].as_i64()),
        (Some("8123456789012"), Some(true), Some(2))
    );
    let log: Vec<(String, String, String)> = s["moderationLog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(e["actor"].as_str().unwrap().starts_with("user:"), "{e}");
            (
                e["action"].as_str().unwrap().into(),
                e["toStatus"].as_str().unwrap().into(),
                e["note"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    let actions: Vec<&str> = log.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(actions, ["approve", "publish", "bind_product", "feature", "reject", "restore", "archive"]);
    assert_eq!(log[0].2, "lovely");
    assert!(log[1].2.contains("home=true, product=true"), "{:?}", log[1]);
    assert!(log[2].2.contains("→ 8123456789012"), "{:?}", log[2]);
    assert_eq!(log[4].1, "REJECTED");

    // The compliance record tells the whole story, as JSON to export.
    let rec = app.graphql("query($id: ID!) { complianceRecord(submissionId: $id) }", json!({"id": id})).await;
    let rec = &rec["data"]["complianceRecord"];
    assert_eq!(rec["source"], "capture", "{rec}");
    assert_eq!(rec["order"]["product_id"], 101);
    assert!(rec["order"]["shopify_order_id"].is_i64() && rec["order"]["requested_at"].is_string(), "{rec}");
    assert_eq!(rec["consent"]["version"], 1);
    assert!(rec["consent"]["given_at"].is_string() && !rec["consent"]["text"].as_str().unwrap().is_empty());
    assert_eq!(rec["moderation"].as_array().unwrap().len(), 7);
    assert_eq!(rec["publication"].as_array().unwrap().len(), 1);
    assert_eq!(rec["currently_published"], false);
    assert!(!rec.to_string().contains("ada@example.com"), "no contact data in the record");

    // Another shop's credential sees nothing and changes nothing.
    let theirs = app.other_shop_token().await;
    for q in [
        ONE.to_owned(),
        "mutation($id: ID!) { approveSubmission(id: $id) { id } }".to_owned(),
        "query($id: ID!) { complianceRecord(submissionId: $id) }".to_owned(),
    ] {
        let r: Value = app.graphql_with(Some(&theirs), &q, json!({"id": id})).await.json().await.unwrap();
        assert_eq!(code(&r), "NOT_FOUND", "{r}");
    }
    let list: Value = app.graphql_with(Some(&theirs), QUEUE, json!({})).await.json().await.unwrap();
    assert_eq!(list["data"]["submissions"]["edges"].as_array().unwrap().len(), 0);
    app.finish().await;
}

#[tokio::test]
async fn the_queue_pages_with_cursors() {
    let app = TestApp::spawn().await;
    for p in 1..=3 {
        pending(&app, p).await;
    }
    let first = app.graphql(QUEUE, json!({"s": "PENDING", "first": 2})).await;
    let page = &first["data"]["submissions"];
    assert_eq!(page["edges"].as_array().unwrap().len(), 2, "{first}");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert_eq!(page["edges"][0]["node"]["displayName"], "Customer 3", "newest first");
    let next = app.graphql(QUEUE, json!({"s": "PENDING", "first": 2, "after": page["pageInfo"]["endCursor"]})).await;
    let page = &next["data"]["submissions"];
    assert_eq!(page["edges"].as_array().unwrap().len(), 1);
    assert_eq!(page["edges"][0]["node"]["displayName"], "Customer 1");
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    let too_many = app.graphql(QUEUE, json!({"first": 1000})).await;
    assert!(too_many["errors"].is_array(), "list size is capped: {too_many}");
    app.finish().await;
}

fn graphql_ws_client(app: &TestApp, authorization: &str, query: &str, events: usize) -> tokio::process::Child {
    reelproof_tests::graphql_ws_client(&app.url("/api/graphql"), authorization, query, events)
}

#[tokio::test]
async fn a_graphql_ws_client_hears_a_submission_made_on_the_capture_page() {
    let app = TestApp::spawn().await;
    let (_, token) = sent(&app).await;
    let query = "subscription { moderationQueue { kind submissionId status } }";
    let child = graphql_ws_client(&app, &format!("Bearer {}", app.session_token()), query, 1);
    // Wait until the server holds the subscription, so the event cannot be missed.
    wait_for("the subscription to be open", Duration::from_secs(30), || async {
        (app.state().live().subscribers() >= 1).then_some(())
    })
    .await;
    let input = json!({"displayName": "Ada", "quote": "Great desk", "consentPublish": true, "consentVersion": 1});
    let s = app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    let id = s["data"]["submitTestimonial"]["id"].as_str().unwrap().to_owned();
    let out =
        tokio::time::timeout(Duration::from_secs(30), child.wait_with_output()).await.expect("the client finishes");
    let out = out.unwrap();
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0], json!({"connected": true}), "{lines:?}");
    let event = &lines[1]["data"]["moderationQueue"];
    assert_eq!(event["kind"], "SUBMISSION_CREATED", "{lines:?}");
    assert_eq!(event["submissionId"], id.as_str());
    assert_eq!(event["status"], "PENDING");
    app.finish().await;
}

#[tokio::test]
async fn a_websocket_without_a_valid_credential_is_refused() {
    let app = TestApp::spawn().await;
    let child = graphql_ws_client(&app, "Bearer not-a-token", "subscription { moderationQueue { kind } }", 1);
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output()).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("\"connected\""), "never acknowledged: {text}");
    assert!(text.contains("failed"), "{text}");
    assert_eq!(app.state().live().subscribers(), 0);
    app.finish().await;
}

/// A sent request of its own (distinct product) and its customer's token.
async fn open_link(app: &TestApp, product: i64) -> String {
    let c = fixtures::campaign(app.db(), app.shop_id()).await;
    let placeholder = CaptureToken::generate().hash();
    let r = fixtures::request(app.db(), app.shop_id(), c.id, product, &placeholder, RequestStatus::Sent).await;
    // Links are derived from the request id, which the fixture picks: store the real hash.
    let token = app.state().links().capture_token(r.id);
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
    let mut m = r.into_active_model();
    m.token_hash = Set(token.hash().as_str().to_owned());
    m.update(app.db()).await.unwrap();
    token.expose().to_owned()
}

async fn submit_text(app: &TestApp, token: &str, rating: i32, quote: &str) -> String {
    let input =
        json!({"displayName": "Ada", "rating": rating, "quote": quote, "consentPublish": true, "consentVersion": 1});
    let s = app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    s["data"]["submitTestimonial"]["id"].as_str().unwrap_or_else(|| panic!("{s}")).to_owned()
}

const STATE: &str = "query($id: ID!) { submission(id: $id) { status published placements flagged flaggedReason autoApproveAt createdAt moderationLog { action actor } } }";

#[tokio::test]
async fn the_shops_auto_publish_rule_publishes_clean_well_rated_testimonials_once_ready() {
    let app = TestApp::spawn().await;
    let set = app
        .graphql(
            "mutation { updateModerationSettings(autoPublishEnabled: true, autoPublishMinRating: 4, profanityWords: [\"knockoff\"], defaultPlacements: [PRODUCT]) { autoPublishEnabled autoPublishMinRating profanityWords } }",
            json!({}),
        )
        .await;
    assert_eq!(set["data"]["updateModerationSettings"]["autoPublishMinRating"], 4, "{set}");

    let good = submit_text(&app, &open_link(&app, 1).await, 5, "Sturdy and beautiful").await;
    let rude = submit_text(&app, &open_link(&app, 2).await, 5, "Arrived fine but it is a cheap KNOCKOFF").await;
    let meh = submit_text(&app, &open_link(&app, 3).await, 3, "Fine").await;

    let g = app.graphql(STATE, json!({"id": good})).await["data"]["submission"].clone();
    assert_eq!((g["status"].as_str(), g["published"].as_bool()), (Some("APPROVED"), Some(true)), "{g}");
    assert_eq!(g["placements"], json!(["PRODUCT"]));
    assert_eq!(g["moderationLog"][0]["actor"], "system:auto-publish");
    assert!(g["autoApproveAt"].is_null(), "no countdown once decided");
    let r = app.graphql(STATE, json!({"id": rude})).await["data"]["submission"].clone();
    assert_eq!(
        (r["status"].as_str(), r["published"].as_bool(), r["flagged"].as_bool()),
        (Some("PENDING"), Some(false), Some(true))
    );
    assert_eq!(r["flaggedReason"], "contains the word \"knockoff\"");
    let m = app.graphql(STATE, json!({"id": meh})).await["data"]["submission"].clone();
    assert_eq!(m["status"], "PENDING", "rating under the minimum");

    // A video waits until it is ready.
    let token = open_link(&app, 4).await;
    let upload_key = super::capture::upload_video(&app, &token).await;
    let input = json!({"uploadKey": upload_key, "displayName": "Ada", "rating": 5, "consentPublish": true, "consentVersion": 1});
    let s = app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    let with_video = s["data"]["submitTestimonial"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.graphql(STATE, json!({"id": with_video})).await["data"]["submission"]["published"],
        false,
        "not before the video is ready"
    );
    app.run_background_until_idle().await;
    assert_eq!(app.graphql(STATE, json!({"id": with_video})).await["data"]["submission"]["published"], true);
    app.finish().await;
}

#[tokio::test]
async fn a_submission_pending_for_fourteen_days_is_approved_unless_it_was_once_rejected() {
    let app = TestApp::spawn().await;
    let waiting = pending(&app, 1).await.to_string();
    let once_rejected = pending(&app, 2).await.to_string();
    let s = app.graphql(STATE, json!({"id": waiting})).await["data"]["submission"].clone();
    let created = chrono::DateTime::parse_from_rfc3339(s["createdAt"].as_str().unwrap()).unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(s["autoApproveAt"].as_str().unwrap()).unwrap();
    assert_eq!(due - created, chrono::Duration::days(14), "the countdown");
    mutate(&app, "rejectSubmission(id: $id)", &once_rejected).await;
    mutate(&app, "restoreSubmission(id: $id)", &once_rejected).await;

    app.advance_clock(chrono::Duration::days(13));
    assert_eq!(app.run_scheduler_once().await.auto_approved, 0, "not before fourteen days");
    app.advance_clock(chrono::Duration::days(2));
    assert_eq!(app.run_scheduler_once().await.auto_approved, 1);
    let s = app.graphql(STATE, json!({"id": waiting})).await["data"]["submission"].clone();
    assert_eq!(s["status"], "APPROVED");
    assert_eq!(s["published"], false, "approved, not published: publishing stays the merchant's call");
    assert_eq!(s["moderationLog"][0]["actor"], "system:14-day-rule");
    assert_eq!(app.graphql(STATE, json!({"id": once_rejected})).await["data"]["submission"]["status"], "PENDING");
    app.finish().await;
}

#[tokio::test]
async fn a_subscriber_on_one_replica_hears_a_change_made_on_another() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let id = pending(&a, 1).await.to_string();
    let mut on_b = b.state().live().subscribe(a.shop_id());
    let approve = |url: String| {
        let token = a.session_token();
        async move {
            let body = json!({"query": "mutation($id: ID!) { approveSubmission(id: $id) { status } }", "variables": {"id": id}});
            let r: Value = reelproof_tests::http()
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(r["data"]["approveSubmission"]["status"], "APPROVED", "{r}");
        }
    };
    if reelproof_tests::db::TestDb::is_postgres() {
        // A real graphql-ws client on replica A; the merchant acts on replica B.
        let client = graphql_ws_client(
            &a,
            &format!("Bearer {}", a.session_token()),
            "subscription { moderationQueue { kind status } }",
            1,
        );
        wait_for("the subscription on A", Duration::from_secs(30), || async {
            (a.state().live().subscribers() >= 1).then_some(())
        })
        .await;
        approve(b.url("/api/graphql")).await;
        let out = tokio::time::timeout(Duration::from_secs(30), client.wait_with_output())
            .await
            .expect("A hears it")
            .unwrap();
        let lines: Vec<Value> =
            String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(
            lines[1]["data"]["moderationQueue"],
            json!({"kind": "SUBMISSION_CHANGED", "status": "APPROVED"}),
            "{lines:?}"
        );
    } else {
        // SQLite is one process's database: events stay on the replica that made them.
        let mut on_a = a.state().live().subscribe(a.shop_id());
        approve(b.url("/api/graphql")).await;
        assert!(
            matches!(on_b.try_next(), Some(server::providers::live::Next::Event(_))),
            "B's own subscribers hear it"
        );
        assert_eq!(on_a.try_next(), None, "on SQLite the other replica does not");
    }
    let _ = on_b.try_next();
    b.stop().await;
    a.finish().await;
}

#[tokio::test]
async fn graphql_ws_clients_on_this_and_on_a_second_server_process_hear_a_capture_submission() {
    let app = TestApp::spawn().await;
    let second = reelproof_tests::process::ServerProcess::start(&app).await;
    let (_, token) = sent(&app).await;
    let auth = format!("Bearer {}", app.session_token());
    let query = "subscription { moderationQueue { kind submissionId status } }";
    let here = reelproof_tests::graphql_ws_client(&app.url("/api/graphql"), &auth, query, 1);
    // Events cross processes through Postgres' NOTIFY; SQLite is one process's database.
    let postgres = reelproof_tests::db::TestDb::is_postgres();
    let there = postgres.then(|| reelproof_tests::graphql_ws_client(&second.url("/api/graphql"), &auth, query, 1));
    wait_for("the subscriptions to be open", Duration::from_secs(30), || async {
        let remote = if postgres {
            reelproof_tests::metric(&second.url("/metrics"), "reelproof_live_subscribers").await?
        } else {
            1.0
        };
        (app.state().live().subscribers() >= 1 && remote >= 1.0).then_some(())
    })
    .await;

    let input = json!({"displayName": "Ada", "quote": "Great desk", "consentPublish": true, "consentVersion": 1});
    let s = app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    let id = s["data"]["submitTestimonial"]["id"].as_str().unwrap_or_else(|| panic!("{s}")).to_owned();
    let expected = json!({"kind": "SUBMISSION_CREATED", "submissionId": id, "status": "PENDING"});
    let lines = reelproof_tests::client_lines(here).await;
    assert_eq!(lines[1]["data"]["moderationQueue"], expected, "this process: {lines:?}");
    if let Some(there) = there {
        let lines = reelproof_tests::client_lines(there).await;
        assert_eq!(lines[1]["data"]["moderationQueue"], expected, "the second process: {lines:?}");
    }
    // Either way the second process serves the same data.
    let r: Value = reelproof_tests::http()
        .post(second.url("/api/graphql"))
        .header("authorization", &auth)
        .json(&json!({"query": "query($id: ID!) { submission(id: $id) { status quote } }", "variables": {"id": id}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["data"]["submission"], json!({"status": "PENDING", "quote": "Great desk"}), "{r}");
    second.stop().await;
    app.finish().await;
}

#[tokio::test]
async fn a_submissions_detail_names_its_product_as_shopify_does_when_the_shop_is_connected() {
    use sea_orm::EntityTrait;
    let shopify = reelproof_tests::shopify::FakeShopify::start().await;
    let app = shopify.connected_app().await;
    let mut ids = Vec::new();
    for product in [101, 5_000] {
        let row = fixtures::shown_submission(app.shop_id(), product, app.now());
        ids.push(entity::testimonial_submissions::Entity::insert(row).exec(app.db()).await.unwrap().last_insert_id);
    }
    let q = "query($id: ID!) { submission(id: $id) { product { title imageUrl } } }";
    let one = app.graphql(q, json!({"id": ids[0]})).await;
    assert_eq!(
        one["data"]["submission"]["product"],
        json!({"title": "Oak chair no. 101", "imageUrl": "https://cdn.shopify.com/s/files/chair-101.jpg"}),
        "{one}"
    );
    let gone = app.graphql(q, json!({"id": ids[1]})).await;
    assert_eq!(gone["data"]["submission"]["product"], Value::Null, "a deleted product: {gone}");
    // Lists never call Shopify once per row.
    let list = app.graphql("{ submissions { nodes { product { title } } } }", json!({})).await;
    assert_eq!(list["data"]["submissions"]["nodes"], json!([{"product": null}, {"product": null}]), "{list}");
    app.finish().await;

    // A shop that has not connected its Admin API shows the id instead.
    let app = TestApp::spawn().await;
    let row = fixtures::shown_submission(app.shop_id(), 101, app.now());
    let id = entity::testimonial_submissions::Entity::insert(row).exec(app.db()).await.unwrap().last_insert_id;
    let r = app.graphql(q, json!({"id": id})).await;
    assert_eq!(r["data"]["submission"]["product"], Value::Null, "{r}");
    app.finish().await;
}
