//! Integrators' API tokens: shown once, stored hashed, scoped, revocable, per shop.

use reelproof_tests::TestApp;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

const CREATE: &str = "mutation($n: String!, $s: [ApiScope!]!) { createApiToken(name: $n, scopes: $s) { token apiToken { id name scopes } } }";
const SHOP: &str = "{ shop { domain } }";
const PAUSE: &str = "mutation { pauseCampaign(id: \"00000000-0000-0000-0000-000000000000\") { id } }";

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("<none>")
}

/// Calls the admin API with `bearer` as the `Authorization: Bearer` credential.
async fn call(app: &TestApp, bearer: &str, query: &str) -> (u16, Value) {
    let r = app.graphql_with(Some(bearer), query, json!({})).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn tokens_are_shown_once_scoped_and_revocable() {
    let app = TestApp::spawn().await;
    let created = app.graphql(CREATE, json!({"n": "Zapier", "s": ["READ", "WRITE"]})).await;
    let writer = created["data"]["createApiToken"]["token"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();
    assert!(writer.starts_with("rp_"));
    let reader = app.graphql(CREATE, json!({"n": "Dashboard", "s": ["READ"]})).await["data"]["createApiToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Stored hashed: the text is nowhere in the table.
    let rows = entity::api_tokens::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| !r.token_hash.contains(&writer[3..]) && r.token_hash.len() == 64));
    let listed = app.graphql("{ apiTokens { name scopes lastUsedAt revokedAt } }", json!({})).await;
    assert!(!listed.to_string().contains("rp_"), "the list never shows a token: {listed}");

    // Both read; only the writer writes (the pause reaches the resolver and finds nothing).
    for t in [&writer, &reader] {
        let (status, body) = call(&app, t, SHOP).await;
        assert_eq!((status, body["data"]["shop"]["domain"].as_str()), (200, Some("test-shop.myshopify.com")), "{body}");
    }
    assert_eq!(code(&call(&app, &writer, PAUSE).await.1), "NOT_FOUND");
    let (_, refused) = call(&app, &reader, PAUSE).await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");

    // A token cannot manage tokens.
    let (_, body) = call(&app, &writer, "{ apiTokens { id } }").await;
    assert_eq!(code(&body), "FORBIDDEN");

    // Use is recorded; revoking stops the token at once.
    let listed = app.graphql("{ apiTokens { id name lastUsedAt } }", json!({})).await;
    let zapier =
        listed["data"]["apiTokens"].as_array().unwrap().iter().find(|t| t["name"] == "Zapier").unwrap().clone();
    assert!(zapier["lastUsedAt"].is_string(), "{zapier}");
    let revoked =
        app.graphql("mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }", json!({"id": zapier["id"]})).await;
    assert!(revoked["data"]["revokeApiToken"]["revokedAt"].is_string(), "{revoked}");
    assert_eq!(call(&app, &writer, SHOP).await.0, 401);
    assert_eq!(call(&app, "rp_made-up", SHOP).await.0, 401);

    // Another shop cannot revoke this shop's token.
    let theirs = app.other_shop_token().await;
    let id = rows.iter().find(|r| r.name == "Dashboard").unwrap().id.to_string();
    let r: Value = app
        .graphql_with(Some(&theirs), "mutation($id: ID!) { revokeApiToken(id: $id) { id } }", json!({"id": id}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(code(&r), "NOT_FOUND");
    assert_eq!(call(&app, &reader, SHOP).await.0, 200, "still valid");

    let bad = app.graphql(CREATE, json!({"n": " ", "s": ["READ"]})).await;
    assert_eq!(code(&bad), "VALIDATION");
    app.finish().await;
}

/// Reads the next JSON line a graphql-ws client printed.
async fn next_line(out: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>) -> Value {
    let line = tokio::time::timeout(std::time::Duration::from_secs(30), out.next_line())
        .await
        .expect("the client answers within 30 s")
        .unwrap()
        .expect("a line");
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"))
}

#[tokio::test]
async fn a_read_token_runs_no_mutation_over_the_websocket_and_a_revoked_one_stops_on_an_open_socket() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let created = app.graphql(CREATE, json!({"n": "Dashboard", "s": ["READ"]})).await;
    let reader = created["data"]["createApiToken"]["token"].as_str().unwrap().to_owned();
    let id = created["data"]["createApiToken"]["apiToken"]["id"].clone();
    let mut client = reelproof_tests::graphql_ws_operations(
        &app.url("/api/graphql"),
        &format!("Bearer {reader}"),
        &[SHOP, PAUSE, SHOP],
    );
    let mut stdin = client.stdin.take().unwrap();
    let mut out = tokio::io::BufReader::new(client.stdout.take().unwrap()).lines();
    assert_eq!(next_line(&mut out).await, json!({"connected": true}));
    let read = next_line(&mut out).await;
    assert_eq!(read["data"]["shop"]["domain"], "test-shop.myshopify.com", "{read}");

    // A mutation on the socket is refused before it runs, as over HTTP.
    stdin.write_all(b"\n").await.unwrap();
    let refused = next_line(&mut out).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");

    // Revoked while the socket is open: its next operation is refused. (The check runs for
    // principals verified more than five seconds ago.)
    let r = app.graphql("mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }", json!({"id": id})).await;
    assert!(r["data"]["revokeApiToken"]["revokedAt"].is_string(), "{r}");
    app.advance_clock(chrono::Duration::seconds(6));
    stdin.write_all(b"\n").await.unwrap();
    let after = next_line(&mut out).await;
    assert_eq!(after["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{after}");
    assert!(after["data"].is_null(), "nothing of the shop after revocation: {after}");
    app.finish().await;
}

#[tokio::test]
async fn an_expired_session_token_or_an_uninstalled_shop_stops_on_an_open_socket() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let mut client = reelproof_tests::graphql_ws_operations(
        &app.url("/api/graphql"),
        &format!("Bearer {}", app.session_token()),
        &[SHOP, SHOP],
    );
    let mut stdin = client.stdin.take().unwrap();
    let mut out = tokio::io::BufReader::new(client.stdout.take().unwrap()).lines();
    assert_eq!(next_line(&mut out).await, json!({"connected": true}));
    assert_eq!(next_line(&mut out).await["data"]["shop"]["domain"], "test-shop.myshopify.com");
    // The minute-long session token has run out (plus Shopify's ten seconds of leeway).
    app.advance_clock(chrono::Duration::seconds(75));
    stdin.write_all(b"\n").await.unwrap();
    let after = next_line(&mut out).await;
    assert_eq!(after["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{after}");

    // A long-lived API token on a shop that uninstalls meanwhile.
    let created = app.graphql(CREATE, json!({"n": "BI", "s": ["READ"]})).await;
    let token = created["data"]["createApiToken"]["token"].as_str().unwrap().to_owned();
    let mut client =
        reelproof_tests::graphql_ws_operations(&app.url("/api/graphql"), &format!("Bearer {token}"), &[SHOP, SHOP]);
    let mut stdin = client.stdin.take().unwrap();
    let mut out = tokio::io::BufReader::new(client.stdout.take().unwrap()).lines();
    assert_eq!(next_line(&mut out).await, json!({"connected": true}));
    assert_eq!(next_line(&mut out).await["data"]["shop"]["domain"], "test-shop.myshopify.com");
    app.webhook("app/uninstalled", &json!({ "id": 1 })).await;
    app.advance_clock(chrono::Duration::seconds(6));
    stdin.write_all(b"\n").await.unwrap();
    assert_eq!(next_line(&mut out).await["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    app.finish().await;
}

#[tokio::test]
async fn a_socket_that_never_says_connection_init_is_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let url = url::Url::parse(&app.url("/api/graphql")).unwrap();
    let mut s = tokio::net::TcpStream::connect((url.host_str().unwrap(), url.port().unwrap())).await.unwrap();
    let upgrade = format!(
        "GET /api/graphql HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n",
        url.host_str().unwrap()
    );
    s.write_all(upgrade.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 101"), "{}", String::from_utf8_lossy(&buf[..n]));
    // Say nothing: the server closes the socket after its deadline (10 s), not never.
    let closed = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                // A close frame (opcode 8) may come before the end of the connection.
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the silent socket was still open after 20 s");
    app.finish().await;
}
