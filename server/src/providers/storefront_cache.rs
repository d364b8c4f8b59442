//! The storefront's read cache: each shop's storefront version by domain, and whole answers by
//! request. An answer is served again only while every shop it read still has the version it
//! was made with, so a cached answer can be old only as long as a shop's version here is.
//!
//! A shop's version is trusted from memory only on Postgres, while this replica's `LISTEN`
//! connection on `store::storefront_changes::CHANNEL` is up (every change is announced there at
//! commit), and for at most [`TRUST`] after it was read (a safety net for a writer that did not
//! announce). On each notice the replica forgets the shop, then acknowledges the change on the
//! acknowledgements' channel; the replica that made a change forgets the shop when the change's
//! unit of work ends and waits for every listening replica's acknowledgement
//! ([`StorefrontCache::wait_for_acks`], `services::storefront::tracking`) before the merchant
//! sees the answer. Without the connection — SQLite, or while it is down — the version is read
//! from the database on every request; answers are still cached.
//!
//! Architecture invariant: an entry read from the database goes into the map only if nothing
//! was forgotten while it was being read ([`StorefrontCache::epoch`]); otherwise a notice that
//! arrived between the read and the insert would be lost.

use crate::domain::storefront_notice::{self, Change};
use entity::ShopId;
use lru::LruCache;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a shop's version read from the database is trusted while notices arrive.
pub const TRUST: Duration = Duration::from_secs(5);
/// Acknowledgements kept for a writer that has not started waiting yet; older ones are pruned
/// once there are many.
const ACKS_KEPT: Duration = Duration::from_secs(60);
const ACKS_PRUNED_ABOVE: usize = 4096;
/// Answers kept at most, and their bytes at most; larger answers are not kept.
const ANSWERS: usize = 4096;
const ANSWER_BYTES: usize = 64 << 20;
const MAX_ANSWER: usize = 512 << 10;

/// What the storefront needs to know about a shop to serve it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShopVersion {
    pub id: ShopId,
    pub version: i64,
    pub installed: bool,
}

/// A storefront answer, as sent.
#[derive(Debug)]
pub struct Answer {
    pub body: bytes::Bytes,
    pub etag: http::HeaderValue,
    /// The shops it read (by domain) and their versions when it was made.
    pub shops: Vec<(String, i64)>,
}

/// Where a replica hears storefront changes (`store::storefront_changes` names them).
#[derive(Debug, Clone, Copy)]
pub struct Channels {
    /// The changes' notices, `{shop id}:{version}`.
    pub changes: &'static str,
    /// The replicas' acknowledgements (`domain::storefront_notice`).
    pub acks: &'static str,
    /// The `application_name` of the `LISTEN` connection, by which writers count replicas.
    pub listener_name: &'static str,
}

#[derive(Clone)]
pub struct StorefrontCache(Arc<Shared>);

struct Shared {
    shops: Mutex<HashMap<String, (ShopVersion, Instant)>>,
    answers: Mutex<Answers>,
    epoch: AtomicU64,
    listening: AtomicBool,
    /// [`TRUST`], unless a test stretched it.
    trust_ms: AtomicU64,
    /// The newest version each replica (by backend pid) acknowledged for each shop, and when.
    acks: Mutex<HashMap<(ShopId, i32), (i64, Instant)>>,
    acked: tokio::sync::Notify,
}

struct Answers {
    lru: LruCache<[u8; 32], Arc<Answer>>,
    bytes: usize,
}

impl Default for StorefrontCache {
    fn default() -> Self {
        Self(Arc::new(Shared {
            shops: Mutex::default(),
            answers: Mutex::new(Answers {
                lru: LruCache::new(NonZeroUsize::new(ANSWERS).expect("non-zero")),
                bytes: 0,
            }),
            epoch: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            trust_ms: AtomicU64::new(TRUST.as_millis() as u64),
            acks: Mutex::default(),
            acked: tokio::sync::Notify::new(),
        }))
    }
}

impl StorefrontCache {
    /// The shop's version, if memory may be trusted for it now.
    pub fn shop(&self, domain: &str) -> Option<ShopVersion> {
        if !self.0.listening.load(Ordering::Acquire) {
            return None;
        }
        let shops = self.0.shops.lock().ok()?;
        let (v, read_at) = shops.get(domain)?;
        (read_at.elapsed() < Duration::from_millis(self.0.trust_ms.load(Ordering::Relaxed))).then_some(*v)
    }

    /// How long a version read from the database is trusted while notices arrive: a test
    /// stretches it to show that notices, not the expiry, carry a change.
    pub fn set_trust(&self, trust: Duration) {
        self.0.trust_ms.store(trust.as_millis() as u64, Ordering::Relaxed);
    }

    /// Taken before reading a shop from the database, handed to [`Self::remember_shop`].
    pub fn epoch(&self) -> u64 {
        self.0.epoch.load(Ordering::Acquire)
    }

    /// Keeps a shop read from the database, unless something was forgotten since `epoch`.
    pub fn remember_shop(&self, domain: &str, v: ShopVersion, epoch: u64) {
        if !self.0.listening.load(Ordering::Acquire) {
            return;
        }
        if let Ok(mut shops) = self.0.shops.lock()
            && self.0.epoch.load(Ordering::Acquire) == epoch
        {
            shops.insert(domain.to_owned(), (v, Instant::now()));
        }
    }

    /// The shop's storefront changed: its version is read again next time.
    pub fn forget(&self, shop_id: ShopId) {
        if let Ok(mut shops) = self.0.shops.lock() {
            self.0.epoch.fetch_add(1, Ordering::AcqRel);
            shops.retain(|_, (v, _)| v.id != shop_id);
        }
        metrics::counter!("reelproof_storefront_cache_forgotten_total").increment(1);
    }

    fn forget_all(&self) {
        if let Ok(mut shops) = self.0.shops.lock() {
            self.0.epoch.fetch_add(1, Ordering::AcqRel);
            shops.clear();
        }
    }

    pub fn answer(&self, key: &[u8; 32]) -> Option<Arc<Answer>> {
        self.0.answers.lock().ok()?.lru.get(key).cloned()
    }

    pub fn remember_answer(&self, key: [u8; 32], answer: Answer) {
        let size = answer.body.len();
        if size > MAX_ANSWER {
            return;
        }
        let Ok(mut a) = self.0.answers.lock() else { return };
        if let Some((_, old)) = a.lru.push(key, Arc::new(answer)) {
            a.bytes -= old.body.len();
        }
        a.bytes += size;
        while a.bytes > ANSWER_BYTES {
            match a.lru.pop_lru() {
                Some((_, old)) => a.bytes -= old.body.len(),
                None => break,
            }
        }
    }

    /// Whether memory is trusted now (the `LISTEN` connection is up).
    pub fn listening(&self) -> bool {
        self.0.listening.load(Ordering::Acquire)
    }

    /// A replica's acknowledgement arrived.
    fn record_ack(&self, payload: &str) {
        let Some((pid, shop, version)) = storefront_notice::parse_ack(payload) else {
            tracing::warn!("unreadable storefront acknowledgement");
            return;
        };
        if let Ok(mut acks) = self.0.acks.lock() {
            if acks.len() > ACKS_PRUNED_ABOVE {
                acks.retain(|_, (_, at)| at.elapsed() < ACKS_KEPT);
            }
            let entry = acks.entry((shop, pid)).or_insert((version, Instant::now()));
            *entry = (entry.0.max(version), Instant::now());
        }
        self.0.acked.notify_waiters();
    }

    /// The replicas among `pids` that have not acknowledged every one of `changes` yet.
    fn unacknowledged(&self, changes: &[(ShopId, i64)], pids: &[i32]) -> Vec<i32> {
        let Ok(acks) = self.0.acks.lock() else { return pids.to_vec() };
        let done =
            |pid: i32| changes.iter().all(|(shop, v)| acks.get(&(*shop, pid)).is_some_and(|(seen, _)| seen >= v));
        pids.iter().copied().filter(|pid| !done(*pid)).collect()
    }

    /// Waits until every replica in `pids` (their `LISTEN` connections' backends) has applied
    /// `changes` — each shop at least at its version —, or `within` has passed. Returns the
    /// replicas that had not: a replica whose connection dropped meanwhile trusts nothing it
    /// learnt before, so only a live but slow one can still answer from an old version.
    pub async fn wait_for_acks(&self, changes: &[(ShopId, i64)], pids: &[i32], within: Duration) -> Vec<i32> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            // Registered before the check, so an acknowledgement in between still wakes us.
            let notified = self.0.acked.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let missing = self.unacknowledged(changes, pids);
            if missing.is_empty() || tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.unacknowledged(changes, pids);
            }
        }
    }

    /// On Postgres: `LISTEN` for storefront changes on a connection of its own, forgetting each
    /// changed shop and acknowledging it; while the connection is down nothing is trusted, and
    /// everything learnt before it went down is forgotten (notices sent meanwhile are lost).
    pub async fn connect_postgres(&self, url: &str, channels: Channels) -> Result<(), sea_orm::DbErr> {
        let db_err = |e: sea_orm::sqlx::Error| sea_orm::DbErr::Custom(format!("LISTEN connection: {e}"));
        let (mut listener, mut pid) = listen(url, channels).await.map_err(db_err)?;
        let (cache, url) = (self.clone(), url.to_owned());
        cache.forget_all();
        cache.0.listening.store(true, Ordering::Release);
        tokio::spawn(async move {
            loop {
                let lost = cache.follow(&mut listener, pid, channels).await;
                cache.0.listening.store(false, Ordering::Release);
                cache.forget_all();
                tracing::warn!(error = %lost, "storefront LISTEN connection lost; reading versions from the database");
                (listener, pid) = loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    if let Ok(connected) = listen(&url, channels).await {
                        break connected;
                    }
                };
                cache.forget_all();
                cache.0.listening.store(true, Ordering::Release);
                tracing::info!("storefront LISTEN connection back");
            }
        });
        Ok(())
    }

    /// Applies notices and records acknowledgements until the connection fails.
    /// Returns why it stopped, for the log.
    async fn follow(&self, listener: &mut PgListener, pid: i32, channels: Channels) -> String {
        loop {
            let notice = match listener.try_recv().await {
                Ok(Some(n)) => n,
                Ok(None) => return "the connection closed".into(),
                Err(e) => return e.to_string(),
            };
            if notice.channel() == channels.acks {
                self.record_ack(notice.payload());
                continue;
            }
            let Some(change) = Change::parse(notice.payload()) else {
                tracing::warn!("unreadable storefront change notice");
                continue;
            };
            self.forget(change.shop);
            if let Some(version) = change.version {
                let ack = storefront_notice::ack(pid, change.shop, version);
                let sent = sea_orm::sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(channels.acks)
                    .bind(ack)
                    .execute(&mut *listener)
                    .await;
                if let Err(e) = sent {
                    return format!("acknowledging: {e}");
                }
            }
        }
    }
}

/// A `LISTEN` connection on both channels, named for writers to find, and its backend's pid.
async fn listen(url: &str, channels: Channels) -> Result<(PgListener, i32), sea_orm::sqlx::Error> {
    use std::str::FromStr;
    let options = PgConnectOptions::from_str(url)?.application_name(channels.listener_name);
    // A pool of one that never retires its connection: the listener holds it for good.
    let pool = PgPoolOptions::new().max_connections(1).max_lifetime(None).idle_timeout(None).connect_lazy_with(options);
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen_all([channels.changes, channels.acks]).await?;
    let pid: i32 = sea_orm::sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut listener).await?;
    Ok((listener, pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop(version: i64) -> ShopVersion {
        ShopVersion { id: ShopId(uuid::Uuid::from_u128(7)), version, installed: true }
    }

    #[test]
    fn nothing_is_trusted_without_a_listen_connection() {
        let c = StorefrontCache::default();
        c.remember_shop("a.myshopify.com", shop(1), c.epoch());
        assert_eq!(c.shop("a.myshopify.com"), None);
    }

    #[test]
    fn a_shop_forgotten_while_it_was_read_is_not_kept_and_a_forgotten_one_is_read_again() {
        let c = StorefrontCache::default();
        c.0.listening.store(true, Ordering::Release);
        let before = c.epoch();
        c.forget(shop(1).id);
        c.remember_shop("a.myshopify.com", shop(1), before);
        assert_eq!(c.shop("a.myshopify.com"), None, "read before the change: may be old");
        c.remember_shop("a.myshopify.com", shop(2), c.epoch());
        assert_eq!(c.shop("a.myshopify.com"), Some(shop(2)));
        c.forget(shop(2).id);
        assert_eq!(c.shop("a.myshopify.com"), None);
    }

    #[test]
    fn answers_stay_within_their_byte_budget_and_huge_ones_are_not_kept() {
        let c = StorefrontCache::default();
        let answer = |n: usize| Answer {
            body: bytes::Bytes::from(vec![b'x'; n]),
            etag: http::HeaderValue::from_static("W/\"x\""),
            shops: Vec::new(),
        };
        c.remember_answer([1; 32], answer(MAX_ANSWER + 1));
        assert!(c.answer(&[1; 32]).is_none());
        for i in 0..=(ANSWER_BYTES / MAX_ANSWER) {
            c.remember_answer([i as u8; 32], answer(MAX_ANSWER));
        }
        assert!(c.0.answers.lock().unwrap().bytes <= ANSWER_BYTES);
        assert!(c.answer(&[0; 32]).is_none(), "the oldest went first");
        assert!(c.answer(&[(ANSWER_BYTES / MAX_ANSWER) as u8; 32]).is_some());
    }
}
