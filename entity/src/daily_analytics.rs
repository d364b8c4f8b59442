//! `daily_analytics`: per shop, campaign and day rollups, recomputed idempotently from events.

use crate::ids::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "daily_analytics")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub shop_id: ShopId,
    pub campaign_id: CampaignId,
    pub day: Date,
    pub requests_created: i32,
    pub sent: i32,
    pub failed: i32,
    pub delivered: i32,
    pub opened: i32,
    pub clicked: i32,
    /// Of the people's clicks, those that came from a star in the email.
    pub star_clicked: i32,
    pub reminders_sent: i32,
    pub submitted: i32,
    pub approved: i32,
    pub published: i32,
    pub expired: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
