//! Sequence step 10: what the storefront shows. Only testimonials passing the one visibility
//! rule, only their public-safe fields, for installed shops. Used by the storefront GraphQL API
//! (theme developers, the widget) and the app proxy (server-rendered HTML, no JavaScript).

use crate::domain::media::PosterFormat;
use crate::domain::shop_domain::ShopDomain;
use crate::domain::storefront::{self as view, PosterImage, PublicTestimonial, Summary};
use crate::domain::visibility::Placement;
use crate::providers::storefront_cache::ShopVersion;
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
/// as an old version with new content. From memory when the storefront cache may trust it.
pub async fn shop(state: &AppState, shop: &str) -> Result<(ShopId, i64), StorefrontError> {
    let domain = ShopDomain::parse(shop.trim()).map_err(|_| StorefrontError::UnknownShop)?;
    let cache = state.storefront_cache();
    let v = match cache.shop(domain.as_str()) {
        Some(v) => v,
        None => {
            let epoch = cache.epoch();
            let row = store::shops::find_by_domain(state.db(), &domain).await?.ok_or(StorefrontError::UnknownShop)?;
            let v =
                ShopVersion { id: row.id, version: row.storefront_version, installed: row.uninstalled_at.is_none() };
            cache.remember_shop(domain.as_str(), v, epoch);
            v
        }
    };
    if !v.installed {
        return Err(StorefrontError::UnknownShop);
    }
    Ok((v.id, v.version))
}

/// Whether a cached answer may be served again: every shop it read is still installed and at
/// the version the answer was made with.
pub async fn still_current(state: &AppState, shops: &[(String, i64)]) -> bool {
    for (domain, version) in shops {
        match shop(state, domain).await {
            Ok((_, now)) if now == *version => {}
            _ => return false,
        }
    }
    true
}

/// How long a merchant's request that changed a storefront waits for the other replicas'
/// acknowledgements (milliseconds, normally); past it, the answer goes out and the delay is
/// reported.
const ACK_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Runs a unit of work (an HTTP request) and then makes every replica's storefront cache
/// forget the shops whose storefront it changed: this one's at once, the others' through the
/// change's notice, whose acknowledgements it waits for (Postgres). Their transactions are over
/// by then, so the very next storefront request, on any replica, reads the new version
/// (`store::storefront_changes`).
pub async fn tracking<F: Future>(state: &AppState, work: F) -> F::Output {
    let (out, changed) = store::storefront_changes::tracked(work).await;
    let cache = state.storefront_cache();
    for change in &changed {
        cache.forget(change.shop);
    }
    let announced: Vec<(ShopId, i64)> = changed.iter().filter_map(|c| Some((c.shop, c.version?))).collect();
    if !announced.is_empty() && cache.listening() {
        wait_for_every_replica(state, &announced).await;
    }
    out
}

/// Waits until every replica listening has applied the changes that committed.
async fn wait_for_every_replica(state: &AppState, announced: &[(ShopId, i64)]) {
    let shops: Vec<ShopId> = announced.iter().map(|(shop, _)| *shop).collect();
    let (replicas, now) = match store::storefront_changes::listeners_and_versions_all_shops(state.db(), &shops).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "could not list the replicas to wait for; storefront change not confirmed");
            return;
        }
    };
    // A version below the one announced was rolled back (no notice went out); a shop without a
    // row was deleted, and its notice did go out.
    let committed: Vec<(ShopId, i64)> =
        announced.iter().filter(|(shop, v)| now.get(shop).is_none_or(|now| now >= v)).copied().collect();
    let late = state.storefront_cache().wait_for_acks(&committed, &replicas, ACK_WAIT).await;
    if !late.is_empty() {
        metrics::counter!("reelproof_storefront_acks_late_total").increment(late.len() as u64);
        tracing::warn!(
            replicas = late.len(),
            waited_ms = ACK_WAIT.as_millis() as u64,
            "a replica did not acknowledge a storefront change in time; it may show the old storefront until it does"
        );
    }
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
    /// A smaller poster (`poster-480.webp`); the full one stands in where it was not made.
    SizedPoster(u32, PosterFormat),
}

impl MediaFile {
    pub fn name(self) -> String {
        match self {
            Self::Video => "video.mp4".into(),
            Self::Poster => "poster.jpg".into(),
            Self::SizedPoster(width, format) => crate::domain::media::poster_file(width, format),
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "video.mp4" => Some(Self::Video),
            "poster.jpg" => Some(Self::Poster),
            _ => {
                let (width, ext) = name.strip_prefix("poster-")?.split_once('.')?;
                let width: u32 = width.parse().ok()?;
                let format = PosterFormat::from_extension(ext)?;
                crate::domain::media::POSTER_WIDTHS.contains(&width).then_some(Self::SizedPoster(width, format))
            }
        }
    }
}

/// The video's size as it plays: the playback file was turned upright by the transcode, so a
/// phone's portrait clip stored as rotated landscape is portrait here.
fn display_size(a: &entity::testimonial_media_assets::Model) -> Option<(i32, i32)> {
    let (w, h) = (a.width.filter(|w| *w > 0)?, a.height.filter(|h| *h > 0)?);
    Some(if a.rotation.unwrap_or(0).rem_euclid(180) == 90 { (h, w) } else { (w, h) })
}

/// The smaller posters of an asset as the storefront links them, with their sizes (the
/// height follows the video's aspect ratio).
fn poster_images(
    state: &AppState,
    shop_id: ShopId,
    submission_id: SubmissionId,
    a: &entity::testimonial_media_assets::Model,
) -> Vec<PosterImage> {
    let Some((w, h)) = display_size(a) else { return Vec::new() };
    let widths = crate::domain::media::parse_widths(a.poster_widths.as_deref());
    PosterFormat::ALL
        .into_iter()
        .flat_map(|format| {
            widths.iter().map(move |width| PosterImage {
                url: media_link(state, shop_id, submission_id, MediaFile::SizedPoster(*width, format)),
                width: *width,
                height: crate::domain::media::poster_height(*width, w as u32, h as u32),
                format,
            })
        })
        .collect()
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
        MediaFile::SizedPoster(width, format) => a.poster_key.map(|poster| {
            if crate::domain::media::parse_widths(a.poster_widths.as_deref()).contains(&width) {
                crate::domain::media::poster_variant_key(&poster, width, format)
            } else {
                poster
            }
        }),
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
        let posters = if a.poster_key.is_some() { poster_images(state, shop_id, s.id, &a) } else { Vec::new() };
        items.push(PublicTestimonial {
            id: s.id,
            display_name: view::public_name(&s.display_name),
            rating: s.rating,
            quote: s.quote,
            video_url,
            poster_url,
            posters,
            duration_ms: a.duration_ms,
            width: display_size(&a).map(|(w, _)| w),
            height: display_size(&a).map(|(_, h)| h),
            product_id: s.product_id,
            published_at: s.published_at.unwrap_or(s.updated_at),
            verified_buyer: s.source == entity::SubmissionSource::Capture && s.request_id.is_some(),
            incentivised: s.incentivised,
        });
    }
    Ok(Listing { items, has_next })
}

pub async fn summary(state: &AppState, shop_id: ShopId, product_id: i64) -> Result<Summary, StorefrontError> {
    Ok(view::summarise(&store::storefront::product_ratings(state.db(), shop_id, product_id).await?))
}

/// The shop's storefront language (a shipped one) and its "How we collect testimonials" note
/// in `language` (the shop's when `None`): the merchant's, or ours; `None` when the merchant
/// chose none.
pub async fn collection_note(
    state: &AppState,
    shop_id: ShopId,
    language: Option<&str>,
) -> Result<(&'static str, Option<String>), StorefrontError> {
    let settings = store::shops::get(state.db(), shop_id)
        .await?
        .map(|s| crate::domain::settings::ShopSettings::from_json(&s.settings))
        .unwrap_or_default();
    let language = crate::domain::i18n::language_for(language, &settings.locale);
    Ok((language, view::collection_note(settings.collection_note.as_deref(), language).map(str::to_owned)))
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
    let (language, note) = collection_note(state, shop_id, None).await?;
    let markup =
        view::Markup { heading: &req.heading, placement, json_ld, summary, collection_note: note.as_deref(), language };
    Ok(view::render_html(&markup, &listing.items))
}
