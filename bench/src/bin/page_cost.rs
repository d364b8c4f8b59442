//! `bench/page_cost`: what the product block costs a storefront page, as Lighthouse measures it
//! (issue 16, goal 5). A theme-like product page (header, a 1200 px product photo, title,
//! price, button, description; the block right below, peeking in at the fold of a phone) is
//! served locally, compressed as Shopify serves it, three ways: without the block (the
//! baseline), with the block as it ships (its styles inline, posters in sizes as WebP with
//! `srcset`, set after the page's load), and with the block's posters as they were (the
//! video's full-size poster). Each page gets `BENCH_RUNS` Lighthouse runs (default 5; mobile, simulated
//! throttling, Chromium headless, nothing fetched from outside this machine); the medians of the
//! performance score, Total Blocking Time, Largest Contentful Paint and Cumulative Layout
//! Shift are printed with the block's cost against the page without it.
//!
//! The testimonials are four real portrait videos (1080×1920) through the media worker,
//! approved and published, on a scratch PostgreSQL database; the block's HTML is the app
//! proxy's, the stylesheet and loader the server's, the widget the built one (`dist/widget`).
//!
//! Needs: the UIs built, Chromium (`CHROME_PATH`, default `/usr/bin/chromium`), and the
//! Lighthouse CLI (`BENCH_LIGHTHOUSE`; `.ci/bench` installs it from npm). Goals: score cost ≤ 1
//! point, LCP cost ≤ 100 ms, TBT cost ≤ 20 ms, CLS 0.

use anyhow::Context;
use bench::{ScratchDb, env_or, result};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use server::domain::submission_state::ModerationAction;
use std::path::Path;
use std::process::Command;

const PRODUCT: i64 = 42;
/// The theme app extension's assets, as Shopify's CDN serves them, and the styles its blocks
/// print inline.
const EXTENSION_STYLE: &str = include_str!("../../../widget/extension/snippets/reelproof-style.liquid");
const EXTENSION_LOADER: &str = include_str!("../../../widget/extension/assets/reelproof-loader.js");
const VIDEOS: usize = 4;

/// One Lighthouse run's figures.
#[derive(Debug, Clone)]
struct Run {
    score: f64,
    tbt_ms: f64,
    lcp_ms: f64,
    cls: f64,
    /// The page's Largest Contentful Paint element, as Lighthouse names it.
    lcp_element: String,
}

fn lighthouse(cli: &str, chrome: &str, url: &str) -> anyhow::Result<Run> {
    let out = Command::new(cli)
        .arg(url)
        .args(["--quiet", "--output=json", "--output-path=stdout", "--only-categories=performance"])
        .arg("--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run")
        .env("CHROME_PATH", chrome)
        .output()
        .with_context(|| format!("running {cli}"))?;
    anyhow::ensure!(out.status.success(), "lighthouse failed: {}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).context("lighthouse's JSON")?;
    let audit = |id: &str| report["audits"][id]["numericValue"].as_f64().unwrap_or(f64::NAN);
    Ok(Run {
        score: report["categories"]["performance"]["score"].as_f64().unwrap_or(f64::NAN) * 100.0,
        tbt_ms: audit("total-blocking-time"),
        lcp_ms: audit("largest-contentful-paint"),
        cls: audit("cumulative-layout-shift"),
        lcp_element:
            report["audits"]["largest-contentful-paint-element"]["details"]["items"][0]["items"][0]["node"]["snippet"]
                .as_str()
                .unwrap_or("?")
                .chars()
                .take(90)
                .collect(),
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The medians of `runs` Lighthouse runs of `url`.
fn measure(cli: &str, chrome: &str, url: &str, runs: usize) -> anyhow::Result<Run> {
    let all: Vec<Run> = (0..runs).map(|_| lighthouse(cli, chrome, url)).collect::<anyhow::Result<_>>()?;
    let of = |f: fn(&Run) -> f64| median(all.iter().map(f).collect());
    Ok(Run {
        score: of(|r| r.score),
        tbt_ms: of(|r| r.tbt_ms),
        lcp_ms: of(|r| r.lcp_ms),
        cls: of(|r| r.cls),
        lcp_element: all[0].lcp_element.clone(),
    })
}

/// A theme's product page, with `block` (the block's HTML, or nothing) under the description.
fn theme_page(api: &str, shop: &str, block: Option<&str>) -> String {
    let block = block
        .map(|html| {
            format!(
                r#"{EXTENSION_STYLE}<div class="reelproof-widget" data-shop="{shop}" data-api="{api}" data-product-id="{PRODUCT}" data-layout="grid" data-limit="12" data-heading="What our customers say" data-locale="en">{html}</div>
<script src="/cdn/reelproof-loader.js" defer></script>"#
                // (The block prints its styles inline; its loader comes from the shop's CDN with
                // the theme's own assets — here the page's origin; only the widget, the API and
                // the media come from our server.)
            )
        })
        .unwrap_or_default();
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Walnut desk – Acme Furniture</title>
<meta name="description" content="A solid walnut desk, made to order.">
<style>
  body {{ margin: 0; font-family: system-ui, sans-serif; color: #1f2937; }}
  header {{ height: 56px; display: flex; align-items: center; padding: 0 16px; border-bottom: 1px solid #e5e7eb; font-weight: 700; }}
  main {{ max-width: 1200px; margin: 0 auto; padding: 16px; }}
  .product {{ display: grid; gap: 24px; }}
  @media (min-width: 750px) {{ .product {{ grid-template-columns: 3fr 2fr; }} }}
  .product img {{ display: block; width: 100%; height: auto; border-radius: 8px; }}
  h1 {{ margin: 0 0 8px; font-size: 28px; }}
  .price {{ font-size: 20px; margin: 0 0 16px; }}
  button {{ width: 100%; padding: 14px; font-size: 16px; border: 0; border-radius: 6px; background: #111827; color: #fff; }}
  footer {{ padding: 48px 16px; background: #f3f4f6; }}
</style>
</head><body>
<header>Acme Furniture</header>
<main>
  <div class="product">
    <img src="/product.jpg" width="1200" height="1200" alt="Walnut desk" fetchpriority="high">
    <div>
      <h1>Walnut desk</h1>
      <p class="price">$499.00</p>
      <button type="button">Add to cart</button>
      <p>Solid American walnut, oiled by hand, with a cable tray and soft-close drawer.</p>
    </div>
  </div>
  {block}
</main>
<footer>Acme Furniture · Shipping · Returns · Contact</footer>
</body></html>"#
    )
}

fn gzip(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    use std::io::Write;
    let mut child = Command::new("gzip")
        .arg("-9c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("gzip")?;
    child.stdin.take().context("gzip's stdin")?.write_all(bytes)?;
    let out = child.wait_with_output()?;
    anyhow::ensure!(out.status.success(), "gzip failed");
    Ok(out.stdout)
}

fn ffmpeg(args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new("ffmpeg").args(["-nostdin", "-y", "-v", "error"]).args(args).status()?;
    anyhow::ensure!(status.success(), "ffmpeg {args:?} failed");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    server::install_crypto_provider();
    let admin_url: String = env_or("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let runs: usize = env_or("BENCH_RUNS", 5);
    let cli: String = env_or("BENCH_LIGHTHOUSE", "lighthouse".to_owned());
    let chrome: String = env_or("CHROME_PATH", "/usr/bin/chromium".to_owned());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    anyhow::ensure!(root.join("dist/widget/index.html").exists(), "dist/widget: build the UIs first");

    let work = tempfile::tempdir()?;
    let clip = work.path().join("clip.mp4");
    let clip_s = clip.display().to_string();
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=1080x1920:rate=30:duration=3",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=3",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        &clip_s,
    ])?;
    let photo = work.path().join("product.jpg");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=1200x1200",
        "-frames:v",
        "1",
        "-q:v",
        "4",
        &photo.display().to_string(),
    ])?;
    let photo = std::fs::read(&photo)?;

    let scratch = ScratchDb::create(&admin_url).await?;
    let data = tempfile::tempdir()?;
    let mut config = bench::server_config(data.path(), &scratch.url, "bench-secret");
    config.ui_dir = root.join("dist");
    let app = server::Application::build(config).await?;
    let (api, state) = (format!("http://{}", app.local_addr()), app.state().clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(async move {
        app.run(server::Role::Web, async {
            let _ = stopped.await;
        })
        .await
    });
    let shop = "bench.myshopify.com";
    let (shop_id, c) = bench::shop_with_campaign(state.db(), shop, 0).await?;
    let now = chrono::Utc::now();
    for i in 0..VIDEOS {
        let mut row = bench::request_row(shop_id, c.id, i, 0, now, now + chrono::Duration::days(30));
        row.product_id = Set(PRODUCT);
        row.status = Set(entity::RequestStatus::Submitted);
        let request = row.insert(state.db()).await?;
        let asset = bench::uploaded_asset(&state, &request, std::fs::read(&clip)?).await?;
        let outcome = server::services::media::process(&state, shop_id, asset).await.map_err(anyhow::Error::msg)?;
        anyhow::ensure!(outcome == server::services::media::Processed::Ready, "the worker did not finish: {outcome:?}");
        let a = entity::testimonial_media_assets::Entity::find_by_id(asset).one(state.db()).await?.context("asset")?;
        for action in [ModerationAction::Approve, ModerationAction::Publish { home: true, product: true }] {
            server::services::moderation::act(&state, shop_id, "bench", a.submission_id, action, None).await?;
        }
    }
    let req = server::services::storefront::ProxyRequest {
        placement: server::domain::visibility::Placement::Product(PRODUCT),
        heading: "What our customers say".into(),
        rating_markup: true,
        limit: 12,
    };
    let sized = server::services::storefront::proxy_html(&state, shop_id, &req).await?;
    anyhow::ensure!(sized.contains("<picture"), "the block shows posters in sizes");
    // The block as it was: only the full-size poster (what assets processed earlier still get).
    use entity::testimonial_media_assets as assets;
    let kept: Vec<assets::Model> =
        assets::Entity::find().filter(assets::Column::ShopId.eq(shop_id)).all(state.db()).await?;
    for a in &kept {
        let mut m: assets::ActiveModel = a.clone().into();
        m.poster_widths = Set(None);
        m.update(state.db()).await?;
    }
    server::store::shops::bump_storefront_version(state.db(), shop_id).await?;
    let full = server::services::storefront::proxy_html(&state, shop_id, &req).await?;
    anyhow::ensure!(!full.contains("<picture") && full.contains(" poster=\""), "the old block's markup");
    for a in &kept {
        let mut m: assets::ActiveModel = a.clone().into();
        m.poster_widths = Set(a.poster_widths.clone());
        m.update(state.db()).await?;
    }

    let pages = std::sync::Arc::new([
        theme_page(&api, shop, None),
        theme_page(&api, shop, Some(&sized)),
        theme_page(&api, shop, Some(&full)),
    ]);
    // Served compressed, as Shopify's CDN serves a theme's pages and assets.
    let pages: std::sync::Arc<Vec<Vec<u8>>> =
        std::sync::Arc::new(pages.iter().map(|p| gzip(p.as_bytes())).collect::<anyhow::Result<_>>()?);
    let loader = gzip(EXTENSION_LOADER.as_bytes())?;
    let site = {
        use axum::response::IntoResponse;
        let page = |i: usize| {
            let pages = pages.clone();
            axum::routing::get(move || async move {
                ([("content-type", "text/html; charset=utf-8"), ("content-encoding", "gzip")], pages[i].clone())
                    .into_response()
            })
        };
        axum::Router::new()
            .route("/", page(0))
            .route("/with-block", page(1))
            .route("/with-full-posters", page(2))
            .route(
                "/cdn/reelproof-loader.js",
                axum::routing::get(move || async move {
                    (
                        [
                            ("content-type", "text/javascript"),
                            ("content-encoding", "gzip"),
                            ("cache-control", "max-age=3600"),
                        ],
                        loader,
                    )
                }),
            )
            .route(
                "/product.jpg",
                axum::routing::get(move || {
                    let photo = photo.clone();
                    async move {
                        ([("content-type", "image/jpeg"), ("cache-control", "max-age=3600")], photo).into_response()
                    }
                }),
            )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let site_url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, site).await });

    println!(
        "page cost: a product page with and without the block, Lighthouse (mobile, simulated throttling), median of {runs} runs"
    );
    let mut figures = Vec::new();
    for (name, path) in [
        ("without the block", "/"),
        ("with the block", "/with-block"),
        ("with full-size posters (before)", "/with-full-posters"),
    ] {
        let cli = cli.clone();
        let chrome = chrome.clone();
        let url = format!("{site_url}{path}");
        let r = tokio::task::spawn_blocking(move || measure(&cli, &chrome, &url, runs)).await??;
        println!(
            "  {name:<32} score {:>5.1}  TBT {:>6.0} ms  LCP {:>6.0} ms  CLS {:.3}\n    LCP element: {}",
            r.score, r.tbt_ms, r.lcp_ms, r.cls, r.lcp_element
        );
        figures.push(r);
    }
    let (bare, block, before) = (&figures[0], &figures[1], &figures[2]);
    println!(
        "  the block costs {:.1} points, {:+.0} ms TBT, {:+.0} ms LCP (full-size posters: {:.1} points, {:+.0} ms LCP)",
        bare.score - block.score,
        block.tbt_ms - bare.tbt_ms,
        block.lcp_ms - bare.lcp_ms,
        bare.score - before.score,
        before.lcp_ms - bare.lcp_ms,
    );
    result(
        "page cost: Lighthouse score with the block",
        &format!("{:.0}", block.score),
        &format!("{:.0} without", bare.score),
        &format!("{:+.0} points", block.score - bare.score),
        "cost ≤ 1 point",
    );
    result(
        "page cost: LCP with the block",
        &format!("{:.0} ms", block.lcp_ms),
        &format!("{:.0} ms without ({:.0} ms full-size posters)", bare.lcp_ms, before.lcp_ms),
        &format!("{:+.0} ms", block.lcp_ms - bare.lcp_ms),
        "cost ≤ 100 ms",
    );
    result(
        "page cost: TBT with the block",
        &format!("{:.0} ms", block.tbt_ms),
        &format!("{:.0} ms without", bare.tbt_ms),
        &format!("{:+.0} ms", block.tbt_ms - bare.tbt_ms),
        "cost ≤ 20 ms",
    );
    result(
        "page cost: CLS with the block",
        &format!("{:.3}", block.cls),
        &format!("{:.3} without", bare.cls),
        "—",
        "0",
    );

    let _ = stop.send(());
    let _ = serving.await;
    scratch.drop_now().await?;
    Ok(())
}
