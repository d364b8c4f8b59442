//! Another server as its own OS process: the real `reelproof` binary, started with
//! `serve --role web` on a [`TestApp`](crate::TestApp)'s database and credentials. What it shares
//! with the test's in-process server is exactly what two replicas in production share: the
//! database (and, on Postgres, its `LISTEN/NOTIFY`).

use std::path::PathBuf;
use std::time::Duration;

pub struct ServerProcess {
    child: tokio::process::Child,
    port: u16,
    _data_dir: tempfile::TempDir,
}

/// The `reelproof` binary next to this test binary (`target/<profile>/reelproof`), which cargo
/// builds for the server package's own integration tests.
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>");
    let bin = dir.join("reelproof");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p server --bin reelproof` (nextest builds it)",
        bin.display()
    );
    bin
}

impl ServerProcess {
    pub async fn start(app: &crate::TestApp) -> Self {
        Self::start_with(app, "web", &[("RUST_LOG", "warn")], None).await
    }

    /// As [`start`](Self::start), with a role, extra environment, and stderr (its logs) written
    /// to `log` instead of the test's own.
    pub async fn start_with(
        app: &crate::TestApp,
        role: &str,
        env: &[(&str, &str)],
        log: Option<&std::path::Path>,
    ) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = app.state().config();
        let stderr = match log {
            Some(path) => std::process::Stdio::from(std::fs::File::create(path).expect("log file")),
            None => std::process::Stdio::inherit(),
        };
        let child = tokio::process::Command::new(binary())
            .args(["serve", "--role", role])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", &config.database_url)
            .env("SHOPIFY_API_KEY", &config.shopify.api_key)
            .env("SHOPIFY_API_SECRET", &config.shopify.api_secret)
            .env("REELPROOF_ENCRYPTION_KEY", config.encryption_key.to_base64())
            .env("REELPROOF_DATA_DIR", data_dir.path())
            .env("REELPROOF_LISTEN", format!("127.0.0.1:{port}"))
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .expect("the reelproof binary starts");
        let client = crate::http();
        let health = format!("http://127.0.0.1:{port}/healthz");
        crate::wait_for("the second server process to answer", Duration::from_secs(60), || {
            let (client, health) = (client.clone(), health.clone());
            async move { client.get(health).send().await.ok().filter(|r| r.status().is_success()).map(|_| ()) }
        })
        .await;
        Self { child, port, _data_dir: data_dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// Sends SIGTERM (what an orchestrator does to stop a replica) and waits, at most
    /// `within`, for the process to drain and exit; returns its exit status.
    pub async fn terminate(mut self, within: Duration) -> std::process::ExitStatus {
        let pid = self.child.id().expect("the process is running");
        let sent = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill runs");
        assert!(sent.success(), "SIGTERM reached the process");
        tokio::time::timeout(within, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("the process did not exit within {within:?} of SIGTERM"))
            .expect("the process exit status")
    }

    /// Kills the process with SIGKILL (no shutdown hooks run: a crash) and waits for it to go.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
