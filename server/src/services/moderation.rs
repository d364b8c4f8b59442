//! Sequence step 9: the merchant moderates and publishes. Every action goes through
//! `store::submissions::moderate` (the rule, the compare-and-set and the `moderation_log` row in
//! one transaction) and is announced on `services::live` once committed.

use crate::domain::submission_state::ModerationAction;
use crate::services::live::LiveEvent;
use crate::state::AppState;
use crate::store;
use crate::store::submissions::ModerationStoreError;
use entity::{
    SubmissionStatus, moderation_log, testimonial_media_assets as assets, testimonial_submissions as submissions,
};
use sea_orm::{DbErr, TransactionTrait};
use uuid::Uuid;

/// The most a page may hold.
pub const MAX_PAGE: u64 = 100;

pub async fn act(
    state: &AppState,
    shop_id: Uuid,
    actor: &str,
    id: Uuid,
    action: ModerationAction,
    note: Option<&str>,
) -> Result<submissions::Model, ModerationStoreError> {
    let txn = state.db().begin().await?;
    let s = store::submissions::moderate(&txn, shop_id, id, &action, actor, note, state.now()).await?;
    txn.commit().await?;
    metrics::counter!("reelproof_moderation_actions_total", "action" => action.name()).increment(1);
    tracing::info!(%shop_id, submission_id = %id, action = action.name(), status = %s.status, "moderated");
    state.live().publish(LiveEvent::SubmissionChanged {
        shop_id,
        submission_id: id,
        status: s.status,
        published: s.published,
    });
    Ok(s)
}

/// A page of submissions with their assets (two queries, whatever the page size).
pub async fn page(
    state: &AppState,
    shop_id: Uuid,
    status: Option<SubmissionStatus>,
    after: Option<Uuid>,
    first: u64,
) -> Result<(Vec<(submissions::Model, Option<assets::Model>)>, bool), DbErr> {
    let first = first.clamp(1, MAX_PAGE);
    let mut rows = store::submissions::list(state.db(), shop_id, status, after, first + 1).await?;
    let more = rows.len() as u64 > first;
    rows.truncate(first as usize);
    let ids: Vec<Uuid> = rows.iter().map(|s| s.id).collect();
    let mut media = store::media_assets::for_submissions(state.db(), shop_id, &ids).await?;
    let rows = rows
        .into_iter()
        .map(|s| {
            let a = media.iter().position(|a| a.submission_id == s.id).map(|i| media.swap_remove(i));
            (s, a)
        })
        .collect();
    Ok((rows, more))
}

pub async fn get(
    state: &AppState,
    shop_id: Uuid,
    id: Uuid,
) -> Result<(submissions::Model, Option<assets::Model>, Vec<moderation_log::Model>), ModerationStoreError> {
    let s = store::submissions::get(state.db(), shop_id, id).await?.ok_or(ModerationStoreError::NotFound)?;
    let a = store::media_assets::for_submissions(state.db(), shop_id, &[id]).await?.into_iter().next();
    let log = store::submissions::log(state.db(), shop_id, id).await?;
    Ok((s, a, log))
}
