//! One module per step of the sequence of truth; the functions that resolvers, handlers and
//! jobs call. A service never imports a transport (`http`, `graphql`): it takes parsed,
//! authorized input and returns typed results or a `thiserror` error.

pub mod alert_summary;
pub mod alerts;
pub mod analytics;
pub mod api_tokens;
pub mod campaigns;
pub mod capture;
pub mod credentials;
pub mod engagement;
pub mod flow;
pub mod install;
pub mod intake;
pub mod media;
pub mod messaging;
pub mod moderation;
pub mod planning;
pub mod privacy;
pub mod reconcile;
pub mod requests_log;
pub mod shop_connection;
pub mod shops;
pub mod storefront;
pub mod storefront_sync;
pub mod templates;
pub mod testimonial_csv;
pub mod uploads;

/// Cursor paging: callers fetch one row more than the page; this keeps the page and says
/// whether there is a next one.
pub(crate) fn split_page<T>(mut rows: Vec<T>, first: u64) -> (Vec<T>, bool) {
    let more = rows.len() as u64 > first;
    rows.truncate(first as usize);
    (rows, more)
}
