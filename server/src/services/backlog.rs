//! What is waiting, measured when Prometheus scrapes `/metrics`: due requests not yet sent and
//! due jobs not yet run, with the age of the oldest of each. Read from the database, not from
//! a worker's memory, so the numbers stay true (and the alerts fire) when every worker is down.

use crate::state::AppState;
use crate::store;
use chrono::{DateTime, Utc};
use sea_orm::DbErr;

/// Sets the backlog gauges; a database that does not answer leaves them as they were.
pub async fn measure(state: &AppState) -> Result<(), DbErr> {
    let now = state.now();
    let age =
        |oldest: Option<DateTime<Utc>>| oldest.map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0);
    let (requests, oldest_request) = store::requests::due_backlog_all_shops(state.db(), now).await?;
    metrics::gauge!("reelproof_due_requests").set(requests as f64);
    metrics::gauge!("reelproof_due_requests_oldest_age_seconds").set(age(oldest_request));
    let (jobs, oldest_job, dead) = store::jobs::backlog_all_shops(state.db(), now).await?;
    metrics::gauge!("reelproof_due_jobs").set(jobs as f64);
    metrics::gauge!("reelproof_due_jobs_oldest_age_seconds").set(age(oldest_job));
    metrics::gauge!("reelproof_dead_jobs").set(dead as f64);
    Ok(())
}
