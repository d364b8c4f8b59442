//! The daily alert summary email (opt-in per shop: `alertEmail` + `dailyAlertSummary`). Run
//! from the scheduler's round; any replica may run it, since the alerts it carries are claimed
//! with a compare-and-set before the email goes out.

use crate::domain::alert_summary::{self, Line};
use crate::providers::email::OutgoingEmail;
use crate::state::AppState;
use crate::store;
use entity::ShopId;
use sea_orm::{DbErr, TransactionTrait};
use std::sync::atomic::{AtomicI64, Ordering};

/// How often the scheduler's round looks for due summaries.
const EVERY_SECONDS: i64 = 600;
static LAST_RUN: AtomicI64 = AtomicI64::new(0);

/// At most one batch of alerts per summary.
const BATCH: u64 = 500;

/// `send_due` at most every ten minutes (called from the scheduler's round).
pub async fn maybe_send(state: &AppState) -> Result<usize, DbErr> {
    let now = state.now().timestamp();
    let last = LAST_RUN.load(Ordering::Relaxed);
    if now - last < EVERY_SECONDS || LAST_RUN.compare_exchange(last, now, Ordering::AcqRel, Ordering::Relaxed).is_err()
    {
        return Ok(0);
    }
    send_due(state).await
}

/// Sends every due summary; returns how many went out. A failed send releases its alerts for
/// the next round and does not stop the other shops' summaries.
pub async fn send_due(state: &AppState) -> Result<usize, DbErr> {
    let mut sent = 0;
    for shop_id in store::shops::installed_ids_all_shops(state.db()).await? {
        if send_for_shop(state, shop_id).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

async fn send_for_shop(state: &AppState, shop_id: ShopId) -> Result<bool, DbErr> {
    let Ok(profile) = super::shops::get(state.db(), shop_id).await else { return Ok(false) };
    let (true, Some(to)) = (profile.settings.daily_alert_summary, profile.settings.alert_email.clone()) else {
        return Ok(false);
    };
    let now = state.now();
    if !alert_summary::is_due(store::alerts::last_emailed_at(state.db(), shop_id).await?, now) {
        return Ok(false);
    }
    let alerts = store::alerts::not_emailed(state.db(), shop_id, BATCH).await?;
    if alerts.is_empty() {
        return Ok(false);
    }
    let ids: Vec<entity::AlertId> = alerts.iter().map(|a| a.id).collect();
    let txn = state.db().begin().await?;
    if store::alerts::set_emailed(&txn, shop_id, &ids, Some(now)).await? != ids.len() as u64 {
        // Another replica is sending this summary.
        txn.rollback().await?;
        return Ok(false);
    }
    txn.commit().await?;
    let lines: Vec<Line> =
        alerts.into_iter().map(|a| Line { severity: a.severity, message: a.message, at: a.created_at }).collect();
    let summary = alert_summary::render(profile.domain.as_str(), &state.url("/app/alerts"), &lines);
    let email = OutgoingEmail {
        from: format!("Reelproof <{}>", state.config().email.from),
        reply_to: None,
        to,
        subject: summary.subject,
        html: summary.html,
        text: summary.text,
        idempotency_key: format!("alert-summary:{shop_id}:{}", now.timestamp()),
        request_id: None,
        unsubscribe_url: None,
    };
    match state.email().send(&email).await {
        Ok(_) => {
            tracing::info!(%shop_id, alerts = ids.len(), "alert summary sent");
            Ok(true)
        }
        Err(e) => {
            tracing::warn!(%shop_id, error = %e, "alert summary not sent; its alerts wait for the next round");
            store::alerts::set_emailed(state.db(), shop_id, &ids, None).await?;
            Ok(false)
        }
    }
}
