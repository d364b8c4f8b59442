//! Hostile input at the public edges (RELIABILITY.md): query bombs, oversized and malformed
//! bodies, stalled uploads and paths that try to climb out of the media store. Each gets a
//! clear client error, quickly, and nothing is written.

use reelproof_tests::TestApp;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn post_raw(app: &TestApp, path: &str, content_type: &str, body: Vec<u8>) -> (u16, String) {
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(app.session_token())
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

fn first_error(body: &str) -> Value {
    serde_json::from_str::<Value>(body).map(|v| v["errors"][0].clone()).unwrap_or(Value::Null)
}

#[tokio::test]
async fn query_bombs_are_refused_before_they_run() {
    let app = TestApp::spawn().await;
    // Depth: a selection nested far past any real screen.
    let started = Instant::now();
    for (levels, refusal) in [(20, "nested too deep"), (400, "recursion limit")] {
        let nest = (0..levels).fold("name".to_owned(), |inner, _| format!("ofType {{ {inner} }}"));
        let query = format!("{{ __type(name: \"Shop\") {{ {nest} }} }}");
        let (status, body) =
            post_raw(&app, "/api/graphql", "application/json", serde_json::to_vec(&json!({"query": query})).unwrap())
                .await;
        assert!(status < 500, "{status} {body}");
        let message = first_error(&body)["message"].as_str().unwrap_or_default().to_ascii_lowercase();
        assert!(message.contains(refusal), "{levels} levels: {body}");
    }
    // Aliases: one cheap field a thousand times is a thousand fields.
    let aliases: String = (0..1000).map(|i| format!("a{i}: shop {{ domain }} ")).collect();
    let (status, body) = post_raw(
        &app,
        "/api/graphql",
        "application/json",
        serde_json::to_vec(&json!({"query": format!("{{ {aliases} }}")})).unwrap(),
    )
    .await;
    assert!(status < 500, "{status} {body}");
    assert_eq!(first_error(&body)["message"], "at most 30 fields at the top of one operation (1000 asked)", "{body}");
    assert_eq!(first_error(&body)["extensions"]["code"], "VALIDATION");
    // Through a fragment too.
    let fragment: String = (0..40).map(|i| format!("a{i}: shop {{ domain }} ")).collect();
    let query = format!("query {{ ...F }} fragment F on AdminQuery {{ {fragment} }}");
    let (_, body) =
        post_raw(&app, "/api/graphql", "application/json", serde_json::to_vec(&json!({"query": query})).unwrap()).await;
    assert!(first_error(&body)["message"].as_str().is_some_and(|m| m.contains("(40 asked)")), "{body}");
    // The public capture API and the storefront have their own limits.
    let aliases: String = (0..300).map(|i| format!("a{i}: capture(token: \"x\") {{ productTitle }} ")).collect();
    let r = reelproof_tests::json_of(
        app.client.post(app.url("/api/public/graphql")).json(&json!({"query": format!("{{ {aliases} }}")})),
    )
    .await;
    assert!(r["errors"][0]["message"].as_str().is_some_and(|m| m.contains("at most 10 fields")), "{r}");
    let aliases: String = (0..100).map(|i| format!("a{i}: __typename ")).collect();
    let r = reelproof_tests::json_of(
        app.client.post(app.url("/api/storefront/graphql")).json(&json!({"query": format!("{{ {aliases} }}")})),
    )
    .await;
    assert!(r["errors"][0]["message"].as_str().is_some_and(|m| m.contains("at most 60 fields")), "{r}");
    println!(
        "query bombs: depth 21, a 400-level nest and 1 000 aliases refused in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    app.finish().await;
}

#[tokio::test]
async fn oversized_and_malformed_bodies_get_client_errors() {
    let app = TestApp::spawn().await;
    // Huge variables: 2 MiB of them.
    let huge =
        json!({"query": "query($x: String) { shop { domain } }", "variables": {"x": "x".repeat(2 * 1024 * 1024)}});
    let (status, _) = post_raw(&app, "/api/graphql", "application/json", serde_json::to_vec(&huge).unwrap()).await;
    assert_eq!(status, 413, "too large for the 1 MiB limit");
    // Invalid UTF-8 and invalid JSON.
    for body in [vec![0xff, 0xfe, 0x7b, 0x22], b"{\"query\": ".to_vec(), b"[1, 2".to_vec()] {
        let (status, text) = post_raw(&app, "/api/graphql", "application/json", body.clone()).await;
        assert!((400..500).contains(&status), "{status} {text}");
        let (status, text) = post_raw(&app, "/api/public/graphql", "application/json", body).await;
        assert!((400..500).contains(&status), "{status} {text}");
    }
    // A signed webhook whose body is not JSON is refused and recorded, not a 500.
    let body = vec![0xff, 0x00, 0x7b];
    let sig = server::shopify::webhooks::sign(reelproof_tests::TEST_API_SECRET, &body);
    let r = app.raw_webhook("orders/paid", "bad-bytes", body, Some(&sig)).await;
    assert!(r.status().as_u16() < 500, "{}", r.status());
    app.finish().await;
}

#[tokio::test]
async fn paths_that_climb_out_of_the_media_store_are_refused() {
    let app = TestApp::spawn().await;
    let secret = app.state().config().data_dir.join("secret.txt");
    std::fs::write(&secret, b"not for you").unwrap();
    for path in [
        "/uploads/..%2F..%2Fsecret.txt?ct=video%2Fmp4&max=10&exp=9999999999&sig=x",
        "/uploads/../../secret.txt?ct=video%2Fmp4&max=10&exp=9999999999&sig=x",
        "/media/..%2F..%2Fsecret.txt?exp=9999999999&sig=x",
        "/media/%2e%2e/%2e%2e/secret.txt?exp=9999999999&sig=x",
        "/s/00000000-0000-0000-0000-000000000000/00000000-0000-0000-0000-000000000000/..%2F..%2Fsecret.txt",
        "/capture/..%2F..%2Fsecret.txt",
        "/graphiql/..%2F..%2Fsecret.txt",
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        assert!(matches!(status, 400 | 403 | 404 | 405), "{path}: {status}");
        assert!(!text.contains("not for you"), "{path} leaked the file");
        let put = app.client.put(app.url(path)).header("content-type", "video/mp4").body("x").send().await.unwrap();
        assert!(matches!(put.status().as_u16(), 400 | 403 | 404 | 405), "{path}: {}", put.status());
    }
    assert_eq!(std::fs::read(&secret).unwrap(), b"not for you", "nothing overwritten");
    app.finish().await;
}

#[tokio::test]
async fn an_upload_that_stops_sending_is_cut_instead_of_holding_its_connection() {
    let app = TestApp::spawn_with(|c| c.capture.upload_idle_timeout = Duration::from_secs(1)).await;
    let (_, token) = super::capture::sent(&app).await;
    let up = app.public_graphql(super::capture::UPLOAD, json!({"t": token, "ct": "video/mp4", "n": 1000})).await;
    let url = url::Url::parse(up["data"]["createUpload"]["url"].as_str().unwrap_or_else(|| panic!("{up}"))).unwrap();
    let mut s = tokio::net::TcpStream::connect((url.host_str().unwrap(), url.port().unwrap())).await.unwrap();
    let head = format!(
        "PUT {}?{} HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\nContent-Range: bytes 0-999/1000\r\nContent-Length: 1000\r\n\r\n",
        url.path(),
        url.query().unwrap()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&[0u8; 10]).await.unwrap();
    s.flush().await.unwrap();
    // Then nothing: the server answers and lets go within the idle limit (plus slack).
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server still held the stalled upload after 10 s");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 4"), "a client error: {answer}");
    println!("slow upload: cut {:.1} s after its last byte (idle limit 1 s)", started.elapsed().as_secs_f64());
    // What arrived is kept for a resume.
    let r = app.client.head(url.as_str()).send().await.unwrap();
    assert_eq!(r.headers()["upload-offset"], "10");
    app.finish().await;
}
