//! Sequence step 8: the media worker. A `process_media` job (one per asset, enqueued with the
//! submission) claims the asset with a lease, probes the upload, checks the limits, transcodes
//! to the playback MP4 and a poster, stores both, and marks the asset `ready` — or `failed`
//! with a reason the merchant can read. Bad media is a finished job (retrying cannot fix a
//! corrupt file); only passing troubles (storage, database) make the job retry.

use crate::domain::media::{self, MediaError};
use crate::jobs::{JobFailure, JobHandler};
use crate::state::AppState;
use crate::store;
pub use crate::store::media_assets::AssetError;
use entity::{AssetId, ShopId};
use entity::{AssetStatus, jobs};
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};
use tracing::Instrument;

pub const MEDIA_JOB: &str = "process_media";
/// Longer than any transcode of an allowed upload; a dead worker's asset is claimable after it.
/// The media job's deadline: the tools' own timeouts (probe, transcode, poster) and the
/// storage round trips fit inside it.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(20 * 60);
/// The asset's lease is the job's deadline: no other worker takes an asset whose job may
/// still be running.
const LEASE: chrono::Duration = chrono::Duration::minutes(20);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MediaPayload {
    pub asset_id: AssetId,
}

/// One of the shop's assets.
pub async fn asset(
    state: &AppState,
    shop_id: ShopId,
    id: AssetId,
) -> Result<Option<entity::testimonial_media_assets::Model>, DbErr> {
    store::media_assets::get(state.db(), shop_id, id).await
}

/// The shop's assets of these submissions (one query for a page of them).
pub async fn assets_of_submissions(
    state: &AppState,
    shop_id: ShopId,
    submission_ids: &[entity::SubmissionId],
) -> Result<Vec<entity::testimonial_media_assets::Model>, DbErr> {
    store::media_assets::for_submissions(state.db(), shop_id, submission_ids).await
}

/// Gives every asset stranded by a crash a job again (from the scheduler's round): one whose
/// worker died in `processing` once its lease ran out, one left `uploaded` whose job was lost.
/// A job per processing round, so a sweep that finds one twice plans it once.
pub async fn sweep_stranded(state: &AppState) -> Result<usize, DbErr> {
    let now = state.now();
    let mut planned = 0;
    for a in store::media_assets::stranded_all_shops(state.db(), now - chrono::Duration::minutes(5), 100).await? {
        if enqueue(state.db(), a.shop_id, a.id, a.attempts, now).await? {
            tracing::warn!(shop_id = %a.shop_id, asset_id = %a.id, status = %a.processing_status, "stranded asset planned again");
            planned += 1;
        }
    }
    Ok(planned)
}

/// Enqueues processing of an asset (in the caller's transaction, e.g. the submission's).
/// `round` is the asset's attempts so far: one job per processing round, so a replayed
/// enqueue adds nothing and a reprocess gets its own job.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    asset_id: AssetId,
    round: i32,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, DbErr> {
    let job = store::jobs::NewJob {
        kind: MEDIA_JOB,
        dedupe_key: Some(format!("{MEDIA_JOB}:{asset_id}:{round}")),
        payload: serde_json::to_value(MediaPayload { asset_id }).expect("payload serialises"),
        run_at: now,
        max_attempts: 5,
    };
    store::jobs::enqueue(db, Some(shop_id), job, now).await
}

/// `reprocessAsset`: a failed asset goes back to processing and its job is enqueued, in one
/// transaction. Only `failed` assets can be reprocessed.
pub async fn reprocess(
    state: &AppState,
    shop_id: ShopId,
    asset_id: AssetId,
) -> Result<entity::testimonial_media_assets::Model, AssetError> {
    use sea_orm::TransactionTrait;
    let now = state.now();
    let txn = state.db().begin().await?;
    let asset = store::media_assets::reprocess(&txn, shop_id, asset_id, now).await?;
    enqueue(&txn, shop_id, asset_id, asset.attempts, now).await?;
    txn.commit().await?;
    announce(state, &asset, AssetStatus::Processing, None);
    tracing::info!(%shop_id, %asset_id, "asset queued for reprocessing by the merchant");
    Ok(asset)
}

/// Tells the admin's live subscribers where an asset's processing stands (after the commit).
pub fn announce(
    state: &AppState,
    asset: &entity::testimonial_media_assets::Model,
    status: AssetStatus,
    error: Option<String>,
) {
    state.live().publish(crate::providers::live::LiveEvent::AssetStatusChanged {
        shop_id: asset.shop_id,
        asset_id: asset.id,
        submission_id: asset.submission_id,
        status,
        error,
    });
}

/// What processing one asset came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    Ready,
    Failed(String),
    /// Someone else holds it or it is already done: nothing to do.
    Skipped,
}

/// Processes one asset. `Err` only for passing troubles worth a retry.
pub async fn process(state: &AppState, shop_id: ShopId, asset_id: AssetId) -> Result<Processed, String> {
    let now = state.now();
    let asset = match store::media_assets::claim(state.db(), shop_id, asset_id, now, now + LEASE).await {
        Ok(a) => a,
        Err(AssetError::Database(e)) => return Err(e.to_string()),
        Err(e) => {
            // Another worker holds it (processing, lease running): if that worker dies, this
            // job is what finishes the work, so it is tried again after the lease rather than
            // marked done. Ready, failed or gone: nothing left to do.
            let held = store::media_assets::get(state.db(), shop_id, asset_id)
                .await
                .map_err(|e| e.to_string())?
                .filter(|a| a.processing_status == AssetStatus::Processing);
            if let Some(a) = held {
                let until = a.lease_until.map(|t| t.to_rfc3339()).unwrap_or_default();
                return Err(format!("another worker holds the asset until {until}; will try again"));
            }
            tracing::info!(error = %e, "asset not claimable; nothing to do");
            return Ok(Processed::Skipped);
        }
    };
    let span = tracing::info_span!("media", %shop_id, %asset_id, attempt = asset.attempts);
    run_claimed(state, shop_id, asset_id, asset).instrument(span).await
}

/// Processes an asset this worker has claimed.
async fn run_claimed(
    state: &AppState,
    shop_id: ShopId,
    asset_id: AssetId,
    asset: entity::testimonial_media_assets::Model,
) -> Result<Processed, String> {
    announce(state, &asset, AssetStatus::Processing, None);
    let span = tracing::info_span!("transcode", submission_id = %asset.submission_id);
    let outcome = transcode(state, &asset).instrument(span).await;
    let now = state.now();
    let result = match outcome {
        Ok(Ok(Outputs { info, playback_key: playback, poster_key: poster, poster_widths })) => {
            let ready = store::media_assets::mark_ready(
                state.db(),
                shop_id,
                asset_id,
                &info,
                (&playback, &poster, &poster_widths),
                now,
            );
            match ready.await {
                Ok(()) => {
                    announce(state, &asset, AssetStatus::Ready, None);
                    Ok(Processed::Ready)
                }
                Err(AssetError::Conflict)
                    if {
                        let mut keys = vec![playback.clone(), poster.clone(), asset.original_key.clone()];
                        keys.extend(media::poster_variant_keys(&poster, &poster_widths));
                        discard_if_gone(state, &asset, &keys).await
                    } =>
                {
                    Ok(Processed::Skipped)
                }
                Err(e) => Err(e),
            }
        }
        Ok(Err(media_error)) => {
            let msg = media_error.to_string();
            tracing::warn!(error = %msg, "media failed");
            match store::media_assets::mark_failed(state.db(), shop_id, asset_id, &msg, now).await {
                Err(AssetError::Conflict)
                    if discard_if_gone(state, &asset, std::slice::from_ref(&asset.original_key)).await =>
                {
                    Ok(Processed::Skipped)
                }
                Ok(()) => {
                    announce(state, &asset, AssetStatus::Failed, Some(msg.clone()));
                    // The merchant learns of it without opening the submission.
                    let meta = serde_json::json!({ "asset_id": asset_id, "submission_id": asset.submission_id });
                    let text = format!("A testimonial video could not be processed: {msg}");
                    if let Err(e) = store::alerts::raise(
                        state.db(),
                        shop_id,
                        "media_failed",
                        entity::AlertSeverity::Warning,
                        text,
                        meta,
                        now,
                    )
                    .await
                    {
                        tracing::error!(error = %e, "media failure alert not recorded");
                    }
                    Ok(Processed::Failed(msg))
                }
                Err(e) => Err(e),
            }
        }
        Err(passing) => {
            tracing::warn!(error = %passing, "media processing interrupted; will retry");
            store::media_assets::release(state.db(), shop_id, asset_id, now, &passing)
                .await
                .map_err(|e| e.to_string())?;
            return Err(passing);
        }
    };
    if result.as_ref().is_ok_and(|p| matches!(p, Processed::Ready | Processed::Failed(_)))
        && let Ok(Some(s)) = store::submissions::get(state.db(), shop_id, asset.submission_id).await
        && s.published
        && let Err(e) = super::storefront_sync::enqueue(state.db(), shop_id, &[None, Some(s.product_id)], now).await
    {
        tracing::error!(error = %e, "storefront sync not planned");
    }
    if result.as_ref().is_ok_and(|p| *p == Processed::Ready) {
        // The video was the last thing the shop's auto-publish rule waited for.
        super::moderation::auto_publish(state, shop_id, asset.submission_id).await;
    }
    match result {
        Ok(p) => {
            let label = match &p {
                Processed::Ready => "ready",
                Processed::Failed(_) => "failed",
                Processed::Skipped => "skipped",
            };
            metrics::counter!("reelproof_media_total", "outcome" => label).increment(1);
            Ok(p)
        }
        Err(AssetError::Database(e)) => Err(e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// What a processed asset is made of: its facts, the playback file, the full-size poster and
/// the widths of the smaller posters written beside it.
struct Outputs {
    info: media::MediaInfo,
    playback_key: String,
    poster_key: String,
    poster_widths: Vec<u32>,
}

/// The work itself: outer `Err` is a passing trouble, inner `Err` a verdict on the media.
async fn transcode(
    state: &AppState,
    asset: &entity::testimonial_media_assets::Model,
) -> Result<Result<Outputs, MediaError>, String> {
    let cfg = &state.config().media;
    let started = std::time::Instant::now();
    if let Some(url) = &asset.source_url
        && !state.storage().exists(&asset.original_key).await.map_err(|e| e.to_string())?
        && let Err(e) = fetch_original(state, asset, url).await?
    {
        return Ok(Err(e));
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let input = dir.path().join("original");
    let playback = dir.path().join("playback.mp4");
    let poster = dir.path().join("poster.jpg");
    // Streamed to disk: an upload of hundreds of megabytes is never held in memory.
    let size = state.storage().download_to(&asset.original_key, &input).await.map_err(|e| e.to_string())? as i64;
    if size == 0 {
        return Ok(Err(MediaError::Empty));
    }
    if size > cfg.limits.max_bytes {
        return Ok(Err(media::check(&Default::default(), size, &cfg.limits).unwrap_err()));
    }
    let mut head = [0u8; 12];
    let read = {
        use tokio::io::AsyncReadExt;
        let mut f = tokio::fs::File::open(&input).await.map_err(|e| e.to_string())?;
        f.read(&mut head).await.map_err(|e| e.to_string())?
    };
    if let Err(e) = media::sniff(&head[..read]) {
        return Ok(Err(e));
    }
    let info = match passing(cfg.tools.probe(&input).await)? {
        Ok(i) => i,
        Err(e) => return Ok(Err(e)),
    };
    if let Err(e) = media::check(&info, size, &cfg.limits) {
        return Ok(Err(e));
    }
    let mut info = info;
    match passing(cfg.tools.transcode(&input, &playback, &poster, info.duration_ms, &cfg.limits).await)? {
        Ok(ms) => info.duration_ms = Some(ms),
        Err(e) => return Ok(Err(e)),
    }
    let base = format!("{}{}", crate::providers::storage::shop_prefix(asset.shop_id), asset.id);
    let (playback_key, poster_key) = (format!("{base}/playback.mp4"), format!("{base}/poster.jpg"));
    let mut files = vec![(playback, playback_key.clone()), (poster.clone(), poster_key.clone())];
    let poster_widths = match poster_variants(cfg, &poster, display_width(&info)).await {
        Ok((widths, variants)) => {
            files.extend(variants.into_iter().map(|(w, f, path)| (path, media::poster_variant_key(&poster_key, w, f))));
            widths
        }
        // The smaller posters only make pages faster: without them the block shows the full
        // one, so their failure never fails the testimonial.
        Err(e) => {
            tracing::warn!(error = %e, "smaller posters could not be made; the full-size poster serves alone");
            Vec::new()
        }
    };
    for (path, key) in &files {
        let data = tokio::fs::read(path).await.map_err(|e| e.to_string())?;
        state.storage().put(key, data.into()).await.map_err(|e| e.to_string())?;
    }
    metrics::histogram!("reelproof_transcode_duration_seconds").record(started.elapsed().as_secs_f64());
    Ok(Ok(Outputs { info, playback_key, poster_key, poster_widths }))
}

/// How wide the video shows (its stored width, or height when the player turns it).
fn display_width(info: &media::MediaInfo) -> Option<i32> {
    if info.rotation.rem_euclid(180) == 90 { info.height } else { info.width }
}

/// Makes the smaller posters next to the full one (same directory); returns their widths and
/// (width, format, path) of each file.
async fn poster_variants(
    cfg: &crate::config::MediaConfig,
    poster: &std::path::Path,
    display_width: Option<i32>,
) -> Result<(Vec<u32>, Vec<(u32, media::PosterFormat, std::path::PathBuf)>), MediaError> {
    let dir = poster.parent().unwrap_or(std::path::Path::new("."));
    let widths = media::poster_widths(display_width);
    let outputs: Vec<(u32, media::PosterFormat, String)> = widths
        .iter()
        .flat_map(|&w| {
            media::PosterFormat::ALL.map(|f| (w, f, dir.join(media::poster_file(w, f)).display().to_string()))
        })
        .collect();
    if outputs.is_empty() {
        return Ok((widths, Vec::new()));
    }
    cfg.tools.poster_variants(poster, &outputs).await?;
    Ok((widths, outputs.into_iter().map(|(w, f, p)| (w, f, p.into())).collect()))
}

/// When the asset's row is gone (the customer was redacted, or the shop, while this worker
/// was busy), deletes the objects the worker wrote or fetched for it meanwhile: nothing of a
/// redacted customer may be re-created by work that was already in flight. Returns whether the
/// asset was gone.
async fn discard_if_gone(state: &AppState, asset: &entity::testimonial_media_assets::Model, keys: &[String]) -> bool {
    match store::media_assets::get(state.db(), asset.shop_id, asset.id).await {
        Ok(None) => {
            for key in keys {
                if let Err(e) = state.storage().delete(key).await {
                    tracing::error!(error = %e, "an object of a deleted asset could not be removed");
                }
            }
            tracing::info!("asset deleted while it was processed; its new objects were removed");
            true
        }
        _ => false,
    }
}

/// A tool killed from outside is a passing trouble (outer `Err`: the job is retried); any other
/// outcome is the tool's verdict on the file.
fn passing<T>(r: Result<T, MediaError>) -> Result<Result<T, MediaError>, String> {
    match r {
        Err(MediaError::Interrupted(why)) => Err(why),
        other => Ok(other),
    }
}

/// An imported video: fetched from its link (public addresses only, within the size limit and
/// the deadline) into the asset's original key. Outer `Err` is a passing trouble.
async fn fetch_original(
    state: &AppState,
    asset: &entity::testimonial_media_assets::Model,
    url: &str,
) -> Result<Result<(), MediaError>, String> {
    use crate::providers::fetch::{self, FetchError, FetchPolicy};
    let cfg = &state.config().media;
    let policy = FetchPolicy {
        max_bytes: cfg.limits.max_bytes as u64,
        timeout: cfg.import.timeout,
        allow_private: cfg.import.allow_private,
    };
    let fetched = match fetch::fetch(url, &policy).await {
        Ok(f) => f,
        Err(FetchError::Refused(m)) => return Ok(Err(MediaError::Fetch(m))),
        Err(FetchError::Passing(m)) => return Err(format!("fetching the imported video: {m}")),
    };
    let size = fetched.bytes.len() as i64;
    let content_type = fetched.content_type.unwrap_or_else(|| "application/octet-stream".into());
    state.storage().put(&asset.original_key, fetched.bytes).await.map_err(|e| e.to_string())?;
    store::media_assets::record_fetched(state.db(), asset.shop_id, asset.id, &content_type, size)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(bytes = size, "imported video fetched");
    Ok(Ok(()))
}

/// The `process_media` job.
pub struct MediaJob;

#[async_trait::async_trait]
impl JobHandler<AppState> for MediaJob {
    fn kind(&self) -> &'static str {
        MEDIA_JOB
    }

    fn deadline(&self) -> std::time::Duration {
        DEADLINE
    }

    async fn run(&self, state: &AppState, job: &jobs::Model) -> Result<(), JobFailure> {
        let p: MediaPayload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobFailure::Permanent(format!("unreadable media payload: {e}")))?;
        let shop_id = job.shop_id.ok_or_else(|| JobFailure::Permanent("media job without a shop".into()))?;
        process(state, shop_id, p.asset_id).await.map(|_| ()).map_err(JobFailure::Transient)
    }

    /// Stopped by a shutdown mid-transcode: the asset's lease ends now, so the next worker
    /// processes it at once instead of after the lease.
    async fn abandoned(&self, state: &AppState, job: &jobs::Model) {
        let (Ok(p), Some(shop_id)) = (serde_json::from_value::<MediaPayload>(job.payload.clone()), job.shop_id) else {
            return;
        };
        let reason = "the worker was shut down";
        if let Err(e) = store::media_assets::release(state.db(), shop_id, p.asset_id, state.now(), reason).await {
            tracing::warn!(error = %e, "asset not released at shutdown; its lease will run out");
        }
    }
}
