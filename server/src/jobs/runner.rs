//! The runner: claim the oldest due job, run its handler, record the outcome.
//!
//! Tests drive it deterministically with [`JobRunner::run_until_idle`]; `serve` runs
//! [`JobRunner::run_loop`] until shutdown.

use super::{JobContext, JobFailure, JobHandler, Stop};
use crate::domain::retry::{RetryDecision, RetryPolicy};
use crate::store;
use sea_orm::DbErr;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// What happened to one claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Done,
    Retrying,
    Dead(String),
    /// A shutdown's drain deadline came first: the run was stopped and the job given back
    /// as it was (no attempt counted), for the next worker to take at once.
    Released,
}

pub struct JobRunner<C> {
    handlers: HashMap<&'static str, Arc<dyn JobHandler<C>>>,
    worker_id: String,
    lease: Duration,
}

impl<C: JobContext> JobRunner<C> {
    /// A runner for these handlers, one per kind (a kind registered twice keeps the last).
    pub fn new(handlers: Vec<Arc<dyn JobHandler<C>>>) -> Self {
        // A claim is made before the kind is known, so it lasts as long as the longest deadline
        // (and a minute more): a job is never claimed again while it may still be running.
        let longest = handlers.iter().map(|h| h.deadline()).max().unwrap_or(Duration::from_secs(300));
        Self {
            handlers: handlers.into_iter().map(|h| (h.kind(), h)).collect(),
            worker_id: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            lease: longest + Duration::from_secs(60),
        }
    }

    /// Claims and runs one due job; `None` when nothing is due.
    pub async fn run_next(&self, state: &C) -> Result<Option<JobOutcome>, DbErr> {
        self.run_next_until(state, &Stop::never()).await
    }

    /// As [`run_next`](Self::run_next), but a run still going at `stop`'s drain deadline is
    /// stopped and its job released.
    pub async fn run_next_until(&self, state: &C, stop: &Stop) -> Result<Option<JobOutcome>, DbErr> {
        let now = state.now();
        let lease_until = now + chrono::Duration::from_std(self.lease).unwrap_or_default();
        let Some(job) = store::jobs::claim_next_all_shops(state.db(), &self.worker_id, now, lease_until).await? else {
            return Ok(None);
        };
        let span = tracing::info_span!("job", job_id = %job.id, kind = %job.kind, shop_id = ?job.shop_id, attempt = job.attempts);
        self.finish(state, job, stop).instrument(span).await
    }

    /// Runs a claimed job's handler and records what happened.
    async fn finish(&self, state: &C, job: entity::jobs::Model, stop: &Stop) -> Result<Option<JobOutcome>, DbErr> {
        let result = match self.handlers.get(job.kind.as_str()) {
            Some(handler) => {
                let run = async {
                    let (r, changed) = store::storefront_changes::tracked(handler.run(state, &job)).await;
                    state.storefront_changed(&changed);
                    r
                };
                let run = tokio::time::timeout(handler.deadline(), run);
                tokio::select! {
                    r = run => match r {
                        Ok(r) => r,
                        Err(_) => Err(JobFailure::Transient(format!(
                            "stopped at its deadline of {} s",
                            handler.deadline().as_secs()
                        ))),
                    },
                    // The run is dropped here (a child process with it: tools are started
                    // kill-on-drop), then the job and what it held are given back.
                    () = stop.deadline() => {
                        tracing::warn!("still running at the shutdown's drain deadline; stopped and given back");
                        handler.abandoned(state, &job).await;
                        store::jobs::release_all_shops(state.db(), job.id, &self.worker_id, state.now()).await?;
                        metrics::counter!("reelproof_jobs_total", "kind" => job.kind.clone(), "outcome" => "released")
                            .increment(1);
                        return Ok(Some(JobOutcome::Released));
                    }
                }
            }
            None => Err(JobFailure::Permanent(format!("no handler for job kind {:?}", job.kind))),
        };
        let done_at = state.now();
        let outcome = match result {
            Ok(()) => {
                store::jobs::complete_all_shops(state.db(), job.id, &self.worker_id, done_at).await?;
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
                        store::jobs::fail_all_shops(state.db(), job.id, &self.worker_id, &message, Some(at), done_at)
                            .await?;
                        JobOutcome::Retrying
                    }
                    RetryDecision::GiveUp => {
                        tracing::error!(error = %message, "job failed for good");
                        store::jobs::fail_all_shops(state.db(), job.id, &self.worker_id, &message, None, done_at)
                            .await?;
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
    pub async fn run_until_idle(&self, state: &C) -> Result<usize, DbErr> {
        let mut ran = 0;
        while self.run_next(state).await?.is_some() {
            ran += 1;
        }
        Ok(ran)
    }

    /// The background loop of `serve`: polls once a second when idle. At shutdown it claims
    /// nothing more; a run in progress may finish until the drain deadline, then it is stopped
    /// and its job released.
    pub async fn run_loop(self: Arc<Self>, state: C, stop: Stop) {
        loop {
            if stop.is_stopping() {
                return;
            }
            let idle = match self.run_next_until(&state, &stop).await {
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
                    () = stop.stopping() => return,
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
        JobOutcome::Released => "released",
    }
}
