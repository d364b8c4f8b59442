//! Outside systems behind small interfaces: object storage, email (outbox, SMTP), SMS
//! (outbox, Twilio) and the parsers and signature checks of their event callbacks, and the
//! change feed the admin's subscriptions read (`live`: a channel in the process, or Postgres
//! `NOTIFY`/`LISTEN` across replicas).

pub mod callbacks;
pub mod email;
pub mod fetch;
pub mod ffmpeg;
pub mod live;
pub mod sms;
pub mod storage;
pub mod storefront_cache;
pub mod twilio;

/// Makes ring the process's default TLS crypto provider, for every client that asks rustls for
/// it (reqwest, under the S3 store and the Admin API client) — the provider lettre, sqlx and
/// the Twilio client already build, so there is no second crypto library. Calling it again is
/// harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
