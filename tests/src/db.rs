//! A fresh database per test: a temp SQLite file, or a new Postgres database when
//! `TEST_DATABASE_URL` is set. Postgres databases are dropped when the test ends (also when it
//! fails: `Drop` cleans up on its own thread).

use sea_orm::{ConnectionTrait, Database};
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

    pub async fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("reelproof_test_{}", Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
                admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
                // A test database is thrown away: its commits need not wait for the disk.
                // Without this the suite spends most of its time in fsync on a slow disk; what
                // the tests observe (visibility, locking, ordering) does not change.
                admin
                    .execute_unprepared(&format!("ALTER DATABASE \"{name}\" SET synchronous_commit = off"))
                    .await
                    .expect("configure test database");
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
