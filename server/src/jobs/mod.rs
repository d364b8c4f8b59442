//! The background job runner: claims jobs with a lease, runs their handler, retries with the
//! backoff of `domain::retry`, and buries a job after its last attempt.
//!
//! Tests drive it deterministically with [`JobRunner::run_until_idle`]; `serve` runs
//! [`JobRunner::run_loop`] until shutdown.

use crate::domain::retry::{RetryDecision, RetryPolicy};
use crate::state::AppState;
use crate::store;
use sea_orm::DbErr;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

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

#[async_trait::async_trait]
pub trait JobHandler: Send + Sync + 'static {
    /// The `jobs.kind` this handler runs.
    fn kind(&self) -> &'static str;
    async fn run(&self, state: &AppState, job: &entity::jobs::Model) -> Result<(), JobFailure>;
}

/// What happened to one claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Done,
    Retrying,
    Dead(String),
}

/// Every job handler the server knows, registered once.
pub fn handlers() -> Vec<Arc<dyn JobHandler>> {
    vec![
        Arc::new(crate::services::planning::DeliveryFallback),
        Arc::new(crate::services::media::MediaJob),
        Arc::new(crate::services::storefront_sync::SyncJob),
    ]
}

pub struct JobRunner {
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
    worker_id: String,
    lease: Duration,
}

impl JobRunner {
    pub fn new(handlers: Vec<Arc<dyn JobHandler>>) -> Self {
        Self {
            handlers: handlers.into_iter().map(|h| (h.kind(), h)).collect(),
            worker_id: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            lease: Duration::from_secs(300),
        }
    }

    /// Claims and runs one due job; `None` when nothing is due.
    pub async fn run_next(&self, state: &AppState) -> Result<Option<JobOutcome>, DbErr> {
        let now = state.now();
        let lease_until = now + chrono::Duration::from_std(self.lease).unwrap_or_default();
        let Some(job) = store::jobs::claim_next_all_shops(state.db(), &self.worker_id, now, lease_until).await? else {
            return Ok(None);
        };
        let span = tracing::info_span!("job", job_id = %job.id, kind = %job.kind, shop_id = ?job.shop_id, attempt = job.attempts);
        let _guard = span.enter();
        let result = match self.handlers.get(job.kind.as_str()) {
            Some(handler) => handler.run(state, &job).await,
            None => Err(JobFailure::Permanent(format!("no handler for job kind {:?}", job.kind))),
        };
        let done_at = state.now();
        let outcome = match result {
            Ok(()) => {
                store::jobs::complete(state.db(), job.id, &self.worker_id, done_at).await?;
                JobOutcome::Done
            }
            Err(failure) => {
                let permanent = matches!(failure, JobFailure::Permanent(_));
                let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
                let policy =
                    RetryPolicy { max_attempts: u32::try_from(job.max_attempts).unwrap_or(1), ..RetryPolicy::JOBS };
                let message = failure.to_string();
                match policy.decide(attempts, permanent, rand::random::<f64>()) {
                    RetryDecision::RetryAfter(delay) => {
                        let at = done_at + chrono::Duration::from_std(delay).unwrap_or_default();
                        tracing::warn!(error = %message, retry_at = %at, "job failed; will retry");
                        store::jobs::fail(state.db(), job.id, &self.worker_id, &message, Some(at), done_at).await?;
                        JobOutcome::Retrying
                    }
                    RetryDecision::GiveUp => {
                        tracing::error!(error = %message, "job failed for good");
                        store::jobs::fail(state.db(), job.id, &self.worker_id, &message, None, done_at).await?;
                        JobOutcome::Dead(message)
                    }
                }
            }
        };
        metrics::counter!("reelproof_jobs_total", "kind" => job.kind.clone(), "outcome" => outcome_label(&outcome))
            .increment(1);
        Ok(Some(outcome))
    }

    /// Runs due jobs until none is due; returns how many ran. For tests and one-shot tools.
    pub async fn run_until_idle(&self, state: &AppState) -> Result<usize, DbErr> {
        let mut ran = 0;
        while self.run_next(state).await?.is_some() {
            ran += 1;
        }
        Ok(ran)
    }

    /// The background loop of `serve`: polls once a second when idle, stops on shutdown.
    pub async fn run_loop(self: Arc<Self>, state: AppState, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let idle = match self.run_next(&state).await {
                Ok(Some(_)) => false,
                Ok(None) => true,
                Err(e) => {
                    tracing::error!(error = %e, "job runner could not reach the database");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
    }
}

fn outcome_label(o: &JobOutcome) -> &'static str {
    match o {
        JobOutcome::Done => "done",
        JobOutcome::Retrying => "retrying",
        JobOutcome::Dead(_) => "dead",
    }
}
