//! Shared pieces of the benchmarks: a scratch Postgres database and latency statistics.

use sea_orm::{ConnectionTrait, Database};
use std::time::Duration;

/// A fresh database on the Postgres server at `admin_url`, dropped by [`ScratchDb::drop_now`].
pub struct ScratchDb {
    admin_url: String,
    name: String,
    pub url: String,
}

impl ScratchDb {
    pub async fn create(admin_url: &str) -> anyhow::Result<Self> {
        let name = format!("reelproof_bench_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url).await?;
        admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await?;
        admin.close().await?;
        let mut url = url::Url::parse(admin_url)?;
        url.set_path(&name);
        Ok(Self { admin_url: admin_url.to_owned(), name, url: url.to_string() })
    }

    pub async fn drop_now(self) -> anyhow::Result<()> {
        let admin = Database::connect(&self.admin_url).await?;
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)).await?;
        admin.close().await?;
        Ok(())
    }
}

/// p50/p99/max of a set of latencies.
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn new(mut v: Vec<Duration>) -> Self {
        v.sort();
        Self(v)
    }

    pub fn percentile(&self, p: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        let idx = ((self.0.len() as f64 - 1.0) * p).round() as usize;
        self.0[idx.min(self.0.len() - 1)]
    }

    pub fn summary(&self) -> String {
        format!(
            "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.percentile(0.50).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
            self.percentile(1.0).as_secs_f64() * 1e3
        )
    }
}

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
