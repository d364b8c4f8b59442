//! Pure business logic: no I/O, no clock, no randomness that the caller cannot inject.
//!
//! Architecture invariant: nothing in `domain` touches the database, the network or the file
//! system, so every rule here is unit-tested exhaustively and reused by services, jobs and
//! resolvers alike. Randomness and "now" are parameters.

pub mod alert_summary;
pub mod analytics;
pub mod api_token;
pub mod asset_state;
pub mod campaign;
pub mod capture_copy;
pub mod client_ip;
pub mod content_filter;
pub mod engagement;
pub mod event_payload;
pub mod html;
pub mod i18n;
pub mod media;
pub mod planner;
pub mod public_address;
pub mod rate_limit;
pub mod reminders;
pub mod request_state;
pub mod retry;
pub mod reward;
pub mod secrets;
pub mod send_window;
pub mod settings;
pub mod shop_domain;
pub mod shop_facts;
pub mod signed_url;
pub mod storefront;
pub mod storefront_copy;
pub mod storefront_notice;
pub mod submission_state;
pub mod templates;
pub mod testimonial_csv;
pub mod tokens;
pub mod visibility;
