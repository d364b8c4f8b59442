//! The storefront widget in headless Chromium, on a page built as a theme builds it: the block's
//! server-rendered HTML (what the app proxy and the block's metafield hold), the stylesheet, and
//! the loader script from our server, on a different origin, as a storefront would be.

use super::storefront::{proxy_url, published};
use fantoccini::Locator;
use reelproof_tests::browser::Browser;
use reelproof_tests::{TEST_API_SECRET, TestApp, wait_for};
use serde_json::{Value, json};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

/// A theme's product page: a tall header (the block starts below the fold), the block, and a
/// layout-shift observer installed before anything renders.
fn theme_page(app: &TestApp, product: i64, server_html: &str) -> String {
    theme_page_with(app, product, server_html, "", &format!("{}/widget/loader.js", app.url("")))
}

/// The same page with the block's `data-api` attribute (empty: absent) and the loader's address.
fn theme_page_with(app: &TestApp, product: i64, server_html: &str, data_api: &str, loader: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<script>
  window.__errs = [];
  const w = console.warn; console.warn = function () {{ window.__errs.push([...arguments].map(String).join(' ')); w.apply(console, arguments); }};
  window.addEventListener('error', e => window.__errs.push(String(e.message)));
  window.__cls = 0;
  new PerformanceObserver(function (list) {{
    for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
  }}).observe({{ type: "layout-shift", buffered: true }});
</script>
<link rel="stylesheet" href="{app}/widget/reelproof.css">
</head><body>
<header style="height: 1400px">A theme's product page</header>
<div class="reelproof-widget" data-shop="{shop}"{data_api} data-product-id="{product}" data-layout="grid" data-heading="Our customers on camera" style="--rp-accent: #b91c1c">{server_html}</div>
<footer style="height: 600px">Footer</footer>
<script src="{loader}" async></script>
</body></html>"#,
        app = app.url(""),
        shop = app.shop().as_str(),
        data_api = if data_api.is_empty() { String::new() } else { format!(" data-api=\"{data_api}\"") },
    )
}

/// Serves `html` at `/` on a port of its own: the storefront's origin. It also serves the theme
/// extension's loader at `/cdn/reelproof-loader.js`, as Shopify's CDN does for the extension.
async fn storefront(html: std::sync::Arc<std::sync::Mutex<String>>) -> String {
    let router = axum::Router::new()
        .route(
            "/",
            axum::routing::get(move || {
                let html = html.lock().unwrap().clone();
                async move { axum::response::Html(html) }
            }),
        )
        .route(
            "/cdn/reelproof-loader.js",
            axum::routing::get(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "text/javascript")],
                    include_str!("../../../widget/extension/assets/reelproof-loader.js"),
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}/")
}

/// The app proxy's fragment for a product page: the HTML a theme block prints.
pub(crate) async fn fragment(app: &TestApp, product: i64) -> String {
    let url = proxy_url(app, &format!("/products/{product}"), &[("format", "fragment")], TEST_API_SECRET);
    app.client.get(url).send().await.unwrap().text().await.unwrap()
}

/// The ids of the testimonials a page shows.
const SHOWN: &str = "return [...document.querySelectorAll('[data-testimonial]')].map(e => e.dataset.testimonial)";

/// Brings the block into view and waits for the widget to enhance it.
async fn scroll_until_enhanced(b: &Browser) {
    js(b, "document.querySelector('.reelproof-widget').scrollIntoView(); return true").await;
    wait_js(
        b,
        "the widget to enhance the block",
        "return document.querySelector('.reelproof-widget[data-enhanced=true]') !== null",
    )
    .await;
}

async fn js(b: &Browser, script: &str) -> Value {
    b.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("{script}: {e}"))
}

async fn wait_js(b: &Browser, what: &str, script: &str) -> Value {
    wait_for(what, LONG, || async { Some(js(b, script).await).filter(|v| !v.is_null() && *v != json!(false)) }).await
}

#[tokio::test]
async fn the_widget_loads_lazily_shows_this_products_testimonials_plays_them_without_layout_shift_and_drops_unpublished_ones()
 {
    let app = TestApp::spawn().await;
    let ours = published(&app, 101).await;
    let theirs = published(&app, 202).await;
    let fragment = fragment(&app, 101).await;
    assert!(fragment.contains(&ours) && !fragment.contains(&theirs));
    let page = std::sync::Arc::new(std::sync::Mutex::new(theme_page(&app, 101, &fragment)));
    let url = storefront(page.clone()).await;

    let b = Browser::launch(&[]).await;
    b.client.goto(&url).await.unwrap();
    // The server HTML is there at once; the widget has not been fetched while out of view.
    wait_js(&b, "the loader to run", "return document.querySelector('.reelproof-widget').getAttribute('data-api')")
        .await;
    let wasm = "return performance.getEntriesByType('resource').some(r => r.name.endsWith('_bg.wasm'))";
    assert_eq!(js(&b, wasm).await, json!(false), "no WebAssembly before the block is near the viewport");
    assert_eq!(js(&b, "return document.querySelectorAll('[data-testimonial]').length").await, json!(1));

    scroll_until_enhanced(&b).await;
    assert_eq!(js(&b, wasm).await, json!(true));
    let ids = js(&b, SHOWN).await;
    assert_eq!(ids, json!([ours]), "this product's testimonial only");
    let heading = js(&b, "return document.querySelector('.reelproof__heading').textContent").await;
    assert_eq!(heading, json!("Our customers on camera"), "the block's heading setting");
    let label = js(&b, "return document.querySelector('.reelproof__play').getAttribute('aria-label')").await;
    assert_eq!(label, json!("Play: Video testimonial by Ada L."));
    assert_eq!(
        js(&b, "return document.querySelector('video').getAttribute('preload')").await,
        json!("none"),
        "nothing downloads before play"
    );

    // The poster is the small WebP a phone-sized cell needs, drawn in a box that was sized first.
    let poster = wait_js(
        &b,
        "the poster to load",
        "const i = document.querySelector('.reelproof__poster img'); return i && i.complete && i.naturalWidth > 0 && i.currentSrc",
    )
    .await;
    assert!(poster.as_str().unwrap().contains("/poster-") && poster.as_str().unwrap().ends_with(".webp"), "{poster}");
    // Keyboard: focus the play button and press Enter; the video plays.
    let button = b.client.find(Locator::Css(".reelproof__play")).await.unwrap();
    button.send_keys("\u{E007}").await.unwrap();
    wait_js(&b, "the video to play", "const v = document.querySelector('video'); return (v.error && ('error ' + v.error.code)) || (v.currentTime > 0 && !v.paused)").await;
    assert_eq!(
        js(&b, "const v = document.querySelector('video'); return v.error === null").await,
        json!(true),
        "H.264 plays in Chromium"
    );
    let shown = js(&b, "return getComputedStyle(document.querySelector('.reelproof__poster')).display").await;
    assert_eq!(shown, json!("none"), "the poster steps aside for the playing video");
    b.screenshot("widget-playing").await;
    assert_eq!(js(&b, "return window.__cls").await, json!(0), "cumulative layout shift");
    assert_eq!(js(&b, "return window.__errs").await, json!([]), "no script errors or warnings");
    b.close().await;

    // The merchant unpublishes; the same (stale) page drops it as soon as the widget asks.
    app.graphql("mutation($id: ID!) { unpublishSubmission(id: $id) { published } }", json!({"id": ours})).await;
    let b = Browser::launch(&[]).await;
    b.client.goto(&url).await.unwrap();
    js(&b, "document.querySelector('.reelproof-widget').scrollIntoView(); return true").await;
    wait_js(&b, "the widget to run", "return document.querySelector('.reelproof-widget[data-enhanced=true]') !== null")
        .await;
    assert_eq!(js(&b, "return document.querySelector('.reelproof-widget').hidden").await, json!(true));
    b.close().await;
    app.finish().await;
}

#[tokio::test]
async fn the_loader_is_far_under_shopifys_ten_kilobytes_compressed() {
    let app = TestApp::spawn().await;
    let r = app.get("/widget/loader.js").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/javascript; charset=utf-8");
    let body = r.bytes().await.unwrap();
    let text = String::from_utf8_lossy(&body).to_string();
    assert_eq!(
        text,
        include_str!("../../../widget/extension/assets/reelproof-loader.js"),
        "the theme extension ships this very file"
    );
    // gzip, as a CDN would send it.
    let mut gz = std::process::Command::new("gzip")
        .args(["-9", "-c"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    gz.stdin.take().unwrap().write_all(&body).unwrap();
    let compressed = gz.wait_with_output().unwrap().stdout.len();
    println!("loader: {} bytes, {compressed} bytes gzipped", body.len());
    assert!(compressed > 100 && compressed <= 10 * 1024, "{compressed} bytes gzipped");
    // The entry module names the widget's current files, and every one exists.
    let entry = app.get("/widget/entry.js").await;
    assert_eq!(entry.headers()["access-control-allow-origin"], "*");
    let entry = entry.text().await.unwrap();
    let names: Vec<&str> = entry.split(['"', '/']).filter(|p| p.starts_with("widget-")).collect();
    assert!(names.iter().any(|n| n.ends_with(".js")) && names.iter().any(|n| n.ends_with("_bg.wasm")), "{entry}");
    for name in names {
        assert_eq!(app.get(&format!("/widget/{name}")).await.status(), 200, "{name}");
    }
    app.finish().await;
}

#[tokio::test]
async fn the_theme_blocks_print_every_setting_escaped_and_read_only_app_owned_metafields() {
    let blocks = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../widget/extension/blocks");
    for entry in std::fs::read_dir(blocks).unwrap() {
        let path = entry.unwrap().path();
        let liquid = std::fs::read_to_string(&path).unwrap();
        let body = liquid.split("{% schema %}").next().unwrap();
        for output in body.split("{{").skip(1).map(|o| o.split("}}").next().unwrap().trim()) {
            let raw_metafield =
                output.starts_with("shop.metafields['$app']") || output.starts_with("product.metafields['$app']");
            let escaped = output.contains("| escape") || output.contains("| asset_url") || output.contains("| json");
            assert!(
                escaped || (raw_metafield && !output.contains("api_base")),
                "{}: {{{{ {output} }}}} is printed raw",
                path.display()
            );
            assert!(!output.contains("metafields.reelproof"), "{}: a merchant-writable namespace", path.display());
        }
        assert!(!body.contains("app_url"), "{}: no address for the merchant to type", path.display());
        assert!(
            body.contains("{{ 'reelproof-loader.js' | asset_url }}"),
            "{}: the loader comes from the extension",
            path.display()
        );
        // The styles are inline (no request holds the page's first paint), and the same as the
        // stylesheet the server serves for hand-written embeds.
        assert!(body.contains("{%- render 'reelproof-style' -%}"), "{}: the inline styles", path.display());
        assert!(!liquid.contains("\"stylesheet\""), "{}: no stylesheet link", path.display());
    }
    let extension = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../widget/extension");
    let css = std::fs::read_to_string(extension.join("assets/reelproof.css")).unwrap();
    let snippet = std::fs::read_to_string(extension.join("snippets/reelproof-style.liquid")).unwrap();
    let inline = snippet.strip_prefix("<style>\n").and_then(|s| s.strip_suffix("</style>\n")).unwrap();
    assert!(inline.ends_with(&css), "snippets/reelproof-style.liquid is assets/reelproof.css inside <style>");
    assert!(!inline.contains("{{") && !inline.contains("{%"), "nothing Liquid would run");
}

#[tokio::test]
async fn the_extensions_own_loader_finds_the_api_through_the_block_and_enhances_it() {
    let app = TestApp::spawn().await;
    let ours = published(&app, 101).await;
    let fragment = fragment(&app, 101).await;
    let page = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let url = storefront(page.clone()).await;
    // The loader comes from the storefront's origin (as from Shopify's CDN); the block names the
    // API (the `api_base` metafield the server writes).
    *page.lock().unwrap() =
        theme_page_with(&app, 101, &fragment, &app.url(""), &format!("{url}cdn/reelproof-loader.js"));
    let b = Browser::launch(&[]).await;
    b.client.goto(&url).await.unwrap();
    scroll_until_enhanced(&b).await;
    let ids = js(&b, SHOWN).await;
    assert_eq!(ids, json!([ours]));
    b.screenshot("widget-from-extension-loader").await;
    assert_eq!(js(&b, "return window.__errs").await, json!([]), "no script errors or warnings");
    b.close().await;
    app.finish().await;
}

#[tokio::test]
async fn a_block_without_server_html_is_filled_from_the_api_as_a_carousel() {
    // The preview page (`widget/index.html`) is such a block: the demo shop's home carousel.
    let app = TestApp::spawn_dev().await;
    let id = published(&app, 5).await;
    let b = Browser::launch(&[]).await;
    b.client.goto(&app.url("/widget/index.html")).await.unwrap();
    wait_js(
        &b,
        "the widget to render",
        "return document.querySelector('.reelproof-widget[data-enhanced=true]') !== null",
    )
    .await;
    let ids = js(&b, SHOWN).await;
    assert_eq!(ids, json!([id]));
    assert_eq!(js(&b, "return document.querySelector('cite').textContent").await, json!("Ada L."));
    let nav =
        js(&b, "return [...document.querySelectorAll('.reelproof__nav')].map(b => b.getAttribute('aria-label'))").await;
    assert_eq!(nav, json!(["Previous testimonials", "Next testimonials"]));
    // The widget's own rendering offers the posters as the server's HTML does.
    let sizes = js(&b, "const s = document.querySelector('.reelproof__poster source'); return s && [s.type, s.getAttribute('sizes'), s.srcset.split(', ').length]").await;
    assert_eq!(sizes, json!(["image/webp", server::domain::storefront::POSTER_SIZES, 2]), "the server's sizes");
    let video_poster = js(&b, "return document.querySelector('video').getAttribute('poster')").await;
    assert_eq!(video_poster, Value::Null, "one poster image, not two");
    b.close().await;
    app.finish().await;
}

#[tokio::test]
async fn on_a_french_storefront_the_widget_speaks_french_with_the_disclosure_badges() {
    let app = TestApp::spawn().await;
    let id = published(&app, 101).await;
    let fragment = fragment(&app, 101).await;
    assert!(fragment.contains("Verified buyer") && fragment.contains("data-lang=\"en\""), "the shop's language");
    let page = theme_page(&app, 101, &fragment).replace("data-product-id=", "data-locale=\"fr\" data-product-id=");
    let url = storefront(std::sync::Arc::new(std::sync::Mutex::new(page))).await;

    let b = Browser::launch(&[]).await;
    b.client.set_window_size(390, 900).await.unwrap();
    b.client.goto(&url).await.unwrap();
    scroll_until_enhanced(&b).await;
    let said = js(
        &b,
        "const q = s => document.querySelector(s); return [q('.reelproof').lang, q('.reelproof__badge--verified').textContent, q('.reelproof__note summary').textContent, q('.reelproof__play').getAttribute('aria-label'), q('.reelproof__summary').textContent.trim()]",
    )
    .await;
    assert_eq!(
        said,
        json!([
            "fr",
            "Acheteur vérifié",
            "Comment nous recueillons les témoignages",
            "Lire : Témoignage vidéo de Ada L.",
            "★★★★★ 1 témoignage vidéo"
        ]),
        "the storefront's language"
    );
    assert_eq!(js(&b, SHOWN).await, json!([id]));
    let cls = js(&b, "return window.__cls").await.as_f64().unwrap();
    assert!(cls <= 0.01, "no layout shift: {cls}");
    js(&b, "document.querySelector('.reelproof__note').open = true; document.querySelector('.reelproof').scrollIntoView(); return true").await;
    b.screenshot("widget-fr-badges").await;
    b.close().await;
    app.finish().await;
}
