//! `bench/storefront`: the product page's query (20 testimonials) against our storefront API on
//! Postgres; in the same run against PostGraphile 5 serving the same tables with an equivalent
//! query; and against a static JSON handler in this process (the same bytes, no database) as
//! the ceiling. Fixed concurrency, every response checked (status, no `errors`, 20 items);
//! prints requests/s, p50/p99 and the ratios.
//!
//! Needs PostgreSQL and, for the PostGraphile leg, Node 22 and PostGraphile from npm:
//! `npm install --prefix ~/.cache/reelproof-tools/bench node@22 postgraphile@5.1.5`
//! (`BENCH_POSTGRAPHILE_DIR` names another prefix; without it the leg is skipped, saying so).

use anyhow::Context;
use bench::{Latencies, ScratchDb, env_or, server_config};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use std::time::{Duration, Instant};

const SHOP: &str = "bench-shop.myshopify.com";
const PRODUCT: i64 = 9_007_199_254_740_993;
const ITEMS: usize = 20;

const OURS: &str = "query($shop: String!, $product: ID!) { testimonials(shop: $shop, placement: PRODUCT, productId: $product, first: 20) { edges { node { id displayName rating quote videoUrl posterUrl durationSeconds width height productId publishedAt } } } }";
/// The same rows and fields through PostGraphile's generated API: the indexed conditions it
/// exposes (shop, product, status, published), newest first, each with its media asset.
const POSTGRAPHILE: &str = "query($shop: UUID!, $product: BigInt!) { allTestimonialSubmissions(condition: {shopId: $shop, productId: $product, status: \"approved\", published: true}, orderBy: CREATED_AT_DESC, first: 20) { nodes { rowId displayName rating quote productId publishedAt placementProduct testimonialMediaAssetsBySubmissionId(first: 1) { nodes { processingStatus playbackKey posterKey durationMs width height } } } } }";

#[derive(Clone)]
struct Target {
    name: &'static str,
    method: reqwest::Method,
    url: String,
    body: Option<serde_json::Value>,
    /// Where the list is in the answer.
    list: &'static str,
}

struct Outcome {
    rps: f64,
    latencies: Latencies,
    requests: usize,
}

/// `concurrency` clients for `seconds`, each checking every answer.
async fn load(client: &reqwest::Client, t: &Target, concurrency: usize, seconds: u64) -> anyhow::Result<Outcome> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, t) = (client.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let t0 = Instant::now();
                check(&client, &t).await?;
                lat.push(t0.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(Outcome { rps: all.len() as f64 / elapsed, requests: all.len(), latencies: Latencies::new(all) })
}

async fn check(client: &reqwest::Client, t: &Target) -> anyhow::Result<()> {
    let mut req = client.request(t.method.clone(), &t.url);
    if let Some(b) = &t.body {
        req = req.json(b);
    }
    let resp = req.send().await?;
    let status = resp.status();
    let body: serde_json::Value = resp.json().await?;
    anyhow::ensure!(status == 200, "{}: HTTP {status}: {body}", t.name);
    anyhow::ensure!(body.get("errors").is_none(), "{}: errors in the answer: {body}", t.name);
    let n = body.pointer(t.list).and_then(|v| v.as_array()).map_or(0, Vec::len);
    anyhow::ensure!(n == ITEMS, "{}: {n} items instead of {ITEMS}: {body}", t.name);
    Ok(())
}

/// Published, ready testimonials of the product, plus other products' and unpublished ones.
async fn seed(state: &server::state::AppState, shop_id: entity::ShopId) -> anyhow::Result<()> {
    use entity::{AssetStatus, SubmissionStatus, testimonial_media_assets as assets, testimonial_submissions as subs};
    let now = chrono::Utc::now();
    for i in 0..200 {
        let (product, published) = match i {
            0..20 => (PRODUCT, true),
            20..40 => (PRODUCT, false),
            _ => (1000 + i as i64, true),
        };
        let id = entity::new_id();
        subs::ActiveModel {
            id: Set(id),
            shop_id: Set(shop_id),
            request_id: Set(None),
            campaign_id: Set(None),
            product_id: Set(product),
            display_name: Set(format!("Customer {i} Lastname")),
            rating: Set(Some((i % 5 + 1) as i16)),
            quote: Set(Some("Sturdy, beautiful and exactly as pictured. Would buy again.".into())),
            has_video: Set(true),
            consent_publish: Set(true),
            consent_text: Set("ok".into()),
            consent_version: Set(1),
            consented_at: Set(Some(now)),
            flagged: Set(false),
            flagged_reason: Set(None),
            status: Set(if published { SubmissionStatus::Approved } else { SubmissionStatus::Pending }),
            published: Set(published),
            published_at: Set(published.then_some(now)),
            placement_home: Set(true),
            placement_product: Set(true),
            featured: Set(false),
            sort_order: Set(0),
            moderated_at: Set(None),
            source: Set(entity::SubmissionSource::Import),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(state.db())
        .await?;
        let base = format!("{}{id}", server::providers::storage::shop_prefix(shop_id));
        let a = server::store::media_assets::insert_uploaded(
            state.db(),
            shop_id,
            id,
            format!("{base}/o"),
            "video/mp4".into(),
            1,
            now,
        )
        .await?;
        let mut a: assets::ActiveModel = a.into();
        a.processing_status = Set(AssetStatus::Ready);
        a.playback_key = Set(Some(format!("{base}/playback.mp4")));
        a.poster_key = Set(Some(format!("{base}/poster.jpg")));
        a.duration_ms = Set(Some(14_000));
        a.width = Set(Some(720));
        a.height = Set(Some(1280));
        a.update(state.db()).await?;
    }
    Ok(())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    server::install_crypto_provider();
    let admin_url: String = env_or("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let seconds: u64 = env_or("BENCH_SECONDS", 10);
    let concurrency: usize = env_or("BENCH_CONCURRENCY", 16);
    let pg_dir: String = env_or(
        "BENCH_POSTGRAPHILE_DIR",
        format!("{}/.cache/reelproof-tools/bench", std::env::var("HOME").unwrap_or_default()),
    );

    let db = ScratchDb::create(&admin_url).await?;
    let dir = tempfile::tempdir()?;
    let app = server::Application::build(server_config(dir.path(), &db.url, "bench-secret")).await?;
    let (addr, state) = (app.local_addr(), app.state().clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run(server::Role::Web, async {
        let _ = stopped.await;
    }));
    let domain = server::domain::shop_domain::ShopDomain::parse(SHOP)?;
    let shop_id = server::services::shops::provision(state.db(), &domain, chrono::Utc::now()).await?.profile.id;
    seed(&state, shop_id).await?;

    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let mut ours_url = url::Url::parse(&format!("http://{addr}/api/storefront/graphql"))?;
    let vars = serde_json::json!({"shop": SHOP, "product": PRODUCT.to_string()});
    ours_url.query_pairs_mut().append_pair("query", OURS).append_pair("variables", &vars.to_string());
    let ours = Target {
        name: "reelproof",
        method: reqwest::Method::GET,
        url: ours_url.to_string(),
        body: None,
        list: "/data/testimonials/edges",
    };

    // The ceiling: the same answer, as bytes, from an axum handler in this process.
    let answer = client.get(&ours.url).send().await?.bytes().await?;
    let router = axum::Router::new().route(
        "/static",
        axum::routing::get(move || {
            let answer = answer.clone();
            async move { ([("content-type", "application/json")], answer) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let static_addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    let ceiling = Target {
        name: "static JSON",
        method: reqwest::Method::GET,
        url: format!("http://{static_addr}/static"),
        body: None,
        list: "/data/testimonials/edges",
    };

    // PostGraphile 5 on the same database.
    let node = std::path::Path::new(&pg_dir).join("node_modules/.bin/node");
    let cli = std::path::Path::new(&pg_dir).join("node_modules/.bin/postgraphile");
    let mut postgraphile = None;
    let mut pg_target = None;
    if node.exists() && cli.exists() {
        let port = free_port();
        let child = tokio::process::Command::new(&node)
            .arg(&cli)
            .args(["-P", "postgraphile/presets/amber", "-c", &db.url, "-s", "public", "-n", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .env("GRAPHILE_ENV", "production")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting PostGraphile")?;
        postgraphile = Some(child);
        let t = Target {
            name: "PostGraphile 5",
            method: reqwest::Method::POST,
            url: format!("http://127.0.0.1:{port}/graphql"),
            body: Some(
                serde_json::json!({"query": POSTGRAPHILE, "variables": {"shop": shop_id, "product": PRODUCT.to_string()}}),
            ),
            list: "/data/allTestimonialSubmissions/nodes",
        };
        let started = Instant::now();
        while check(&client, &t).await.is_err() {
            anyhow::ensure!(started.elapsed() < Duration::from_secs(60), "PostGraphile did not answer within 60 s");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        pg_target = Some(t);
    } else {
        println!("PostGraphile leg skipped: no {} (see the header of this file)", cli.display());
    }

    println!("storefront PDP query, {ITEMS} testimonials, concurrency {concurrency}, {seconds} s each, Postgres");
    let mut results = Vec::new();
    for t in std::iter::once(&ceiling).chain(std::iter::once(&ours)).chain(pg_target.as_ref()) {
        // A short warm-up, then the measured run; the load comes from a runtime of its own, so
        // its tasks do not queue behind our server's on the same scheduler (PostGraphile has
        // a process of its own too).
        let (client, t2) = (client.clone(), t.clone());
        let o = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
            rt.block_on(async {
                load(&client, &t2, concurrency, 1).await?;
                load(&client, &t2, concurrency, seconds).await
            })
        })
        .join()
        .map_err(|_| anyhow::anyhow!("the load thread panicked"))??;
        println!("{:>16}: {:>8.0} req/s ({} requests), {}", t.name, o.rps, o.requests, o.latencies.summary());
        results.push((t.name, o.rps));
    }
    let rps = |name: &str| results.iter().find(|r| r.0 == name).map(|r| r.1);
    if let (Some(o), Some(c)) = (rps("reelproof"), rps("static JSON")) {
        println!("reelproof / static ceiling: {:.1} %", o / c * 100.0);
    }
    if let (Some(o), Some(p)) = (rps("reelproof"), rps("PostGraphile 5")) {
        println!("reelproof / PostGraphile 5: {:.2}×", o / p);
    }

    if let Some(mut c) = postgraphile {
        let _ = c.kill().await;
    }
    let _ = stop.send(());
    server.await??;
    db.drop_now().await?;
    Ok(())
}
