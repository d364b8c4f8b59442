//! `bench/storefront`: the storefront API on Postgres, as themes and the widget call it
//! (`GET`, the query in the URL). Legs, each at fixed concurrency with every answer checked:
//!
//! - the product page's query (20 testimonials) against ours, against PostGraphile 5 serving
//!   the same tables with an equivalent query, and against a static JSON handler in this process
//!   (the same bytes, no database) as the ceiling;
//! - the home page's query (20 testimonials) and a collection page's `productTestimonialSummary`
//!   batch (24 products by alias);
//! - invalidation: two replicas of the server on the same database, the product page loaded
//!   through both while one testimonial is unpublished and published again ten times a second
//!   through replica A; every answer is checked against the visibility rule (an answer to a
//!   request sent after a change returned must show it) and the stale ones are counted.
//!
//! Prints requests/s, p50/p99 and the ratios with their goals.
//!
//! Needs PostgreSQL and, for the PostGraphile leg, Node 22 and PostGraphile from npm:
//! `npm install --prefix ~/.cache/reelproof-tools/bench node@22 postgraphile@5.1.5`
//! (`BENCH_POSTGRAPHILE_DIR` names another prefix; without it the leg is skipped, saying so).

use anyhow::Context;
use bench::{Latencies, ScratchDb, env_or, result, server_config};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use std::time::{Duration, Instant};

const SHOP: &str = "bench-shop.myshopify.com";
const PRODUCT: i64 = 9_007_199_254_740_993;
const ITEMS: usize = 20;

const OURS: &str = "query($shop: String!, $product: ID!) { testimonials(shop: $shop, placement: PRODUCT, productId: $product, first: 20) { edges { node { id displayName rating quote videoUrl posterUrl durationSeconds width height productId publishedAt } } } }";
const HOME: &str = "query($shop: String!) { testimonials(shop: $shop, placement: HOME, first: 20) { edges { node { id displayName rating quote videoUrl posterUrl durationSeconds width height productId publishedAt } } } }";
/// A collection page of 24 products asks for each one's summary in one request.
const COLLECTION: usize = 24;
/// The same rows and fields through PostGraphile's generated API: the indexed conditions it
/// exposes (shop, product, status, published), newest first, each with its media asset.
const POSTGRAPHILE: &str = "query($shop: UUID!, $product: BigInt!) { allTestimonialSubmissions(condition: {shopId: $shop, productId: $product, status: \"approved\", published: true}, orderBy: CREATED_AT_DESC, first: 20) { nodes { rowId displayName rating quote productId publishedAt placementProduct testimonialMediaAssetsBySubmissionId(first: 1) { nodes { processingStatus playbackKey posterKey durationMs width height } } } } }";

#[derive(Clone)]
struct Target {
    name: &'static str,
    method: reqwest::Method,
    url: String,
    body: Option<serde_json::Value>,
    /// Where the list is in the answer, and how many items it must hold; or, with no list,
    /// how many product summaries (`p0`, `p1`…) it must hold.
    list: Option<&'static str>,
    items: usize,
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
    let body = fetch(client, t).await?;
    let n = match t.list {
        Some(list) => body.pointer(list).and_then(|v| v.as_array()).map_or(0, Vec::len),
        None => (0..t.items).filter(|i| body.pointer(&format!("/data/p{i}/count")).is_some()).count(),
    };
    anyhow::ensure!(n == t.items, "{}: {n} items instead of {}: {body}", t.name, t.items);
    Ok(())
}

async fn fetch(client: &reqwest::Client, t: &Target) -> anyhow::Result<serde_json::Value> {
    let mut req = client.request(t.method.clone(), &t.url);
    if let Some(b) = &t.body {
        req = req.json(b);
    }
    let resp = req.send().await?;
    let status = resp.status();
    let body: serde_json::Value = resp.json().await?;
    anyhow::ensure!(status == 200, "{}: HTTP {status}: {body}", t.name);
    anyhow::ensure!(body.get("errors").is_none(), "{}: errors in the answer: {body}", t.name);
    Ok(body)
}

fn get_target(name: &'static str, addr: std::net::SocketAddr, query: &str, vars: serde_json::Value) -> Target {
    let mut url = url::Url::parse(&format!("http://{addr}/api/storefront/graphql")).expect("valid url");
    url.query_pairs_mut().append_pair("query", query).append_pair("variables", &vars.to_string());
    Target {
        name,
        method: reqwest::Method::GET,
        url: url.to_string(),
        body: None,
        list: Some("/data/testimonials/edges"),
        items: ITEMS,
    }
}

/// Published, ready testimonials of the product, plus other products' and unpublished ones.
async fn seed(state: &server::state::AppState, shop_id: entity::ShopId) -> anyhow::Result<Vec<entity::SubmissionId>> {
    use entity::{AssetStatus, SubmissionStatus, testimonial_media_assets as assets, testimonial_submissions as subs};
    let now = chrono::Utc::now();
    let mut visible = Vec::new();
    for i in 0..200 {
        let (product, published) = match i {
            0..20 => (PRODUCT, true),
            20..40 => (PRODUCT, false),
            _ => (1000 + i as i64, true),
        };
        let id = entity::new_id();
        if product == PRODUCT && published {
            visible.push(id);
        }
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
            reward_code: Set(None),
            incentivised: Set(false),
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
    Ok(visible)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Runs `f` on a runtime of its own: the load's tasks must not queue behind our server's on
/// the same scheduler (PostGraphile has a process of its own too).
fn on_own_runtime<T: Send + 'static>(
    f: impl FnOnce() -> std::pin::Pin<Box<dyn Future<Output = anyhow::Result<T>> + Send>> + Send + 'static,
) -> anyhow::Result<T> {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        rt.block_on(f())
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the load thread panicked"))?
}

async fn start_replica(
    db_url: &str,
    dir: &std::path::Path,
) -> anyhow::Result<(
    std::net::SocketAddr,
    server::state::AppState,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
)> {
    let app = server::Application::build(server_config(dir, db_url, "bench-secret")).await?;
    let (addr, state) = (app.local_addr(), app.state().clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        app.run(server::Role::Web, async {
            let _ = stopped.await;
        })
        .await
        .map_err(anyhow::Error::from)
    });
    Ok((addr, state, stop, task))
}

/// What the invalidation leg saw through one replica.
#[derive(Default)]
struct Staleness {
    answers: usize,
    /// Answers to requests sent after a change had returned that did not show it.
    stale: usize,
    /// The longest a stale answer came after the change it missed.
    worst: Duration,
}

/// The invalidation leg: `toggled` is unpublished and published again every 100 ms through
/// replica A while `concurrency` clients per replica load the product page; every answer is
/// checked. The toggle counts changes: odd while one is under way, even when settled.
async fn invalidation(
    replicas: [(&'static str, Target); 2],
    state: server::state::AppState,
    shop_id: entity::ShopId,
    toggled: entity::SubmissionId,
    concurrency: usize,
    seconds: u64,
) -> anyhow::Result<Vec<(&'static str, Staleness)>> {
    use server::domain::submission_state::ModerationAction;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let changes = Arc::new(AtomicU64::new(0));
    let settled_at = Arc::new(std::sync::Mutex::new(Instant::now()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let toggler = {
        let (changes, settled_at) = (changes.clone(), settled_at.clone());
        tokio::spawn(async move {
            let mut visible = true;
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            while Instant::now() < deadline {
                tick.tick().await;
                let action = if visible {
                    ModerationAction::Unpublish
                } else {
                    ModerationAction::Publish { home: true, product: true }
                };
                changes.fetch_add(1, Ordering::SeqCst);
                // What the admin API's request does: the change, then this replica forgets.
                server::services::storefront::tracking(
                    &state,
                    server::services::moderation::act(&state, shop_id, "bench", toggled, action, None),
                )
                .await?;
                visible = !visible;
                *settled_at.lock().expect("lock") = Instant::now();
                changes.fetch_add(1, Ordering::SeqCst);
            }
            anyhow::Ok(())
        })
    };
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency * 2).build()?;
    let needle = toggled.to_string();
    let mut tasks = Vec::new();
    for (name, t) in replicas {
        for _ in 0..concurrency {
            let (client, t, changes, settled_at, needle) =
                (client.clone(), t.clone(), changes.clone(), settled_at.clone(), needle.clone());
            tasks.push(tokio::spawn(async move {
                let mut seen = Staleness::default();
                while Instant::now() < deadline {
                    let before = changes.load(Ordering::SeqCst);
                    let body = fetch(&client, &t).await?;
                    let after = changes.load(Ordering::SeqCst);
                    seen.answers += 1;
                    if before % 2 == 1 || before != after {
                        continue; // a change was under way: either answer is right
                    }
                    // Settled changes so far: even → published, odd → unpublished.
                    let expect_visible = (before / 2) % 2 == 0;
                    let shows = body.to_string().contains(&needle);
                    if shows != expect_visible {
                        seen.stale += 1;
                        seen.worst = seen.worst.max(settled_at.lock().expect("lock").elapsed());
                    }
                }
                anyhow::Ok((name, seen))
            }));
        }
    }
    let mut by_replica: Vec<(&'static str, Staleness)> = Vec::new();
    for task in tasks {
        let (name, s) = task.await??;
        match by_replica.iter_mut().find(|(n, _)| *n == name) {
            Some((_, total)) => {
                total.answers += s.answers;
                total.stale += s.stale;
                total.worst = total.worst.max(s.worst);
            }
            None => by_replica.push((name, s)),
        }
    }
    toggler.await??;
    Ok(by_replica)
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
    let (addr, state, stop, server) = start_replica(&db.url, dir.path()).await?;
    let (addr_b, _, stop_b, server_b) = start_replica(&db.url, dir.path()).await?;
    let domain = server::domain::shop_domain::ShopDomain::parse(SHOP)?;
    let shop_id = server::services::shops::provision(state.db(), &domain, chrono::Utc::now()).await?.profile.id;
    let visible = seed(&state, shop_id).await?;

    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let pdp_vars = serde_json::json!({"shop": SHOP, "product": PRODUCT.to_string()});
    let ours = get_target("reelproof", addr, OURS, pdp_vars.clone());
    let home = get_target("reelproof home", addr, HOME, serde_json::json!({"shop": SHOP}));
    let summaries = {
        let fields: String = (0..COLLECTION)
            .map(|i| {
                let product = if i == 0 { PRODUCT } else { 1000 + 40 + i as i64 };
                format!(" p{i}: productTestimonialSummary(shop: $shop, productId: \"{product}\") {{ productId count ratedCount averageRating }}")
            })
            .collect();
        let mut t = get_target(
            "reelproof summaries",
            addr,
            &format!("query($shop: String!) {{{fields} }}"),
            serde_json::json!({"shop": SHOP}),
        );
        (t.list, t.items) = (None, COLLECTION);
        t
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
        list: Some("/data/testimonials/edges"),
        items: ITEMS,
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
            list: Some("/data/allTestimonialSubmissions/nodes"),
            items: ITEMS,
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

    println!("storefront, concurrency {concurrency}, {seconds} s each, Postgres");
    let mut results = Vec::new();
    for t in [&ceiling, &ours, &home, &summaries].into_iter().chain(pg_target.as_ref()) {
        let (client, t2) = (client.clone(), t.clone());
        let o = on_own_runtime(move || {
            Box::pin(async move {
                load(&client, &t2, concurrency, 1).await?;
                load(&client, &t2, concurrency, seconds).await
            })
        })?;
        println!("{:>20}: {:>8.0} req/s ({} requests), {}", t.name, o.rps, o.requests, o.latencies.summary());
        results.push((t.name, o.rps, o.latencies.percentile(0.99)));
    }
    let find = |name: &str| results.iter().find(|r| r.0 == name).copied();
    let rate = |r: (&str, f64, Duration)| format!("{:.0} req/s, p99 {:.2} ms", r.1, r.2.as_secs_f64() * 1e3);
    if let Some(c) = find("static JSON") {
        for (name, what) in [
            ("reelproof", "storefront product page (20) vs static ceiling"),
            ("reelproof home", "storefront home page (20) vs static ceiling"),
            ("reelproof summaries", "storefront 24 product summaries vs static ceiling"),
        ] {
            if let Some(o) = find(name) {
                let ratio = format!("{:.1} %", o.1 / c.1 * 100.0);
                result(what, &rate(o), &format!("{:.0} req/s", c.1), &ratio, "≥ 50 %, p99 ≤ 5 ms");
            }
        }
    }
    if let (Some(o), Some(p)) = (find("reelproof"), find("PostGraphile 5")) {
        let ratio = format!("{:.2}×", o.1 / p.1);
        result("storefront product page vs PostGraphile 5", &rate(o), &rate(p), &ratio, "≥ 3×");
    }

    let replica_b = get_target("reelproof", addr_b, OURS, pdp_vars);
    let toggled = visible[0];
    let per_replica = concurrency / 2;
    let seen = on_own_runtime(move || {
        Box::pin(invalidation([("A", ours), ("B", replica_b)], state, shop_id, toggled, per_replica.max(1), seconds))
    })?;
    println!(
        "invalidation: one testimonial unpublished and published again 10×/s through replica A, {per_replica} clients per replica"
    );
    for (name, s) in &seen {
        let worst = format!("worst {:.2} ms after the change", s.worst.as_secs_f64() * 1e3);
        let what = format!("storefront stale answers under 10 changes/s, replica {name}");
        let figure = format!("{} of {}", s.stale, s.answers);
        result(&what, &figure, "—", if s.stale == 0 { "—" } else { &worst }, "0");
    }

    // A change answers once every replica has acknowledged it (`services::storefront::tracking`),
    // so no answer to a request sent after it returned may miss it, on either replica.
    for (name, s) in &seen {
        anyhow::ensure!(s.stale == 0, "replica {name} sent {} stale answers of {}", s.stale, s.answers);
    }

    if let Some(mut c) = postgraphile {
        let _ = c.kill().await;
    }
    let _ = stop.send(());
    let _ = stop_b.send(());
    server.await??;
    server_b.await??;
    db.drop_now().await?;
    Ok(())
}
