//! Who hears that a shop's storefront changed. Every change the storefront can show goes
//! through [`super::shops::bump_storefront_version`] (or deletes the shop), in the change's own
//! transaction; that is the one place that announces it, two ways:
//!
//! - On Postgres, `pg_notify` on [`CHANNEL`] in the same statement: the notice is delivered at
//!   commit (never for a rolled-back change) to every replica's `LISTEN` connection, whose
//!   storefront cache forgets the shop.
//! - In this process, the shop is noted in the unit of work's task-local list ([`tracked`]): an
//!   HTTP request or a job. When the unit ends, its transactions are over, and the caller
//!   drops the shops from this replica's cache at once, so the merchant's very next storefront
//!   request after "Unpublish" never waits for the notice.
//!
//! A note for a transaction that then rolls back costs one needless cache miss, never a stale
//! answer.

use entity::ShopId;
use std::cell::RefCell;

/// The Postgres channel storefront changes travel on; the payload is the shop's id.
pub const CHANNEL: &str = "reelproof_storefront";

tokio::task_local! {
    static CHANGED: RefCell<Vec<ShopId>>;
}

/// Notes that `shop_id`'s storefront changes in the current unit of work (a no-op outside
/// [`tracked`]: a one-shot tool, a spawned task; the `NOTIFY` and the cache's expiry cover them).
pub(super) fn note(shop_id: ShopId) {
    let _ = CHANGED.try_with(|c| {
        let mut c = c.borrow_mut();
        if !c.contains(&shop_id) {
            c.push(shop_id);
        }
    });
}

/// Runs a unit of work, returning its output and the shops whose storefront it changed (or
/// tried to: a rolled-back change is listed too).
pub async fn tracked<F: Future>(work: F) -> (F::Output, Vec<ShopId>) {
    CHANGED
        .scope(RefCell::new(Vec::new()), async {
            let out = work.await;
            (out, CHANGED.with(|c| c.take()))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_unit_of_work_lists_each_changed_shop_once_and_nothing_leaks_outside() {
        let (a, b) = (ShopId::new_v7(), ShopId::new_v7());
        let ((), changed) = tracked(async {
            note(a);
            note(b);
            note(a);
        })
        .await;
        assert_eq!(changed, [a, b]);
        note(a);
        let ((), changed) = tracked(async {}).await;
        assert!(changed.is_empty(), "a note outside a unit of work goes nowhere");
    }
}
