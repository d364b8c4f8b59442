//! Testimonials in and out as CSV. Export: every submission of the shop (optionally of one
//! status) with its status, rating, quote, product, publication, media links and consent
//! record. Import: testimonials collected elsewhere, checked whole before anything is written,
//! then created in one transaction as `pending` submissions (`source = import`) whose videos the
//! media worker fetches (public addresses only, size- and time-limited) and processes like
//! uploads.

use crate::domain::testimonial_csv::{self, RowError};
use crate::state::AppState;
use crate::store;
use entity::{RequestId, ShopId, SubmissionId};
use entity::{SubmissionStatus, testimonial_submissions as submissions};
use sea_orm::{DbErr, TransactionTrait};
use std::collections::HashMap;

/// Exported media links stay valid this long.
pub const EXPORT_LINK_TTL: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);
/// Rows read per query while exporting.
const PAGE: u64 = 500;
/// An export stops here (and says so in its last line).
pub const MAX_EXPORT_ROWS: usize = 50_000;

/// The whole export in memory, for the GraphQL field `submissionsCsv` (at most
/// [`MAX_EXPORT_ROWS`] rows). Downloads go through [`export_stream`], which holds one page.
pub async fn export(state: &AppState, shop_id: ShopId, status: Option<SubmissionStatus>) -> Result<String, DbErr> {
    let mut lines = Vec::new();
    let mut before = None;
    loop {
        let (rows, next) = page(state, shop_id, status, before).await?;
        lines.extend(rows);
        before = next;
        if before.is_none() || lines.len() >= MAX_EXPORT_ROWS {
            break;
        }
    }
    Ok(testimonial_csv::write_export(&lines))
}

/// The export as a stream of CSV text: the header, then one chunk per page of [`PAGE`] rows,
/// read when the client is ready for it. Memory stays at one page whatever the shop's size,
/// and no database connection is held between pages. A database error mid-way ends the
/// stream with an error, which the HTTP layer turns into a broken download (never a file
/// that looks complete).
pub fn export_stream(
    state: AppState,
    shop_id: ShopId,
    status: Option<SubmissionStatus>,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, DbErr>> + Send + 'static {
    enum Cursor {
        Header,
        Before(Option<SubmissionId>),
        Done,
    }
    futures_util::stream::unfold(Cursor::Header, move |cursor| {
        let state = state.clone();
        async move {
            match cursor {
                Cursor::Header => Some((Ok(testimonial_csv::export_header().into()), Cursor::Before(None))),
                Cursor::Before(before) => match page(&state, shop_id, status, before).await {
                    Ok((rows, next)) => {
                        let after = next.map_or(Cursor::Done, |id| Cursor::Before(Some(id)));
                        Some((Ok(testimonial_csv::export_lines(&rows).into()), after))
                    }
                    Err(e) => Some((Err(e), Cursor::Done)),
                },
                Cursor::Done => None,
            }
        }
    })
}

/// One page of export rows older than `before`, and the cursor of the next page (none after
/// the last).
async fn page(
    state: &AppState,
    shop_id: ShopId,
    status: Option<SubmissionStatus>,
    before: Option<SubmissionId>,
) -> Result<(Vec<Vec<String>>, Option<SubmissionId>), DbErr> {
    let page = store::submissions::list(state.db(), shop_id, status, before, PAGE).await?;
    let ids: Vec<SubmissionId> = page.iter().map(|s| s.id).collect();
    let assets: HashMap<SubmissionId, entity::testimonial_media_assets::Model> =
        store::media_assets::for_submissions(state.db(), shop_id, &ids)
            .await?
            .into_iter()
            .map(|a| (a.submission_id, a))
            .collect();
    let request_ids: Vec<RequestId> = page.iter().filter_map(|s| s.request_id).collect();
    let orders: HashMap<RequestId, Option<String>> = store::requests::by_ids(state.db(), shop_id, &request_ids)
        .await?
        .into_iter()
        .map(|r| (r.id, r.order_name))
        .collect();
    let mut rows = Vec::with_capacity(page.len());
    for s in &page {
        let asset = assets.get(&s.id);
        let ready = asset.filter(|a| a.processing_status == entity::AssetStatus::Ready);
        let video = link(state, ready.and_then(|a| a.playback_key.as_deref())).await;
        let poster = link(state, ready.and_then(|a| a.poster_key.as_deref())).await;
        rows.push(row(s, asset, video, poster, s.request_id.and_then(|r| orders.get(&r).cloned().flatten())));
    }
    let next = if (page.len() as u64) < PAGE { None } else { page.last().map(|s| s.id) };
    Ok((rows, next))
}

/// A signed link to a stored file, valid for [`EXPORT_LINK_TTL`]; empty when there is none.
async fn link(state: &AppState, key: Option<&str>) -> String {
    match key {
        Some(k) => state.playback_url(k, EXPORT_LINK_TTL).await.unwrap_or_default(),
        None => String::new(),
    }
}

fn row(
    s: &submissions::Model,
    asset: Option<&entity::testimonial_media_assets::Model>,
    video: String,
    poster: String,
    order_name: Option<String>,
) -> Vec<String> {
    let t = |v: Option<chrono::DateTime<chrono::Utc>>| v.map(|t| t.to_rfc3339()).unwrap_or_default();
    vec![
        s.id.to_string(),
        s.created_at.to_rfc3339(),
        s.source.as_str().into(),
        s.status.as_str().into(),
        s.published.to_string(),
        t(s.published_at),
        s.placement_home.to_string(),
        s.placement_product.to_string(),
        s.featured.to_string(),
        s.product_id.to_string(),
        s.display_name.clone(),
        s.rating.map(|r| r.to_string()).unwrap_or_default(),
        s.quote.clone().unwrap_or_default(),
        s.flagged_reason.clone().unwrap_or_default(),
        s.has_video.to_string(),
        asset.map(|a| a.processing_status.as_str().to_owned()).unwrap_or_default(),
        asset.and_then(|a| a.duration_ms).map(|ms| format!("{:.1}", ms as f64 / 1000.0)).unwrap_or_default(),
        video,
        poster,
        s.consent_publish.to_string(),
        s.consent_text.clone(),
        s.consent_version.to_string(),
        t(s.consented_at),
        order_name.unwrap_or_default(),
    ]
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file has {} problem(s); nothing was imported", .0.len())]
    Invalid(Vec<RowError>),
    /// The shop's imports for this hour are spent (each starts up to 1 000 video fetches).
    #[error("at most {} imports an hour; please try again later", crate::domain::rate_limit::SHOP_IMPORTS_PER_HOUR.limit)]
    TooMany,
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Imports a CSV (see `domain::testimonial_csv`); returns the new submissions, in file order.
pub async fn import(
    state: &AppState,
    shop_id: ShopId,
    actor: &str,
    text: &str,
) -> Result<Vec<submissions::Model>, ImportError> {
    let rows = testimonial_csv::parse_import(text).map_err(ImportError::Invalid)?;
    // Only a valid file spends the budget: fixing a file's rows is not an import.
    let budget = crate::domain::rate_limit::SHOP_IMPORTS_PER_HOUR;
    match super::rate_limits::spend(state, &[(budget, &shop_id.to_string())]).await {
        Ok(()) => {}
        Err(super::rate_limits::RateLimitError::Spent(_)) => return Err(ImportError::TooMany),
        Err(super::rate_limits::RateLimitError::Database(e)) => return Err(e.into()),
    }
    let settings = super::shops::get(state.db(), shop_id).await.map(|p| p.settings).unwrap_or_default();
    let now = state.now();
    let txn = state.db().begin().await?;
    let mut created = Vec::with_capacity(rows.len());
    let mut assets = Vec::new();
    for r in &rows {
        let flagged = r
            .quote
            .as_deref()
            .and_then(|q| crate::domain::content_filter::flag(q, &settings.locale, &settings.profanity_words));
        let s = store::submissions::insert_import(&txn, shop_id, r, flagged, actor, now).await?;
        if let Some(url) = &r.video_url {
            let key = format!(
                "{}{}/original",
                crate::providers::storage::shop_prefix(shop_id),
                entity::new_id::<uuid::Uuid>()
            );
            let a = store::media_assets::insert_imported(&txn, shop_id, s.id, key, url.to_string(), now).await?;
            super::media::enqueue(&txn, shop_id, a.id, 0, now).await?;
            assets.push(a);
        }
        created.push(s);
    }
    txn.commit().await?;
    tracing::info!(%shop_id, rows = created.len(), videos = assets.len(), "testimonials imported");
    for s in &created {
        state.live().publish(crate::providers::live::LiveEvent::SubmissionCreated {
            shop_id,
            submission_id: s.id,
            request_id: None,
            has_video: s.has_video,
        });
        metrics::counter!("reelproof_submissions_created_total", "source" => "import").increment(1);
    }
    for a in &assets {
        super::media::announce(state, a, entity::AssetStatus::Uploaded, None);
    }
    Ok(created)
}
