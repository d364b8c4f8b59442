//! `moderation_log`: append-only record of every moderation action.

use crate::enums::*;
use crate::ids::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "moderation_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub shop_id: ShopId,
    pub submission_id: SubmissionId,
    pub action: String,
    pub actor: String,
    pub from_status: Option<SubmissionStatus>,
    pub to_status: Option<SubmissionStatus>,
    pub note: Option<String>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
