//! `webhook_deliveries`: the inbox that makes webhook replays harmless.

use crate::enums::*;
use crate::ids::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Null for deliveries about shops we do not know.
    pub shop_id: Option<ShopId>,
    pub source: WebhookSource,
    pub topic: String,
    /// `X-Shopify-Webhook-Id` (or the provider's event id); unique with `source`.
    pub external_id: String,
    pub event_id: Option<String>,
    pub triggered_at: Option<DateTimeUtc>,
    pub received_at: DateTimeUtc,
    pub status: DeliveryStatus,
    pub error: Option<String>,
    /// Requests planned, items skipped by reason.
    pub result: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
