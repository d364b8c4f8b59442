//! Reelproof server library: everything `reelproof` runs, importable by the test harness.
//!
//! The composition root: it alone may name every module, builds the state, registers the job
//! kinds and starts the loops. Layering (DESIGN.md §2, checked by the architecture test):
//! `http`/`graphql` → `services` → `jobs`/`store`/`providers`/`shopify` → `entity`, and all
//! may use `domain`. See ARCHITECTURE.md for the codemap and the invariants.

pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod graphql;
pub mod http;
pub mod jobs;
pub mod preflight;
pub mod providers;
pub mod services;
pub mod shopify;
pub mod state;
pub mod store;
pub mod telemetry;

use crate::config::{Config, Mode};
use crate::domain::shop_domain::ShopDomain;
use crate::state::AppState;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;

/// The shop dev mode provisions so a newcomer can use the app at once.
pub const DEV_SHOP: &str = "demo.myshopify.com";

/// Which loops a process runs; a deployment may split web and workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// HTTP only.
    Web,
    /// Background work only (the HTTP server still answers health and metrics).
    Worker,
    /// Both (the default).
    All,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("provisioning the dev shop: {0}")]
    DevShop(#[from] services::shops::ShopError),
    #[error(transparent)]
    Storage(#[from] providers::storage::StorageError),
    #[error("{0}")]
    Email(String),
}

pub use providers::install_crypto_provider;

/// The job registry: every job kind the server runs, with its handler. A new kind is added
/// here (and nowhere in `jobs/`, which knows no kind).
pub fn job_handlers() -> Vec<Arc<dyn jobs::JobHandler<AppState>>> {
    vec![
        Arc::new(services::planning::DeliveryFallback),
        Arc::new(services::media::MediaJob),
        Arc::new(services::storefront_sync::SyncJob),
        Arc::new(services::flow::FlowJob),
        Arc::new(services::reconcile::ReconcileJob),
        Arc::new(services::rewards::RewardJob),
    ]
}

/// A built, bound, migrated server that has not started serving yet.
pub struct Application {
    listener: tokio::net::TcpListener,
    state: AppState,
}

impl Application {
    /// Connects, migrates, provisions the dev shop in dev mode, and binds the listener (port 0
    /// picks a free port, which tests use).
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        Self::build_with_clock(config, clock::Clock::system()).await
    }

    /// As [`Application::build`], with a given clock (tests use a manual one).
    pub async fn build_with_clock(config: Config, clock: clock::Clock) -> Result<Self, StartupError> {
        install_crypto_provider();
        // Migrate on a pool of its own, then serve from a fresh one: SQLite connections that
        // loaded the schema before a migration may keep validating statements against the old
        // schema (an `ON CONFLICT` on a just-created unique index is then refused).
        let migrating = db::connect(&config.database_url).await?;
        db::migrate(&migrating).await?;
        migrating.close().await?;
        let db = db::connect(&config.database_url).await?;
        if config.mode == Mode::Dev {
            let shop = ShopDomain::parse(DEV_SHOP).expect("constant is valid");
            services::shops::provision(&db, &shop, clock.now()).await?;
        }
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartupError::Bind { addr: config.listen, source })?;
        let addr = listener.local_addr().map_err(|source| StartupError::Bind { addr: config.listen, source })?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| url::Url::parse(&format!("http://{addr}")).expect("a socket address makes a valid URL"));
        let storage = match &config.media.store {
            config::MediaStore::Local => providers::storage::Storage::local(&config.data_dir.join("media"))?,
            config::MediaStore::S3(s3) => providers::storage::Storage::s3(s3)?,
        };
        let email: Arc<dyn providers::email::EmailSender> = match &config.email.smtp_url {
            Some(url) => Arc::new(providers::email::Smtp::from_url(url).map_err(StartupError::Email)?),
            None => Arc::new(providers::email::Outbox::new(config.data_dir.join("outbox"))),
        };
        let sms: Arc<dyn providers::sms::SmsSender> = match &config.sms {
            config::SmsConfig::Outbox => Arc::new(providers::sms::SmsOutbox::new(config.data_dir.join("outbox"))),
            config::SmsConfig::Twilio(t) => Arc::new(providers::twilio::Twilio::new(t.clone())),
        };
        let admin_concurrency = db::admin_concurrency(&config.database_url);
        let state = AppState::new(state::Parts {
            db,
            admin_concurrency,
            config,
            public_url,
            metrics: telemetry::metrics_handle(),
            jobs: jobs::runner::JobRunner::new(job_handlers()),
            clock,
            storage,
            email,
            sms,
        });
        if state.config().database_url.starts_with("postgres") {
            let (url, db) = (state.config().database_url.clone(), state.db().clone());
            state.live().connect_postgres(&url, db).await?;
            let channels = providers::storefront_cache::Channels {
                changes: store::storefront_changes::CHANNEL,
                acks: store::storefront_changes::ACK_CHANNEL,
                listener_name: store::storefront_changes::LISTENER_NAME,
            };
            state.storefront_cache().connect_postgres(&url, channels).await?;
        }
        Ok(Self { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then drains: the background loops claim nothing more
    /// and finish or give back what they hold, HTTP stops accepting and lets requests in
    /// flight finish, all within the drain deadline (`REELPROOF_DRAIN_SECONDS`); connections
    /// still open then (an admin's live subscription) are closed.
    pub async fn run(self, role: Role, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stop = jobs::Stop::new(stop_rx, self.state.config().dispatch.drain);
        let signal = {
            let stop_tx = stop_tx.clone();
            tokio::spawn(async move {
                shutdown.await;
                let _ = stop_tx.send(true);
            })
        };
        let workers = if role == Role::Web {
            None
        } else {
            let runner = Arc::clone(self.state.jobs());
            let scheduler = tokio::spawn(services::messaging::run_loop(self.state.clone(), stop.clone()));
            Some((tokio::spawn(runner.run_loop(self.state.clone(), stop.clone())), scheduler))
        };
        let router = http::router(self.state.clone());
        let graceful = {
            let stop = stop.clone();
            async move { stop.stopping().await }
        };
        let serve = axum::serve(self.listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(graceful);
        let served = tokio::select! {
            served = serve.into_future() => served,
            () = stop.deadline() => {
                tracing::warn!("connections still open at the drain deadline are closed");
                Ok(())
            }
        };
        let _ = stop_tx.send(true);
        signal.abort();
        if let Some((jobs, scheduler)) = workers {
            let _ = jobs.await;
            let _ = scheduler.await;
        }
        self.state.db().clone().close().await.ok();
        served
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; draining");
}
