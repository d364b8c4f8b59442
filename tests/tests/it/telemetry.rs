//! Trace export: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, the real binary sends its spans over
//! OTLP/HTTP to a local receiver — the HTTP request, the GraphQL operation, the webhook, the
//! job, the send and the transcode — carrying the ids an operator searches by, and never a
//! token or a customer's contact details.

use super::campaigns::active;
use axum::body::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message;
use reelproof_tests::process::ServerProcess;
use reelproof_tests::{TestApp, fixtures, media, wait_for};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One exported span: its name and attributes as text.
#[derive(Debug, Clone)]
struct Span {
    name: String,
    attributes: BTreeMap<String, String>,
}

/// An OTLP/HTTP receiver on a free port, keeping every span it is sent.
async fn receiver() -> (String, Arc<Mutex<Vec<Span>>>) {
    let spans: Arc<Mutex<Vec<Span>>> = Arc::default();
    let kept = spans.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: Bytes| {
            let kept = kept.clone();
            async move {
                let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf export");
                let mut kept = kept.lock().unwrap();
                for rs in request.resource_spans {
                    for ss in rs.scope_spans {
                        for s in ss.spans {
                            let attributes = s
                                .attributes
                                .into_iter()
                                .map(|kv| {
                                    let v = match kv.value.and_then(|v| v.value) {
                                        Some(AnyValue::StringValue(s)) => s,
                                        Some(AnyValue::IntValue(i)) => i.to_string(),
                                        Some(AnyValue::BoolValue(b)) => b.to_string(),
                                        Some(AnyValue::DoubleValue(d)) => d.to_string(),
                                        other => format!("{other:?}"),
                                    };
                                    (kv.key, v)
                                })
                                .collect();
                            kept.push(Span { name: s.name, attributes });
                        }
                    }
                }
                ([("content-type", "application/x-protobuf")], Vec::<u8>::new())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, spans)
}

#[tokio::test]
async fn spans_reach_an_otlp_receiver_with_ids_and_without_secrets_or_contact_data() {
    let app = TestApp::spawn().await;
    active(&app, json!({"delayDays": 0})).await;
    let (endpoint, spans) = receiver().await;
    let env =
        [("RUST_LOG", "warn"), ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()), ("OTEL_BSP_SCHEDULE_DELAY", "200")];
    let server = ServerProcess::start_with(&app, "all", &env, None).await;

    // A webhook, then the send the process's own scheduler makes.
    let email = "otel-customer@example.com";
    let order = fixtures::order(81_001, &[(11, 101)], Some(email));
    assert_eq!(app.webhook_at(&server.url(""), "orders/paid", &order).await.status(), 200);
    let request = wait_for("the request to be sent", Duration::from_secs(30), || async {
        use entity::testimonial_requests as requests;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let rows = requests::Entity::find().filter(requests::Column::ShopId.eq(app.shop_id())).all(app.db()).await;
        rows.unwrap().into_iter().find(|r| r.status == entity::RequestStatus::Sent)
    })
    .await;
    // A named admin operation.
    let session = app.session_token();
    let res = reelproof_tests::http()
        .post(server.url("/api/graphql"))
        .bearer_auth(&session)
        .json(&json!({"query": "query ShopAtAGlance { shop { domain } }", "operationName": "ShopAtAGlance"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // A video, processed by the process's media worker.
    let token = app.state().links().capture_token(request.id).expose().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let video = media::chrome_webm(dir.path());
    let public = server.url("/api/public/graphql");
    let up = reelproof_tests::json_of(reelproof_tests::http().post(&public).json(&json!({
        "query": "mutation($t: String!, $ct: String!, $n: Int!) { createUpload(token: $t, contentType: $ct, sizeBytes: $n) { url uploadKey } }",
        "variables": {"t": token, "ct": "video/webm", "n": video.len()}})))
    .await;
    let target = &up["data"]["createUpload"];
    let put = reelproof_tests::http()
        .put(target["url"].as_str().unwrap_or_else(|| panic!("{up}")))
        .header("content-type", "video/webm")
        .body(video)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
    let input =
        json!({"uploadKey": target["uploadKey"], "displayName": "Otto", "consentPublish": true, "consentVersion": 1});
    let submitted = reelproof_tests::json_of(
        reelproof_tests::http()
            .post(&public)
            .json(&json!({"query": super::capture::SUBMIT, "variables": {"t": token, "i": input}})),
    )
    .await;
    let submission_id =
        submitted["data"]["submitTestimonial"]["id"].as_str().unwrap_or_else(|| panic!("{submitted}")).to_owned();

    let named = |name: &str| spans.lock().unwrap().iter().filter(|s| s.name == name).cloned().collect::<Vec<_>>();
    wait_for("the transcode's span to be exported", Duration::from_secs(60), || async {
        (!named("transcode").is_empty()).then_some(())
    })
    .await;
    server.terminate(Duration::from_secs(30)).await;

    let shop_id = app.shop_id().to_string();
    // HTTP spans are named as OpenTelemetry's conventions say: "{method} {route}".
    let http: Vec<Span> =
        spans.lock().unwrap().iter().filter(|s| s.attributes.contains_key("http.route")).cloned().collect();
    assert!(http.iter().any(|s| s.name == "POST /webhooks/shopify"), "{http:?}");
    assert!(
        http.iter().any(|s| s.attributes.get("http.route").map(String::as_str) == Some("/webhooks/shopify")
            && s.attributes.get("http.response.status_code").map(String::as_str) == Some("200")),
        "{http:?}"
    );
    let op = named("graphql.operation");
    assert!(
        op.iter().any(|s| s.attributes.get("graphql.operation.name").map(String::as_str) == Some("ShopAtAGlance")
            && s.attributes.get("graphql.schema").map(String::as_str) == Some("admin")),
        "{op:?}"
    );
    let webhook = named("webhook");
    assert!(webhook.iter().any(|s| s.attributes.get("shop_id") == Some(&shop_id)), "{webhook:?}");
    let send = named("send");
    assert!(
        send.iter().any(|s| s.attributes.get("request_id") == Some(&request.id.to_string())
            && s.attributes.get("shop_id") == Some(&shop_id)
            && s.attributes.contains_key("campaign_id")),
        "{send:?}"
    );
    let job = named("job");
    assert!(job.iter().any(|s| s.attributes.get("kind").map(String::as_str) == Some("process_media")), "{job:?}");
    let transcode = named("transcode");
    assert!(transcode.iter().any(|s| s.attributes.get("submission_id") == Some(&submission_id)), "{transcode:?}");
    let media = named("media");
    assert!(media.iter().any(|s| s.attributes.contains_key("asset_id")), "{media:?}");

    // Nothing secret or personal in any span.
    let all = spans.lock().unwrap().clone();
    for s in &all {
        for (k, v) in &s.attributes {
            for secret in [token.as_str(), session.as_str(), email, reelproof_tests::TEST_API_SECRET] {
                assert!(!v.contains(secret), "span {} attribute {k} carries a secret or contact detail: {v}", s.name);
            }
        }
    }
    println!(
        "telemetry: {} spans exported ({} kinds)",
        all.len(),
        all.iter().map(|s| &s.name).collect::<std::collections::BTreeSet<_>>().len()
    );
    app.finish().await;
}
