//! Sequence step 10: what the storefront shows. Only testimonials passing the one visibility
//! rule, only their public-safe fields, for installed shops. Used by the storefront GraphQL API
//! (theme developers, the widget) and the app proxy (server-rendered HTML, no JavaScript).

use crate::domain::shop_domain::ShopDomain;
use crate::domain::storefront::{self as view, PublicTestimonial, Summary};
use crate::domain::visibility::Placement;
use crate::state::AppState;
use crate::store;
use entity::{ShopId, SubmissionId};
use sea_orm::DbErr;

/// At most this many testimonials per page.
pub const MAX_PAGE: u64 = 50;

#[derive(Debug, thiserror::Error)]
pub enum StorefrontError {
    /// Not a shop that has the app installed (or not a shop domain at all).
    #[error("no such shop")]
    UnknownShop,
    /// Not a testimonial the storefront shows (never published, unpublished, not ready…).
    #[error("no such testimonial")]
    NotVisible,
    #[error("storage: {0}")]
    Storage(#[from] crate::providers::storage::StorageError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// The installed shop behind a `*.myshopify.com` name, and its storefront version, read before
/// anything else: a change committed meanwhile then shows as a newer version next time, never
/// as an old version with new content.
pub async fn shop(state: &AppState, shop: &str) -> Result<(ShopId, i64), StorefrontError> {
    let domain = ShopDomain::parse(shop.trim()).map_err(|_| StorefrontError::UnknownShop)?;
    let row = store::shops::find_by_domain(state.db(), &domain).await?.ok_or(StorefrontError::UnknownShop)?;
    if row.uninstalled_at.is_some() {
        return Err(StorefrontError::UnknownShop);
    }
    Ok((row.id, row.storefront_version))
}

/// The storefront's link to a testimonial's video or poster: stable (cacheable, fit for search
/// engines' `contentUrl`, storable in theme HTML), and checked at every request by
/// [`media_location`], so an unpublished video stops playing at once.
pub fn media_link(state: &AppState, shop_id: ShopId, submission_id: SubmissionId, file: MediaFile) -> String {
    state.url(&format!("/s/{shop_id}/{submission_id}/{}", file.name()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaFile {
    Video,
    Poster,
}

impl MediaFile {
    pub fn name(self) -> &'static str {
        match self {
            Self::Video => "video.mp4",
            Self::Poster => "poster.jpg",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "video.mp4" => Some(Self::Video),
            "poster.jpg" => Some(Self::Poster),
            _ => None,
        }
    }
}

/// How long the storage link behind a storefront media link lasts: long enough to watch a
/// video (three minutes at most) with range requests, short enough that unpublishing ends it.
const MEDIA_TTL: std::time::Duration = std::time::Duration::from_secs(600);

/// Where a storefront media link leads now: a short-lived storage link, if the testimonial is
/// visible on the storefront (home page or its product page) of an installed shop.
pub async fn media_location(
    state: &AppState,
    shop_id: ShopId,
    submission_id: SubmissionId,
    file: MediaFile,
) -> Result<String, StorefrontError> {
    use crate::domain::visibility::{Candidate, is_visible};
    let shop = store::shops::get(state.db(), shop_id).await?.ok_or(StorefrontError::UnknownShop)?;
    if shop.uninstalled_at.is_some() {
        return Err(StorefrontError::UnknownShop);
    }
    let s = store::submissions::get(state.db(), shop_id, submission_id).await?.ok_or(StorefrontError::NotVisible)?;
    let a = store::media_assets::for_submissions(state.db(), shop_id, &[submission_id]).await?.into_iter().next();
    let c = Candidate {
        status: s.status,
        published: s.published,
        asset_status: a.as_ref().map(|a| a.processing_status),
        placement_home: s.placement_home,
        placement_product: s.placement_product,
        product_id: s.product_id,
    };
    if !is_visible(&c, Placement::Home) && !is_visible(&c, Placement::Product(s.product_id)) {
        return Err(StorefrontError::NotVisible);
    }
    let a = a.ok_or(StorefrontError::NotVisible)?;
    let key = match file {
        MediaFile::Video => a.playback_key,
        MediaFile::Poster => a.poster_key,
    }
    .ok_or(StorefrontError::NotVisible)?;
    Ok(state.playback_url(&key, MEDIA_TTL).await?)
}

pub struct Listing {
    pub items: Vec<PublicTestimonial>,
    pub has_next: bool,
}

pub async fn testimonials(
    state: &AppState,
    shop_id: ShopId,
    placement: Placement,
    offset: u64,
    first: u64,
) -> Result<Listing, StorefrontError> {
    let first = first.clamp(1, MAX_PAGE);
    let rows = store::storefront::page(state.db(), shop_id, placement, offset, first + 1).await?;
    let (rows, has_next) = super::split_page(rows, first);
    let mut items = Vec::with_capacity(rows.len());
    for (s, a) in rows {
        if a.playback_key.is_none() {
            continue;
        }
        let video_url = media_link(state, shop_id, s.id, MediaFile::Video);
        let poster_url = a.poster_key.is_some().then(|| media_link(state, shop_id, s.id, MediaFile::Poster));
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

pub async fn summary(state: &AppState, shop_id: ShopId, product_id: i64) -> Result<Summary, StorefrontError> {
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
pub async fn proxy_html(state: &AppState, shop_id: ShopId, req: &ProxyRequest) -> Result<String, StorefrontError> {
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
