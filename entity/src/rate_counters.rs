//! `rate_counters`: hits per rate-limit bucket and fixed window, shared by every replica.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rate_counters")]
pub struct Model {
    /// A hash of what is limited (`ip:…`, `token:…`, `shop-uploads:…`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub bucket: String,
    /// The window's start, in seconds since the epoch.
    #[sea_orm(primary_key, auto_increment = false)]
    pub window_start: i64,
    pub hits: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
