//! Sequence step 10: what the storefront shows. Only testimonials passing the one visibility
//! rule, only their public-safe fields, for installed shops. Used by the storefront GraphQL API
//! (theme developers, the widget) and the app proxy (server-rendered HTML, no JavaScript).

use crate::domain::shop_domain::ShopDomain;
use crate::domain::storefront::{self as view, PublicTestimonial, Summary};
use crate::domain::visibility::Placement;
use crate::state::AppState;
use crate::store;
use chrono::{DateTime, Duration, Utc};
use sea_orm::DbErr;
use uuid::Uuid;

/// At most this many testimonials per page.
pub const MAX_PAGE: u64 = 50;

#[derive(Debug, thiserror::Error)]
pub enum StorefrontError {
    /// Not a shop that has the app installed (or not a shop domain at all).
    #[error("no such shop")]
    UnknownShop,
    #[error("storage: {0}")]
    Storage(#[from] crate::providers::storage::StorageError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// The installed shop behind a `*.myshopify.com` name, and its storefront version, read before
/// anything else: a change committed meanwhile then shows as a newer version next time, never
/// as an old version with new content.
pub async fn shop(state: &AppState, shop: &str) -> Result<(Uuid, i64), StorefrontError> {
    let domain = ShopDomain::parse(shop.trim()).map_err(|_| StorefrontError::UnknownShop)?;
    let row = store::shops::find_by_domain(state.db(), &domain).await?.ok_or(StorefrontError::UnknownShop)?;
    if row.uninstalled_at.is_some() {
        return Err(StorefrontError::UnknownShop);
    }
    Ok((row.id, row.storefront_version))
}

/// Storefront media links last until the end of the next UTC day: the same link all day, so
/// responses can be cached and revalidated, and always at least a day of validity left.
pub fn link_expiry(now: DateTime<Utc>) -> DateTime<Utc> {
    (now.date_naive() + Duration::days(2)).and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

pub struct Listing {
    pub items: Vec<PublicTestimonial>,
    pub has_next: bool,
}

pub async fn testimonials(
    state: &AppState,
    shop_id: Uuid,
    placement: Placement,
    offset: u64,
    first: u64,
) -> Result<Listing, StorefrontError> {
    let first = first.clamp(1, MAX_PAGE);
    let rows = store::storefront::page(state.db(), shop_id, placement, offset, first + 1).await?;
    let (rows, has_next) = super::split_page(rows, first);
    let until = link_expiry(state.now());
    let mut items = Vec::with_capacity(rows.len());
    for (s, a) in rows {
        let Some(playback) = a.playback_key.as_deref() else { continue };
        let video_url = super::media::playback_url_until(state, playback, until).await?;
        let poster_url = match a.poster_key.as_deref() {
            Some(k) => Some(super::media::playback_url_until(state, k, until).await?),
            None => None,
        };
        items.push(PublicTestimonial {
            id: s.id,
            display_name: view::public_name(&s.display_name),
            rating: s.rating,
            quote: s.quote,
            video_url,
            poster_url,
            duration_ms: a.duration_ms,
            width: a.width,
            height: a.height,
            product_id: s.product_id,
            published_at: s.published_at.unwrap_or(s.updated_at),
        });
    }
    Ok(Listing { items, has_next })
}

pub async fn summary(state: &AppState, shop_id: Uuid, product_id: i64) -> Result<Summary, StorefrontError> {
    Ok(view::summarise(&store::storefront::product_ratings(state.db(), shop_id, product_id).await?))
}

/// How the app proxy should render.
pub struct ProxyRequest {
    pub placement: Placement,
    pub heading: String,
    /// Product pages: emit `AggregateRating`/`Review` markup (off where the theme has its own).
    pub rating_markup: bool,
    pub limit: u64,
}

/// The app proxy's HTML for a shop and placement (see `domain::storefront::render_html`).
pub async fn proxy_html(state: &AppState, shop_id: Uuid, req: &ProxyRequest) -> Result<String, StorefrontError> {
    let listing = testimonials(state, shop_id, req.placement, 0, req.limit).await?;
    let (json_ld, summary, placement) = match req.placement {
        Placement::Home => (None, None, "home"),
        Placement::Product(_) if listing.items.is_empty() => (None, None, "product"),
        Placement::Product(pid) => {
            let s = summary(state, shop_id, pid).await?;
            let title = store::storefront::product_title(state.db(), shop_id, pid)
                .await?
                .unwrap_or_else(|| format!("Product {pid}"));
            (Some(view::product_json_ld(&title, &listing.items, &s, req.rating_markup)), Some(s), "product")
        }
    };
    let markup = view::Markup { heading: &req.heading, placement, json_ld, summary };
    Ok(view::render_html(&markup, &listing.items))
}
