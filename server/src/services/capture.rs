//! Sequence steps 5–7: what the customer does with their link. `open` shows the request (and
//! records the click), `create_upload` hands out a signed upload target, `submit` turns the
//! upload into a submission, its media asset and the `submitted` request — in one transaction,
//! with the media job enqueued in it.
//!
//! An unknown, expired or never-sent token is the same `TokenInvalid`: the answer never tells a
//! guesser which tokens exist. Nothing here can reach another request than the token's.

use crate::domain::engagement::Signals;
use crate::domain::settings::ShopSettings;
use crate::domain::signed_url::UploadGrant;
use crate::providers::live::LiveEvent;
use crate::services::engagement::{self, LinkError};
use crate::state::AppState;
use crate::store;
use crate::store::requests::{ChangeDetails, TransitionError};
use chrono::{DateTime, Duration, Utc};
use entity::{AssetStatus, RequestStatus, testimonial_requests as requests, testimonial_submissions as submissions};
use sea_orm::{DbErr, TransactionTrait};

/// Video types phones and browsers produce, with the extension their uploads are stored under.
pub const ALLOWED_TYPES: &[(&str, &str)] = &[
    ("video/mp4", "mp4"),
    ("video/webm", "webm"),
    ("video/quicktime", "mov"),
    ("video/x-matroska", "mkv"),
    ("video/3gpp", "3gp"),
];
/// How long an upload URL stays valid.
const UPLOAD_TTL: Duration = Duration::minutes(30);
/// Bucket uploads go in parts of this size: small enough that a phone losing its network
/// resends little, and above S3's 5 MiB minimum.
const PART_BYTES: u64 = 8 * 1024 * 1024;
const MAX_NAME: usize = 60;
const MAX_QUOTE: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("this link is not valid or has expired")]
    TokenInvalid,
    #[error("a testimonial was already submitted with this link")]
    AlreadySubmitted,
    #[error("{0}")]
    Validation(String),
    /// The shop's upload budget for this hour is spent (a flood, from any number of links).
    #[error("this shop is receiving more videos than usual right now; please try again in a few minutes")]
    ShopBusy,
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error(transparent)]
    Storage(#[from] crate::providers::storage::StorageError),
}

impl From<LinkError> for CaptureError {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::AlreadySubmitted => Self::AlreadySubmitted,
            LinkError::Database(e) => Self::Database(e),
            _ => Self::TokenInvalid,
        }
    }
}

/// What the capture page needs — and nothing about anyone else.
#[derive(Debug, Clone)]
pub struct CaptureView {
    pub shop_name: String,
    pub brand_colour: String,
    pub logo_url: Option<String>,
    pub product_title: String,
    pub product_image_url: Option<String>,
    pub customer_first_name: Option<String>,
    pub prompt: String,
    pub consent_text: String,
    pub consent_version: i32,
    pub incentive: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub max_duration_seconds: i64,
    pub max_bytes: i64,
}

/// A signed upload target.
#[derive(Debug, Clone)]
pub struct UploadTarget {
    pub url: String,
    /// Presigned parts when the store is a bucket (then `url` is the first part's).
    pub parts: Vec<crate::providers::storage::PresignedPart>,
    pub key: String,
    pub content_type: String,
    pub max_bytes: i64,
    pub expires_at: DateTime<Utc>,
}

/// What the customer submits.
#[derive(Debug, Clone, Default)]
pub struct SubmitInput {
    pub upload_key: Option<String>,
    pub display_name: String,
    pub rating: Option<i16>,
    pub quote: Option<String>,
    pub consent_publish: bool,
    pub consent_version: i32,
}

/// The capture page opened: the click is recorded (people and scanners told apart by
/// `engagement`), then the view.
pub async fn open(state: &AppState, token: &str, signals: Signals<'_>) -> Result<CaptureView, CaptureError> {
    let link = engagement::open_capture_link(state, token, signals).await?;
    view(state, &link.request, &link.shop_name).await
}

async fn view(state: &AppState, r: &requests::Model, shop_name: &str) -> Result<CaptureView, CaptureError> {
    let shop = store::shops::get(state.db(), r.shop_id).await?.ok_or(CaptureError::TokenInvalid)?;
    let settings = ShopSettings::from_json(&shop.settings);
    let campaign =
        store::campaigns::get(state.db(), r.shop_id, r.campaign_id).await?.ok_or(CaptureError::TokenInvalid)?;
    let limits = &state.config().media.limits;
    let (prompt, consent_text) = campaign_texts_for(r, &settings, &campaign);
    Ok(CaptureView {
        shop_name: shop_name.to_owned(),
        brand_colour: settings.brand_colour,
        logo_url: settings.logo_url,
        product_title: r.product_title.clone(),
        product_image_url: r.product_image_url.clone(),
        customer_first_name: r.customer_first_name.clone(),
        prompt,
        consent_text,
        consent_version: campaign.consent_version,
        incentive: campaign.incentive,
        expires_at: r.expires_at,
        max_duration_seconds: limits.max_duration_ms / 1000,
        max_bytes: limits.max_bytes,
    })
}

/// The prompt and consent text this customer reads (ours translated, the merchant's as written);
/// the consent recorded with a submission is the one the customer read.
fn campaign_texts_for(
    r: &requests::Model,
    settings: &ShopSettings,
    campaign: &entity::campaigns::Model,
) -> (String, String) {
    let language = crate::domain::i18n::language_for(r.locale.as_deref(), &settings.locale);
    let (prompt, consent) =
        crate::domain::capture_copy::campaign_texts(&campaign.prompt, &campaign.consent_text, language);
    // The merchant's own consent text in this language comes first.
    let theirs = campaign.consent_texts.as_ref().and_then(|m| m.get(language)).and_then(|t| t.as_str());
    (prompt, theirs.map(str::to_owned).unwrap_or(consent))
}

/// The request a token names, if it can still take a submission (the capture link's own rule,
/// a send still being recorded included).
async fn open_request(state: &AppState, token: &str) -> Result<requests::Model, CaptureError> {
    Ok(engagement::request_for_token(state, token).await?)
}

fn upload_prefix(r: &requests::Model) -> String {
    crate::providers::storage::upload_prefix(r.shop_id, r.id)
}

pub async fn create_upload(
    state: &AppState,
    token: &str,
    content_type: &str,
    size_bytes: i64,
) -> Result<UploadTarget, CaptureError> {
    let r = open_request(state, token).await?;
    let content_type = content_type.trim().to_ascii_lowercase();
    let base_type = content_type.split(';').next().unwrap_or_default().trim().to_owned();
    let Some((_, ext)) = ALLOWED_TYPES.iter().find(|(t, _)| *t == base_type) else {
        return Err(CaptureError::Validation(format!(
            "unsupported file type {base_type:?}: please upload a video (MP4, WebM or MOV)"
        )));
    };
    let max = state.config().media.limits.max_bytes;
    if size_bytes <= 0 {
        return Err(CaptureError::Validation("the file is empty".into()));
    }
    if size_bytes > max {
        return Err(CaptureError::Validation(format!(
            "the file is {} MB; the limit is {} MB",
            size_bytes / (1024 * 1024),
            max / (1024 * 1024)
        )));
    }
    let budget = crate::domain::rate_limit::shop_uploads_per_hour(state.config().capture.uploads_per_shop_per_hour);
    match super::rate_limits::spend(state, &[(budget, &r.shop_id.to_string())]).await {
        Ok(()) => {}
        Err(super::rate_limits::RateLimitError::Spent(_)) => return Err(CaptureError::ShopBusy),
        Err(super::rate_limits::RateLimitError::Database(e)) => return Err(e.into()),
    }
    // The announced size is part of the key: a bucket upload is completed from the parts the
    // bucket holds, and this is how the server knows they add up to the whole file.
    let key = format!("{}{}-{size_bytes}.{ext}", upload_prefix(&r), entity::new_id::<uuid::Uuid>());
    let expires_at = state.now() + UPLOAD_TTL;
    let grant = UploadGrant {
        key: key.clone(),
        content_type: base_type.clone(),
        max_bytes: size_bytes,
        expires: expires_at.timestamp(),
    };
    if let Some(s3) = state.storage().s3_store() {
        let ttl = UPLOAD_TTL.to_std().expect("positive");
        let parts = s3.start_upload(&key, &base_type, size_bytes as u64, PART_BYTES, ttl).await?;
        let url = parts.first().map(|p| p.url.clone()).unwrap_or_default();
        return Ok(UploadTarget { url, parts, key, content_type: base_type, max_bytes: size_bytes, expires_at });
    }
    let url = state.url(&format!("/uploads/{key}?{}", grant.query(state.links())));
    Ok(UploadTarget { url, parts: Vec::new(), key, content_type: base_type, max_bytes: size_bytes, expires_at })
}

/// What the customer gets back: the submission and, when the campaign thanks everyone who
/// submits, the reward's code (or `reward_pending` while Shopify is still making it; the code
/// then comes by email).
#[derive(Debug, Clone)]
pub struct Submitted {
    pub submission: submissions::Model,
    pub reward_code: Option<String>,
    pub reward_pending: bool,
    /// The customer has an email address: the code goes there too.
    pub reward_emailed: bool,
}

/// Submits, then tries the campaign's reward at once so the thank-you screen can show it.
pub async fn submit_and_thank(state: &AppState, token: &str, input: SubmitInput) -> Result<Submitted, CaptureError> {
    let submission = submit(state, token, input).await?;
    let has_reward = match submission.campaign_id {
        Some(c) => store::campaigns::get(state.db(), submission.shop_id, c).await?.is_some_and(|c| c.reward.is_some()),
        None => false,
    };
    let reward_code = if has_reward {
        super::rewards::grant_for_thank_you(state, submission.shop_id, submission.id).await
    } else {
        None
    };
    let reward_emailed = has_reward
        && match submission.request_id {
            Some(r) => {
                store::requests::get(state.db(), submission.shop_id, r).await?.and_then(|r| r.customer_email).is_some()
            }
            None => false,
        };
    Ok(Submitted { reward_pending: has_reward && reward_code.is_none(), reward_code, reward_emailed, submission })
}

pub async fn submit(state: &AppState, token: &str, input: SubmitInput) -> Result<submissions::Model, CaptureError> {
    let r = open_request(state, token).await?;
    let campaign =
        store::campaigns::get(state.db(), r.shop_id, r.campaign_id).await?.ok_or(CaptureError::TokenInvalid)?;
    let name = input.display_name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(CaptureError::Validation(format!("please give a display name of 1 to {MAX_NAME} characters")));
    }
    let quote = input.quote.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if quote.is_some_and(|q| q.chars().count() > MAX_QUOTE) {
        return Err(CaptureError::Validation(format!("the quote is longer than {MAX_QUOTE} characters")));
    }
    if input.rating.is_some_and(|n| !(1..=5).contains(&n)) {
        return Err(CaptureError::Validation("the rating is 1 to 5 stars".into()));
    }
    if !input.consent_publish {
        return Err(CaptureError::Validation("please agree to the consent text to submit".into()));
    }
    if input.consent_version != campaign.consent_version {
        return Err(CaptureError::Validation(
            "the consent text changed; please reload the page and agree again".into(),
        ));
    }
    let upload = match input.upload_key.as_deref() {
        Some(key) => {
            if !key.starts_with(&upload_prefix(&r)) {
                return Err(CaptureError::Validation("that upload does not belong to this link".into()));
            }
            let size = match state.storage().size(key).await? {
                Some(size) => size,
                None => complete_bucket_upload(state, key).await?.ok_or_else(|| {
                    CaptureError::Validation("the upload has not arrived; please upload the video again".into())
                })?,
            };
            Some((key.to_owned(), size as i64))
        }
        None if quote.is_none() => {
            return Err(CaptureError::Validation("please record a video or write a few words".into()));
        }
        None => None,
    };

    let shop = store::shops::get(state.db(), r.shop_id).await?.ok_or(CaptureError::TokenInvalid)?;
    let settings = ShopSettings::from_json(&shop.settings);
    let locale = r.locale.clone().unwrap_or_else(|| settings.locale.clone());
    let flagged_reason = quote.and_then(|q| crate::domain::content_filter::flag(q, &locale, &settings.profanity_words));
    let now = state.now();
    let txn = state.db().begin().await?;
    let new = store::submissions::NewCaptureSubmission {
        request: &r,
        display_name: display_name(name),
        rating: input.rating,
        quote: quote.map(str::to_owned),
        has_video: upload.is_some(),
        consent_text: campaign_texts_for(&r, &settings, &campaign).1,
        consent_version: campaign.consent_version,
        flagged_reason,
        incentivised: campaign.reward.is_some() || campaign.incentive.is_some(),
    };
    let submission =
        store::submissions::insert_capture(&txn, r.shop_id, new, now).await.map_err(|e| match e.sql_err() {
            // One submission per request: a racing second submit loses here.
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => CaptureError::AlreadySubmitted,
            _ => CaptureError::Database(e),
        })?;
    let mut asset = None;
    if let Some((key, size)) = upload {
        let content_type = key_content_type(&key);
        let a =
            store::media_assets::insert_uploaded(&txn, r.shop_id, submission.id, key, content_type, size, now).await?;
        super::media::enqueue(&txn, r.shop_id, a.id, 0, now).await?;
        asset = Some(a);
    }
    super::flow::enqueue_submitted(&txn, r.shop_id, submission.id, now).await?;
    if campaign.reward.is_some() {
        super::rewards::enqueue(&txn, r.shop_id, submission.id, now).await?;
    }
    let payload = serde_json::json!({ "submission_id": submission.id, "has_video": submission.has_video });
    let details = ChangeDetails { payload: Some(payload), ..Default::default() };
    match store::requests::transition(&txn, r.shop_id, r.id, RequestStatus::Submitted, now, details).await {
        Ok(_) => {}
        Err(TransitionError::Database(e)) => return Err(e.into()),
        Err(_) => return Err(CaptureError::AlreadySubmitted),
    }
    txn.commit().await?;
    state.live().publish(LiveEvent::SubmissionCreated {
        shop_id: r.shop_id,
        submission_id: submission.id,
        request_id: Some(r.id),
        has_video: submission.has_video,
    });
    if let Some(a) = asset {
        super::media::announce(state, &a, AssetStatus::Uploaded, None);
    } else {
        // Text only: nothing to wait for before the shop's auto-publish rule decides.
        super::moderation::auto_publish(state, r.shop_id, submission.id).await;
    }
    metrics::counter!("reelproof_submissions_created_total", "source" => "capture").increment(1);
    tracing::info!(shop_id = %r.shop_id, request_id = %r.id, submission_id = %submission.id, "testimonial submitted");
    Ok(submission)
}

/// Completes the bucket's multipart upload for `key` once every part has arrived; returns the
/// object's size, or `None` when there is no upload or parts are missing (the client resends them).
async fn complete_bucket_upload(state: &AppState, key: &str) -> Result<Option<u64>, CaptureError> {
    let Some(s3) = state.storage().s3_store() else { return Ok(None) };
    let Some(announced) = announced_size(key) else { return Ok(None) };
    let Some(upload_id) = s3.open_upload(key).await? else { return Ok(None) };
    let parts = s3.parts(key, &upload_id).await?;
    let contiguous = parts.iter().enumerate().all(|(i, p)| p.number as usize == i + 1);
    let total: u64 = parts.iter().map(|p| p.size).sum();
    if !contiguous || total < announced {
        return Ok(None);
    }
    if total > announced {
        // Parts are presigned for exact ranges, so this is tampering: nothing of it is kept.
        s3.abort(key, &upload_id).await?;
        return Err(CaptureError::Validation(format!(
            "the upload is larger than the {announced} bytes announced; please upload the video again"
        )));
    }
    s3.complete(key, &upload_id, &parts).await?;
    Ok(Some(total))
}

/// The size `createUpload` announced, from the key (`<id>-<size>.<ext>`).
fn announced_size(key: &str) -> Option<u64> {
    let name = key.rsplit('/').next()?;
    let stem = name.rsplit_once('.')?.0;
    stem.rsplit_once('-')?.1.parse().ok()
}

/// Public name: first name and last initial ("Ada Lovelace" → "Ada L.").
fn display_name(name: &str) -> String {
    let mut parts = name.split_whitespace();
    let first = parts.next().unwrap_or_default();
    match parts.last().and_then(|l| l.chars().next()) {
        Some(initial) => format!("{first} {}.", initial.to_uppercase()),
        None => first.to_owned(),
    }
}

/// The content type an upload was granted for, from its key's extension (ffprobe decides
/// later what the bytes really are).
fn key_content_type(key: &str) -> String {
    let ext = key.rsplit('.').next().unwrap_or_default();
    ALLOWED_TYPES.iter().find(|(_, e)| *e == ext).map_or("application/octet-stream", |(t, _)| t).to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_announced_size_is_read_back_from_the_key() {
        let key = "shops/a/uploads/b/0190e2a4-7b1c-7d2e-9f00-000000000001-1048576.webm";
        assert_eq!(super::announced_size(key), Some(1_048_576));
        assert_eq!(super::announced_size("shops/a/uploads/b/x.webm"), None);
    }

    #[test]
    fn display_names_show_first_name_and_initial() {
        assert_eq!(super::display_name("Ada Lovelace"), "Ada L.");
        assert_eq!(super::display_name("  ada   king lovelace "), "ada L.");
        assert_eq!(super::display_name("Ada"), "Ada");
    }
}
