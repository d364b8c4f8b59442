//! `suppressions`: customers of a shop who asked for no more messages (an unsubscribe link, a
//! provider's unsubscribe or spam report). Keyed by the hashed `customer_key`, never by address.

use crate::ids::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "suppressions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub shop_id: ShopId,
    pub customer_key: String,
    /// `link`, `sendgrid:unsubscribe`, `postmark:SpamComplaint`, …
    pub reason: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
