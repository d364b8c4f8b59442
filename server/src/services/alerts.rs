//! The merchant's alerts (failed sends, failed media, missing scopes…): the list the admin
//! shows and marking them read. Alerts are raised by the services whose work failed
//! (`messaging`, `media`); the daily summary email is `alert_summary`.

use crate::state::AppState;
use crate::store;
use entity::{AlertId, ShopId, alerts};
use sea_orm::DbErr;

/// The shop's newest alerts, at most `limit`; unread ones only when asked.
pub async fn list(
    state: &AppState,
    shop_id: ShopId,
    unread_only: bool,
    limit: u64,
) -> Result<Vec<alerts::Model>, DbErr> {
    store::alerts::list(state.db(), shop_id, unread_only, limit).await
}

/// Marks the shop's listed alerts read (another shop's ids change nothing); returns how many
/// were unread.
pub async fn mark_read(state: &AppState, shop_id: ShopId, ids: &[AlertId]) -> Result<u64, DbErr> {
    store::alerts::mark_read(state.db(), shop_id, ids, state.now()).await
}
