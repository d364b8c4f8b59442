//! The campaign's thank-you (issue 19): a unique, single-use Shopify discount code for everyone
//! who submits, whatever they rated or wrote and whether or not it is ever published.
//!
//! A submission of a campaign with a reward enqueues one `reward_code` job in its own
//! transaction (keyed by the submission). The submit request then tries the job's work at once
//! for a few seconds, so the thank-you screen can show the code; the job finishes it otherwise.
//! Both ask Shopify for the same code (derived from the submission with our link key), so a
//! retry or a race can only meet Shopify's "already taken" — which means the code is ours —
//! and never makes a second discount. The code is then stored on the submission, recorded in
//! its compliance record (the moderation log), and emailed to the customer once.

use crate::domain::i18n;
use crate::domain::reward::{Reward, code_from};
use crate::domain::settings::ShopSettings;
use crate::domain::templates::{self, RewardVars};
use crate::jobs::{JobFailure, JobHandler};
use crate::providers::email::OutgoingEmail;
use crate::services::shop_connection::{self, ConnectionError};
use crate::state::AppState;
use crate::store;
use entity::{ShopId, SubmissionId, jobs, testimonial_submissions as submissions};
use serde::{Deserialize, Serialize};

pub const REWARD_JOB: &str = "reward_code";

const CREATE: &str = "mutation($d: DiscountCodeBasicInput!) { discountCodeBasicCreate(basicCodeDiscount: $d) { codeDiscountNode { id } userErrors { field code message } } }";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RewardPayload {
    pub submission_id: SubmissionId,
}

/// Plans the reward for a new submission, in its transaction.
pub async fn enqueue(
    db: &impl sea_orm::ConnectionTrait,
    shop_id: ShopId,
    submission_id: SubmissionId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    let job = store::jobs::NewJob {
        kind: REWARD_JOB,
        dedupe_key: Some(format!("{REWARD_JOB}:{submission_id}")),
        payload: serde_json::to_value(RewardPayload { submission_id }).expect("payload serialises"),
        run_at: now,
        max_attempts: 8,
    };
    store::jobs::enqueue(db, Some(shop_id), job, now).await?;
    Ok(())
}

/// The code a submission gets: the same every time it is asked for.
pub fn code_for(state: &AppState, submission_id: SubmissionId) -> String {
    code_from(state.links().sign_fields("reward/v1", &[&submission_id.to_string()]).as_bytes())
}

#[derive(Debug, thiserror::Error)]
pub enum RewardError {
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    #[error("Shopify refused the discount: {0}")]
    Refused(String),
}

impl RewardError {
    fn into_job_failure(self) -> JobFailure {
        match self {
            RewardError::Connection(e) => e.into_job_failure(),
            RewardError::Database(e) => JobFailure::Transient(e.to_string()),
            RewardError::Refused(m) => JobFailure::Permanent(m),
        }
    }
}

/// Gives the submission its reward, if its campaign has one and it has none yet; returns the
/// code. Idempotent: a second call finds the stored code and does nothing more.
pub async fn grant(
    state: &AppState,
    shop_id: ShopId,
    submission_id: SubmissionId,
) -> Result<Option<String>, RewardError> {
    let Some(submission) = store::submissions::get(state.db(), shop_id, submission_id).await? else {
        return Ok(None);
    };
    if let Some(code) = submission.reward_code {
        return Ok(Some(code));
    }
    let Some(campaign_id) = submission.campaign_id else { return Ok(None) };
    let Some(campaign) = store::campaigns::get(state.db(), shop_id, campaign_id).await? else { return Ok(None) };
    let Some(reward) = campaign.reward.as_ref().and_then(Reward::from_json) else { return Ok(None) };
    let code = code_for(state, submission_id);
    let now = state.now();
    let input = reward.discount_input(&format!("Reelproof thank-you ({code})"), &code, now);
    let data = shop_connection::graphql(state, shop_id, CREATE, serde_json::json!({ "d": input })).await?;
    let errors =
        data.pointer("/discountCodeBasicCreate/userErrors").and_then(|e| e.as_array()).cloned().unwrap_or_default();
    // "Already taken" can only be our own code from an earlier try: the code is derived from
    // the submission, and nobody else knows our key.
    let taken = |e: &serde_json::Value| e["code"] == "TAKEN";
    if !errors.is_empty() && !errors.iter().all(taken) {
        let text = errors.iter().filter_map(|e| e["message"].as_str()).collect::<Vec<_>>().join("; ");
        return Err(RewardError::Refused(text));
    }
    let expires = now + chrono::Duration::days(i64::from(reward.expires_in_days));
    if store::submissions::set_reward_code(state.db(), shop_id, submission_id, &code, &reward, now).await? {
        tracing::info!(%shop_id, %submission_id, "reward code created");
        metrics::counter!("reelproof_rewards_total", "outcome" => "created").increment(1);
        send_thank_you(state, &submission, &code, expires).await;
    }
    Ok(Some(code))
}

/// Emails the code to the customer (once: the provider knows the key). A failure here leaves
/// the code on the thank-you screen and in the admin; it is logged, not retried.
async fn send_thank_you(
    state: &AppState,
    submission: &submissions::Model,
    code: &str,
    expires: chrono::DateTime<chrono::Utc>,
) {
    let Some(request_id) = submission.request_id else { return };
    let Ok(Some(r)) = store::requests::get(state.db(), submission.shop_id, request_id).await else { return };
    let Some(to) = r.customer_email.clone() else { return };
    let Ok(Some(shop)) = store::shops::get(state.db(), submission.shop_id).await else { return };
    let settings = ShopSettings::from_json(&shop.settings);
    let shop_name =
        settings.sender_name.clone().unwrap_or_else(|| shop.shop_domain.trim_end_matches(".myshopify.com").to_owned());
    let locale = i18n::language_for(r.locale.as_deref(), &settings.locale);
    let vars = RewardVars {
        customer_first_name: r.customer_first_name.clone().unwrap_or_else(|| "there".into()),
        shop_name: shop_name.clone(),
        code: code.to_owned(),
        expiry_date: i18n::long_date(expires.date_naive(), locale),
        brand_colour: settings.brand_colour.clone(),
        logo_url: settings.logo_url.clone(),
    };
    let rendered = match templates::reward_email(locale, &vars) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "the thank-you email did not render");
            return;
        }
    };
    let key = format!("{}:reward", r.id);
    if state.email().accepted(&key).await.is_some() {
        return;
    }
    let email = OutgoingEmail {
        from: format!("{} <{}>", shop_name.replace(['<', '>', '"'], ""), state.config().email.from),
        reply_to: settings.reply_to.clone(),
        to,
        subject: rendered.subject.unwrap_or_default(),
        html: rendered.body,
        text: rendered.body_text.unwrap_or_default(),
        idempotency_key: key,
        request_id: Some(r.id),
        unsubscribe_url: None,
    };
    if let Err(e) = state.email().send(&email).await {
        tracing::warn!(error = %e, submission_id = %submission.id, "the thank-you email was not sent");
    }
}

/// What the thank-you screen shows: the code once made, `None` while it is on its way.
pub async fn grant_for_thank_you(state: &AppState, shop_id: ShopId, submission_id: SubmissionId) -> Option<String> {
    let within = std::time::Duration::from_secs(8);
    match tokio::time::timeout(within, grant(state, shop_id, submission_id)).await {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            tracing::info!(error = %e, %submission_id, "reward not ready at the thank-you; the job will finish it");
            None
        }
        Err(_) => None,
    }
}

pub struct RewardJob;

#[async_trait::async_trait]
impl JobHandler<AppState> for RewardJob {
    fn kind(&self) -> &'static str {
        REWARD_JOB
    }

    async fn run(&self, state: &AppState, job: &jobs::Model) -> Result<(), JobFailure> {
        let p: RewardPayload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobFailure::Permanent(format!("unreadable reward payload: {e}")))?;
        let shop_id = job.shop_id.ok_or_else(|| JobFailure::Permanent("reward job without a shop".into()))?;
        grant(state, shop_id, p.submission_id).await.map_err(RewardError::into_job_failure)?;
        Ok(())
    }
}
