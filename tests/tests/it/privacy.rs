//! Shopify's privacy webhooks: what remains afterwards, in every table and in storage.

use super::campaigns::active;
use bytes::Bytes;
use entity::RequestId;
use entity::{AssetStatus, RequestStatus, SubmissionStatus};
use reelproof_tests::{TestApp, fixtures};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, Statement};
use serde_json::json;
use uuid::Uuid;

const ORDER: i64 = 6_000_000_000_000_000_001;
const EMAIL: &str = "grace@example.com";

/// Every row of every table as text, to search for traces of a person or shop.
async fn dump(app: &TestApp) -> String {
    let db = app.db();
    let backend = db.get_database_backend();
    let mut out = String::new();
    for t in migration::tables() {
        let sql = match backend {
            sea_orm::DbBackend::Postgres => format!("SELECT row_to_json(t)::text AS j FROM {t} t"),
            _ => format!("SELECT * FROM {t}"),
        };
        for row in db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap() {
            out.push_str(t);
            out.push_str(": ");
            // Every column as text, whatever its type (SQLite stores uuids as blobs).
            for i in 0..row.column_names().len() {
                let cell = row
                    .try_get_by_index::<Option<String>>(i)
                    .map(|v| v.unwrap_or_default())
                    .or_else(|_| {
                        row.try_get_by_index::<Option<i64>>(i).map(|v| v.map(|n| n.to_string()).unwrap_or_default())
                    })
                    .or_else(|_| {
                        row.try_get_by_index::<Option<Uuid>>(i).map(|v| v.map(|u| u.to_string()).unwrap_or_default())
                    })
                    .or_else(|_| {
                        row.try_get_by_index::<Option<f64>>(i).map(|v| v.map(|n| n.to_string()).unwrap_or_default())
                    })
                    .unwrap_or_else(|_| "?".into());
                out.push_str(&cell);
                out.push('|');
            }
            out.push('\n');
        }
    }
    out
}

/// A submitted testimonial with a video in storage for one of the customer's requests.
async fn give_testimonial(app: &TestApp, request_id: RequestId) -> Vec<String> {
    let db = app.db();
    let now = app.now();
    let shop = app.shop_id();
    let sub = entity::testimonial_submissions::ActiveModel {
        request_id: Set(Some(request_id)),
        product_id: Set(101),
        display_name: Set("Grace H.".into()),
        quote: Set(Some("Love it".into())),
        ..reelproof_tests::fixtures::shown_submission(shop, 101, now)
    }
    .insert(db)
    .await
    .unwrap();
    let base = format!("{}{}", server::providers::storage::shop_prefix(shop), Uuid::new_v4());
    let keys = vec![format!("{base}/original.webm"), format!("{base}/playback.mp4"), format!("{base}/poster.jpg")];
    for k in &keys {
        app.state().storage().put(k, Bytes::from_static(b"video bytes")).await.unwrap();
    }
    entity::testimonial_media_assets::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop),
        submission_id: Set(sub.id),
        original_key: Set(keys[0].clone()),
        content_type: Set("video/webm".into()),
        size_bytes: Set(11),
        processing_status: Set(AssetStatus::Ready),
        processing_error: Set(None),
        attempts: Set(1),
        lease_until: Set(None),
        duration_ms: Set(Some(3000)),
        width: Set(Some(720)),
        height: Set(Some(1280)),
        rotation: Set(Some(0)),
        video_codec: Set(Some("h264".into())),
        audio_codec: Set(Some("aac".into())),
        playback_key: Set(Some(keys[1].clone())),
        poster_key: Set(Some(keys[2].clone())),
        poster_widths: Set(None),
        ready_at: Set(Some(now)),
        source_url: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .unwrap();
    entity::moderation_log::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop),
        submission_id: Set(sub.id),
        action: Set("approve".into()),
        actor: Set("user:1".into()),
        from_status: Set(Some(SubmissionStatus::Pending)),
        to_status: Set(Some(SubmissionStatus::Approved)),
        note: Set(None),
        at: Set(now),
    }
    .insert(db)
    .await
    .unwrap();
    keys
}

async fn setup(app: &TestApp) -> (entity::RequestId, Vec<String>) {
    active(app, json!({})).await;
    // Grace, whose data will be redacted, and Alan, whose must stay.
    app.webhook("orders/paid", &fixtures::order(ORDER, &[(11, 101), (12, 102)], Some(EMAIL))).await;
    let mut alan = fixtures::order(ORDER + 1, &[(21, 101)], Some("alan@example.com"));
    alan["customer"]["id"] = json!(42);
    alan["customer"]["first_name"] = json!("Alan");
    alan["customer"]["last_name"] = json!("Turing");
    alan["customer"]["phone"] = json!("+441234567890");
    alan["shipping_address"] = json!({"first_name": "Alan", "last_name": "Turing", "phone": "+441234567890"});
    app.webhook("orders/paid", &alan).await;
    let grace_req = entity::testimonial_requests::Entity::find()
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.customer_email.as_deref() == Some(EMAIL))
        .unwrap();
    // Her request was sent and answered.
    let shop = app.shop_id();
    for to in [RequestStatus::Queued, RequestStatus::Sent, RequestStatus::Submitted] {
        server::store::requests::transition(app.db(), shop, grace_req.id, to, app.now(), Default::default())
            .await
            .unwrap();
    }
    let keys = give_testimonial(app, grace_req.id).await;
    (grace_req.id, keys)
}

use sea_orm::EntityTrait;

#[tokio::test]
async fn a_data_request_exports_everything_held_about_the_customer() {
    let app = TestApp::spawn().await;
    let (_, keys) = setup(&app).await;
    let req = json!({"shop_id": 1, "shop_domain": app.shop().as_str(), "customer": {"id": 7_200_000_000_000_001i64,
        "email": EMAIL, "phone": "+15550101234"}, "orders_requested": [ORDER], "data_request": {"id": 9999}});
    assert_eq!(app.webhook("customers/data_request", &req).await.status(), 200);
    let body = app.graphql("{ privacyExports { id dataRequestId customerId export } }", json!({})).await;
    let exports = body["data"]["privacyExports"].as_array().unwrap();
    assert_eq!(exports.len(), 1, "{body}");
    assert_eq!(exports[0]["dataRequestId"], "9999");
    let export = &exports[0]["export"];
    let reqs = export["testimonial_requests"].as_array().unwrap();
    assert_eq!(reqs.len(), 2, "both of Grace's requests, none of Alan's: {export}");
    let text = export.to_string();
    assert!(text.contains(EMAIL) && !text.contains("alan@example.com"));
    assert!(text.contains(&keys[1]), "media keys are listed");
    assert!(text.contains("Love it"));
    app.finish().await;
}

#[tokio::test]
async fn customer_redact_leaves_nothing_of_the_customer_in_any_table_or_in_storage() {
    let app = TestApp::spawn().await;
    let (_, keys) = setup(&app).await;
    // A data request first, so an export holding her data exists too.
    let who = json!({"id": 7_200_000_000_000_001i64, "email": EMAIL, "phone": "+15550101234"});
    app.webhook(
        "customers/data_request",
        &json!({"customer": who, "orders_requested": [ORDER], "data_request": {"id": 1}}),
    )
    .await;
    let before = dump(&app).await;
    assert!(before.contains(EMAIL) && before.contains("Lovelace"));
    for k in &keys {
        assert!(app.state().storage().exists(k).await.unwrap());
    }

    let redact =
        json!({"shop_id": 1, "shop_domain": app.shop().as_str(), "customer": who, "orders_to_redact": [ORDER]});
    assert_eq!(app.webhook("customers/redact", &redact).await.status(), 200);

    let after = dump(&app).await;
    for trace in [EMAIL, "Grace H.", "Love it", "+15550101234", &ORDER.to_string(), "7200000000000000001"] {
        assert!(!after.contains(trace), "{trace:?} is still stored:\n{after}");
    }
    for k in &keys {
        assert!(!app.state().storage().exists(k).await.unwrap(), "{k} still in storage");
    }
    assert!(after.contains("alan@example.com"), "another customer's data stays");
    // Replaying the redact is harmless.
    assert_eq!(app.webhook("customers/redact", &redact).await.status(), 200);
    app.finish().await;
}

#[tokio::test]
async fn shop_redact_leaves_nothing_of_the_shop_in_any_table_or_in_storage() {
    let app = TestApp::spawn().await;
    let (_, keys) = setup(&app).await;
    // Another shop's data must survive.
    let keeper = app.add_shop("keeper.myshopify.com").await;
    let keeper_key = format!("{}x/original.mp4", server::providers::storage::shop_prefix(keeper));
    app.state().storage().put(&keeper_key, Bytes::from_static(b"x")).await.unwrap();

    app.webhook("app/uninstalled", &json!({"id": 1})).await;
    // 48 hours later Shopify asks for erasure; the shop is uninstalled but this must still work.
    app.advance_clock(chrono::Duration::hours(48));
    let resp = app.webhook("shop/redact", &json!({"shop_id": 1, "shop_domain": app.shop().as_str()})).await;
    assert_eq!(resp.status(), 200);

    let after = dump(&app).await;
    let shop_id = app.shop_id().to_string();
    for trace in [app.shop().as_str(), shop_id.as_str(), EMAIL, "alan@example.com"] {
        assert!(!after.contains(trace), "{trace:?} is still stored:\n{after}");
    }
    for k in &keys {
        assert!(!app.state().storage().exists(k).await.unwrap());
    }
    assert!(
        app.state().storage().list(&server::providers::storage::shop_prefix(app.shop_id())).await.unwrap().is_empty()
    );
    assert!(after.contains("keeper.myshopify.com"));
    assert!(app.state().storage().exists(&keeper_key).await.unwrap());
    app.finish().await;
}

#[tokio::test]
async fn a_shop_redact_whose_body_names_another_shop_is_refused_recorded_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.add_shop("other-shop.myshopify.com").await;
    // Signed with our secret, the header names this shop, the body another: refused.
    let resp = app.webhook("shop/redact", &json!({"shop_id": 1, "shop_domain": "other-shop.myshopify.com"})).await;
    assert_eq!(resp.status(), 400);
    assert!(server::store::shops::get(app.db(), app.shop_id()).await.unwrap().is_some(), "this shop is untouched");
    let other = server::domain::shop_domain::ShopDomain::parse("other-shop.myshopify.com").unwrap();
    assert!(server::store::shops::find_by_domain(app.db(), &other).await.unwrap().is_some(), "and so is the other");
    let deliveries = entity::webhook_deliveries::Entity::find().all(app.db()).await.unwrap();
    let d = deliveries.iter().find(|d| d.topic == "shop/redact").expect("recorded");
    assert_eq!(d.status, entity::DeliveryStatus::Failed);
    assert!(d.error.as_deref().is_some_and(|e| e.contains("other-shop.myshopify.com")), "{:?}", d.error);
    app.finish().await;
}

/// Every file under a folder, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(files_under(&p)) } else { out.push(p) }
    }
    out
}

#[tokio::test]
async fn customer_redact_also_removes_unfinished_uploads_and_rewrites_the_blocks_that_showed_her() {
    let shopify = reelproof_tests::shopify::FakeShopify::start().await;
    let app = shopify.connected_app().await;
    let (grace, _) = setup(&app).await;
    // Her testimonial is published: it is in the theme blocks' metafields.
    let sub = entity::testimonial_submissions::Entity::find()
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.request_id == Some(grace))
        .unwrap();
    entity::testimonial_submissions::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(sub.id),
        published: Set(true),
        ..Default::default()
    }
    .update(app.db())
    .await
    .unwrap();
    // Her other request: she started an upload and never submitted (a part staged, nothing stored).
    let other = entity::testimonial_requests::Entity::find()
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.customer_email.as_deref() == Some(EMAIL) && r.id != grace)
        .unwrap();
    for to in [RequestStatus::Queued, RequestStatus::Sent] {
        server::store::requests::transition(app.db(), app.shop_id(), other.id, to, app.now(), Default::default())
            .await
            .unwrap();
    }
    let capture = app.state().links().capture_token(other.id);
    let token = capture.expose().to_owned();
    // What the send would have stored: the link's hash.
    entity::testimonial_requests::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(other.id),
        token_hash: Set(capture.hash().as_str().to_owned()),
        ..Default::default()
    }
    .update(app.db())
    .await
    .unwrap();
    let up = app.public_graphql(super::capture::UPLOAD, json!({"t": token, "ct": "video/mp4", "n": 1000})).await;
    let url = up["data"]["createUpload"]["url"].as_str().unwrap_or_else(|| panic!("{up}")).to_owned();
    let part = reelproof_tests::http()
        .put(&url)
        .header("content-type", "video/mp4")
        .header("content-range", "bytes 0-399/1000")
        .body(vec![7u8; 400])
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 200);
    let staging = app.state().config().data_dir.join("staging");
    assert!(!files_under(&staging).is_empty(), "a part is staged");
    // And an object a finished upload left, that no submission names.
    let orphan = format!("{}{}", server::providers::storage::upload_prefix(app.shop_id(), other.id), "left-behind.mp4");
    app.state().storage().put(&orphan, Bytes::from_static(b"video")).await.unwrap();

    let who = json!({"id": 7_200_000_000_000_001i64, "email": EMAIL, "phone": "+15550101234"});
    let redact =
        json!({"shop_id": 1, "shop_domain": app.shop().as_str(), "customer": who, "orders_to_redact": [ORDER]});
    assert_eq!(app.webhook("customers/redact", &redact).await.status(), 200);
    assert!(files_under(&staging).is_empty(), "no staged part of hers is left: {:?}", files_under(&staging));
    assert!(!app.state().storage().exists(&orphan).await.unwrap(), "no object of hers is left");
    // The blocks that showed her are written again, without her.
    app.run_background_until_idle().await;
    let set = shopify.metafields();
    let product = set
        .iter()
        .rev()
        .find(|m| m["ownerId"] == "gid://shopify/Product/101" && m["key"] == "testimonials_html")
        .expect("the product's block was rewritten");
    assert!(!product["value"].as_str().unwrap().contains(&sub.id.to_string()));
    app.finish().await;
}

#[tokio::test]
async fn the_delivery_scrub_pages_through_a_long_history_and_touches_only_the_redacted_orders() {
    use entity::webhook_deliveries as d;
    let app = TestApp::spawn().await;
    let other = app.add_shop("other-shop.myshopify.com").await;
    let now = app.now();
    let row = |shop: entity::ShopId, i: i64, order: i64| d::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(Some(shop)),
        source: Set(entity::WebhookSource::Shopify),
        topic: Set("orders/paid".into()),
        external_id: Set(format!("scrub-{shop}-{i}")),
        event_id: Set(None),
        triggered_at: Set(None),
        received_at: Set(now),
        status: Set(entity::DeliveryStatus::Processed),
        error: Set(None),
        result: Set(Some(json!({ "order_id": order }))),
    };
    // 1 200 deliveries (three pages), every hundredth about the redacted order.
    let rows: Vec<_> = (0..1200).map(|i| row(app.shop_id(), i, if i % 100 == 7 { ORDER } else { 1 + i })).collect();
    for chunk in rows.chunks(200) {
        d::Entity::insert_many(chunk.to_vec()).exec(app.db()).await.unwrap();
    }
    d::Entity::insert(row(other, 0, ORDER)).exec(app.db()).await.unwrap();
    let n = server::store::deliveries::scrub_results_for_orders(app.db(), app.shop_id(), &[ORDER]).await.unwrap();
    assert_eq!(n, 12);
    let all = d::Entity::find().all(app.db()).await.unwrap();
    let redacted = all.iter().filter(|r| r.result == Some(json!({ "redacted": true }))).count();
    assert_eq!(redacted, 12, "exactly the redacted order's deliveries of this shop");
    assert!(
        all.iter().any(|r| r.shop_id == Some(other) && r.result == Some(json!({ "order_id": ORDER }))),
        "another shop's stay"
    );
    app.finish().await;
}

/// An ffmpeg that, on the transcode, says it started (`started`) and waits for `release`.
fn ffmpeg_held_until_released(dir: &std::path::Path) -> std::path::PathBuf {
    let hold = format!("touch '{d}/started'\nwhile [ ! -e '{d}/release' ]; do sleep 0.05; done", d = dir.display());
    reelproof_tests::media::ffmpeg_wrapper(dir, &hold)
}

#[tokio::test]
async fn a_video_in_the_middle_of_its_transcode_when_its_customer_is_redacted_leaves_nothing_behind() {
    let tools = tempfile::tempdir().unwrap();
    let ffmpeg = ffmpeg_held_until_released(tools.path());
    let app = TestApp::spawn_with(move |c| c.media.tools.ffmpeg = ffmpeg).await;
    let (_, token) = super::capture::sent(&app).await;
    let key = super::capture::upload_video(&app, &token).await;
    let input = json!({"uploadKey": key, "displayName": "Ada", "consentPublish": true, "consentVersion": 1});
    let s = app.public_graphql(super::capture::SUBMIT, json!({"t": token, "i": input})).await;
    assert_eq!(s["data"]["submitTestimonial"]["hasVideo"], true, "{s}");

    let worker = app.run_background_until_idle();
    let redact_meanwhile = async {
        reelproof_tests::wait_for("the transcode to start", std::time::Duration::from_secs(30), || async {
            tools.path().join("started").exists().then_some(())
        })
        .await;
        let who = json!({"id": 7_200_000_000_000_001i64, "email": "ada@example.com"});
        let redact =
            json!({"shop_id": 1, "shop_domain": app.shop().as_str(), "customer": who, "orders_to_redact": [4_001]});
        assert_eq!(app.webhook("customers/redact", &redact).await.status(), 200);
        std::fs::write(tools.path().join("release"), b"").unwrap();
    };
    let (ran, ()) = futures_util::future::join(worker, redact_meanwhile).await;
    assert!(ran >= 1);
    let left = app.state().storage().list(&server::providers::storage::shop_prefix(app.shop_id())).await.unwrap();
    assert!(left.is_empty(), "the worker's playback and poster went with the customer: {left:?}");
    app.run_background_until_idle().await;
    app.finish().await;
}

#[tokio::test]
async fn a_redacted_customers_waiting_fallbacks_go_even_for_orders_the_request_does_not_name() {
    let app = TestApp::spawn().await;
    active(&app, json!({"trigger": "ORDER_DELIVERED", "delayDays": 1, "fallbackDays": 10})).await;
    // Two shipments waiting for their delivery event, each holding its customer's contact.
    let at = app.now();
    for (f, order, email) in [(901, 8_001, "ada@example.com"), (902, 8_002, "bo@example.com")] {
        let body = fixtures::fulfillment(f, order, &[(11, 101)], email, at);
        assert_eq!(app.webhook("fulfillments/create", &body).await.status(), 200);
    }
    let waiting = || async { server::store::jobs::count_unfinished_all_shops(app.db()).await.unwrap() };
    assert_eq!(waiting().await, 2);
    // Shopify names Ada but none of her orders.
    let redact = json!({"shop_id": 1, "shop_domain": app.shop().as_str(),
                        "customer": {"id": 1, "email": "ADA@example.com"}, "orders_to_redact": []});
    assert_eq!(app.webhook("customers/redact", &redact).await.status(), 200);
    assert_eq!(waiting().await, 1, "hers is gone, Bo's is kept");
    assert!(!dump(&app).await.to_ascii_lowercase().contains("ada@example.com"), "no trace of her contact");
    app.advance_clock(chrono::Duration::days(11));
    app.run_background_until_idle().await;
    app.finish().await;
}
