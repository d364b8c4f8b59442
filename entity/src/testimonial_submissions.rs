//! `testimonial_submissions`: what the customer sent back; moderated and published by the merchant.

use crate::enums::*;
use crate::ids::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "testimonial_submissions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: SubmissionId,
    pub shop_id: ShopId,
    #[sea_orm(unique)]
    pub request_id: Option<RequestId>,
    pub campaign_id: Option<CampaignId>,
    /// Rebindable by the merchant.
    pub product_id: i64,
    pub display_name: String,
    pub rating: Option<i16>,
    pub quote: Option<String>,
    pub has_video: bool,
    pub consent_publish: bool,
    pub consent_text: String,
    pub consent_version: i32,
    pub consented_at: Option<DateTimeUtc>,
    pub flagged: bool,
    pub flagged_reason: Option<String>,
    pub status: SubmissionStatus,
    pub published: bool,
    pub published_at: Option<DateTimeUtc>,
    pub placement_home: bool,
    pub placement_product: bool,
    pub featured: bool,
    pub sort_order: i32,
    pub moderated_at: Option<DateTimeUtc>,
    pub source: SubmissionSource,
    /// The unique discount code given as the campaign's thank-you, once Shopify made it.
    pub reward_code: Option<String>,
    /// An incentive was given or promised for this testimonial (disclosed wherever it shows).
    pub incentivised: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The submission's video (at most one); the storefront reads both in one query.
    #[sea_orm(has_many = "super::testimonial_media_assets::Entity")]
    MediaAssets,
}

impl Related<super::testimonial_media_assets::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::MediaAssets.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
