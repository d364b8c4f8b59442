//! Live events for the merchant's admin: a submission arrived, a video's processing moved on.
//! Services publish after their transaction commits (an event never announces a change that
//! was rolled back); the admin API's subscriptions (`moderationQueue`, `assetProcessing`) read
//! them, each subscriber seeing its own shop's events only.
//!
//! Each server has one `tokio::sync::broadcast` channel its subscribers read. On SQLite (one
//! process) `publish` sends to it directly. On Postgres `publish` hands the event to a relay
//! that sends it with `NOTIFY`, and every replica's `LISTEN` connection — this one's included —
//! puts it on its own channel: a subscriber on replica A hears a change made on replica B, and
//! every replica sees each event exactly once. Should `NOTIFY` fail, the event is delivered
//! locally (the other replicas miss it; their subscribers reload on reconnect).

use entity::{AssetId, RequestId, ShopId, SubmissionId};
use entity::{AssetStatus, SubmissionStatus};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tokio::sync::{broadcast, mpsc};

/// The Postgres channel events travel on.
const CHANNEL: &str = "reelproof_live";
/// `NOTIFY` payloads must stay under 8000 bytes; events are far smaller.
const MAX_NOTIFY_BYTES: usize = 7900;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type")]
pub enum LiveEvent {
    SubmissionCreated {
        shop_id: ShopId,
        submission_id: SubmissionId,
        /// None for an imported testimonial.
        request_id: Option<RequestId>,
        has_video: bool,
    },
    /// A moderation action changed it (status, publication, placements, product…).
    SubmissionChanged { shop_id: ShopId, submission_id: SubmissionId, status: SubmissionStatus, published: bool },
    AssetStatusChanged {
        shop_id: ShopId,
        asset_id: AssetId,
        submission_id: SubmissionId,
        status: AssetStatus,
        error: Option<String>,
    },
}

impl LiveEvent {
    pub fn shop_id(&self) -> ShopId {
        match self {
            Self::SubmissionCreated { shop_id, .. }
            | Self::SubmissionChanged { shop_id, .. }
            | Self::AssetStatusChanged { shop_id, .. } => *shop_id,
        }
    }
}

/// Slow subscribers that fall this far behind lose the oldest events (and are told so).
const BACKLOG: usize = 1024;

pub struct LiveEvents {
    tx: broadcast::Sender<LiveEvent>,
    /// Set on Postgres: events go out through `NOTIFY`.
    relay: std::sync::OnceLock<mpsc::UnboundedSender<LiveEvent>>,
}

impl Default for LiveEvents {
    fn default() -> Self {
        Self { tx: broadcast::channel(BACKLOG).0, relay: std::sync::OnceLock::new() }
    }
}

impl LiveEvents {
    /// Sends to every subscriber (of every replica, on Postgres); with nobody listening it is
    /// dropped, which is fine: the database holds the truth and subscribers load it when they
    /// connect.
    pub fn publish(&self, event: LiveEvent) {
        metrics::counter!("reelproof_live_events_total").increment(1);
        if let Some(relay) = self.relay.get() {
            match relay.send(event) {
                Ok(()) => return,
                Err(mpsc::error::SendError(event)) => {
                    let _ = self.tx.send(event);
                    return;
                }
            }
        }
        let _ = self.tx.send(event);
    }

    /// On Postgres: `LISTEN` on a connection of its own and relay `publish` through `NOTIFY`.
    pub async fn connect_postgres(&self, url: &str, db: DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        let db_err = |e: sea_orm::sqlx::Error| sea_orm::DbErr::Custom(format!("LISTEN connection: {e}"));
        let mut listener = sea_orm::sqlx::postgres::PgListener::connect(url).await.map_err(db_err)?;
        listener.listen(CHANNEL).await.map_err(db_err)?;
        let local = self.tx.clone();
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(n) => match serde_json::from_str::<LiveEvent>(n.payload()) {
                        Ok(e) => {
                            let _ = local.send(e);
                        }
                        Err(e) => tracing::warn!(error = %e, "unreadable live event"),
                    },
                    Err(e) => {
                        // PgListener reconnects on the next `recv`; events sent meanwhile are
                        // lost to this replica, as with any dropped subscription.
                        tracing::warn!(error = %e, "LISTEN connection lost; reconnecting");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        let (relay, mut outgoing) = mpsc::unbounded_channel::<LiveEvent>();
        let local = self.tx.clone();
        tokio::spawn(async move {
            while let Some(event) = outgoing.recv().await {
                let json = serde_json::to_string(&event).expect("events serialise");
                let sent = if json.len() <= MAX_NOTIFY_BYTES {
                    let sql = "SELECT pg_notify($1, $2)";
                    let stmt = Statement::from_sql_and_values(DbBackend::Postgres, sql, [CHANNEL.into(), json.into()]);
                    db.execute_raw(stmt).await.map_err(|e| e.to_string())
                } else {
                    Err("event too large for NOTIFY".to_owned())
                };
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "NOTIFY failed; delivering the event on this replica only");
                    let _ = local.send(event);
                }
            }
        });
        let _ = self.relay.set(relay);
        Ok(())
    }

    /// How many subscriptions are open (on this replica).
    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// One shop's events from now on.
    pub fn subscribe(&self, shop_id: ShopId) -> ShopEvents {
        ShopEvents { rx: self.tx.subscribe(), shop_id }
    }
}

pub struct ShopEvents {
    rx: broadcast::Receiver<LiveEvent>,
    shop_id: ShopId,
}

/// What a subscriber reads next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Event(LiveEvent),
    /// This many events were missed; reload the state from the database.
    Missed(u64),
    Closed,
}

impl ShopEvents {
    pub async fn next(&mut self) -> Next {
        loop {
            match self.rx.recv().await {
                Ok(e) if e.shop_id() == self.shop_id => return Next::Event(e),
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(n)) => return Next::Missed(n),
                Err(broadcast::error::RecvError::Closed) => return Next::Closed,
            }
        }
    }

    /// An event already published, without waiting (`None`: nothing pending).
    pub fn try_next(&mut self) -> Option<Next> {
        loop {
            match self.rx.try_recv() {
                Ok(e) if e.shop_id() == self.shop_id => return Some(Next::Event(e)),
                Ok(_) => continue,
                Err(broadcast::error::TryRecvError::Lagged(n)) => return Some(Next::Missed(n)),
                Err(broadcast::error::TryRecvError::Closed) => return Some(Next::Closed),
                Err(broadcast::error::TryRecvError::Empty) => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(shop_id: ShopId, status: AssetStatus) -> LiveEvent {
        LiveEvent::AssetStatusChanged {
            shop_id,
            asset_id: AssetId(uuid::Uuid::nil()),
            submission_id: SubmissionId(uuid::Uuid::nil()),
            status,
            error: None,
        }
    }

    #[tokio::test]
    async fn subscribers_see_their_own_shop_only() {
        let live = LiveEvents::default();
        let (a, b) = (ShopId::new_v7(), ShopId::new_v7());
        let mut sub_a = live.subscribe(a);
        let mut sub_b = live.subscribe(b);
        live.publish(asset(b, AssetStatus::Processing));
        live.publish(asset(a, AssetStatus::Ready));
        assert_eq!(sub_a.next().await, Next::Event(asset(a, AssetStatus::Ready)));
        assert_eq!(sub_a.try_next(), None);
        assert_eq!(sub_b.try_next(), Some(Next::Event(asset(b, AssetStatus::Processing))));
        assert_eq!(sub_b.try_next(), None, "shop A's event never reaches shop B");
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told() {
        let live = LiveEvents::default();
        let a = ShopId::new_v7();
        let mut sub = live.subscribe(a);
        for _ in 0..BACKLOG + 5 {
            live.publish(asset(a, AssetStatus::Processing));
        }
        assert_eq!(sub.next().await, Next::Missed(5));
    }
}
