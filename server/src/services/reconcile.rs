//! Reconciliation of missed webhooks. Shopify's own guidance is that webhook delivery is not
//! guaranteed; so every connected shop's orders updated since its watermark are read back
//! through the Admin API (page by page, paced by the client's cost bucket) and replayed as the
//! webhooks they imply (`shopify::orders`), through the same intake path. Planning's
//! idempotency keys make a replay and the real webhook plan once between them; a cancellation
//! or refund Shopify never delivered still stops the requests it concerns.
//!
//! The scheduler's round plans one `reconcile_orders` job per connected shop every fifteen
//! minutes (keyed by the slot, so replicas plan it once). The watermark starts at the install:
//! nothing before it is asked about unless the merchant asks for a look-back
//! (`lookBackOrders(days)`, at most 60 days).

use crate::jobs::{JobFailure, JobHandler};
use crate::services::shop_connection::{self, ConnectionError};
use crate::shopify::admin_api::AdminApiError;
use crate::shopify::orders::{self, ORDERS_QUERY, PAGE};
use crate::state::AppState;
use crate::store;
use chrono::Duration;
use entity::{ShopId, jobs};
use sea_orm::DbErr;

pub const RECONCILE_JOB: &str = "reconcile_orders";
/// How often each shop's orders are read back.
pub const EVERY_MINUTES: i64 = 15;
/// Read a little before the watermark: an order updated just before the last run may have been
/// indexed just after it.
const OVERLAP: Duration = Duration::minutes(5);
pub const MAX_LOOKBACK_DAYS: i64 = 60;

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("choose a look-back of 1 to {MAX_LOOKBACK_DAYS} days")]
    BadLookBack,
    #[error("the shop has not connected its Admin API yet: open the app once")]
    NotConnected,
    #[error(transparent)]
    Database(#[from] DbErr),
}

fn slot(now: chrono::DateTime<chrono::Utc>) -> i64 {
    now.timestamp() / (EVERY_MINUTES * 60)
}

async fn enqueue(state: &AppState, shop_id: ShopId, key: String) -> Result<bool, DbErr> {
    let now = state.now();
    let job = store::jobs::NewJob {
        kind: RECONCILE_JOB,
        dedupe_key: Some(key),
        payload: serde_json::json!({}),
        run_at: now,
        max_attempts: 3,
    };
    store::jobs::enqueue(state.db(), Some(shop_id), job, now).await
}

/// Plans this slot's reconciliation for every connected shop (from the scheduler's round);
/// returns how many were planned now.
pub async fn plan_due(state: &AppState) -> Result<usize, DbErr> {
    // The round runs every few seconds; a slot is planned once per process (and once in all,
    // by the jobs' dedupe keys).
    static LAST_SLOT: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(i64::MIN);
    if !super::first_in_slot(&LAST_SLOT, state.now(), EVERY_MINUTES * 60) {
        return Ok(0);
    }
    let s = slot(state.now());
    let mut planned = 0;
    for shop_id in store::shops::connected_ids_all_shops(state.db()).await? {
        if enqueue(state, shop_id, format!("{RECONCILE_JOB}:{shop_id}:{s}")).await? {
            planned += 1;
        }
    }
    Ok(planned)
}

/// The merchant's "ask customers of the last N days": moves the watermark back and reads now.
pub async fn look_back(state: &AppState, shop_id: ShopId, days: i64) -> Result<(), ReconcileError> {
    if !(1..=MAX_LOOKBACK_DAYS).contains(&days) {
        return Err(ReconcileError::BadLookBack);
    }
    if !shop_connection::is_connected(state.db(), shop_id).await? {
        return Err(ReconcileError::NotConnected);
    }
    let now = state.now();
    store::shops::set_orders_reconciled_at(state.db(), shop_id, now - Duration::days(days)).await?;
    enqueue(state, shop_id, format!("{RECONCILE_JOB}:{shop_id}:lookback:{}", now.timestamp())).await?;
    tracing::info!(%shop_id, days, "order look-back planned");
    Ok(())
}

/// What one run read and replayed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reconciled {
    pub orders: usize,
    pub replayed: usize,
}

/// Reads the shop's orders updated since its watermark and replays them; then moves the
/// watermark to when the run started.
pub async fn run(state: &AppState, shop_id: ShopId) -> Result<Reconciled, ConnectionError> {
    let started = state.now();
    let shop = store::shops::get(state.db(), shop_id).await?.ok_or(ConnectionError::NotConnected)?;
    let since = shop.orders_reconciled_at.unwrap_or(shop.installed_at) - OVERLAP;
    let mut done = Reconciled::default();
    let mut after: Option<String> = None;
    loop {
        let vars = serde_json::json!({ "first": PAGE, "after": after, "query": orders::updated_since(since) });
        let data = shop_connection::graphql(state, shop_id, ORDERS_QUERY, vars).await?;
        for node in data.pointer("/orders/nodes").and_then(|n| n.as_array()).into_iter().flatten() {
            done.orders += 1;
            for replay in orders::replays(node) {
                match super::intake::receive_reconciled(state, &shop, replay).await {
                    Ok(super::intake::IntakeOutcome::Recorded(_)) => done.replayed += 1,
                    Ok(super::intake::IntakeOutcome::Duplicate | super::intake::IntakeOutcome::Refused) => {}
                    Err(super::intake::IntakeError::Database(e)) => return Err(e.into()),
                    Err(e) => return Err(ConnectionError::Api(AdminApiError::Passing(e.to_string()))),
                }
            }
        }
        let page = data.pointer("/orders/pageInfo");
        let next = page.and_then(|p| p["hasNextPage"].as_bool()).unwrap_or(false);
        after = page.and_then(|p| p["endCursor"].as_str()).map(str::to_owned);
        if !next || after.is_none() {
            break;
        }
    }
    store::shops::set_orders_reconciled_at(state.db(), shop_id, started).await?;
    metrics::counter!("reelproof_reconciled_replays_total").increment(done.replayed as u64);
    tracing::info!(%shop_id, orders = done.orders, replayed = done.replayed, "orders reconciled");
    Ok(done)
}

pub struct ReconcileJob;

#[async_trait::async_trait]
impl JobHandler<AppState> for ReconcileJob {
    fn kind(&self) -> &'static str {
        RECONCILE_JOB
    }

    /// A shop with a long history may take several pages of throttled calls.
    fn deadline(&self) -> std::time::Duration {
        std::time::Duration::from_secs(600)
    }

    async fn run(&self, state: &AppState, job: &jobs::Model) -> Result<(), JobFailure> {
        let shop_id = job.shop_id.ok_or_else(|| JobFailure::Permanent("reconciliation without a shop".into()))?;
        run(state, shop_id).await.map(|_| ()).map_err(ConnectionError::into_job_failure)
    }
}
