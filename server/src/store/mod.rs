//! Database access, one module per aggregate.
//!
//! Architecture Invariant: every public function takes the shop (a `ShopId`) explicitly and
//! filters by it. The few global functions say so in their name (`…_all_shops`); two find or
//! create the tenant itself by its domain (`shops::find_by_domain`, `shops::insert_if_absent`).
//! Services call these; resolvers and handlers never do. The architecture test checks both.

pub mod alerts;
pub mod analytics;
pub mod api_tokens;
pub mod campaigns;
pub mod deliveries;
pub mod jobs;
pub mod media_assets;
pub mod order_cancellations;
pub mod rate_counters;
pub mod request_events;
pub mod requests;
pub mod shops;
pub mod storefront;
pub mod storefront_changes;
pub mod submissions;
pub mod suppressions;
pub mod templates;

use sea_orm::{ConnectionTrait, DbBackend, DbErr};

/// Until [`plan_for_values`] or the end of the transaction, Postgres may reuse generic plans.
/// A write path calls it before inserting rows whose foreign keys are checked: webhook
/// intake's requests and events, the sender's `queued` and `sent` events.
///
/// Why: connections plan every statement for its own values (`db.rs`), which the admin's lists
/// and intake's per-customer reads need over shops of very different sizes. The setting also
/// re-plans every foreign-key check, a lookup by key on a table of a dozen indexes, once per
/// row inserted: in `bench/dispatch` that planning was a third of Postgres's CPU. A generic
/// plan is right for such a lookup, and wrong for a read made before the table grew (intake's
/// history of a customer scanned the whole table), so only inserts go between the two calls.
/// Outside a transaction it changes nothing (Postgres warns), so callers call it inside one.
pub async fn reuse_plans(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    set_plan_cache_mode(db, "auto").await
}

/// Back to the connection's own setting (`db.rs`) for the rest of the transaction: each
/// statement planned for its values.
pub async fn plan_for_values(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    set_plan_cache_mode(db, "DEFAULT").await
}

async fn set_plan_cache_mode(db: &impl ConnectionTrait, mode: &str) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(&format!("SET LOCAL plan_cache_mode TO {mode}")).await?;
    }
    Ok(())
}
