//! Connecting to the database and keeping its schema current.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;

/// Pool sizes: SQLite has one writer, so a small pool; Postgres a larger one.
const SQLITE_POOL: u32 = 8;
const POSTGRES_POOL: u32 = 20;

/// How many admin API operations may run at once: half the pool. The rest stays free for
/// webhooks, the capture page, the storefront and the workers, so slow admin queries (an
/// export, a year of analytics, an integrator's loop) can hold at most half the connections
/// and never starve intake (Shopify gives a webhook 5 s).
pub fn admin_concurrency(url: &str) -> usize {
    let pool = if url.starts_with("sqlite:") { SQLITE_POOL } else { POSTGRES_POOL };
    (pool / 2).max(1) as usize
}

/// The longest any one statement may run on Postgres.
pub const STATEMENT_TIMEOUT: &str = "30s";

/// Connects to SQLite or Postgres; for SQLite, turns on WAL, foreign keys and a busy timeout
/// so concurrent writers wait for each other instead of failing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = url.strip_prefix("sqlite://").and_then(|rest| rest.split('?').next())
        && let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| DbErr::Custom(format!("creating {}: {e}", parent.display())))?;
    }
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false).connect_timeout(Duration::from_secs(10)).acquire_timeout(Duration::from_secs(10));
    let is_sqlite = url.starts_with("sqlite:");
    if is_sqlite {
        // One file, one writer: a small pool avoids lock contention; busy_timeout (set on every
        // pooled connection, pragmas are per connection) makes a concurrent writer wait rather
        // than fail with SQLITE_BUSY; WAL lets readers proceed during a write.
        opts.max_connections(SQLITE_POOL).min_connections(1);
        opts.map_sqlx_sqlite_opts(|o| {
            o.busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
        });
    } else {
        opts.max_connections(POSTGRES_POOL).min_connections(1);
        // No statement may hold a connection for long: a slow query (a huge export, a missing
        // index) fails with a clear error instead of starving webhooks of connections.
        //
        // Every statement is planned for its own values (`plan_cache_mode`): prepared
        // statements otherwise switch to one generic plan after five runs, and a plan that suits
        // an average shop scans all of the largest shop's rows (`bench/scale`: a campaign's
        // requests log took 134 ms generic, 0.1 ms planned for the shop). Planning costs a
        // fraction of a millisecond.
        opts.map_sqlx_postgres_opts(|o| {
            o.options([
                ("statement_timeout", STATEMENT_TIMEOUT),
                ("idle_in_transaction_session_timeout", "60s"),
                ("plan_cache_mode", "force_custom_plan"),
            ])
        });
    }
    let mut db = Database::connect(opts).await?;
    // Every statement counts toward `reelproof_db_statements_total`: an N+1 shows up on the
    // dashboard (and the requests-log test asserts a bounded count with it).
    db.set_metric_callback(|_| metrics::counter!("reelproof_db_statements_total").increment(1));
    Ok(db)
}

/// Applies pending migrations. On Postgres one process at a time: replicas of a new release
/// that start together on a database not yet migrated would otherwise run the same migration
/// twice (one of them failing half-way on "already exists"). The lock is a session-level
/// advisory lock held on one pooled connection while the pool migrates; a process that dies
/// holding it releases it with its connection.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Migrator::up(db, None).await;
    }
    let db_err = |e: sea_orm::sqlx::Error| DbErr::Custom(format!("migration lock: {e}"));
    let mut lock = db.get_postgres_connection_pool().acquire().await.map_err(db_err)?;
    sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *lock)
        .await
        .map_err(db_err)?;
    let result = Migrator::up(db, None).await;
    sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *lock)
        .await
        .map_err(db_err)?;
    result
}

/// The advisory lock key of migrations ("rp-migr" in ASCII): any constant no other lock uses.
const MIGRATION_LOCK: i64 = 0x0072_702d_6d69_6772;

/// How many migrations the database has not had yet.
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<usize, DbErr> {
    Ok(Migrator::get_pending_migrations(db).await?.len())
}

/// How long readiness waits for the database. A load balancer's probe gives up after a few
/// seconds; waiting out the pool's whole acquire timeout would only turn "down" into a timeout.
const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

/// Readiness: the database answers (within [`READINESS_TIMEOUT`]) and no migration is pending.
pub async fn readiness(db: &DatabaseConnection) -> Result<(), String> {
    let check = async {
        db.ping().await.map_err(|e| format!("database unreachable: {e}"))?;
        Migrator::get_pending_migrations(db).await.map_err(|e| format!("migration check failed: {e}"))
    };
    let pending = tokio::time::timeout(READINESS_TIMEOUT, check)
        .await
        .map_err(|_| format!("database did not answer within {} s", READINESS_TIMEOUT.as_secs()))??;
    if pending.is_empty() { Ok(()) } else { Err(format!("{} migration(s) pending", pending.len())) }
}
