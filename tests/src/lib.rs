//! The end-to-end test harness.
//!
//! [`TestApp`] starts the real server (router, database, background runner) on port 0 against a
//! fresh database: a temporary SQLite file, or — when `TEST_DATABASE_URL` is set, as in CI — a
//! freshly created PostgreSQL database that is dropped afterwards. Tests speak HTTP to it like
//! any client and drive background work deterministically with
//! [`TestApp::run_background_until_idle`]. A test must end with [`TestApp::finish`], which
//! refuses to pass while jobs are left unprocessed (the crates.io pattern).

use entity::ShopId;
pub mod browser;
pub mod db;
pub mod fixtures;
pub mod media;
pub mod process;
pub mod proxy;
pub mod s3;
pub mod shopify;
pub mod smtp;
pub mod twilio;

use chrono::Utc;
use sea_orm::DatabaseConnection;
use server::config::{Config, Mode, ShopifyCredentials};
use server::domain::secrets::EncryptionKey;
use server::domain::shop_domain::ShopDomain;
use server::shopify::session_token;
use server::state::AppState;
use server::{Application, Role};
use std::net::SocketAddr;
use std::path::PathBuf;
use uuid::Uuid;

pub use db::TestDb;

/// The shop every production-mode TestApp provisions.
pub const TEST_SHOP: &str = "test-shop.myshopify.com";
/// A client id as Shopify issues them (32 hexadecimal characters): `serve` checks the shape.
pub const TEST_API_KEY: &str = "7e57a9f1c0de4b5e8a11c0ffee5eed01";
pub const TEST_API_SECRET: &str = "test-api-secret-0123456789abcdef";

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    state: AppState,
    shop: ShopDomain,
    shop_id: ShopId,
    db: TestDb,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _data_dir: tempfile::TempDir,
    finished: bool,
}

impl TestApp {
    /// Production mode (Shopify credentials set) with one installed shop, [`TEST_SHOP`].
    pub async fn spawn() -> Self {
        Self::start(Mode::Production, |_| {}).await
    }

    /// Production mode with a configuration tweak (e.g. an SMTP transport).
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        Self::start(Mode::Production, tweak).await
    }

    /// Dev mode: no Shopify credentials, the demo shop provisioned, dev routes mounted.
    pub async fn spawn_dev() -> Self {
        Self::start(Mode::Dev, |_| {}).await
    }

    async fn start(mode: Mode, tweak: impl FnOnce(&mut Config)) -> Self {
        let db = TestDb::migrated().await;
        let data_dir = tempfile::tempdir().expect("temp dir");
        let shopify = match mode {
            // Nothing listens on the discard port: a shop's Admin API is "down" unless a test
            // points `admin_base` at its fake Shopify.
            Mode::Production => ShopifyCredentials {
                admin_base: Some("http://127.0.0.1:9".parse().expect("valid URL")),
                ..ShopifyCredentials::new(TEST_API_KEY, TEST_API_SECRET)
            },
            Mode::Dev => {
                ShopifyCredentials::new(format!("dev-{}", Uuid::new_v4().simple()), Uuid::new_v4().simple().to_string())
            }
        };
        let mut config = Config {
            mode,
            data_dir: data_dir.path().to_owned(),
            database_url: db.url().to_owned(),
            listen: "127.0.0.1:0".parse().expect("valid address"),
            public_url: None,
            ui_dir: ui_dir(),
            shopify,
            encryption_key: EncryptionKey::generate(),
            previous_encryption_key: None,
            email: server::config::EmailConfig::outbox(),
            sms: server::config::SmsConfig::Outbox,
            callbacks: Default::default(),
            media: Default::default(),
            capture: Default::default(),
            dispatch: Default::default(),
            otlp_endpoint: None,
        };
        tweak(&mut config);
        // A manual clock: tests move time forward instead of waiting.
        let clock = server::clock::Clock::manual(Utc::now());
        let app = Application::build_with_clock(config, clock).await.expect("server starts");
        let addr = app.local_addr();
        let state = app.state().clone();
        let shop = ShopDomain::parse(if mode == Mode::Dev { server::DEV_SHOP } else { TEST_SHOP }).expect("valid");
        let shop_id = server::services::shops::provision(state.db(), &shop, Utc::now())
            .await
            .expect("provision test shop")
            .profile
            .id;
        // Tests run at any hour: the test shop's send window is always open (a dedicated test
        // covers the window itself).
        server::store::shops::set_send_window(state.db(), shop_id, "UTC", "00:00", "00:00").await.expect("window");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        // Background loops stay off: tests run jobs explicitly, so outcomes are deterministic.
        let server = tokio::spawn(app.run(Role::Web, async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client"),
            state,
            shop,
            shop_id,
            db,
            stop: Some(stop),
            server: Some(server),
            _data_dir: data_dir,
            finished: false,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn db(&self) -> &DatabaseConnection {
        self.state.db()
    }

    pub fn shop(&self) -> &ShopDomain {
        &self.shop
    }

    pub fn shop_id(&self) -> ShopId {
        self.shop_id
    }

    /// Provisions another shop (for tenant-isolation tests); returns its id.
    pub async fn add_shop(&self, domain: &str) -> ShopId {
        let shop = ShopDomain::parse(domain).expect("valid test domain");
        server::services::shops::provision(self.db(), &shop, Utc::now()).await.expect("provision").profile.id
    }

    /// Installs a second shop, `other-shop.myshopify.com`, and returns a session token for it:
    /// the credential of tenant-isolation checks.
    pub async fn other_shop_token(&self) -> String {
        let shop = ShopDomain::parse("other-shop.myshopify.com").expect("valid");
        self.add_shop(shop.as_str()).await;
        self.session_token_for(&shop)
    }

    /// A fresh, valid session token for the app's shop, as App Bridge would send.
    pub fn session_token(&self) -> String {
        self.session_token_for(&self.shop)
    }

    pub fn session_token_for(&self, shop: &ShopDomain) -> String {
        let creds = &self.state.config().shopify;
        session_token::mint(&creds.api_key, &creds.api_secret, shop, Utc::now().timestamp(), 60)
    }

    /// Signs arbitrary claims with the given secret (for forged-token tests).
    pub fn sign_claims(claims: &serde_json::Value, secret: &str) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("encode")
    }

    /// POSTs a GraphQL operation to the admin API with the shop's session token and returns
    /// the JSON body; panics unless the answer is 200.
    pub async fn graphql(&self, query: &str, variables: serde_json::Value) -> serde_json::Value {
        let resp = self.graphql_with(Some(&self.session_token()), query, variables).await;
        let status = resp.status();
        let body: serde_json::Value = resp.json().await.expect("JSON body");
        assert_eq!(status, 200, "GraphQL answered {status}: {body}");
        body
    }

    /// A public capture API call, as the customer's browser makes it.
    pub async fn public_graphql(&self, query: &str, variables: serde_json::Value) -> serde_json::Value {
        let resp = self
            .client
            .post(self.url("/api/public/graphql"))
            .header("user-agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148 Safari/604.1")
            .json(&serde_json::json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request reaches the server");
        assert_eq!(resp.status(), 200);
        resp.json().await.expect("JSON body")
    }

    /// POSTs a GraphQL operation with the given bearer token (or none) and returns the raw
    /// response.
    pub async fn graphql_with(
        &self,
        bearer: Option<&str>,
        query: &str,
        variables: serde_json::Value,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url("/api/graphql"))
            .json(&serde_json::json!({ "query": query, "variables": variables }));
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request reaches the server")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request reaches the server")
    }

    /// A counter or gauge from this server's `/metrics` (0 while it was never set).
    pub async fn metric(&self, name: &str) -> f64 {
        metric(&self.url("/metrics"), name).await.unwrap_or(0.0)
    }

    /// The server's "now" (a manual clock).
    pub fn now(&self) -> chrono::DateTime<Utc> {
        self.state.now()
    }

    /// Moves the server's clock forward.
    pub fn advance_clock(&self, by: chrono::Duration) {
        self.state.clock().advance(by);
    }

    /// Sends a Shopify webhook signed with the app secret, with a fresh webhook id.
    pub async fn webhook(&self, topic: &str, body: &serde_json::Value) -> reqwest::Response {
        self.webhook_as(topic, &Uuid::new_v4().to_string(), body).await
    }

    /// Sends a signed Shopify webhook with the given webhook id (replays reuse one).
    pub async fn webhook_as(&self, topic: &str, webhook_id: &str, body: &serde_json::Value) -> reqwest::Response {
        let bytes = serde_json::to_vec(body).expect("serialisable");
        let sig = server::shopify::webhooks::sign(&self.state.config().shopify.api_secret, &bytes);
        self.raw_webhook(topic, webhook_id, bytes, Some(&sig)).await
    }

    /// Sends a signed Shopify webhook to another server of the same deployment (`base`:
    /// `http://host:port`), as Shopify's load-balanced deliveries reach any replica.
    pub async fn webhook_at(&self, base: &str, topic: &str, body: &serde_json::Value) -> reqwest::Response {
        let bytes = serde_json::to_vec(body).expect("serialisable");
        let sig = server::shopify::webhooks::sign(&self.state.config().shopify.api_secret, &bytes);
        let url = format!("{base}/webhooks/shopify");
        self.webhook_request(&url, topic, &Uuid::new_v4().to_string(), bytes, Some(&sig)).await
    }

    /// Sends raw bytes with the given signature header (or none).
    pub async fn raw_webhook(
        &self,
        topic: &str,
        webhook_id: &str,
        body: Vec<u8>,
        sig: Option<&str>,
    ) -> reqwest::Response {
        self.webhook_request(&self.url("/webhooks/shopify"), topic, webhook_id, body, sig).await
    }

    async fn webhook_request(
        &self,
        url: &str,
        topic: &str,
        webhook_id: &str,
        body: Vec<u8>,
        sig: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("X-Shopify-Topic", topic)
            .header("X-Shopify-Shop-Domain", self.shop.as_str())
            .header("X-Shopify-Webhook-Id", webhook_id)
            .header("X-Shopify-Event-Id", Uuid::new_v4().to_string())
            .header("X-Shopify-Triggered-At", self.now().to_rfc3339())
            .header("X-Shopify-API-Version", "2026-10")
            .body(body);
        if let Some(s) = sig {
            req = req.header("X-Shopify-Hmac-Sha256", s);
        }
        req.send().await.expect("request reaches the server")
    }

    /// One scheduler round (claim, send, record; expiry sweep), as `serve` runs on a timer.
    pub async fn run_scheduler_once(&self) -> server::services::messaging::DispatchReport {
        server::services::messaging::run_once(&self.state).await.expect("scheduler round")
    }

    /// Runs background jobs until none is due; returns how many ran.
    pub async fn run_background_until_idle(&self) -> usize {
        self.state.jobs().run_until_idle(&self.state).await.expect("job runner")
    }

    /// Ends the test: refuses to pass with unprocessed jobs, stops the server gracefully, and
    /// drops the database.
    pub async fn finish(mut self) {
        self.finished = true;
        let left = server::store::jobs::count_unfinished_all_shops(self.db()).await.expect("count jobs");
        assert_eq!(left, 0, "the test left {left} background job(s) unprocessed; call run_background_until_idle");
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server stopped cleanly");
        }
        self.db.drop_now().await;
    }
}

/// Another replica of the server on a [`TestApp`]'s database: its own state — broadcast
/// channel, `LISTEN` connection, pools, clock — sharing only the database with the first.
pub struct Replica {
    addr: std::net::SocketAddr,
    state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _data_dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn replica(&self) -> Replica {
        self.replica_with(|_| {}).await
    }

    /// A replica whose configuration differs by `tweak` (a rotated key, another transport).
    pub async fn replica_with(&self, tweak: impl FnOnce(&mut Config)) -> Replica {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut config = self.state.config().clone();
        config.data_dir = data_dir.path().to_owned();
        config.listen = "127.0.0.1:0".parse().expect("valid address");
        config.public_url = None;
        tweak(&mut config);
        let app = Application::build_with_clock(config, server::clock::Clock::manual(self.now()))
            .await
            .expect("replica starts");
        let (addr, state) = (app.local_addr(), app.state().clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run(Role::Web, async {
            let _ = stopped.await;
        }));
        Replica { addr, state, stop: Some(stop), server: Some(server), _data_dir: data_dir }
    }
}

impl Replica {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("replica task").expect("replica stopped cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if !self.finished && !std::thread::panicking() {
            panic!("a TestApp must end with `app.finish().await` (it checks for unprocessed jobs)");
        }
    }
}

/// Where the built UIs are: `REELPROOF_UI_DIR`, or `dist/` at the workspace root.
/// An HTTP client for tests. The server's S3 client gives reqwest rustls without a built-in
/// crypto provider, so the process needs ring installed first (what the server does at start).
pub fn http() -> reqwest::Client {
    server::install_crypto_provider();
    reqwest::Client::new()
}

pub fn ui_dir() -> PathBuf {
    std::env::var_os("REELPROOF_UI_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("dist"))
}

/// Polls `check` until it returns `Some`, or panics after `timeout` naming `what`.
/// A number from a server's `/metrics` (this process's or another's), if it is there.
pub async fn metric(url: &str, name: &str) -> Option<f64> {
    let text = http().get(url).send().await.ok()?.text().await.ok()?;
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

pub async fn wait_for<T, F, Fut>(what: &str, timeout: std::time::Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Starts `tests/js/subscribe.cjs` — the npm `graphql-ws` client an integrator would use — on
/// the admin API at `http_url` (`http://…/api/graphql`), subscribed with `query`; it prints one
/// JSON line per message and exits after `events` of them. Read them with [`client_lines`].
pub fn graphql_ws_client(http_url: &str, authorization: &str, query: &str, events: usize) -> tokio::process::Child {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("js/subscribe.cjs");
    let node_path = std::env::var("NODE_PATH").unwrap_or_else(|_| {
        format!("{}/.cache/reelproof-tools/node_modules", std::env::var("HOME").unwrap_or_default())
    });
    let url = http_url.replacen("http://", "ws://", 1);
    tokio::process::Command::new("node")
        .arg(script)
        .args([url.as_str(), authorization, query, &events.to_string()])
        .env("NODE_PATH", node_path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node is installed")
}

/// A graphql-ws client running `operations` in turn on one socket (`tests/js/operations.cjs`);
/// it waits for a line on its stdin before each operation after the first.
pub fn graphql_ws_operations(http_url: &str, authorization: &str, operations: &[&str]) -> tokio::process::Child {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("js/operations.cjs");
    let node_path = std::env::var("NODE_PATH").unwrap_or_else(|_| {
        format!("{}/.cache/reelproof-tools/node_modules", std::env::var("HOME").unwrap_or_default())
    });
    let url = http_url.replacen("http://", "ws://", 1);
    tokio::process::Command::new("node")
        .arg(script)
        .arg(url)
        .arg(authorization)
        .args(operations)
        .env("NODE_PATH", node_path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node is installed")
}

/// Sends a request and reads its JSON answer (any status).
pub async fn json_of(req: reqwest::RequestBuilder) -> serde_json::Value {
    req.send().await.expect("the request reaches the server").json().await.expect("a JSON answer")
}

/// Waits (at most 30 s) for a [`graphql_ws_client`] to finish and returns its JSON lines.
pub async fn client_lines(child: tokio::process::Child) -> Vec<serde_json::Value> {
    let out = tokio::time::timeout(std::time::Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the graphql-ws client finishes within 30 s")
        .expect("the client ran");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("client printed {l:?}: {e}")))
        .collect()
}
