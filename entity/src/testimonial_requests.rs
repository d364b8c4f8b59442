//! `testimonial_requests`: one ask, for one product of one order, to one customer.

use crate::enums::*;
use crate::ids::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "testimonial_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: RequestId,
    pub shop_id: ShopId,
    pub campaign_id: CampaignId,
    /// Shopify ids exceed 2^53; stored as i64, never as a float.
    pub shopify_order_id: i64,
    pub order_name: Option<String>,
    pub line_item_id: i64,
    pub product_id: i64,
    /// Variant id as text, empty when absent, so the idempotency key is unique on both databases.
    pub variant_id: String,
    pub product_title: String,
    pub product_image_url: Option<String>,
    pub shopify_customer_id: Option<i64>,
    /// SHA-256 of the normalised email/phone/customer id: matches the same customer across
    /// orders for frequency caps without indexing contact data.
    pub customer_key: Option<String>,
    pub customer_first_name: Option<String>,
    pub customer_last_name: Option<String>,
    pub customer_email: Option<String>,
    pub customer_phone: Option<String>,
    pub locale: Option<String>,
    pub channel: Channel,
    /// SHA-256 of the capture token (hex); the raw token is never stored.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// SHA-256 of the SMS short link's code (`/r/{code}`), once an SMS carried one.
    pub short_code_hash: Option<String>,
    pub status: RequestStatus,
    pub scheduled_for: DateTimeUtc,
    pub next_attempt_at: Option<DateTimeUtc>,
    pub attempts: i32,
    pub lease_until: Option<DateTimeUtc>,
    pub first_sent_at: Option<DateTimeUtc>,
    pub last_sent_at: Option<DateTimeUtc>,
    pub clicked_at: Option<DateTimeUtc>,
    pub submitted_at: Option<DateTimeUtc>,
    pub expires_at: DateTimeUtc,
    pub expired_at: Option<DateTimeUtc>,
    pub expire_reason: Option<ExpireReason>,
    pub reminder_count: i32,
    pub next_reminder_at: Option<DateTimeUtc>,
    pub postpone_count: i32,
    pub last_error: Option<String>,
    pub provider_message_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
