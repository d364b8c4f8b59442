//! Reconciliation in the admin API: the merchant's optional look-back.

use super::ctx;
use crate::graphql::error::{ErrorCode, api_error, internal};
use crate::services::reconcile::{self, ReconcileError};
use async_graphql::{Context, Object, Result};

#[derive(Default)]
pub struct ReconcileMutation;

#[Object]
impl ReconcileMutation {
    /// "Ask customers of the last N days": reads the shop's orders of the last `days` days (1 to
    /// 60) back from Shopify and plans their requests as the campaigns say, once each (orders
    /// already planned add nothing). Off unless asked: reconciliation otherwise starts at the
    /// install.
    async fn look_back_orders(&self, context: &Context<'_>, days: i32) -> Result<bool> {
        let (p, state) = ctx(context)?;
        match reconcile::look_back(state, p.shop_id, i64::from(days)).await {
            Ok(()) => Ok(true),
            Err(e @ (ReconcileError::BadLookBack | ReconcileError::NotConnected)) => {
                Err(api_error(ErrorCode::Validation, e.to_string()))
            }
            Err(ReconcileError::Database(e)) => Err(internal(e)),
        }
    }
}
