//! Who hears that a shop's storefront changed. Every change the storefront can show goes
//! through [`super::shops::bump_storefront_version`] (or deletes the shop), in the change's own
//! transaction; that is the one place that announces it, two ways:
//!
//! - On Postgres, `pg_notify` on [`CHANNEL`] in the same statement, with the shop's new version:
//!   the notice is delivered at commit (never for a rolled-back change) to every replica's
//!   `LISTEN` connection, whose storefront cache forgets the shop and acknowledges on
//!   [`ACK_CHANNEL`].
//! - In this process, the shop and its new version are noted in the unit of work's task-local
//!   list ([`tracked`]): an HTTP request or a job. When the unit ends, its transactions are
//!   over; the caller drops the shops from this replica's cache at once and, for a merchant's
//!   request, waits until every replica listening ([`listeners_and_versions_all_shops`]) has
//!   acknowledged the new versions (`services::storefront::tracking`), so the very next
//!   storefront request after "Unpublish" shows the change on whichever replica serves it.
//!
//! A note for a transaction that then rolls back costs one needless cache miss, never a stale
//! answer; the version read back after the unit tells the caller not to wait for it.

use crate::domain::storefront_notice::Change;
use entity::ShopId;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use std::cell::RefCell;
use std::collections::HashMap;

/// The Postgres channel storefront changes travel on; the payload is `{shop id}:{version}`.
pub const CHANNEL: &str = "reelproof_storefront";
/// Where each replica acknowledges a change it has applied: `{backend pid} {shop id}:{version}`.
pub const ACK_CHANNEL: &str = "reelproof_storefront_ack";
/// The `application_name` of every storefront `LISTEN` connection: how a writer finds the
/// replicas whose acknowledgements it waits for.
pub const LISTENER_NAME: &str = "reelproof storefront";

tokio::task_local! {
    static CHANGED: RefCell<Vec<Change>>;
}

/// Notes that `shop_id`'s storefront changes in the current unit of work, to `version` when the
/// database announced one (a no-op outside [`tracked`]: a one-shot tool, a spawned task; the
/// `NOTIFY` and the cache's expiry cover them).
pub(super) fn note(shop_id: ShopId, version: Option<i64>) {
    let _ = CHANGED.try_with(|c| {
        let mut c = c.borrow_mut();
        match c.iter_mut().find(|c| c.shop == shop_id) {
            Some(c) => c.version = c.version.max(version),
            None => c.push(Change { shop: shop_id, version }),
        }
    });
}

/// Runs a unit of work, returning its output and the shops whose storefront it changed (or
/// tried to: a rolled-back change is listed too), each with the newest version it announced.
pub async fn tracked<F: Future>(work: F) -> (F::Output, Vec<Change>) {
    CHANGED
        .scope(RefCell::new(Vec::new()), async {
            let out = work.await;
            (out, CHANGED.with(|c| c.take()))
        })
        .await
}

/// After a unit of work: the backends of the storefront `LISTEN` connections now open on this
/// database, and the versions of `shops` now committed (a shop whose version is below the one
/// the unit announced had its change rolled back). Postgres only.
pub async fn listeners_and_versions_all_shops(
    db: &impl ConnectionTrait,
    shops: &[ShopId],
) -> Result<(Vec<i32>, HashMap<ShopId, i64>), DbErr> {
    let listeners = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
        [LISTENER_NAME.into()],
    );
    let pids =
        db.query_all_raw(listeners).await?.iter().map(|r| r.try_get::<i32>("", "pid")).collect::<Result<_, _>>()?;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let committed = entity::shops::Entity::find()
        .select_only()
        .columns([entity::shops::Column::Id, entity::shops::Column::StorefrontVersion])
        .filter(entity::shops::Column::Id.is_in(shops.iter().copied()))
        .into_tuple::<(ShopId, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok((pids, committed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_unit_of_work_lists_each_changed_shop_once_with_its_newest_version_and_nothing_leaks_outside() {
        let (a, b) = (ShopId::new_v7(), ShopId::new_v7());
        let ((), changed) = tracked(async {
            note(a, Some(3));
            note(b, None);
            note(a, Some(4));
        })
        .await;
        assert_eq!(changed, [Change { shop: a, version: Some(4) }, Change { shop: b, version: None }]);
        note(a, Some(5));
        let ((), changed) = tracked(async {}).await;
        assert!(changed.is_empty(), "a note outside a unit of work goes nowhere");
    }
}
