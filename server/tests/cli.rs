//! The `reelproof` binary as a newcomer runs it: no configuration at all (dev mode on the
//! embedded defaults — SQLite under ./data). This is about the SQLite default by definition,
//! so it does not run against Postgres.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_reelproof");

fn ui_dir() -> PathBuf {
    std::env::var_os("REELPROOF_UI_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist"))
}

/// A command with the environment cleared of every setting, as on a fresh machine.
fn reelproof(cwd: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(cwd);
    for var in [
        "DATABASE_URL",
        "SHOPIFY_API_KEY",
        "SHOPIFY_API_SECRET",
        "REELPROOF_ENCRYPTION_KEY",
        "REELPROOF_DATA_DIR",
        "REELPROOF_LISTEN",
        "REELPROOF_PUBLIC_URL",
        "REELPROOF_UI_DIR",
        "REELPROOF_ROLE",
        "REELPROOF_DEV",
        "REELPROOF_DEV_ALLOW_REMOTE",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn wait_ready(base: &str) -> bool {
    // The test's own HTTP client needs the process's TLS provider, as the server does.
    server::install_crypto_provider();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("{base}/readyz")).await
            && r.status() == 200
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn serve_with_no_configuration_runs_dev_mode_and_stops_gracefully_on_sigterm() {
    let cwd = tempfile::tempdir().unwrap();
    // Only the port is chosen (8080 may be busy on a shared machine); the UI comes from the
    // workspace build so Chromium has something to render.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = reelproof(cwd.path())
        .arg("serve")
        .env("REELPROOF_DEV", "1")
        .env("REELPROOF_LISTEN", format!("127.0.0.1:{port}"))
        .env("REELPROOF_UI_DIR", ui_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ready = wait_ready(&base).await;
    if !ready {
        child.kill().ok();
        let out = child.wait_with_output().unwrap();
        panic!("never became ready:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    assert!(cwd.path().join("data/reelproof.db").exists(), "SQLite file under ./data");
    assert!(cwd.path().join("data/dev-credentials.json").exists());

    let graphiql = reqwest::get(format!("{base}/graphiql")).await.unwrap();
    assert_eq!(graphiql.status(), 200);
    assert!(graphiql.text().await.unwrap().contains("GraphiQL"));
    let anon = reqwest::Client::new()
        .post(format!("{base}/api/graphql"))
        .body(r#"{"query":"{shop{domain}}"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);

    // Chromium renders the WASM admin app against the binary.
    let profile = tempfile::tempdir().unwrap();
    let dom = Command::new(std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into()))
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("{base}/app/"))
        .output()
        .expect("chromium is installed (.ci/lib.sh installs it)");
    let dom = String::from_utf8_lossy(&dom.stdout);
    // (Leptos's erased views leave an empty comment after dynamic text: `…com<!----></span>`.)
    assert!(dom.contains(r#"<span data-testid="shop-domain">demo.myshopify.com<"#), "rendered DOM:\n{dom}");

    // SIGTERM: drain and exit 0.
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}\n{stderr}", out.status);
    assert!(stderr.contains("REELPROOF DEV MODE"), "dev mode is announced:\n{stderr}");
    assert!(stderr.contains("shutdown signal received"), "{stderr}");
    // Logs are JSON when not on a terminal.
    let log_line = stderr.lines().find(|l| l.starts_with('{')).expect("a JSON log line");
    let parsed: serde_json::Value = serde_json::from_str(log_line).expect("valid JSON log");
    assert!(parsed.get("level").is_some());
}

#[test]
fn shops_add_and_migrate_work_and_bad_input_is_a_clear_error() {
    let cwd = tempfile::tempdir().unwrap();
    let out = reelproof(cwd.path()).env("REELPROOF_DEV", "1").arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied"));

    let out = reelproof(cwd.path()).arg("--dev").args(["shops", "add", "My-Store.myshopify.com"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("provisioned my-store.myshopify.com"), "{stdout}");
    let again = reelproof(cwd.path()).arg("--dev").args(["shops", "add", "my-store.myshopify.com"]).output().unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).starts_with("already present: my-store.myshopify.com"));

    let bad = reelproof(cwd.path()).arg("--dev").args(["shops", "add", "evil.com"]).output().unwrap();
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("not a shop domain"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let half = reelproof(cwd.path()).env("SHOPIFY_API_KEY", "k").arg("migrate").output().unwrap();
    assert!(!half.status.success());
    assert!(String::from_utf8_lossy(&half.stderr).contains("must be set together"));
}

#[test]
fn a_server_without_shopify_credentials_or_with_weak_ones_refuses_to_start() {
    let cwd = tempfile::tempdir().unwrap();
    let refused = |cmd: &mut Command| {
        let out = cmd.output().unwrap();
        assert!(!out.status.success(), "started: {}", String::from_utf8_lossy(&out.stdout));
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!cwd.path().join("data/reelproof.db").exists(), "nothing was started: {stderr}");
        stderr
    };
    // A deploy that lost its Shopify variables does not fall back to dev mode.
    let err = refused(reelproof(cwd.path()).arg("serve"));
    assert!(err.contains("REELPROOF_DEV=1") && err.contains("SHOPIFY_API_SECRET"), "{err}");
    let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    let err = refused(
        reelproof(cwd.path())
            .arg("serve")
            .env("SHOPIFY_API_KEY", "k")
            .env("SHOPIFY_API_SECRET", "")
            .env("REELPROOF_ENCRYPTION_KEY", key),
    );
    assert!(err.contains("blank"), "{err}");
    let err = refused(
        reelproof(cwd.path())
            .arg("serve")
            .env("SHOPIFY_API_KEY", "k")
            .env("SHOPIFY_API_SECRET", "tooshort")
            .env("REELPROOF_ENCRYPTION_KEY", key),
    );
    assert!(err.contains("shorter than the 32 characters"), "{err}");
    let err = refused(reelproof(cwd.path()).args(["--dev", "--listen", "0.0.0.0:0", "serve"]));
    assert!(err.contains("--dev-allow-remote"), "{err}");
}
