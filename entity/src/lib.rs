//! sea-orm entities for every table of DESIGN.md §3, and the enums stored in their columns.
//!
//! Enums are real Rust enums stored as short lower-case strings, so rows stay readable in
//! `psql`/`sqlite3` and the same migrations work on SQLite and PostgreSQL (no native enum types).
//! All ids are UUID v7 and all timestamps `DateTime<Utc>`.

pub mod alerts;
pub mod api_tokens;
pub mod campaigns;
pub mod daily_analytics;
pub mod enums;
pub mod ids;
pub mod jobs;
pub mod message_templates;
pub mod moderation_log;
pub mod order_cancellations;
pub mod privacy_exports;
pub mod rate_counters;
pub mod shops;
pub mod suppressions;
pub mod testimonial_media_assets;
pub mod testimonial_request_events;
pub mod testimonial_requests;
pub mod testimonial_submissions;
pub mod webhook_deliveries;

pub use enums::*;
pub use ids::*;

/// A new time-ordered id (UUID v7); every primary key in the schema is one of these, typed
/// ([`ids`]) or plain, so the caller's type decides which.
pub fn new_id<T: From<uuid::Uuid>>() -> T {
    uuid::Uuid::now_v7().into()
}
