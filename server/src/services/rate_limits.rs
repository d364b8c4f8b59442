//! Spending rate-limit budgets, counted in the database so that a limit holds across every
//! replica (an in-process limiter gives each replica the whole budget again).

use crate::domain::rate_limit::Budget;
use crate::state::AppState;
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    /// The budget named is spent for this window.
    #[error("too many requests; please wait a minute and try again")]
    Spent(&'static str),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Spends one hit of each `(budget, subject)`; `Spent` names the first budget that ran out.
/// Every budget is counted even after one is spent, so a client that keeps hammering stays
/// limited on all of them.
pub async fn spend(state: &AppState, budgets: &[(Budget, &str)]) -> Result<(), RateLimitError> {
    let now = state.now();
    let mut spent = None;
    for (budget, subject) in budgets {
        let hits = crate::store::rate_counters::count_hit_all_shops(
            state.db(),
            &budget.bucket(subject),
            budget.window_start(now),
        )
        .await?;
        if u32::try_from(hits).unwrap_or(u32::MAX) > budget.limit && spent.is_none() {
            spent = Some(budget.name);
        }
    }
    match spent {
        Some(name) => {
            metrics::counter!("reelproof_rate_limited_total", "budget" => name).increment(1);
            Err(RateLimitError::Spent(name))
        }
        None => Ok(()),
    }
}

/// Deletes counters of windows that ended more than an hour ago (the longest window).
pub async fn prune(state: &AppState) -> Result<u64, DbErr> {
    let before = (state.now() - chrono::Duration::hours(2)).timestamp();
    crate::store::rate_counters::prune_all_shops(state.db(), before).await
}
