//! `alerts`: things the merchant should know about (terminal failures, media failures).

use crate::enums::*;
use crate::ids::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: AlertId,
    pub shop_id: ShopId,
    pub kind: String,
    pub severity: AlertSeverity,
    pub message: String,
    pub metadata: Option<Json>,
    pub created_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
    pub emailed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
