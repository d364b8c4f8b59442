//! `privacy_exports`: the answer to a `customers/data_request`, kept for the merchant to fetch
//! through the admin API (Shopify forwards nothing back; the merchant hands it to the customer).

use crate::ids::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "privacy_exports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub shop_id: ShopId,
    /// Shopify's `data_request.id`.
    pub data_request_id: Option<i64>,
    pub shopify_customer_id: Option<i64>,
    /// Everything held about the customer, as JSON.
    pub export: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
