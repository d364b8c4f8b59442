//! Shared application state, cheap to clone (one `Arc`).

use crate::config::{Config, Mode};
use crate::jobs::JobRunner;
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
    jobs: Arc<JobRunner>,
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        config: Config,
        public_url: url::Url,
        metrics: PrometheusHandle,
        jobs: JobRunner,
    ) -> Self {
        Self(Arc::new(Inner { db, config, public_url, metrics, jobs: Arc::new(jobs) }))
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

    pub fn jobs(&self) -> &Arc<JobRunner> {
        &self.0.jobs
    }
}
