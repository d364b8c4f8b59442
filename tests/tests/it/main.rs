//! The integration suite: one test binary (faster to link than one per file). Every test runs
//! on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set (`.ci/run` does both).

mod admin_api_client;
mod admin_auth;
mod alerts;
mod analytics;
mod api_tokens;
mod browser;
mod campaigns;
mod capture;
mod capture_page;
mod dev_mode;
mod engagement;
mod flow;
mod health;
mod install;
mod intake;
mod isolation;
mod jobs;
mod logs;
mod media;
mod messaging;
mod migrations;
mod moderation;
mod privacy;
mod reconcile;
mod reminders;
mod request_transitions;
mod requests_log;
mod s3;
mod static_ui;
mod storefront;
mod storefront_sync;
mod templates;
mod testimonial_csv;
mod tokens;
mod widget;
