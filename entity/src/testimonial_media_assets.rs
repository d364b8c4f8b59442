//! `testimonial_media_assets`: an uploaded video and what processing made of it.

use crate::enums::*;
use crate::ids::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "testimonial_media_assets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: AssetId,
    pub shop_id: ShopId,
    pub submission_id: SubmissionId,
    pub original_key: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub processing_status: AssetStatus,
    pub processing_error: Option<String>,
    pub attempts: i32,
    pub lease_until: Option<DateTimeUtc>,
    pub duration_ms: Option<i64>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub rotation: Option<i32>,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    pub playback_key: Option<String>,
    pub poster_key: Option<String>,
    /// The widths of the smaller posters written beside `poster_key` (`"240,480,720"`), each
    /// as WebP and JPEG; none for assets processed before they existed.
    pub poster_widths: Option<String>,
    pub ready_at: Option<DateTimeUtc>,
    /// Imported testimonials: where the media worker fetches the original from.
    pub source_url: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::testimonial_submissions::Entity",
        from = "Column::SubmissionId",
        to = "super::testimonial_submissions::Column::Id"
    )]
    Submission,
}

impl Related<super::testimonial_submissions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Submission.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
