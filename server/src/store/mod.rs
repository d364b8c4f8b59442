//! Database access, one module per aggregate.
//!
//! Architecture Invariant: every public function takes the shop (a `ShopId`) explicitly and
//! filters by it. The few global functions say so in their name (`…_all_shops`); two find or
//! create the tenant itself by its domain (`shops::find_by_domain`, `shops::insert_if_absent`).
//! Services call these; resolvers and handlers never do. The architecture test checks both.

pub mod alerts;
pub mod analytics;
pub mod api_tokens;
pub mod campaigns;
pub mod deliveries;
pub mod jobs;
pub mod media_assets;
pub mod order_cancellations;
pub mod rate_counters;
pub mod request_events;
pub mod requests;
pub mod shops;
pub mod storefront;
pub mod storefront_changes;
pub mod submissions;
pub mod suppressions;
pub mod templates;
