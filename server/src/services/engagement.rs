//! What happens after a message leaves: provider callbacks (delivered, opened, clicked,
//! bounced), our own click tracking (the capture link) and open pixel, and the customer's
//! "not arrived yet" postponement.
//!
//! Opens and clicks pass through the bot classifier (`domain::engagement`): machine ones are
//! recorded with `machine: true` and change nothing else; only a human click moves a request to
//! `clicked`. Every event goes through `append_request_event`, so a replayed callback adds
//! nothing.

use crate::domain::engagement::{self, Actor, Signals};
use crate::domain::tokens::CaptureToken;
use crate::providers::callbacks::{EventKind, Provider, ProviderEvent};
use crate::state::AppState;
use crate::store;
use crate::store::request_events::{AppendError, NewEvent};
use crate::store::requests::{ChangeDetails, TransitionError};
use chrono::Duration;
use entity::{RequestEventType, RequestStatus, testimonial_requests as requests};
use sea_orm::DbErr;

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CallbackReport {
    pub recorded: usize,
    pub duplicates: usize,
    /// Events for messages we do not know (another app on the same provider account).
    pub unmatched: usize,
}

/// Records verified provider events.
pub async fn record_provider_events(
    state: &AppState,
    provider: Provider,
    events: Vec<ProviderEvent>,
) -> Result<CallbackReport, DbErr> {
    let now = state.now();
    let mut report = CallbackReport::default();
    for e in events {
        let found = match (e.request_id, &e.message_id) {
            (Some(id), _) => store::requests::find_all_shops(state.db(), id).await?,
            (None, Some(mid)) => store::requests::find_by_message_id_all_shops(state.db(), mid).await?,
            (None, None) => None,
        };
        let Some(r) = found else {
            report.unmatched += 1;
            continue;
        };
        let at = e.at.unwrap_or(now);
        let mut payload = serde_json::json!({ "provider": provider.as_str(), "event": e.payload });
        let event_type = match &e.kind {
            EventKind::Delivered => RequestEventType::Delivered,
            EventKind::Opened | EventKind::Clicked => {
                let actor = engagement::classify(&Signals {
                    user_agent: e.user_agent.as_deref(),
                    sent_at: r.last_sent_at,
                    at: Some(at),
                    ..Default::default()
                });
                merge(&mut payload, actor.payload());
                if e.kind == EventKind::Opened { RequestEventType::Opened } else { RequestEventType::Clicked }
            }
            EventKind::Unsubscribed(how) => {
                report.recorded += suppress_customer(state, &r, how, now).await?;
                continue;
            }
            EventKind::Failed(reason) => {
                match r.status {
                    // Already recorded (a replay of the bounce, or a failure of our own).
                    RequestStatus::Failed => {
                        report.duplicates += 1;
                        continue;
                    }
                    RequestStatus::Sent => {
                        // A hard bounce: the message will never arrive (DESIGN.md §4, sent → failed).
                        let details = ChangeDetails {
                            last_error: Some(reason.clone()),
                            provider_message_id: e.message_id.clone(),
                            payload: Some(payload),
                            ..Default::default()
                        };
                        match store::requests::transition(
                            state.db(),
                            r.shop_id,
                            r.id,
                            RequestStatus::Failed,
                            now,
                            details,
                        )
                        .await
                        {
                            Ok(_) => {
                                report.recorded += 1;
                                super::messaging::raise_send_alert(state, &r, reason, now).await?;
                            }
                            Err(TransitionError::Database(e)) => return Err(e),
                            Err(_) => report.duplicates += 1,
                        }
                        continue;
                    }
                    _ => {}
                }
                merge(&mut payload, serde_json::json!({ "error": reason }));
                RequestEventType::Failed
            }
        };
        let new = NewEvent {
            provider_message_id: e.message_id,
            payload: Some(payload),
            dedupe: true,
            ..NewEvent::new(event_type, at)
        };
        match store::request_events::append(state.db(), r.shop_id, r.id, new).await {
            Ok(true) => report.recorded += 1,
            Ok(false) => report.duplicates += 1,
            Err(AppendError::NotFound) => report.unmatched += 1,
            Err(AppendError::Database(e)) => return Err(e),
        }
    }
    metrics::counter!("reelproof_provider_events_total", "provider" => provider.as_str(), "outcome" => "recorded")
        .increment(report.recorded as u64);
    metrics::counter!("reelproof_provider_events_total", "provider" => provider.as_str(), "outcome" => "duplicate")
        .increment(report.duplicates as u64);
    Ok(report)
}

fn merge(into: &mut serde_json::Value, from: serde_json::Value) {
    if let (Some(a), serde_json::Value::Object(b)) = (into.as_object_mut(), from) {
        a.extend(b);
    }
}

/// What the capture link shows before the capture page (issue 5) takes over.
#[derive(Debug, Clone)]
pub struct LinkView {
    pub request: requests::Model,
    pub shop_name: String,
    /// Whether "not arrived yet" is still offered.
    pub may_postpone: bool,
    pub postpone_days: i32,
    /// The capture page's language for this customer (a shipped one) and its words in it,
    /// the merchant's wording included.
    pub language: &'static str,
    pub copy: std::collections::BTreeMap<&'static str, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("this link is not valid")]
    NotFound,
    #[error("this link has expired")]
    Expired,
    #[error("a video was already recorded with this link")]
    AlreadySubmitted,
    #[error("this request can no longer be postponed")]
    CannotPostpone,
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// How long opening a link waits for its send to be recorded, and how often it looks.
const SEND_RECORD_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
const SEND_RECORD_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// The request behind a capture link, if the link works: sent or clicked, and not expired.
///
/// A link only ever leaves in a message, and a worker records a wave of sends once all of them
/// went out (`services::messaging`), so a customer quick on their phone can open the link while
/// its request is still `queued` under the worker's live claim. That is a send in flight, not a
/// bad link: the lookup waits (at most [`SEND_RECORD_WAIT`]) for the record. A claim that ran
/// out (the worker died) is not waited for; the link works once the retried send is recorded.
pub async fn request_for_token(state: &AppState, token: &str) -> Result<requests::Model, LinkError> {
    let token = CaptureToken::parse(token).map_err(|_| LinkError::NotFound)?;
    let hash = token.hash();
    let find =
        || async { store::requests::find_by_token_hash_all_shops(state.db(), &hash).await?.ok_or(LinkError::NotFound) };
    let mut r = find().await?;
    let in_flight = |r: &requests::Model| {
        r.status == RequestStatus::Queued && r.lease_until.is_some_and(|lease| lease > state.now())
    };
    if in_flight(&r) {
        metrics::counter!("reelproof_links_opened_before_their_send_was_recorded_total").increment(1);
        let deadline = tokio::time::Instant::now() + SEND_RECORD_WAIT;
        while in_flight(&r) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(SEND_RECORD_POLL).await;
            r = find().await?;
        }
    }
    match r.status {
        RequestStatus::Expired => Err(LinkError::Expired),
        RequestStatus::Submitted => Err(LinkError::AlreadySubmitted),
        RequestStatus::Sent | RequestStatus::Clicked if r.expires_at > state.now() => Ok(r),
        RequestStatus::Sent | RequestStatus::Clicked => Err(LinkError::Expired),
        // Never sent (its link cannot be known), failed, or a send still unrecorded after the
        // wait: not a working link.
        _ => Err(LinkError::NotFound),
    }
}

async fn view(state: &AppState, r: requests::Model) -> Result<LinkView, LinkError> {
    let shop = store::shops::get(state.db(), r.shop_id).await?.ok_or(LinkError::NotFound)?;
    let settings = crate::domain::settings::ShopSettings::from_json(&shop.settings);
    let campaign = store::campaigns::get(state.db(), r.shop_id, r.campaign_id).await?;
    let (may_postpone, postpone_days) = campaign
        .map(|c| (c.postpone_days > 0 && r.postpone_count < c.max_postpones, c.postpone_days))
        .unwrap_or((false, 0));
    let language = crate::domain::i18n::language_for(r.locale.as_deref(), &settings.locale);
    let copy = crate::domain::capture_copy::copy(language, settings.capture_copy.get(language));
    let shop_name =
        settings.sender_name.unwrap_or_else(|| shop.shop_domain.trim_end_matches(".myshopify.com").to_owned());
    Ok(LinkView { request: r, shop_name, may_postpone, postpone_days, language, copy })
}

/// The customer (or a scanner) opened the capture link: record `clicked`, and for a human on
/// a `sent` request move it to `clicked`.
pub async fn open_capture_link(state: &AppState, token: &str, signals: Signals<'_>) -> Result<LinkView, LinkError> {
    let r = request_for_token(state, token).await?;
    record_click(state, r, signals, serde_json::json!({ "source": "capture_link" })).await
}

/// A star in the email (`/t/{token}/rate/{n}/{signature}`): the capture link with a rating
/// chosen. The signature binds the rating to the request, so an altered or invented star is
/// refused as an unknown link and counts nothing. The click is recorded as any other, with
/// the star it came from (analytics counts star clicks from it).
pub async fn open_star_link(
    state: &AppState,
    token: &str,
    rating: u8,
    signature: &str,
    signals: Signals<'_>,
) -> Result<LinkView, LinkError> {
    let r = request_for_token(state, token).await?;
    if !(1..=5).contains(&rating) || !state.links().verify(&format!("rating/{rating}"), r.id, signature) {
        return Err(LinkError::NotFound);
    }
    record_click(state, r, signals, serde_json::json!({ "source": "star", "rating": rating })).await
}

/// An SMS short link (`/r/{code}`): the capture link it stands for, when the code is one we
/// issued. Nothing is recorded here; the capture link records the click it leads to.
pub async fn resolve_short_link(state: &AppState, code: &str) -> Result<String, LinkError> {
    let well_formed = code.len() == crate::domain::tokens::SHORT_CODE_LEN
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(LinkError::NotFound);
    }
    let hash = crate::domain::tokens::TokenHash::of(code);
    let r = store::requests::find_by_short_code_hash_all_shops(state.db(), &hash).await?.ok_or(LinkError::NotFound)?;
    let stored = crate::domain::tokens::TokenHash::from_stored(r.token_hash.clone());
    let token = state.links().capture_token_for(r.id, &stored).ok_or(LinkError::NotFound)?;
    Ok(format!("/t/{}", token.expose()))
}

async fn record_click(
    state: &AppState,
    r: requests::Model,
    signals: Signals<'_>,
    payload: serde_json::Value,
) -> Result<LinkView, LinkError> {
    let now = state.now();
    let actor = engagement::classify(&Signals { sent_at: r.last_sent_at, at: Some(now), ..signals });
    let mut payload_with_actor = payload;
    merge(&mut payload_with_actor, actor.payload());
    let mut r = r;
    if actor == Actor::Human && r.status == RequestStatus::Sent {
        let details = ChangeDetails { payload: Some(payload_with_actor), ..Default::default() };
        match store::requests::transition(state.db(), r.shop_id, r.id, RequestStatus::Clicked, now, details).await {
            Ok(after) => r = after,
            Err(TransitionError::Database(e)) => return Err(e.into()),
            // Raced by another click: that one was recorded.
            Err(_) => {}
        }
    } else if actor == Actor::Human {
        // The customer's first open was recorded with the transition; later ones add nothing.
    } else {
        let e = NewEvent {
            payload: Some(payload_with_actor),
            dedupe: true,
            ..NewEvent::new(RequestEventType::Clicked, now)
        };
        match store::request_events::append(state.db(), r.shop_id, r.id, e).await {
            Ok(_) | Err(AppendError::NotFound) => {}
            Err(AppendError::Database(e)) => return Err(e.into()),
        }
    }
    view(state, r).await
}

/// The open pixel: records `opened` when the signature matches; nothing otherwise. The caller
/// answers with the image either way, so the pixel tells an outsider nothing.
pub async fn record_open(
    state: &AppState,
    request_id: entity::RequestId,
    signature: &str,
    signals: Signals<'_>,
) -> Result<bool, DbErr> {
    if !state.links().verify("open", request_id, signature) {
        return Ok(false);
    }
    let Some(r) = store::requests::find_all_shops(state.db(), request_id).await? else {
        return Ok(false);
    };
    let now = state.now();
    let actor = engagement::classify(&Signals { sent_at: r.last_sent_at, at: Some(now), ..signals });
    let mut payload = serde_json::json!({ "source": "open_pixel" });
    merge(&mut payload, actor.payload());
    let e = NewEvent { payload: Some(payload), dedupe: true, ..NewEvent::new(RequestEventType::Opened, now) };
    match store::request_events::append(state.db(), r.shop_id, r.id, e).await {
        Ok(written) => Ok(written),
        Err(AppendError::NotFound) => Ok(false),
        Err(AppendError::Database(e)) => Err(e),
    }
}

/// Stops every message to the request's customer at this shop: a suppression (so nothing new
/// is planned and nothing due is sent) and each of their open requests expired with reason
/// `unsubscribed`. Returns how many requests it ended; a repeat ends none.
pub(crate) async fn suppress_customer(
    state: &AppState,
    r: &requests::Model,
    how: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, DbErr> {
    let open = match &r.customer_key {
        Some(key) => {
            store::suppressions::add(state.db(), r.shop_id, key, how, now).await?;
            store::requests::open_for_customer(state.db(), r.shop_id, key).await?
        }
        None => vec![r.clone()],
    };
    let mut ended = 0;
    for q in &open {
        let details = ChangeDetails {
            expire_reason: Some(entity::ExpireReason::Unsubscribed),
            payload: Some(serde_json::json!({ "reason": how })),
            ..Default::default()
        };
        match store::requests::transition(state.db(), q.shop_id, q.id, RequestStatus::Expired, now, details).await {
            Ok(_) => ended += 1,
            Err(TransitionError::Database(e)) => return Err(e),
            Err(_) => {}
        }
    }
    tracing::info!(shop_id = %r.shop_id, request_id = %r.id, ended, how, "customer unsubscribed");
    Ok(ended)
}

/// The unsubscribe link (`/u/{token}`, also the one-click `List-Unsubscribe` target): works for
/// any request the token names, whatever its status, so it never fails the customer.
pub async fn unsubscribe(state: &AppState, token: &str) -> Result<String, LinkError> {
    let token = CaptureToken::parse(token).map_err(|_| LinkError::NotFound)?;
    let r =
        store::requests::find_by_token_hash_all_shops(state.db(), &token.hash()).await?.ok_or(LinkError::NotFound)?;
    suppress_customer(state, &r, "link", state.now()).await?;
    let shop = store::shops::get(state.db(), r.shop_id).await?.ok_or(LinkError::NotFound)?;
    let settings = crate::domain::settings::ShopSettings::from_json(&shop.settings);
    Ok(settings.sender_name.unwrap_or_else(|| shop.shop_domain.trim_end_matches(".myshopify.com").to_owned()))
}

/// What the postpone confirmation page shows.
pub async fn postpone_preview(state: &AppState, token: &str) -> Result<LinkView, LinkError> {
    let r = request_for_token(state, token).await?;
    view(state, r).await
}

/// "Not arrived yet": the link's expiry and every reminder move by the campaign's postpone
/// days, at most `max_postpones` times.
pub async fn postpone(state: &AppState, token: &str) -> Result<LinkView, LinkError> {
    let now = state.now();
    let r = request_for_token(state, token).await?;
    let campaign =
        store::campaigns::get(state.db(), r.shop_id, r.campaign_id).await?.ok_or(LinkError::CannotPostpone)?;
    if campaign.postpone_days <= 0 || r.postpone_count >= campaign.max_postpones {
        return Err(LinkError::CannotPostpone);
    }
    let by = Duration::days(i64::from(campaign.postpone_days));
    let expires_at = r.expires_at + by;
    // The reminder rule counts postponed days, so every later reminder moves by `by` too.
    let postponed = requests::Model { postpone_count: r.postpone_count + 1, ..r.clone() };
    let next_reminder_at =
        crate::domain::reminders::next_reminder_at(&super::messaging::reminder_facts(&postponed, &campaign));
    let payload = serde_json::json!({ "postponed_days": campaign.postpone_days, "postpone": r.postpone_count + 1, "expires_at": expires_at });
    if !store::requests::postpone(
        state.db(),
        r.shop_id,
        r.id,
        r.postpone_count,
        expires_at,
        next_reminder_at,
        payload,
        now,
    )
    .await?
    {
        return Err(LinkError::CannotPostpone);
    }
    tracing::info!(shop_id = %r.shop_id, request_id = %r.id, days = campaign.postpone_days, "request postponed by the customer");
    let after = store::requests::get(state.db(), r.shop_id, r.id).await?.ok_or(LinkError::NotFound)?;
    view(state, after).await
}
