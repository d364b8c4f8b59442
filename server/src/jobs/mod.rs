//! Background jobs: the handler trait every job kind implements, and the runner
//! ([`runner::JobRunner`]) that claims jobs with a lease, runs their handler, retries with the
//! backoff of `domain::retry`, and buries a job after its last attempt.
//!
//! Architecture Invariant: this module knows no job kind. Services implement [`JobHandler`]
//! for their own jobs and enqueue them through `store::jobs::enqueue` in their own
//! transactions; the composition root (`lib.rs`, `job_handlers`) lists the handlers and hands
//! them to the runner. *Why:* the runner is generic plumbing below the services; naming the
//! services here would make every service depend, through the runner, on every other.
//!
//! The runner reaches the database and the clock through [`JobContext`], which `AppState`
//! implements; handlers receive that same context.

pub mod runner;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

/// How a handler failed.
#[derive(Debug, thiserror::Error)]
pub enum JobFailure {
    /// Worth another try (network blip, busy peer).
    #[error("{0}")]
    Transient(String),
    /// Retrying cannot help (bad input); the job is buried at once.
    #[error("{0}")]
    Permanent(String),
}

/// What the runner needs from the application: the database its jobs live in and "now".
pub trait JobContext: Clone + Send + Sync + 'static {
    fn db(&self) -> &DatabaseConnection;
    fn now(&self) -> DateTime<Utc>;
}

/// One job kind's handler; `C` is the context handlers run with (the application state).
#[async_trait::async_trait]
pub trait JobHandler<C>: Send + Sync + 'static {
    /// The `jobs.kind` this handler runs.
    fn kind(&self) -> &'static str;
    /// The longest one run may take: the runner stops it there (a passing failure, retried)
    /// and holds its claim at least this long, so no other worker takes a job still running.
    fn deadline(&self) -> std::time::Duration {
        std::time::Duration::from_secs(300)
    }
    async fn run(&self, ctx: &C, job: &entity::jobs::Model) -> Result<(), JobFailure>;
}
