//! One module per step of the sequence of truth; the functions that resolvers, handlers and
//! jobs call. A service never imports a transport (`http`, `graphql`): it takes parsed,
//! authorized input and returns typed results or a `thiserror` error.

pub mod alert_summary;
pub mod alerts;
pub mod analytics;
pub mod api_tokens;
pub mod backlog;
pub mod campaigns;
pub mod capture;
pub mod credentials;
pub mod engagement;
pub mod flow;
pub mod install;
pub mod intake;
pub mod media;
pub mod messaging;
pub mod moderation;
pub mod planning;
pub mod privacy;
pub mod products;
pub mod rate_limits;
pub mod reconcile;
pub mod requests_log;
pub mod rewards;
pub mod shop_connection;
pub mod shops;
pub mod storefront;
pub mod storefront_sync;
pub mod templates;
pub mod testimonial_csv;
pub mod uploads;

/// Periodic work of the scheduler's round that must run at most once per `seconds`-long slot
/// in this process (the round itself runs every few seconds): `true` for the first caller of a
/// slot. Replicas are kept from doing it twice by the work's own dedupe keys.
pub(crate) fn first_in_slot(
    last: &std::sync::atomic::AtomicI64,
    now: chrono::DateTime<chrono::Utc>,
    seconds: i64,
) -> bool {
    let slot = now.timestamp() / seconds;
    last.swap(slot, std::sync::atomic::Ordering::AcqRel) != slot
}

/// One async lock per key (a shop, a shop domain) in this process, for work that must not run
/// twice at once for the same key (an install, a token refresh).
pub(crate) type KeyedLocks<K> =
    std::sync::Mutex<Option<std::collections::HashMap<K, std::sync::Arc<tokio::sync::Mutex<()>>>>>;

pub(crate) fn lock_for<K: std::hash::Hash + Eq>(
    locks: &KeyedLocks<K>,
    key: K,
) -> std::sync::Arc<tokio::sync::Mutex<()>> {
    let mut locks = locks.lock().unwrap_or_else(|e| e.into_inner());
    locks.get_or_insert_with(std::collections::HashMap::new).entry(key).or_default().clone()
}

/// Cursor paging: callers fetch one row more than the page; this keeps the page and says
/// whether there is a next one.
pub(crate) fn split_page<T>(mut rows: Vec<T>, first: u64) -> (Vec<T>, bool) {
    let more = rows.len() as u64 > first;
    rows.truncate(first as usize);
    (rows, more)
}
