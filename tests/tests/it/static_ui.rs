//! The Trunk-built UIs as the server serves them. Needs `dist/` (the test command builds it).

use reelproof_tests::{TestApp, ui_dir};

fn hashed_asset(dir: &str, suffix: &str) -> String {
    let path = ui_dir().join(dir);
    let entries = std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("{} is missing ({e}): build the UIs first (bash .ci/test does)", path.display()));
    entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find(|n| n.ends_with(suffix))
        .unwrap_or_else(|| panic!("no *{suffix} in {}", path.display()))
}

#[tokio::test]
async fn the_admin_shell_is_served_uncached_with_production_head_tags() {
    let app = TestApp::spawn().await;
    for path in ["/app", "/app/", "/app/campaigns/123", "/app/index.html"] {
        let resp = app.get(path).await;
        assert_eq!(resp.status(), 200, "{path}");
        assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        assert_eq!(resp.headers()["cache-control"], "no-cache", "{path}");
        let html = resp.text().await.unwrap();
        assert!(html.contains(r#"<meta name="shopify-api-key" content="7e57a9f1c0de4b5e8a11c0ffee5eed01">"#), "{path}");
        assert!(html.contains("app-bridge.js"));
        assert!(!html.contains("reelproof-dev-mode"));
    }
    app.finish().await;
}

#[tokio::test]
async fn hashed_assets_get_the_right_type_and_a_year_of_cache() {
    let app = TestApp::spawn().await;
    for (dir, suffix, mime) in [
        ("app", "_bg.wasm", "application/wasm"),
        ("app", ".js", "text/javascript"),
        ("widget", "_bg.wasm", "application/wasm"),
    ] {
        let name = hashed_asset(dir, suffix);
        let resp = app.get(&format!("/{dir}/{name}")).await;
        assert_eq!(resp.status(), 200, "{name}");
        assert_eq!(resp.headers()["content-type"], mime, "{name}");
        assert_eq!(resp.headers()["cache-control"], "public, max-age=31536000, immutable", "{name}");
        if dir == "widget" {
            assert_eq!(resp.headers()["access-control-allow-origin"], "*");
        }
        let bytes = resp.bytes().await.unwrap();
        if suffix.ends_with("wasm") {
            assert_eq!(&bytes[..4], b"\0asm", "a real WebAssembly module");
        }
    }
    assert_eq!(app.get("/widget/missing.js").await.status(), 404);
    app.finish().await;
}

#[tokio::test]
async fn dev_mode_marks_the_shell_for_dev_session_tokens() {
    let app = TestApp::spawn_dev().await;
    let html = app.get("/app/").await.text().await.unwrap();
    assert!(html.contains(r#"<meta name="reelproof-dev-mode" content="1">"#));
    assert!(!html.contains("shopify-api-key"));
    app.finish().await;
}
