//! Database access, one module per aggregate.
//!
//! Architecture invariant: every function takes the shop id (the tenant) explicitly and filters
//! by it. The few global functions say so in their name (`…_all_shops`, `…_by_domain` for the
//! lookup that *finds* the tenant). Services call these; resolvers and handlers never do.

pub mod alerts;
pub mod analytics;
pub mod api_tokens;
pub mod campaigns;
pub mod deliveries;
pub mod jobs;
pub mod media_assets;
pub mod order_cancellations;
pub mod request_events;
pub mod requests;
pub mod shops;
pub mod storefront;
pub mod submissions;
pub mod suppressions;
pub mod templates;
