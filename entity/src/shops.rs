//! `shops`: one row per Shopify store that installed the app (the tenant).

use crate::ids::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "shops")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ShopId,
    #[sea_orm(unique)]
    pub shop_domain: String,
    /// AES-GCM ciphertext (see `server::domain::secrets`); never the plain token.
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub access_token_expires_at: Option<DateTimeUtc>,
    pub scopes: Option<String>,
    pub installed_at: DateTimeUtc,
    pub uninstalled_at: Option<DateTimeUtc>,
    /// IANA time zone name, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// Local time `HH:MM` of the send window.
    pub send_window_start: String,
    pub send_window_end: String,
    /// `ShopSettings` as JSON (sender name, reply-to, brand colour, logo, locale, …).
    pub settings: Json,
    /// Bumped with every change of what the storefront shows (the storefront API's ETags).
    pub storefront_version: i64,
    /// Orders updated up to here have been read back and replayed (reconciliation).
    pub orders_reconciled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
