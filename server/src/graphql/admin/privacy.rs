//! Privacy exports produced by `customers/data_request`, for the merchant to hand over.

use super::ctx;
use crate::graphql::error::internal;
use async_graphql::{Context, ID, Json, Object, Result};
use chrono::{DateTime, Utc};
use entity::privacy_exports;

pub struct PrivacyExport(privacy_exports::Model);

#[Object]
impl PrivacyExport {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Shopify's data request id.
    async fn data_request_id(&self) -> Option<ID> {
        self.0.data_request_id.map(|i| ID(i.to_string()))
    }
    async fn customer_id(&self) -> Option<ID> {
        self.0.shopify_customer_id.map(|i| ID(i.to_string()))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Everything Reelproof holds about the customer, as JSON.
    async fn export(&self) -> Json<serde_json::Value> {
        Json(self.0.export.clone())
    }
}

#[derive(Default)]
pub struct PrivacyQuery;

#[Object]
impl PrivacyQuery {
    /// Answers to customer data requests, newest first.
    async fn privacy_exports(&self, context: &Context<'_>) -> Result<Vec<PrivacyExport>> {
        let (p, state) = ctx(context)?;
        let rows = crate::services::privacy::list_exports(state.db(), p.shop_id).await.map_err(internal)?;
        Ok(rows.into_iter().map(PrivacyExport).collect())
    }
}
