//! The requests log (spec 004 §9): the shop's requests filtered, each with its timeline newest
//! first, and the merchant's repair actions — send now, cancel, resend a failed one — each
//! through `store::requests::transition` (or with its own timeline entry) so the log shows it.

use crate::state::AppState;
use crate::store;
use crate::store::requests::ChangeDetails;
pub use crate::store::requests::{LogFilter, TransitionError};
use entity::{
    ExpireReason, RequestEventType, RequestStatus, testimonial_request_events as events,
    testimonial_requests as requests,
};
use entity::{RequestId, ShopId};
use sea_orm::DbErr;

pub const MAX_PAGE: u64 = 100;

/// A page of requests with their timelines: two queries, whatever the page size.
pub async fn page(
    state: &AppState,
    shop_id: ShopId,
    filter: &LogFilter,
    after: Option<RequestId>,
    first: u64,
) -> Result<(Vec<(requests::Model, Vec<events::Model>)>, bool), DbErr> {
    let first = first.clamp(1, MAX_PAGE);
    let rows = store::requests::log_page(state.db(), shop_id, filter, after, first + 1).await?;
    let (rows, more) = super::split_page(rows, first);
    let ids: Vec<RequestId> = rows.iter().map(|r| r.id).collect();
    let all = store::request_events::timelines(state.db(), shop_id, &ids).await?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let timeline = all.iter().filter(|e| e.request_id == r.id).cloned().collect();
            (r, timeline)
        })
        .collect();
    Ok((rows, more))
}

/// The timelines of the shop's listed requests (newest event first).
pub async fn timelines(state: &AppState, shop_id: ShopId, ids: &[RequestId]) -> Result<Vec<events::Model>, DbErr> {
    store::request_events::timelines(state.db(), shop_id, ids).await
}

pub async fn get(
    state: &AppState,
    shop_id: ShopId,
    id: RequestId,
) -> Result<Option<(requests::Model, Vec<events::Model>)>, DbErr> {
    let Some(r) = store::requests::get(state.db(), shop_id, id).await? else { return Ok(None) };
    let timeline = store::request_events::timelines(state.db(), shop_id, &[id]).await?;
    Ok(Some((r, timeline)))
}

/// How often a followed request's timeline is re-read.
pub const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// One request's events as they happen: those already recorded (oldest first), then each new
/// one once committed. `None` when the shop has no such request.
///
/// Why a re-read and not a broadcast: events are appended from twenty places inside their own
/// transactions (sends, provider callbacks, clicks, the sweeper), on any replica. Re-reading one
/// request's timeline (one indexed query, a few rows) every second, and at once when the shop's
/// live channel says something happened, catches every one of them after commit, on SQLite and
/// on Postgres, with nothing to keep in step. Events are told apart by id, so one committed
/// late with an earlier time is still delivered.
pub async fn follow(
    state: &AppState,
    shop_id: ShopId,
    request_id: RequestId,
) -> Result<Option<impl futures_util::Stream<Item = events::Model> + use<>>, DbErr> {
    use std::collections::{HashSet, VecDeque};
    let live = state.live().subscribe(shop_id);
    if store::requests::get(state.db(), shop_id, request_id).await?.is_none() {
        return Ok(None);
    }
    let start = (state.clone(), live, HashSet::<entity::RequestEventId>::new(), VecDeque::<events::Model>::new(), true);
    Ok(Some(futures_util::stream::unfold(start, move |(state, mut live, mut seen, mut ready, mut first)| async move {
        loop {
            if let Some(e) = ready.pop_front() {
                return Some((e, (state, live, seen, ready, first)));
            }
            if !first {
                tokio::select! {
                    _ = tokio::time::sleep(FOLLOW_EVERY) => {}
                    next = live.next() => if matches!(next, crate::providers::live::Next::Closed) { return None },
                }
            }
            first = false;
            // A failed read is retried on the next tick rather than ending the subscription.
            let Ok(all) = store::request_events::timeline(state.db(), shop_id, request_id).await else { continue };
            ready.extend(all.into_iter().filter(|e| seen.insert(e.id)));
        }
    })))
}

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("only a scheduled request can be sent now (this one is {0})")]
    NotScheduled(RequestStatus),
    #[error("only an open request (scheduled, sent or clicked) can be postponed (this one is {0})")]
    NotOpen(RequestStatus),
    #[error("postpone by 1 to 60 days")]
    BadDays,
    #[error(transparent)]
    Database(#[from] DbErr),
}

fn by(actor: &str, action: &str) -> Option<serde_json::Value> {
    Some(serde_json::json!({ "by": actor, "action": action }))
}

/// Cancels an open request (`expired`, reason merchant_cancelled): nothing more is sent.
pub async fn cancel(
    state: &AppState,
    shop_id: ShopId,
    actor: &str,
    id: RequestId,
) -> Result<requests::Model, ActionError> {
    let details = ChangeDetails {
        expire_reason: Some(ExpireReason::MerchantCancelled),
        payload: by(actor, "cancel"),
        ..Default::default()
    };
    Ok(store::requests::transition(state.db(), shop_id, id, RequestStatus::Expired, state.now(), details).await?)
}

/// Sends a failed request again (`failed → scheduled`, due now): the logged repair action.
pub async fn resend(
    state: &AppState,
    shop_id: ShopId,
    actor: &str,
    id: RequestId,
) -> Result<requests::Model, ActionError> {
    let details = ChangeDetails { payload: by(actor, "resend"), ..Default::default() };
    Ok(store::requests::transition(state.db(), shop_id, id, RequestStatus::Scheduled, state.now(), details).await?)
}

/// Makes a scheduled request due now (the next scheduler round sends it), with a timeline entry.
pub async fn send_now(
    state: &AppState,
    shop_id: ShopId,
    actor: &str,
    id: RequestId,
) -> Result<requests::Model, ActionError> {
    use sea_orm::TransactionTrait;
    let now = state.now();
    let txn = state.db().begin().await?;
    let r = store::requests::get(&txn, shop_id, id).await?.ok_or(TransitionError::NotFound)?;
    if r.status != RequestStatus::Scheduled {
        return Err(ActionError::NotScheduled(r.status));
    }
    store::requests::make_due(&txn, shop_id, id, now).await?;
    let e = store::request_events::NewEvent {
        payload: by(actor, "send_now"),
        ..store::request_events::NewEvent::new(RequestEventType::Scheduled, now)
    };
    store::request_events::append(&txn, shop_id, id, e).await.map_err(|e| DbErr::Custom(e.to_string()))?;
    let r = store::requests::get(&txn, shop_id, id).await?.ok_or(TransitionError::NotFound)?;
    txn.commit().await?;
    Ok(r)
}

/// Moves an open request later by `days` (1–60): a scheduled one is sent later, a sent one's
/// link lasts longer and its reminders wait. Unlike the customer's "not arrived yet", it does
/// not count against the campaign's postpone limit.
pub async fn postpone(
    state: &AppState,
    shop_id: ShopId,
    actor: &str,
    id: RequestId,
    days: i64,
) -> Result<requests::Model, ActionError> {
    if !(1..=60).contains(&days) {
        return Err(ActionError::BadDays);
    }
    let r = store::requests::get(state.db(), shop_id, id).await?.ok_or(TransitionError::NotFound)?;
    if !matches!(r.status, RequestStatus::Scheduled | RequestStatus::Sent | RequestStatus::Clicked) {
        return Err(ActionError::NotOpen(r.status));
    }
    let payload = serde_json::json!({ "by": actor, "action": "postpone", "days": days });
    let done = store::requests::postpone_by_merchant(
        state.db(),
        shop_id,
        &r,
        chrono::Duration::days(days),
        payload,
        state.now(),
    )
    .await?;
    if !done {
        return Err(TransitionError::Conflict.into());
    }
    Ok(store::requests::get(state.db(), shop_id, id).await?.ok_or(TransitionError::NotFound)?)
}
