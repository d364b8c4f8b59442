//! `bench/admin_ui`: what the merchant's admin costs to load. Prints the admin's size (WASM and
//! JS, raw and gzip) and, from Chromium's performance entries with a cold cache (a fresh
//! profile per load), for Home and the inbox: first contentful paint, the moment the screen
//! shows its data (`reelproof:ready:<screen>`, the meaningful paint), the moment the app is
//! interactive (`reelproof:interactive`, handlers attached), and the cumulative layout shift.
//! The baseline, measured in the same run: a static HTML page from the same server (its first
//! paint is what the machine and Chromium cost before any app code).
//!
//! Needs the UIs built (`bash .ci/dev` or `source .ci/lib.sh; build_uis`) and Chromium with
//! ChromeDriver (`.ci/lib.sh` installs them). Goals (issue 14): Home painted ≤ 1.0 s,
//! interactive ≤ 1.5 s, layout shift ≤ 0.01, admin WASM ≤ 400 KB gzip on the first load (the
//! lazy screens' chunks are counted apart).

use anyhow::Context;
use reelproof_tests::browser::Browser;
use std::path::Path;

const LOADS: usize = 5;

fn gzip_size(path: &Path) -> anyhow::Result<usize> {
    let out = std::process::Command::new("gzip").arg("-9c").arg(path).output().context("gzip")?;
    Ok(out.stdout.len())
}

/// One cold load of `url`: (fcp, ready, interactive, cls) in milliseconds from navigation start.
async fn load(url: &str, ready_mark: Option<&str>) -> anyhow::Result<(f64, f64, f64, f64)> {
    let b = Browser::launch(&[]).await;
    // Layout shifts and paints are buffered by the browser; observed after the load, they are all there.
    b.client.goto(url).await?;
    let wait_for = match ready_mark {
        Some(m) => format!("return performance.getEntriesByName('{m}').length > 0"),
        None => "return performance.getEntriesByName('first-contentful-paint').length > 0".to_owned(),
    };
    b.wait_js("the page to be ready", &wait_for, std::time::Duration::from_secs(60)).await;
    let v = b
        .client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               const mark = n => { const e = performance.getEntriesByName(n)[0]; return e ? e.startTime : null; };
               const fcp = (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null;
               let cls = 0;
               new PerformanceObserver(l => { for (const e of l.getEntries()) if (!e.hadRecentInput) cls += e.value; })
                 .observe({ type: 'layout-shift', buffered: true });
               setTimeout(() => done([fcp, mark(arguments[0]), mark('reelproof:interactive'), cls]), 300);"#,
            vec![serde_json::json!(ready_mark.unwrap_or(""))],
        )
        .await?;
    b.close().await;
    let n = |i: usize| v[i].as_f64().unwrap_or(f64::NAN);
    Ok((n(0), n(1), n(2), n(3)))
}

/// Every file under `dir`, at any depth (the split admin keeps its module in a directory).
fn files_under(dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(files_under(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    server::install_crypto_provider();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dist = root.join("dist");
    println!("admin size (dist/app):");
    let app_dir = dist.join("app");
    let index = std::fs::read_to_string(app_dir.join("index.html")).context("dist/app: build the UIs first")?;
    // What the first load fetches: the files index.html names. The rest are the lazy screens'
    // chunks, fetched when a screen is first opened (or when the browser is idle).
    let first: Vec<String> =
        index.split("href=\"/app/").skip(1).filter_map(|rest| rest.split('"').next().map(str::to_owned)).collect();
    let (mut first_wasm, mut first_js, mut chunks, mut chunk_count) = (0, 0, 0, 0);
    for path in files_under(&app_dir)? {
        let rel = path.strip_prefix(&app_dir)?.to_string_lossy().into_owned();
        if !(rel.ends_with(".wasm") || rel.ends_with(".js") || rel.ends_with(".css")) {
            continue;
        }
        let gz = gzip_size(&path)?;
        if first.contains(&rel) {
            if rel.ends_with(".wasm") {
                first_wasm += gz;
            } else if rel.ends_with(".js") {
                first_js += gz;
            }
            let raw = std::fs::metadata(&path)?.len();
            println!("  {rel:<56} {:>8.1} KB raw {:>7.1} KB gzip", raw as f64 / 1024.0, gz as f64 / 1024.0);
        } else {
            chunks += gz;
            chunk_count += 1;
        }
    }
    let kb = |n: usize| n as f64 / 1024.0;
    println!(
        "  {chunk_count} lazily loaded files (screens' chunks and their loader): {:.1} KB gzip together",
        kb(chunks)
    );
    println!("  first load: WASM {:.1} KB gzip (goal ≤ 400 KB), JS {:.1} KB gzip", kb(first_wasm), kb(first_js));
    bench::result(
        "admin WASM on first load, gzip",
        &format!("{:.1} KB", kb(first_wasm)),
        &format!("{:.1} KB in {chunk_count} files loaded when needed", kb(chunks)),
        "—",
        "≤ 400 KB",
    );

    let data = tempfile::tempdir()?;
    // The built admin, plus a static page of the same kind of text for the baseline.
    let ui = data.path().join("dist");
    for path in files_under(&app_dir)? {
        let to = ui.join("app").join(path.strip_prefix(&app_dir)?);
        std::fs::create_dir_all(to.parent().context("a parent")?)?;
        std::fs::copy(&path, to)?;
    }
    std::fs::write(
        ui.join("app").join("static.html"),
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Static</title></head><body><h1>Home</h1><p>A static page: what a first paint costs here before any app code.</p></body></html>",
    )?;
    let db = format!("sqlite://{}?mode=rwc", data.path().join("bench.db").display());
    let mut config = bench::server_config(data.path(), &db, "unused-secret-unused-secret-unused");
    config.mode = server::config::Mode::Dev;
    config.ui_dir = ui.clone();
    let app = server::Application::build(config).await?;
    let base = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    let shop = server::domain::shop_domain::ShopDomain::parse(server::DEV_SHOP)?;
    server::services::shops::provision(state.db(), &shop, chrono::Utc::now()).await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run(server::Role::Web, async {
        let _ = stopped.await;
    }));

    let mut fcps = Vec::new();
    for _ in 0..LOADS {
        fcps.push(load(&format!("{base}/app/static.html"), None).await?.0);
    }
    let baseline = median(fcps);
    println!("\nbaseline: a static page's first paint, median of {LOADS} cold loads: {baseline:.0} ms");
    println!(
        "\n{:<8} {:>10} {:>14} {:>14} {:>8}  (median of {LOADS} cold loads)",
        "screen", "FCP ms", "data shown ms", "interactive ms", "CLS"
    );
    for (screen, path) in [("home", "/app/"), ("inbox", "/app/inbox")] {
        let mut runs = Vec::new();
        for _ in 0..LOADS {
            runs.push(load(&format!("{base}{path}"), Some(&format!("reelproof:ready:{screen}"))).await?);
        }
        let col = |f: fn(&(f64, f64, f64, f64)) -> f64| median(runs.iter().map(f).collect());
        let (fcp, ready, interactive, cls) = (col(|r| r.0), col(|r| r.1), col(|r| r.2), col(|r| r.3));
        println!(
            "{screen:<8} {fcp:>10.0} {ready:>14.0} {interactive:>14.0} {cls:>8.3}  data shown = {:.1}× the static page's first paint",
            ready / baseline
        );
        bench::result(
            &format!("admin {screen}: data shown, interactive, CLS (cold load)"),
            &format!("{ready:.0} ms, {interactive:.0} ms, {cls:.3}"),
            &format!("{baseline:.0} ms (static page first paint)"),
            &format!("{:.1}×", ready / baseline),
            "≤ 1000 ms, ≤ 1500 ms, ≤ 0.01",
        );
    }
    println!("goals: Home data shown ≤ 1000 ms, interactive ≤ 1500 ms, CLS ≤ 0.01");
    let _ = stop.send(());
    let _ = task.await;
    Ok(())
}
