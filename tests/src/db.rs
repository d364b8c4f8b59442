//! A fresh database per test: a temp SQLite file, or a new Postgres database when
//! `TEST_DATABASE_URL` is set. Postgres databases are dropped when the test ends (also when it
//! fails: `Drop` cleans up on its own thread).
//!
//! On Postgres a test app's database is a copy of a migrated template ([`TestDb::migrated`]):
//! migrating a new database took about 0.3 s of each test app's start, and the suite starts
//! 200 of them. The template is named after a hash of the migrations' sources, so an edited
//! migration gets a template of its own, built by the first test that needs it.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub struct TestDb {
    url: String,
    pg: Option<PgDatabase>,
    _dir: Option<tempfile::TempDir>,
}

struct PgDatabase {
    admin_url: String,
    name: String,
}

impl TestDb {
    pub fn is_postgres() -> bool {
        std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
    }

    /// An empty database (no migration has run): for the tests of migrating itself.
    pub async fn create() -> Self {
        Self::new(false).await
    }

    /// A database with every migration applied (on SQLite the server migrates its new file
    /// itself, in milliseconds).
    pub async fn migrated() -> Self {
        Self::new(true).await
    }

    async fn new(migrated: bool) -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let admin_url = without_tls_on_loopback(&admin_url);
                let name = format!("reelproof_test_{}", Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
                let template = if migrated { Some(migrated_template(&admin, &admin_url).await) } else { None };
                create_database(&admin, &name, template.as_deref()).await;
                admin.close().await.ok();
                let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                Self { url: url.to_string(), pg: Some(PgDatabase { admin_url, name }), _dir: None }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = server::config::sqlite_url(&dir.path().join("test.db"));
                Self { url, pg: None, _dir: Some(dir) }
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn drop_now(&mut self) {
        if let Some(pg) = self.pg.take() {
            pg.drop_database().await;
        }
    }
}

/// The test database's URL without TLS when the server is on this machine and the URL does not
/// choose (`sslmode`). TLS over loopback protects nothing, and its handshake is what made a
/// Postgres test app slow to start: about 85 ms a connection in the debug build, against 5 ms
/// without (measured; PostgreSQL offers TLS by default, and sqlx's default `prefer` takes it),
/// and an app opens five — 1.1 s of the 1.4 s a trivial test took.
fn without_tls_on_loopback(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else { return url.to_owned() };
    // A `postgres:` URL's host is opaque to the url crate (not a special scheme): an IPv4
    // address comes back as text.
    let host = parsed.host_str().unwrap_or("").trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback || parsed.query_pairs().any(|(k, _)| k == "sslmode") {
        return url.to_owned();
    }
    parsed.query_pairs_mut().append_pair("sslmode", "disable");
    parsed.to_string()
}

/// Creates `name` (a copy of `template` when given), its commits not waiting for the disk: a
/// test database is thrown away, and what the tests observe (visibility, locking, ordering)
/// does not change.
async fn create_database(admin: &DatabaseConnection, name: &str, template: Option<&str>) {
    let from = template.map(|t| format!(" TEMPLATE \"{t}\"")).unwrap_or_default();
    admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"{from}")).await.expect("create test database");
    admin
        .execute_unprepared(&format!("ALTER DATABASE \"{name}\" SET synchronous_commit = off"))
        .await
        .expect("configure test database");
}

/// The migrated template for this version of the migrations, built if missing. Test processes
/// start side by side, so two may build it at once: each builds its own copy under a scratch
/// name and renames it into place, and the one that finds the name taken drops its copy. No
/// one ever connects to the template itself, which Postgres requires of a copy's source.
async fn migrated_template(admin: &DatabaseConnection, admin_url: &str) -> String {
    let name = format!("reelproof_template_{}", migrations_fingerprint());
    if database_exists(admin, &name).await {
        return name;
    }
    let scratch = format!("reelproof_template_build_{}", Uuid::new_v4().simple());
    create_database(admin, &scratch, None).await;
    let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&scratch);
    let db = server::db::connect(url.as_str()).await.expect("connect to the template being built");
    server::db::migrate(&db).await.expect("migrate the template");
    db.close().await.ok();
    let renamed = admin.execute_unprepared(&format!("ALTER DATABASE \"{scratch}\" RENAME TO \"{name}\"")).await;
    if renamed.is_err() {
        // Another test built it first.
        let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{scratch}\"")).await;
        assert!(database_exists(admin, &name).await, "template {name}: {renamed:?}");
        return name;
    }
    // Templates of earlier migrations are no use any more; one in use stays (best effort).
    let stale = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'reelproof\\_template\\_%'".to_owned(),
        ))
        .await
        .unwrap_or_default();
    for row in stale {
        if let Ok(old) = row.try_get::<String>("", "datname")
            && old != name
            && !old.starts_with("reelproof_template_build_")
        {
            let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{old}\"")).await;
        }
    }
    name
}

async fn database_exists(admin: &DatabaseConnection, name: &str) -> bool {
    // The name is ours (hex digits), never a tester's input: inlining it is safe.
    let sql = format!("SELECT 1 AS one FROM pg_database WHERE datname = '{name}'");
    let rows = admin
        .query_all_raw(sea_orm::Statement::from_string(admin.get_database_backend(), sql))
        .await
        .expect("list databases");
    !rows.is_empty()
}

/// A hash of the migration crate's sources: the template's version.
fn migrations_fingerprint() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migration/src");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the migration sources")
        .map(|e| e.expect("a migration source").path())
        .collect();
    files.sort();
    let mut hash = Sha256::new();
    for f in files {
        hash.update(f.file_name().expect("a file name").as_encoded_bytes());
        hash.update(std::fs::read(&f).expect("read a migration source"));
    }
    hex::encode(&hash.finalize()[..8])
}

impl PgDatabase {
    async fn drop_database(self) {
        if let Ok(admin) = Database::connect(&self.admin_url).await {
            let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)).await;
            admin.close().await.ok();
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(pg) = self.pg.take() {
            // Not inside the test's runtime: a fresh one on its own thread.
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    rt.block_on(pg.drop_database());
                }
            })
            .join();
        }
    }
}
