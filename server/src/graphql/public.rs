//! The public capture schema at `/api/public/graphql`: what the customer's capture page calls
//! with their token. No other credential exists here, so every resolver starts from the token.

use crate::graphql::error::ToApiError;
use crate::services::capture::{self, SubmitInput};
use crate::state::AppState;
use async_graphql::{Context, EmptySubscription, InputObject, Object, Result, Schema, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::error::{ErrorCode, api_error, internal};
use crate::domain::rate_limit::Budget;
use crate::services::rate_limits::{self, RateLimitError};

/// The app state, after the caller passed the rate limits per client IP and per capture
/// token. They are counted in the database, so they hold across replicas: one abusive client
/// cannot hammer the API and one leaked link cannot be brute-forced into uploads.
async fn admit<'a>(ctx: &'a Context<'_>, token: &str) -> Result<&'a AppState> {
    let state = ctx.data::<AppState>()?;
    let c = &state.config().capture;
    let per_token = Budget { name: "token", limit: c.rate_per_token_per_minute, window_secs: 60 };
    let per_ip = Budget { name: "ip", limit: c.rate_per_ip_per_minute, window_secs: 60 };
    let ip = ctx.data::<ClientSignals>().ok().and_then(|s| s.ip).map(|ip| ip.to_string());
    let token_hash = crate::domain::tokens::TokenHash::of(token);
    let mut budgets = vec![(per_token, token_hash.as_str())];
    if let Some(ip) = &ip {
        budgets.insert(0, (per_ip, ip.as_str()));
    }
    match rate_limits::spend(state, &budgets).await {
        Ok(()) => Ok(state),
        Err(e @ RateLimitError::Spent(_)) => Err(api_error(ErrorCode::RateLimited, e.to_string())),
        Err(RateLimitError::Database(e)) => Err(internal(e)),
    }
}

pub type PublicSchema = Schema<PublicQuery, PublicMutation, EmptySubscription>;

/// What the HTTP layer saw of the caller: for telling people from link scanners, and for the
/// per-IP rate limit.
#[derive(Debug, Clone, Default)]
pub struct ClientSignals {
    pub user_agent: Option<String>,
    pub ip: Option<std::net::IpAddr>,
}

pub fn build_schema(state: AppState) -> PublicSchema {
    Schema::build(PublicQuery, PublicMutation, EmptySubscription)
        .data(state)
        .extension(super::limits::RootFieldLimit(10))
        .extension(super::spans::OperationSpans("capture"))
        .limit_depth(6)
        .limit_complexity(200)
        .finish()
}

/// The public (capture page) SDL, as checked in at `schema.capture.graphql`.
pub fn sdl() -> String {
    Schema::build(PublicQuery, PublicMutation, EmptySubscription).finish().sdl()
}

pub struct PublicQuery;

#[Object]
impl PublicQuery {
    /// The request behind a capture link. Opening it counts as the customer's click.
    async fn capture(&self, ctx: &Context<'_>, token: String) -> Result<Capture> {
        let state = admit(ctx, &token).await?;
        let signals = ctx.data::<ClientSignals>().cloned().unwrap_or_default();
        let s = crate::domain::engagement::Signals { user_agent: signals.user_agent.as_deref(), ..Default::default() };
        let v = capture::open(state, &token, s).await.map_err(ToApiError::to_api_error)?;
        Ok(Capture {
            shop_name: v.shop_name,
            brand_colour: v.brand_colour,
            logo_url: v.logo_url,
            product_title: v.product_title,
            product_image_url: v.product_image_url,
            customer_first_name: v.customer_first_name,
            prompt: v.prompt,
            consent_text: v.consent_text,
            consent_version: v.consent_version,
            incentive: v.incentive,
            expires_at: v.expires_at,
            max_duration_seconds: v.max_duration_seconds,
            max_bytes: v.max_bytes,
            accepted_types: capture::ALLOWED_TYPES.iter().map(|(t, _)| (*t).to_owned()).collect(),
        })
    }
}

#[derive(SimpleObject)]
pub struct Capture {
    pub shop_name: String,
    pub brand_colour: String,
    pub logo_url: Option<String>,
    pub product_title: String,
    pub product_image_url: Option<String>,
    pub customer_first_name: Option<String>,
    pub prompt: String,
    /// Shown next to the consent checkbox; `consentVersion` goes back with the submission.
    pub consent_text: String,
    pub consent_version: i32,
    pub incentive: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub max_duration_seconds: i64,
    pub max_bytes: i64,
    pub accepted_types: Vec<String>,
}

pub struct PublicMutation;

#[derive(SimpleObject)]
pub struct UploadTarget {
    /// With no `parts`: `PUT` the file here with the given `Content-Type`, whole or in ranges
    /// (`Content-Range: bytes a-b/total`; `HEAD` answers `Upload-Offset` to resume after a drop).
    pub url: String,
    /// When the media store is a bucket: `PUT` each part's bytes to its own URL instead (no
    /// headers needed); a part that fails is sent again, the others are kept.
    pub parts: Vec<UploadPart>,
    /// Goes back in `submitTestimonial(input: { uploadKey })`.
    pub upload_key: String,
    pub content_type: String,
    pub max_bytes: i64,
    pub expires_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct UploadPart {
    pub number: i32,
    /// Bytes `offset .. offset + size` of the file.
    pub offset: i64,
    pub size: i64,
    pub url: String,
}

#[derive(InputObject)]
pub struct SubmitTestimonialInput {
    /// From `createUpload`; omit for a text-only testimonial.
    pub upload_key: Option<String>,
    pub display_name: String,
    pub rating: Option<i16>,
    pub quote: Option<String>,
    pub consent_publish: bool,
    pub consent_version: i32,
}

#[derive(SimpleObject)]
pub struct SubmittedTestimonial {
    pub id: Uuid,
    pub has_video: bool,
    /// The campaign's thank-you for everyone who submits: a single-use discount code, when
    /// Shopify has made it.
    pub reward_code: Option<String>,
    /// A thank-you is on its way by email (Shopify did not answer in time).
    pub reward_pending: bool,
    /// The code is (or will be) emailed to the customer too.
    pub reward_emailed: bool,
}

#[Object]
impl PublicMutation {
    async fn create_upload(
        &self,
        ctx: &Context<'_>,
        token: String,
        content_type: String,
        size_bytes: i64,
    ) -> Result<UploadTarget> {
        let state = admit(ctx, &token).await?;
        let t =
            capture::create_upload(state, &token, &content_type, size_bytes).await.map_err(ToApiError::to_api_error)?;
        Ok(UploadTarget {
            url: t.url,
            parts: t
                .parts
                .into_iter()
                .map(|p| UploadPart {
                    number: p.number as i32,
                    offset: p.offset as i64,
                    size: p.size as i64,
                    url: p.url,
                })
                .collect(),
            upload_key: t.key,
            content_type: t.content_type,
            max_bytes: t.max_bytes,
            expires_at: t.expires_at,
        })
    }

    async fn submit_testimonial(
        &self,
        ctx: &Context<'_>,
        token: String,
        input: SubmitTestimonialInput,
    ) -> Result<SubmittedTestimonial> {
        let state = admit(ctx, &token).await?;
        let input = SubmitInput {
            upload_key: input.upload_key,
            display_name: input.display_name,
            rating: input.rating,
            quote: input.quote,
            consent_publish: input.consent_publish,
            consent_version: input.consent_version,
        };
        let done = capture::submit_and_thank(state, &token, input).await.map_err(ToApiError::to_api_error)?;
        Ok(SubmittedTestimonial {
            id: done.submission.id.into_uuid(),
            has_video: done.submission.has_video,
            reward_code: done.reward_code,
            reward_pending: done.reward_pending,
            reward_emailed: done.reward_emailed,
        })
    }
}
