//! `testimonial_request_events`: the append-only timeline of a request (spec 004).

use crate::enums::*;
use crate::ids::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "testimonial_request_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: RequestEventId,
    pub shop_id: ShopId,
    pub request_id: RequestId,
    pub event_type: RequestEventType,
    pub event_at: DateTimeUtc,
    pub provider_message_id: Option<String>,
    /// Compact, redacted, at most 4 KiB.
    pub payload: Option<Json>,
    #[sea_orm(unique)]
    pub dedupe_key: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
