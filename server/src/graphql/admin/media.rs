//! Media asset mutations of the admin API.

use super::ctx;
use crate::graphql::error::ToApiError;
use crate::services;
use async_graphql::{Context, ID, Object, Result, SimpleObject};

#[derive(Default)]
pub struct MediaMutation;

/// A media asset's processing state, and once ready where to watch it.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct MediaAsset {
    pub id: ID,
    /// `UPLOADED`, `PROCESSING`, `READY` or `FAILED`.
    pub status: String,
    pub processing_error: Option<String>,
    pub attempts: i32,
    pub duration_ms: Option<i64>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    #[graphql(skip)]
    pub playback_key: Option<String>,
    #[graphql(skip)]
    pub poster_key: Option<String>,
}

/// Links the merchant's browser may use for an hour.
const URL_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

async fn signed(context: &Context<'_>, key: Option<&str>) -> Result<Option<String>> {
    let Some(key) = key else { return Ok(None) };
    let state = context.data::<crate::state::AppState>()?;
    let url = state.playback_url(key, URL_TTL).await.map_err(crate::graphql::error::internal)?;
    Ok(Some(url))
}

#[async_graphql::ComplexObject]
impl MediaAsset {
    /// The H.264 MP4 (signed, valid for an hour; supports range requests).
    async fn playback_url(&self, context: &Context<'_>) -> Result<Option<String>> {
        signed(context, self.playback_key.as_deref()).await
    }
    /// The JPEG poster (signed, valid for an hour).
    async fn poster_url(&self, context: &Context<'_>) -> Result<Option<String>> {
        signed(context, self.poster_key.as_deref()).await
    }
}

impl From<entity::testimonial_media_assets::Model> for MediaAsset {
    fn from(a: entity::testimonial_media_assets::Model) -> Self {
        Self {
            id: ID(a.id.to_string()),
            status: a.processing_status.as_str().to_ascii_uppercase(),
            processing_error: a.processing_error,
            attempts: a.attempts,
            duration_ms: a.duration_ms,
            width: a.width,
            height: a.height,
            playback_key: a.playback_key,
            poster_key: a.poster_key,
        }
    }
}

#[Object]
impl MediaMutation {
    /// Tries a failed asset again (after installing ffmpeg, say).
    async fn reprocess_asset(&self, context: &Context<'_>, id: ID) -> Result<MediaAsset> {
        let (principal, state) = ctx(context)?;
        let id = crate::graphql::error::parse_id(&id, "media asset")?;
        let asset = services::media::reprocess(state, principal.shop_id, id).await.map_err(ToApiError::to_api_error)?;
        Ok(asset.into())
    }
}
