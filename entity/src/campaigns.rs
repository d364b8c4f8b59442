//! `campaigns`: a merchant's rule for when and how to ask for testimonials.

use crate::enums::*;
use crate::ids::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: CampaignId,
    pub shop_id: ShopId,
    pub name: String,
    pub status: CampaignStatus,
    pub trigger: CampaignTrigger,
    pub delay_days: i32,
    pub channel: Channel,
    pub fallback_days: i32,
    pub reminder_enabled: bool,
    pub reminder_delay_days: i32,
    pub max_reminders: i32,
    pub postpone_days: i32,
    pub max_postpones: i32,
    pub token_ttl_days: i32,
    pub frequency_cap_30d: Option<i32>,
    /// Eligibility rules as JSON (include/exclude products, min total, skips, consent).
    pub eligibility: Json,
    pub request_email_template_id: Option<TemplateId>,
    pub reminder_email_template_id: Option<TemplateId>,
    pub request_sms_template_id: Option<TemplateId>,
    pub reminder_sms_template_id: Option<TemplateId>,
    pub consent_text: String,
    /// The consent text in other languages, by locale (`{"fr": "…"}`); `consent_text` otherwise.
    pub consent_texts: Option<Json>,
    pub consent_version: i32,
    pub prompt: String,
    pub incentive: Option<String>,
    /// The thank-you everyone who submits gets (`domain::reward::Reward` as JSON), if any.
    pub reward: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
