//! Shared application state, cheap to clone (one `Arc`).

use crate::clock::Clock;
use crate::config::{Config, Mode};
use crate::jobs::JobContext;
use crate::jobs::runner::JobRunner;
use crate::providers::email::EmailSender;
use crate::providers::sms::SmsSender;
use crate::providers::storage::Storage;
use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    db: DatabaseConnection,
    config: Config,
    public_url: url::Url,
    metrics: PrometheusHandle,
    jobs: Arc<JobRunner<AppState>>,
    clock: Clock,
    storage: Storage,
    email: Arc<dyn EmailSender>,
    sms: Arc<dyn SmsSender>,
    links: crate::domain::tokens::LinkKey,
    live: crate::providers::live::LiveEvents,
    storefront_cache: crate::providers::storefront_cache::StorefrontCache,
    admin_permits: Arc<tokio::sync::Semaphore>,
}

/// Everything `AppState` is made of; built once by `Application::build`.
pub struct Parts {
    pub db: DatabaseConnection,
    /// How many admin API operations may run at once (`db::admin_concurrency`).
    pub admin_concurrency: usize,
    pub config: Config,
    pub public_url: url::Url,
    pub metrics: PrometheusHandle,
    pub jobs: JobRunner<AppState>,
    pub clock: Clock,
    pub storage: Storage,
    pub email: Arc<dyn EmailSender>,
    pub sms: Arc<dyn SmsSender>,
}

impl AppState {
    pub fn new(p: Parts) -> Self {
        // During a key rotation the previous key still verifies its signatures and rebuilds the
        // links it made (reminders carry the link the customer already has).
        let mut links = p.config.encryption_key.derive("links");
        if let Some(previous) = &p.config.previous_encryption_key {
            links = links.with_previous(previous.derive("links"));
        }
        let admin_permits = Arc::new(tokio::sync::Semaphore::new(p.admin_concurrency.max(1)));
        Self(Arc::new(Inner {
            links,
            admin_permits,
            live: Default::default(),
            storefront_cache: Default::default(),
            db: p.db,
            config: p.config,
            public_url: p.public_url,
            metrics: p.metrics,
            jobs: Arc::new(p.jobs),
            clock: p.clock,
            storage: p.storage,
            email: p.email,
            sms: p.sms,
        }))
    }

    /// "Now", from the one clock (a manual one in tests).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.clock.now()
    }

    pub fn clock(&self) -> &Clock {
        &self.0.clock
    }

    /// Live events for the admin's subscriptions.
    pub fn live(&self) -> &crate::providers::live::LiveEvents {
        &self.0.live
    }

    /// The storefront's read cache (`providers::storefront_cache`).
    pub fn storefront_cache(&self) -> &crate::providers::storefront_cache::StorefrontCache {
        &self.0.storefront_cache
    }

    pub fn storage(&self) -> &Storage {
        &self.0.storage
    }

    pub fn email(&self) -> &dyn EmailSender {
        self.0.email.as_ref()
    }

    pub fn sms(&self) -> &dyn SmsSender {
        self.0.sms.as_ref()
    }

    /// Admission for admin API operations (half the database pool at once), so that they can
    /// never take every database connection.
    pub fn admin_permits(&self) -> &Arc<tokio::sync::Semaphore> {
        &self.0.admin_permits
    }

    /// Derives capture tokens and signs tracking links.
    pub fn links(&self) -> &crate::domain::tokens::LinkKey {
        &self.0.links
    }

    /// A link a browser can play (or download) the media object `key` from for `ttl`.
    pub async fn playback_url(
        &self,
        key: &str,
        ttl: std::time::Duration,
    ) -> Result<String, crate::providers::storage::StorageError> {
        let expires = self.now().timestamp() + ttl.as_secs() as i64;
        self.storage().playback_url(key, expires, ttl, self.public_url().as_str(), self.links()).await
    }

    /// An absolute URL under the public base (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.public_url().as_str().trim_end_matches('/'), path)
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.0.db
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    pub fn is_dev(&self) -> bool {
        self.0.config.mode == Mode::Dev
    }

    /// The base URL customers and merchants reach us at.
    pub fn public_url(&self) -> &url::Url {
        &self.0.public_url
    }

    pub fn metrics(&self) -> &PrometheusHandle {
        &self.0.metrics
    }

    pub fn jobs(&self) -> &Arc<JobRunner<AppState>> {
        &self.0.jobs
    }
}

impl JobContext for AppState {
    fn db(&self) -> &DatabaseConnection {
        AppState::db(self)
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        AppState::now(self)
    }

    fn storefront_changed(&self, changes: &[crate::domain::storefront_notice::Change]) {
        for change in changes {
            self.0.storefront_cache.forget(change.shop);
        }
    }
}
