//! The built UIs as the server serves them. Needs `dist/` (the test command builds it).

use reelproof_tests::{TestApp, ui_dir};

/// The module and WebAssembly `dist/<dir>/index.html` preloads, as the paths the browser asks for.
fn preloaded(dir: &str) -> Vec<String> {
    let path = ui_dir().join(dir).join("index.html");
    let html = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} is missing ({e}): build the UIs first (bash .ci/test does)", path.display()));
    let found: Vec<String> = html
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.ends_with(".js") || href.ends_with(".wasm"))
        .map(str::to_owned)
        .collect();
    assert_eq!(found.len(), 2, "a module and its WebAssembly in {}", path.display());
    found
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
    // The admin's first load: its module and WebAssembly, inside a directory named by their hash.
    let mut paths = preloaded("app");
    let module_dir = paths[0].rsplit_once('/').expect("a path").0.to_owned();
    // Every other screen is a chunk of its own in the same directory, with the loader that
    // fetches them: all of it must be served as immutable as the module itself.
    let local = ui_dir().join(module_dir.trim_start_matches('/'));
    let files: Vec<String> = std::fs::read_dir(&local)
        .unwrap_or_else(|e| panic!("{}: {e}", local.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    let screens = files.iter().filter(|f| f.starts_with("split_") && f.ends_with(".wasm")).count();
    assert!(screens >= 10, "one chunk per lazy screen, found {screens} in {files:?}");
    let loader = files.iter().find(|f| f.starts_with("__wasm_split") && f.ends_with(".js")).expect("the chunk loader");
    let settings = files.iter().find(|f| f.contains("settings") && f.ends_with(".wasm")).expect("the settings chunk");
    paths.push(format!("{module_dir}/{loader}"));
    paths.push(format!("{module_dir}/{settings}"));
    paths.extend(preloaded("widget"));
    for path in &paths {
        let mime = if path.ends_with(".wasm") { "application/wasm" } else { "text/javascript" };
        let resp = app.get(path).await;
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(resp.headers()["content-type"], mime, "{path}");
        assert_eq!(resp.headers()["cache-control"], "public, max-age=31536000, immutable", "{path}");
        if path.starts_with("/widget/") {
            assert_eq!(resp.headers()["access-control-allow-origin"], "*");
        }
        let bytes = resp.bytes().await.unwrap();
        if path.ends_with(".wasm") {
            assert_eq!(&bytes[..4], b"\0asm", "a real WebAssembly module: {path}");
        }
    }
    // The shell itself and anything outside a hashed name or directory must be revalidated.
    assert_eq!(app.get("/app/").await.headers()["cache-control"], "no-cache");
    assert_eq!(app.get("/widget/missing.js").await.status(), 404);
    // A file the build did not make (a chunk of a deploy that has gone) is a 404, not the shell:
    // the loader then fails plainly instead of compiling HTML as WebAssembly.
    assert_eq!(app.get(&format!("{module_dir}/missing.wasm")).await.status(), 404);
    assert_eq!(app.get("/app/old-0123456789abcdef/admin-ui.js").await.status(), 404);
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
