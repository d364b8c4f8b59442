//! Sequence step 9: the merchant moderates and publishes. Every action goes through
//! `store::submissions::moderate` (the rule, the compare-and-set and the `moderation_log` row in
//! one transaction) and is announced on `providers::live` once committed.

use crate::domain::submission_state::ModerationAction;
use crate::providers::live::LiveEvent;
use crate::state::AppState;
use crate::store;
pub use crate::store::submissions::ModerationStoreError;
use entity::{ShopId, SubmissionId};
use entity::{
    SubmissionStatus, moderation_log, testimonial_media_assets as assets, testimonial_submissions as submissions,
};
use sea_orm::{DbErr, TransactionTrait};

/// The most a page may hold.
pub const MAX_PAGE: u64 = 100;

pub async fn act(
    state: &AppState,
    shop_id: ShopId,
    actor: &str,
    id: SubmissionId,
    action: ModerationAction,
    note: Option<&str>,
) -> Result<submissions::Model, ModerationStoreError> {
    let txn = state.db().begin().await?;
    let before = store::submissions::get(&txn, shop_id, id).await?;
    let s = store::submissions::moderate(&txn, shop_id, id, &action, actor, note, state.now()).await?;
    if let Some(b) = before.filter(|b| b.published || s.published) {
        // The theme blocks' stored HTML of every page it was or is on.
        let pages = [None, Some(b.product_id), Some(s.product_id)];
        super::storefront_sync::enqueue(&txn, shop_id, &pages, state.now()).await?;
    }
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
    shop_id: ShopId,
    status: Option<SubmissionStatus>,
    after: Option<SubmissionId>,
    first: u64,
) -> Result<(Vec<(submissions::Model, Option<assets::Model>)>, bool), DbErr> {
    let first = first.clamp(1, MAX_PAGE);
    let rows = store::submissions::list(state.db(), shop_id, status, after, first + 1).await?;
    let (rows, more) = super::split_page(rows, first);
    let ids: Vec<SubmissionId> = rows.iter().map(|s| s.id).collect();
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
    shop_id: ShopId,
    id: SubmissionId,
) -> Result<(submissions::Model, Option<assets::Model>, Vec<moderation_log::Model>), ModerationStoreError> {
    let s = store::submissions::get(state.db(), shop_id, id).await?.ok_or(ModerationStoreError::NotFound)?;
    let a = store::media_assets::for_submissions(state.db(), shop_id, &[id]).await?.into_iter().next();
    let log = store::submissions::log(state.db(), shop_id, id).await?;
    Ok((s, a, log))
}

/// A testimonial's compliance record: why it can be shown (a verified order, the customer's
/// consent and any incentive) and everything done to it since. Serialised, it is the export.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ComplianceRecord {
    pub submission_id: SubmissionId,
    /// `capture` (a verified order's link) or `import`.
    pub source: String,
    pub order: Option<VerifiedOrder>,
    /// For `import`: who imported it, when, and the video link it came from.
    pub imported: Option<Imported>,
    pub consent: Consent,
    /// The campaign's incentive text, as the customer was told it.
    pub incentive: Option<String>,
    /// Whether an incentive was given or promised (disclosed on the storefront).
    pub incentivised: bool,
    /// The thank-you given: its discount code (the same for every rating and every outcome).
    pub reward_code: Option<String>,
    /// Every moderation action, oldest first.
    pub moderation: Vec<LogEntry>,
    /// The publish / unpublish actions, oldest first.
    pub publication: Vec<LogEntry>,
    pub currently_published: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifiedOrder {
    pub shopify_order_id: i64,
    pub order_name: Option<String>,
    pub line_item_id: i64,
    pub product_id: i64,
    pub product_title: String,
    /// When the customer's link was sent (the order was paid or fulfilled by then).
    pub requested_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Imported {
    pub by: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub video_url: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Consent {
    pub text: String,
    pub version: i32,
    pub given_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct LogEntry {
    pub action: String,
    pub actor: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: Option<String>,
    pub at: chrono::DateTime<chrono::Utc>,
}

pub async fn compliance(
    state: &AppState,
    shop_id: ShopId,
    id: SubmissionId,
) -> Result<ComplianceRecord, ModerationStoreError> {
    let (s, asset, log) = get(state, shop_id, id).await?;
    let imported = log.iter().find(|m| m.action == "import").map(|m| Imported {
        by: m.actor.clone(),
        at: m.at,
        video_url: asset.as_ref().and_then(|a| a.source_url.clone()),
    });
    let request = match s.request_id {
        Some(r) => store::requests::get(state.db(), shop_id, r).await?,
        None => None,
    };
    let incentive = match s.campaign_id {
        Some(c) => store::campaigns::get(state.db(), shop_id, c).await?.and_then(|c| c.incentive),
        None => None,
    };
    let entries: Vec<LogEntry> = log
        .iter()
        .map(|m| LogEntry {
            action: m.action.clone(),
            actor: m.actor.clone(),
            from_status: m.from_status.map(|x| x.as_str().to_owned()),
            to_status: m.to_status.map(|x| x.as_str().to_owned()),
            note: m.note.clone(),
            at: m.at,
        })
        .collect();
    let publication = entries.iter().filter(|e| e.action == "publish" || e.action == "unpublish").cloned().collect();
    Ok(ComplianceRecord {
        submission_id: s.id,
        source: s.source.as_str().to_owned(),
        order: request.map(|r| VerifiedOrder {
            shopify_order_id: r.shopify_order_id,
            order_name: r.order_name,
            line_item_id: r.line_item_id,
            product_id: r.product_id,
            product_title: r.product_title,
            requested_at: r.first_sent_at,
        }),
        imported,
        consent: Consent { text: s.consent_text, version: s.consent_version, given_at: s.consented_at },
        incentive,
        incentivised: s.incentivised,
        reward_code: s.reward_code,
        moderation: entries,
        publication,
        currently_published: s.published,
    })
}

/// Applies the shop's auto-publish rule to a submission (after submit for text, after the
/// video is ready): approve and publish in the shop's default placements, logged as
/// `system:auto-publish`. Does nothing when a condition is not met; a failure is logged, not
/// returned (the customer's submission stands either way).
pub async fn auto_publish(state: &AppState, shop_id: ShopId, submission_id: SubmissionId) {
    if let Err(e) = try_auto_publish(state, shop_id, submission_id).await {
        tracing::error!(%shop_id, %submission_id, error = %e, "auto-publish failed");
    }
}

async fn try_auto_publish(
    state: &AppState,
    shop_id: ShopId,
    submission_id: SubmissionId,
) -> Result<(), ModerationStoreError> {
    use crate::domain::settings::ShopSettings;
    use crate::domain::submission_state::auto_publishes;
    let Some(shop) = store::shops::get(state.db(), shop_id).await? else { return Ok(()) };
    let settings = ShopSettings::from_json(&shop.settings);
    let (s, media, _) = get(state, shop_id, submission_id).await?;
    let media_ready = !s.has_video || media.as_ref().is_some_and(|a| a.processing_status == entity::AssetStatus::Ready);
    if s.status != SubmissionStatus::Pending
        || !auto_publishes(&settings.auto_publish, s.rating, s.flagged, media_ready)
    {
        return Ok(());
    }
    const ACTOR: &str = "system:auto-publish";
    let note =
        format!("rating {} ≥ {}, text clean, media ready", s.rating.unwrap_or(0), settings.auto_publish.min_rating);
    act(state, shop_id, ACTOR, submission_id, ModerationAction::Approve, Some(&note)).await?;
    let (home, product) =
        (settings.default_placement_home, settings.default_placement_product || !settings.default_placement_home);
    act(state, shop_id, ACTOR, submission_id, ModerationAction::Publish { home, product }, None).await?;
    Ok(())
}

/// The 14-day rule: pending submissions older than that are approved (`system:14-day-rule`),
/// except those the merchant once rejected. Returns how many were approved.
pub async fn approve_overdue(state: &AppState) -> Result<usize, DbErr> {
    use crate::domain::submission_state::AUTO_APPROVE_AFTER;
    let cutoff = state.now() - AUTO_APPROVE_AFTER;
    let mut approved = 0;
    for s in store::submissions::pending_before_all_shops(state.db(), cutoff, 200).await? {
        let log = store::submissions::log(state.db(), s.shop_id, s.id).await?;
        if log.iter().any(|l| l.action == "reject") {
            continue;
        }
        let note = "pending for 14 days without a decision";
        match act(state, s.shop_id, "system:14-day-rule", s.id, ModerationAction::Approve, Some(note)).await {
            Ok(_) => approved += 1,
            Err(ModerationStoreError::Database(e)) => return Err(e),
            Err(_) => {}
        }
    }
    Ok(approved)
}
