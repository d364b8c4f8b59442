//! Moderation in the admin API: the submissions (and their media) as a cursor connection, one
//! submission with its moderation log, the moderation mutations, and the live subscriptions
//! `moderationQueue` and `assetProcessing`.

use super::ctx;
use super::media::MediaAsset;
use crate::domain::submission_state::{ModerationAction, ModerationError};
use crate::graphql::error::{ErrorCode, ToApiError, api_error, internal};
use crate::providers::live::{LiveEvent, Next};
use crate::services::moderation::ModerationStoreError;
use crate::services::{self, moderation};
use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use entity::{
    SubmissionStatus, moderation_log, testimonial_media_assets as assets, testimonial_submissions as submissions,
};
use futures_util::Stream;

/// A submission's moderation status (DESIGN.md §4).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "SubmissionStatus")]
pub enum Status {
    Pending,
    Approved,
    Rejected,
    Archived,
}

impl From<SubmissionStatus> for Status {
    fn from(s: SubmissionStatus) -> Self {
        match s {
            SubmissionStatus::Pending => Self::Pending,
            SubmissionStatus::Approved => Self::Approved,
            SubmissionStatus::Rejected => Self::Rejected,
            SubmissionStatus::Archived => Self::Archived,
        }
    }
}

impl From<Status> for SubmissionStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Pending => Self::Pending,
            Status::Approved => Self::Approved,
            Status::Rejected => Self::Rejected,
            Status::Archived => Self::Archived,
        }
    }
}

/// Where a published testimonial shows.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Placement {
    Home,
    Product,
}

pub struct Submission {
    row: submissions::Model,
    media: Option<assets::Model>,
    log: Option<Vec<moderation_log::Model>>,
}

impl Submission {
    /// A submission with its media (no log).
    pub(super) fn with_media(row: submissions::Model, media: Option<assets::Model>) -> Self {
        Self { row, media, log: None }
    }
}

mirror_enum!(SubmissionSourceGql as "SubmissionSource" <=> SubmissionSource { Capture, Import });

/// A product as Shopify describes it.
#[derive(SimpleObject)]
pub struct ProductInfo {
    pub title: String,
    /// Its featured image.
    pub image_url: Option<String>,
}

#[Object]
impl Submission {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }
    async fn status(&self) -> Status {
        self.row.status.into()
    }
    /// First name and last initial, as the storefront shows it.
    async fn display_name(&self) -> &str {
        &self.row.display_name
    }
    async fn rating(&self) -> Option<i16> {
        self.row.rating
    }
    async fn quote(&self) -> Option<&str> {
        self.row.quote.as_deref()
    }
    /// `CAPTURE` (a customer's link) or `IMPORT` (the merchant's CSV).
    async fn source(&self) -> SubmissionSourceGql {
        self.row.source.into()
    }
    async fn has_video(&self) -> bool {
        self.row.has_video
    }
    /// The Shopify product id it is about (rebindable).
    async fn product_id(&self) -> ID {
        ID(self.row.product_id.to_string())
    }
    /// The product's title and image from Shopify, on `submission(id)` when the shop's Admin
    /// API is connected (`null` in lists, or when Shopify cannot tell).
    async fn product(&self, context: &Context<'_>) -> Result<Option<ProductInfo>> {
        if self.log.is_none() {
            return Ok(None);
        }
        let (_, state) = ctx(context)?;
        let info = services::products::info(state, self.row.shop_id, self.row.product_id).await;
        Ok(info.map(|p| ProductInfo { title: p.title, image_url: p.image_url }))
    }
    async fn published(&self) -> bool {
        self.row.published
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.row.published_at
    }
    async fn placements(&self) -> Vec<Placement> {
        let mut p = Vec::new();
        if self.row.placement_home {
            p.push(Placement::Home);
        }
        if self.row.placement_product {
            p.push(Placement::Product);
        }
        p
    }
    async fn featured(&self) -> bool {
        self.row.featured
    }
    async fn sort_order(&self) -> i32 {
        self.row.sort_order
    }
    async fn flagged(&self) -> bool {
        self.row.flagged
    }
    /// An incentive was given or promised for it (the storefront says so next to it).
    async fn incentivised(&self) -> bool {
        self.row.incentivised
    }
    /// The discount code the customer got as the campaign's thank-you.
    async fn reward_code(&self) -> Option<&str> {
        self.row.reward_code.as_deref()
    }
    async fn flagged_reason(&self) -> Option<&str> {
        self.row.flagged_reason.as_deref()
    }
    async fn consent_text(&self) -> &str {
        &self.row.consent_text
    }
    async fn consent_version(&self) -> i32 {
        self.row.consent_version
    }
    async fn consented_at(&self) -> Option<DateTime<Utc>> {
        self.row.consented_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    async fn moderated_at(&self) -> Option<DateTime<Utc>> {
        self.row.moderated_at
    }
    /// While pending: when the 14-day rule approves it if nobody decides (the countdown).
    async fn auto_approve_at(&self) -> Option<DateTime<Utc>> {
        (self.row.status == SubmissionStatus::Pending)
            .then(|| self.row.created_at + crate::domain::submission_state::AUTO_APPROVE_AFTER)
    }
    /// The video and its processing state (`null` for a text-only testimonial).
    async fn media(&self) -> Option<MediaAsset> {
        self.media.clone().map(Into::into)
    }
    /// Every moderation action, oldest first (on `submission(id)`; empty in lists).
    async fn moderation_log(&self) -> Vec<ModerationLogEntry> {
        self.log.iter().flatten().map(ModerationLogEntry::from).collect()
    }
}

#[derive(SimpleObject)]
pub struct ModerationLogEntry {
    pub action: String,
    /// `user:<id>` for staff sessions, `token:<name>` for API tokens, `system` for rules.
    pub actor: String,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<&moderation_log::Model> for ModerationLogEntry {
    fn from(m: &moderation_log::Model) -> Self {
        Self {
            action: m.action.clone(),
            actor: m.actor.clone(),
            from_status: m.from_status.map(Into::into),
            to_status: m.to_status.map(Into::into),
            note: m.note.clone(),
            at: m.at,
        }
    }
}

fn parse_id(id: &ID) -> Result<entity::SubmissionId> {
    crate::graphql::error::parse_id(id, "submission")
}

impl ToApiError for ModerationStoreError {
    fn to_api_error(self) -> async_graphql::Error {
        match self {
            Self::NotFound => api_error(ErrorCode::NotFound, "submission not found"),
            Self::Invalid(e @ (ModerationError::Transition(_) | ModerationError::NotApproved(_))) => {
                api_error(ErrorCode::InvalidTransition, e.to_string())
            }
            Self::Invalid(e) => api_error(ErrorCode::Validation, e.to_string()),
            Self::Conflict => api_error(ErrorCode::Conflict, self.to_string()),
            Self::Database(e) => internal(e),
        }
    }
}

#[derive(Default)]
pub struct ModerationQuery;

#[Object]
impl ModerationQuery {
    /// The shop's submissions, newest first; `status: PENDING` is the moderation queue.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn submissions(
        &self,
        context: &Context<'_>,
        status: Option<Status>,
        #[graphql(validator(minimum = 1, maximum = 100))] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Submission, EmptyFields, EmptyFields>> {
        let (p, state) = ctx(context)?;
        let after = after
            .map(|a| {
                a.parse::<entity::SubmissionId>()
                    .map_err(|_| api_error(ErrorCode::Validation, "`after` is not a cursor"))
            })
            .transpose()?;
        let first = first.unwrap_or(20) as u64;
        let (rows, more) =
            moderation::page(state, p.shop_id, status.map(Into::into), after, first).await.map_err(internal)?;
        let mut c = Connection::new(after.is_some(), more);
        c.edges.extend(
            rows.into_iter().map(|(row, media)| Edge::new(row.id.to_string(), Submission { row, media, log: None })),
        );
        Ok(c)
    }

    /// A testimonial's compliance record (verified order, consent, incentive, every moderation
    /// and publication action), as JSON ready to export.
    async fn compliance_record(
        &self,
        context: &Context<'_>,
        submission_id: ID,
    ) -> Result<async_graphql::Json<serde_json::Value>> {
        let (p, state) = ctx(context)?;
        let r = moderation::compliance(state, p.shop_id, parse_id(&submission_id)?)
            .await
            .map_err(ToApiError::to_api_error)?;
        Ok(async_graphql::Json(serde_json::to_value(r).map_err(internal)?))
    }

    /// One submission with its media and its moderation log.
    async fn submission(&self, context: &Context<'_>, id: ID) -> Result<Submission> {
        let (p, state) = ctx(context)?;
        let (row, media, log) =
            moderation::get(state, p.shop_id, parse_id(&id)?).await.map_err(ToApiError::to_api_error)?;
        Ok(Submission { row, media, log: Some(log) })
    }
}

#[derive(Default)]
pub struct ModerationMutation;

async fn act(context: &Context<'_>, id: &ID, action: ModerationAction, note: Option<String>) -> Result<Submission> {
    let (p, state) = ctx(context)?;
    let row = moderation::act(state, p.shop_id, &p.actor, parse_id(id)?, action, note.as_deref())
        .await
        .map_err(ToApiError::to_api_error)?;
    let media = services::media::assets_of_submissions(state, p.shop_id, &[row.id]).await.map_err(internal)?;
    Ok(Submission { row, media: media.into_iter().next(), log: None })
}

#[Object]
impl ModerationMutation {
    async fn approve_submission(&self, context: &Context<'_>, id: ID, note: Option<String>) -> Result<Submission> {
        act(context, &id, ModerationAction::Approve, note).await
    }
    /// Rejecting an approved submission also unpublishes it.
    async fn reject_submission(&self, context: &Context<'_>, id: ID, note: Option<String>) -> Result<Submission> {
        act(context, &id, ModerationAction::Reject, note).await
    }
    async fn archive_submission(&self, context: &Context<'_>, id: ID, note: Option<String>) -> Result<Submission> {
        act(context, &id, ModerationAction::Archive, note).await
    }
    /// A rejected or archived submission back to `PENDING`.
    async fn restore_submission(&self, context: &Context<'_>, id: ID, note: Option<String>) -> Result<Submission> {
        act(context, &id, ModerationAction::Restore, note).await
    }
    /// Publishes an approved submission in the given placements (it shows once its video is ready).
    async fn publish_submission(
        &self,
        context: &Context<'_>,
        id: ID,
        placements: Vec<Placement>,
    ) -> Result<Submission> {
        let action = ModerationAction::Publish {
            home: placements.contains(&Placement::Home),
            product: placements.contains(&Placement::Product),
        };
        act(context, &id, action, None).await
    }
    async fn unpublish_submission(&self, context: &Context<'_>, id: ID) -> Result<Submission> {
        act(context, &id, ModerationAction::Unpublish, None).await
    }
    /// Shows the testimonial on another product's page.
    async fn bind_submission_product(&self, context: &Context<'_>, id: ID, product_id: ID) -> Result<Submission> {
        let product_id = match crate::graphql::error::parse_shopify_id(&product_id, "productId") {
            Ok(p) => p,
            Err(e) => {
                // Another shop's submission is not found, whatever the product id says.
                let (p, state) = ctx(context)?;
                moderation::get(state, p.shop_id, parse_id(&id)?).await.map_err(ToApiError::to_api_error)?;
                return Err(e);
            }
        };
        act(context, &id, ModerationAction::BindProduct(product_id), None).await
    }
    /// The shop's moderation rules: auto-publish (off by default; approve and publish when the
    /// rating is at least the minimum, the text passes the filter and the video is ready), the
    /// filter's own words, and where auto-published testimonials go.
    async fn update_moderation_settings(
        &self,
        context: &Context<'_>,
        auto_publish_enabled: Option<bool>,
        #[graphql(validator(minimum = 1, maximum = 5))] auto_publish_min_rating: Option<i16>,
        profanity_words: Option<Vec<String>>,
        default_placements: Option<Vec<Placement>>,
    ) -> Result<super::ShopSettingsObject> {
        let (p, state) = ctx(context)?;
        if profanity_words.as_ref().is_some_and(|w| w.len() > 500) {
            return Err(api_error(ErrorCode::Validation, "at most 500 words in the filter list"));
        }
        let profile = crate::services::shops::update_settings(state.db(), p.shop_id, |s| {
            if let Some(e) = auto_publish_enabled {
                s.auto_publish.enabled = e;
            }
            if let Some(r) = auto_publish_min_rating {
                s.auto_publish.min_rating = r;
            }
            if let Some(w) = profanity_words {
                s.profanity_words = w.into_iter().map(|w| w.trim().to_owned()).filter(|w| !w.is_empty()).collect();
            }
            if let Some(pl) = default_placements {
                s.default_placement_home = pl.contains(&Placement::Home);
                s.default_placement_product = pl.contains(&Placement::Product);
            }
        })
        .await
        .map_err(ToApiError::to_api_error)?;
        Ok(profile.settings.into())
    }

    /// Featured testimonials come first, then by `sortOrder` (ascending).
    async fn feature_submission(
        &self,
        context: &Context<'_>,
        id: ID,
        featured: bool,
        sort_order: Option<i32>,
    ) -> Result<Submission> {
        act(context, &id, ModerationAction::Feature { featured, sort_order: sort_order.unwrap_or(0) }, None).await
    }
}

/// What changed in the moderation queue.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ModerationEventKind {
    SubmissionCreated,
    SubmissionChanged,
    MediaStatusChanged,
    /// Events were missed (a slow connection): reload the queue.
    Missed,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct ModerationEvent {
    pub kind: ModerationEventKind,
    pub submission_id: Option<ID>,
    pub status: Option<Status>,
    pub published: Option<bool>,
    pub asset_id: Option<ID>,
    /// `UPLOADED`, `PROCESSING`, `READY` or `FAILED`.
    pub media_status: Option<String>,
    pub media_error: Option<String>,
}

impl ModerationEvent {
    fn from_live(e: LiveEvent) -> Self {
        let blank = Self::missed();
        match e {
            LiveEvent::SubmissionCreated { submission_id, .. } => Self {
                kind: ModerationEventKind::SubmissionCreated,
                submission_id: Some(ID(submission_id.to_string())),
                status: Some(Status::Pending),
                ..blank
            },
            LiveEvent::SubmissionChanged { submission_id, status, published, .. } => Self {
                kind: ModerationEventKind::SubmissionChanged,
                submission_id: Some(ID(submission_id.to_string())),
                status: Some(status.into()),
                published: Some(published),
                ..blank
            },
            LiveEvent::AssetStatusChanged { asset_id, submission_id, status, error, .. } => Self {
                kind: ModerationEventKind::MediaStatusChanged,
                submission_id: Some(ID(submission_id.to_string())),
                asset_id: Some(ID(asset_id.to_string())),
                media_status: Some(status.as_str().to_ascii_uppercase()),
                media_error: error,
                ..blank
            },
        }
    }
}

#[derive(Default)]
pub struct ModerationSubscription;

#[Subscription]
impl ModerationSubscription {
    /// Submissions arriving, moderated, and their videos' processing — for the caller's shop only.
    async fn moderation_queue(&self, context: &Context<'_>) -> Result<impl Stream<Item = ModerationEvent> + use<>> {
        let (p, state) = ctx(context)?;
        let events = state.live().subscribe(p.shop_id);
        Ok(futures_util::stream::unfold(events, |mut events| async move {
            let item = match events.next().await {
                Next::Event(e) => ModerationEvent::from_live(e),
                Next::Missed(_) => ModerationEvent::missed(),
                Next::Closed => return None,
            };
            Some((item, events))
        }))
    }

    /// One asset's processing, from its current state on.
    async fn asset_processing(
        &self,
        context: &Context<'_>,
        asset_id: ID,
    ) -> Result<impl Stream<Item = MediaAsset> + use<>> {
        let (p, state) = ctx(context)?;
        let id: entity::AssetId = crate::graphql::error::parse_id(&asset_id, "media asset")?;
        let events = state.live().subscribe(p.shop_id);
        let current = services::media::asset(state, p.shop_id, id)
            .await
            .map_err(internal)?
            .ok_or_else(|| api_error(ErrorCode::NotFound, "media asset not found"))?;
        let shop_id = p.shop_id;
        let first = futures_util::stream::once(async move { MediaAsset::from(current) });
        // Subscribed before reading the current state, so no change falls in between.
        let rest = futures_util::stream::unfold((events, state.clone()), move |(mut events, state)| async move {
            loop {
                match events.next().await {
                    Next::Event(LiveEvent::AssetStatusChanged { asset_id, .. }) if asset_id == id => {
                        let a = services::media::asset(&state, shop_id, id).await.ok()??;
                        return Some((MediaAsset::from(a), (events, state)));
                    }
                    Next::Closed => return None,
                    _ => continue,
                }
            }
        });
        Ok(futures_util::StreamExt::chain(first, rest))
    }
}

impl ModerationEvent {
    fn missed() -> Self {
        Self {
            kind: ModerationEventKind::Missed,
            submission_id: None,
            status: None,
            published: None,
            asset_id: None,
            media_status: None,
            media_error: None,
        }
    }
}
