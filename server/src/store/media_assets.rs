//! `testimonial_media_assets`: the media worker's claim and the one status-change path, each
//! checked against `domain::asset_state` and written with a compare-and-set on the old status.

use crate::domain::asset_state::{self, AssetCause, InvalidAssetTransition};
use crate::domain::media::MediaInfo;
use chrono::{DateTime, Utc};
use entity::{AssetId, ShopId, SubmissionId};
use entity::{AssetStatus, testimonial_media_assets as assets};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    #[error(transparent)]
    Invalid(#[from] InvalidAssetTransition),
    #[error("media asset not found")]
    NotFound,
    /// Another worker holds it, or its status moved on.
    #[error("media asset changed concurrently")]
    Conflict,
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Registers an upload of a submission as an `uploaded` asset.
pub async fn insert_uploaded(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    submission_id: SubmissionId,
    original_key: String,
    content_type: String,
    size_bytes: i64,
    now: DateTime<Utc>,
) -> Result<assets::Model, DbErr> {
    insert(db, shop_id, submission_id, original_key, content_type, size_bytes, None, now).await
}

/// Registers an imported video, still at `source_url`, as an `uploaded` asset: the media worker
/// fetches it to `original_key` first (size and type are known once fetched).
pub async fn insert_imported(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    submission_id: SubmissionId,
    original_key: String,
    source_url: String,
    now: DateTime<Utc>,
) -> Result<assets::Model, DbErr> {
    insert(db, shop_id, submission_id, original_key, String::new(), 0, Some(source_url), now).await
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    submission_id: SubmissionId,
    original_key: String,
    content_type: String,
    size_bytes: i64,
    source_url: Option<String>,
    now: DateTime<Utc>,
) -> Result<assets::Model, DbErr> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    assets::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        submission_id: Set(submission_id),
        original_key: Set(original_key),
        content_type: Set(content_type),
        size_bytes: Set(size_bytes),
        processing_status: Set(AssetStatus::Uploaded),
        processing_error: Set(None),
        attempts: Set(0),
        lease_until: Set(None),
        duration_ms: Set(None),
        width: Set(None),
        height: Set(None),
        rotation: Set(None),
        video_codec: Set(None),
        audio_codec: Set(None),
        playback_key: Set(None),
        poster_key: Set(None),
        poster_widths: Set(None),
        ready_at: Set(None),
        source_url: Set(source_url),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn get(db: &impl ConnectionTrait, shop_id: ShopId, id: AssetId) -> Result<Option<assets::Model>, DbErr> {
    assets::Entity::find_by_id(id).filter(assets::Column::ShopId.eq(shop_id)).one(db).await
}

/// The one way an asset's status changes: checks `domain::asset_state`, then writes the new
/// status with the caller's other columns, with a compare-and-set on the old status (and on
/// whatever the caller filtered). `Conflict` when another worker got there first.
#[allow(clippy::too_many_arguments)]
async fn change_status(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: AssetId,
    from: AssetStatus,
    to: AssetStatus,
    cause: AssetCause,
    update: sea_orm::UpdateMany<assets::Entity>,
    now: DateTime<Utc>,
) -> Result<(), AssetError> {
    asset_state::transition(from, to, cause)?;
    // Only ready videos play on the storefront, so any status change may change what it shows.
    // Bumped first: a crash between the two leaves a needless cache miss, never a stale ETag.
    super::shops::bump_storefront_version(db, shop_id).await?;
    let r = update
        .col_expr(assets::Column::ProcessingStatus, Expr::value(to.as_str()))
        .col_expr(assets::Column::UpdatedAt, Expr::value(now))
        .filter(assets::Column::Id.eq(id))
        .filter(assets::Column::ShopId.eq(shop_id))
        .filter(assets::Column::ProcessingStatus.eq(from.as_str()))
        .exec(db)
        .await?;
    if r.rows_affected == 1 { Ok(()) } else { Err(AssetError::Conflict) }
}

/// Takes the asset for processing: `uploaded → processing`, or a `processing` one whose
/// worker's lease ran out. Counts the attempt and sets the lease.
pub async fn claim(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: AssetId,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<assets::Model, AssetError> {
    let a = get(db, shop_id, id).await?.ok_or(AssetError::NotFound)?;
    let lease_expired = a.lease_until.is_none_or(|l| l < now);
    let mut update = assets::Entity::update_many()
        .col_expr(assets::Column::LeaseUntil, Expr::value(lease_until))
        .col_expr(assets::Column::Attempts, Expr::col(assets::Column::Attempts).add(1))
        .col_expr(assets::Column::ProcessingError, Expr::value(Option::<String>::None));
    // The lease we saw is part of the compare-and-set: two workers cannot both take it over.
    update = match a.lease_until {
        Some(l) => update.filter(assets::Column::LeaseUntil.eq(l)),
        None => update.filter(assets::Column::LeaseUntil.is_null()),
    };
    let cause = AssetCause::WorkerClaim { lease_expired };
    change_status(db, shop_id, id, a.processing_status, AssetStatus::Processing, cause, update, now).await?;
    get(db, shop_id, id).await?.ok_or(AssetError::NotFound)
}

/// Assets of any shop stranded by a crash: in `processing` with a lease that ran out before
/// `stale_before`, or `uploaded` since before it without ever being claimed (their job was
/// lost). Global by design: the sweep serves every shop.
pub async fn stranded_all_shops(
    db: &impl ConnectionTrait,
    stale_before: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<assets::Model>, DbErr> {
    use sea_orm::{Condition, QuerySelect};
    assets::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(assets::Column::ProcessingStatus.eq(AssetStatus::Processing.as_str()))
                        .add(assets::Column::LeaseUntil.lt(stale_before)),
                )
                .add(
                    Condition::all()
                        .add(assets::Column::ProcessingStatus.eq(AssetStatus::Uploaded.as_str()))
                        .add(assets::Column::CreatedAt.lt(stale_before)),
                ),
        )
        .limit(limit)
        .all(db)
        .await
}

/// `processing → ready` with what the probe found and where the outputs are.
pub async fn mark_ready(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: AssetId,
    info: &MediaInfo,
    (playback_key, poster_key, poster_widths): (&str, &str, &[u32]),
    now: DateTime<Utc>,
) -> Result<(), AssetError> {
    let widths = (!poster_widths.is_empty()).then(|| crate::domain::media::format_widths(poster_widths));
    let update = assets::Entity::update_many()
        .col_expr(assets::Column::DurationMs, Expr::value(info.duration_ms))
        .col_expr(assets::Column::Width, Expr::value(info.width))
        .col_expr(assets::Column::Height, Expr::value(info.height))
        .col_expr(assets::Column::Rotation, Expr::value(info.rotation))
        .col_expr(assets::Column::VideoCodec, Expr::value(info.video_codec.clone()))
        .col_expr(assets::Column::AudioCodec, Expr::value(info.audio_codec.clone()))
        .col_expr(assets::Column::PlaybackKey, Expr::value(playback_key))
        .col_expr(assets::Column::PosterKey, Expr::value(poster_key))
        .col_expr(assets::Column::PosterWidths, Expr::value(widths))
        .col_expr(assets::Column::ReadyAt, Expr::value(now))
        .col_expr(assets::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None));
    let cause = AssetCause::ProcessingSucceeded;
    change_status(db, shop_id, id, AssetStatus::Processing, AssetStatus::Ready, cause, update, now).await
}

/// `processing → failed` with the reason the merchant will read.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: AssetId,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), AssetError> {
    let update = assets::Entity::update_many()
        .col_expr(assets::Column::ProcessingError, Expr::value(error.chars().take(500).collect::<String>()))
        .col_expr(assets::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None));
    let cause = AssetCause::ProcessingFailed;
    change_status(db, shop_id, id, AssetStatus::Processing, AssetStatus::Failed, cause, update, now).await
}

/// The merchant's `reprocessAsset`: `failed → processing` with no lease, so the next media job
/// claims it at once.
pub async fn reprocess(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: AssetId,
    now: DateTime<Utc>,
) -> Result<assets::Model, AssetError> {
    let a = get(db, shop_id, id).await?.ok_or(AssetError::NotFound)?;
    let lease_expired = a.lease_until.is_none_or(|l| l < now);
    let mut update = assets::Entity::update_many()
        .col_expr(assets::Column::ProcessingError, Expr::value(Option::<String>::None))
        .col_expr(assets::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None));
    if a.processing_status == AssetStatus::Processing {
        // Stuck in processing: only once its worker's lease has run out (checked in the write,
        // so a worker that claims it meanwhile keeps it).
        update = update.filter(
            sea_orm::Condition::any().add(assets::Column::LeaseUntil.is_null()).add(assets::Column::LeaseUntil.lt(now)),
        );
    }
    let cause = AssetCause::Reprocess { lease_expired };
    change_status(db, shop_id, id, a.processing_status, AssetStatus::Processing, cause, update, now).await?;
    get(db, shop_id, id).await?.ok_or(AssetError::NotFound)
}

/// Gives a claimed asset back after a passing failure (storage down): its lease ends now, so
/// the job's retry can claim it again.
pub async fn release(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: AssetId,
    now: DateTime<Utc>,
    reason: &str,
) -> Result<(), DbErr> {
    // The lease ends now, so the retry (or the sweep) may claim it; the reason is kept so the
    // merchant sees why the video is still processing. The next claim clears it.
    let note: String = format!("interrupted, will retry: {reason}").chars().take(400).collect();
    assets::Entity::update_many()
        .col_expr(assets::Column::LeaseUntil, Expr::value(now - chrono::Duration::seconds(1)))
        .col_expr(assets::Column::ProcessingError, Expr::value(Some(note)))
        .filter(assets::Column::Id.eq(id))
        .filter(assets::Column::ShopId.eq(shop_id))
        .filter(assets::Column::ProcessingStatus.eq(AssetStatus::Processing.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Which of `keys` are some asset's original (any shop: the orphan sweep serves them all).
pub async fn original_keys_among_all_shops(
    db: &impl ConnectionTrait,
    keys: &[String],
) -> Result<std::collections::HashSet<String>, DbErr> {
    use sea_orm::QuerySelect;
    if keys.is_empty() {
        return Ok(Default::default());
    }
    let found: Vec<String> = assets::Entity::find()
        .select_only()
        .column(assets::Column::OriginalKey)
        .filter(assets::Column::OriginalKey.is_in(keys.iter().cloned()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(found.into_iter().collect())
}

/// The assets of several submissions in one query (a page of the moderation queue).
pub async fn for_submissions(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    submission_ids: &[SubmissionId],
) -> Result<Vec<assets::Model>, DbErr> {
    if submission_ids.is_empty() {
        return Ok(Vec::new());
    }
    assets::Entity::find()
        .filter(assets::Column::ShopId.eq(shop_id))
        .filter(assets::Column::SubmissionId.is_in(submission_ids.iter().copied()))
        .all(db)
        .await
}

/// An imported original arrived: its type and size, now that they are known.
pub async fn record_fetched(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: AssetId,
    content_type: &str,
    size_bytes: i64,
) -> Result<(), DbErr> {
    assets::Entity::update_many()
        .col_expr(assets::Column::ContentType, Expr::value(content_type))
        .col_expr(assets::Column::SizeBytes, Expr::value(size_bytes))
        .filter(assets::Column::Id.eq(id))
        .filter(assets::Column::ShopId.eq(shop_id))
        .exec(db)
        .await?;
    Ok(())
}
