//! Media asset mutations of the admin API.

use super::ctx;
use crate::graphql::error::ToApiError;
use crate::services;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use uuid::Uuid;

#[derive(Default)]
pub struct MediaMutation;

/// A media asset's processing state.
#[derive(SimpleObject)]
pub struct MediaAsset {
    pub id: ID,
    /// `UPLOADED`, `PROCESSING`, `READY` or `FAILED`.
    pub status: String,
    pub processing_error: Option<String>,
    pub attempts: i32,
}

impl From<entity::testimonial_media_assets::Model> for MediaAsset {
    fn from(a: entity::testimonial_media_assets::Model) -> Self {
        Self {
            id: ID(a.id.to_string()),
            status: a.processing_status.as_str().to_ascii_uppercase(),
            processing_error: a.processing_error,
            attempts: a.attempts,
        }
    }
}

#[Object]
impl MediaMutation {
    /// Tries a failed asset again (after installing ffmpeg, say).
    async fn reprocess_asset(&self, context: &Context<'_>, id: ID) -> Result<MediaAsset> {
        let (principal, state) = ctx(context)?;
        let id = Uuid::parse_str(&id).map_err(|_| {
            crate::graphql::error::api_error(crate::graphql::error::ErrorCode::NotFound, "media asset not found")
        })?;
        let asset = services::media::reprocess(state, principal.shop_id, id).await.map_err(ToApiError::to_api_error)?;
        Ok(asset.into())
    }
}
