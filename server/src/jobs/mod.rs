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
    /// A job ended that changed these shops' storefronts (`store::storefront_changes`). No one
    /// waits on a job's end, so it does not wait for the other replicas' acknowledgements as a
    /// merchant's request does; their notices reach them within milliseconds.
    fn storefront_changed(&self, _changes: &[crate::domain::storefront_notice::Change]) {}
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
    /// Called when a shutdown stopped a run at the drain deadline, after the run was dropped:
    /// give back whatever the run held besides its job (a lease on another row), so the next
    /// worker need not wait for it to run out.
    async fn abandoned(&self, _ctx: &C, _job: &entity::jobs::Model) {}
}

/// How a background loop is told to stop: a shutdown flag and how long work already started
/// may take to finish before it is given back.
#[derive(Clone)]
pub struct Stop {
    /// `None`: a stop that never comes (tests and one-shot tools).
    flag: Option<tokio::sync::watch::Receiver<bool>>,
    drain: std::time::Duration,
}

impl Stop {
    pub fn new(flag: tokio::sync::watch::Receiver<bool>, drain: std::time::Duration) -> Self {
        Self { flag: Some(flag), drain }
    }

    /// A stop that never comes.
    pub fn never() -> Self {
        Self { flag: None, drain: std::time::Duration::MAX }
    }

    /// Whether shutdown has begun: start nothing new.
    pub fn is_stopping(&self) -> bool {
        self.flag.as_ref().is_some_and(|f| *f.borrow())
    }

    /// Resolves when shutdown begins.
    pub async fn stopping(&self) {
        match &self.flag {
            Some(flag) => {
                let mut flag = flag.clone();
                // A dropped sender means the process is going away: that is a stop too.
                let _ = flag.wait_for(|s| *s).await;
            }
            None => std::future::pending().await,
        }
    }

    /// Resolves at the drain deadline: shutdown began `drain` ago.
    pub async fn deadline(&self) {
        self.stopping().await;
        tokio::time::sleep(self.drain).await;
    }
}
