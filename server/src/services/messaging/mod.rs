//! Sequence step 4: the sender. Claims due requests, re-checks that each may still be sent,
//! renders the shop's template in the customer's locale, sends on each channel, and records the
//! outcome through the one transition function — with retries (DESIGN.md §5), terminal failures
//! raising an alert for the merchant, reminders (spec 001 §5) and the expiry sweeper.
//!
//! A message's capture link is derived from the request id (`LinkKey::capture_token`), so the
//! first message and every reminder carry the same working link while only its hash is stored.
//! Each planned slot (`request`, `reminder-1`, …) has one idempotency key across its retries;
//! before sending, the provider is asked whether it already accepted that key, so a sender that
//! died after the provider call but before recording it does not send twice.
//!
//! A round works in batches, because a send's cost is mostly round trips to the database
//! (issue 16): it claims up to [`BATCH`] requests in one transaction, reads their shops,
//! campaigns and suppressions in three queries ([`round::RoundContext`]), then goes through
//! them in waves of [`WAVE`]: compose each message, renew the wave's claims in one statement,
//! send up to [`CONCURRENCY`] at a time over the provider's pooled connections, and record
//! the wave's sends in one transaction ([`store::requests::record_sent_all_shops`]). A wave is also the
//! most a crash between sending and recording can repeat, for providers that cannot be asked.

mod compose;
mod round;

use crate::domain::reminders::{self, ReminderFacts};
use crate::domain::retry::{RetryDecision, RetryPolicy};
use crate::jobs::Stop;
use crate::providers::email::SendError;
use crate::state::AppState;
use crate::store;
use crate::store::request_events::NewEvent;
use crate::store::requests::{ChangeDetails, ClaimKind, SentRecord, TransitionError};
use chrono::{DateTime, Duration, Utc};
use compose::ChannelResult;
use entity::{
    AlertSeverity, CampaignStatus, ExpireReason, RequestEventType, RequestStatus, TemplateKind, campaigns,
    testimonial_requests as requests,
};
use futures_util::StreamExt;
use round::{Context, Lookups, NotNow, RoundContext};
use sea_orm::DbErr;
use tracing::Instrument;

/// Claims per round; a round per loop tick.
pub const BATCH: u64 = 200;
/// Sends per wave: claims renewed together, sends recorded together. Also the most a worker
/// killed mid-wave can send twice over SMTP, which cannot be asked what it accepted.
pub const WAVE: usize = 50;
/// Sends in flight at once within a wave: as many as the SMTP pool keeps connections.
const CONCURRENCY: usize = crate::providers::email::SMTP_POOL_SIZE as usize;
/// A reminder that failed for a passing reason is tried again this much later.
const REMINDER_RETRY: Duration = Duration::minutes(30);

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DispatchReport {
    pub claimed: usize,
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    pub expired: usize,
    pub deferred: usize,
    pub reminders_sent: usize,
    /// Submissions approved by the 14-day rule.
    pub auto_approved: usize,
}

impl DispatchReport {
    pub fn add(&mut self, r: &DispatchReport) {
        self.claimed += r.claimed;
        self.sent += r.sent;
        self.retrying += r.retrying;
        self.failed += r.failed;
        self.expired += r.expired;
        self.deferred += r.deferred;
        self.reminders_sent += r.reminders_sent;
        self.auto_approved += r.auto_approved;
    }
}

/// What became of a claimed request's first message.
enum Outcome {
    /// At least one channel accepted; the results of every channel, and when the first
    /// reminder is due.
    Sent(Vec<ChannelResult>, Option<DateTime<Utc>>),
    NotSent(Unsent),
}

/// A first message that did not go out, and what happens next.
enum Unsent {
    Retry(DateTime<Utc>, String),
    Failed(String),
    Expired(ExpireReason),
    /// Not now (outside the send window, campaign paused, shop uninstalled): back at this time.
    Deferred(DateTime<Utc>),
    /// The claim ran out before the send and another worker may hold the request: nothing was
    /// sent and nothing is recorded.
    Lost,
}

/// How long a claim holds a request (`REELPROOF_SEND_LEASE_SECONDS`). A round claims its batch
/// for this long and each wave renews its rows for as long again right before the providers
/// are called, so a worker killed mid-batch strands nothing for longer than one lease, and a
/// slow batch never sends on a claim that ran out (the renewal is fenced by `attempts`).
fn send_lease(state: &AppState) -> Duration {
    Duration::from_std(state.config().dispatch.send_lease).unwrap_or(Duration::minutes(2))
}

pub(crate) fn reminder_facts(r: &requests::Model, c: &campaigns::Model) -> ReminderFacts {
    ReminderFacts {
        campaign_status: c.status,
        reminder_enabled: c.reminder_enabled,
        reminder_delay_days: c.reminder_delay_days,
        max_reminders: c.max_reminders,
        request_status: r.status,
        reminder_count: r.reminder_count,
        first_sent_at: r.first_sent_at,
        postponed_days: i64::from(r.postpone_count) * i64::from(c.postpone_days.max(0)),
    }
}

/// One round: claim up to `BATCH` due requests and handle each.
pub async fn dispatch_due(state: &AppState) -> Result<DispatchReport, DbErr> {
    dispatch_due_until(state, &Stop::never()).await
}

/// As [`dispatch_due`]; once `stop` says shutdown has begun, the wave in progress finishes
/// and the batch's other claims are given back.
async fn dispatch_due_until(state: &AppState, stop: &Stop) -> Result<DispatchReport, DbErr> {
    let now = state.now();
    let mut held = std::time::Instant::now();
    let claimed = store::requests::claim_due_all_shops(state.db(), now, now + send_lease(state), BATCH).await?;
    let mut report = DispatchReport { claimed: claimed.len(), ..Default::default() };
    if claimed.is_empty() {
        return Ok(report);
    }
    let round = RoundContext::load(state.db(), &claimed).await?;
    let mut ready = Vec::with_capacity(claimed.len());
    for r in &claimed {
        match round.check(r, now) {
            Ok(ctx) => ready.push((r, ctx)),
            Err(NotNow::Expire(reason)) => record_unsent(state, r, Unsent::Expired(reason), &mut report).await?,
            Err(NotNow::Defer(until)) => record_unsent(state, r, Unsent::Deferred(until), &mut report).await?,
        }
    }
    let mut lookups = Lookups::default();
    for (i, wave) in ready.chunks(WAVE).enumerate() {
        if stop.is_stopping() {
            let rest: Vec<requests::Model> = ready[i * WAVE..].iter().map(|(r, _)| (*r).clone()).collect();
            give_back(state, &rest, ClaimKind::Send).await?;
            break;
        }
        send_wave(state, wave, &mut held, &mut lookups, &mut report).await?;
    }
    Ok(report)
}

/// One wave of first messages: composed in order, claims renewed in one statement (unless
/// taken or renewed less than half a lease ago, `held`), sent concurrently, recorded together.
async fn send_wave(
    state: &AppState,
    wave: &[(&requests::Model, Context<'_>)],
    held: &mut std::time::Instant,
    lookups: &mut Lookups,
    report: &mut DispatchReport,
) -> Result<(), DbErr> {
    let mut composed = Vec::with_capacity(wave.len());
    for (r, ctx) in wave {
        let span = send_span(r);
        match compose::compose(state, r, ctx, TemplateKind::Request, "request", lookups).instrument(span).await {
            Ok(c) => composed.push((*r, ctx, c)),
            Err(e) => {
                tracing::error!(request_id = %r.id, error = %e, "could not compose a message; the lease will let it be retried")
            }
        }
    }
    lookups.remember_images(state.db()).await?;
    // Still ours? A claim taken or renewed less than half a lease ago is: no other worker takes
    // a request before its lease runs out. Older ones are renewed together, fenced by the
    // claims' attempt counts (a row updated costs an entry in each of its indexes, so a wave
    // that does not need it skips this).
    let lease = send_lease(state);
    let half_lease = (lease / 2).to_std().unwrap_or_default();
    let ours: Option<std::collections::HashSet<entity::RequestId>> = if held.elapsed() < half_lease {
        None
    } else {
        let now = state.now();
        let claims: Vec<_> = composed.iter().map(|(r, _, _)| (r.shop_id, r.id, r.attempts)).collect();
        let renewed = store::requests::renew_claims(state.db(), &claims, now, now + lease).await?;
        *held = std::time::Instant::now();
        Some(renewed)
    };
    let renewed = *held;
    // The futures are made in a loop, not by a closure over the stream: a closure's borrowed
    // arguments would make the round's future fail to be `Send` for `tokio::spawn`.
    let mut pending = Vec::with_capacity(composed.len());
    for (r, ctx, messages) in composed {
        let claim = Claim { ours: ours.as_ref().is_none_or(|ours| ours.contains(&r.id)), renewed, lease };
        pending.push(send_one(state, r, ctx, messages, claim).instrument(send_span(r)));
    }
    let outcomes: Vec<(&requests::Model, Outcome)> =
        futures_util::stream::iter(pending).buffer_unordered(CONCURRENCY).collect().await;
    let mut sent = Vec::with_capacity(outcomes.len());
    for (r, outcome) in outcomes {
        match outcome {
            Outcome::Sent(results, next_reminder_at) => {
                sent.push(sent_record(state, r, results, next_reminder_at, report))
            }
            Outcome::NotSent(unsent) => record_unsent(state, r, unsent, report).instrument(send_span(r)).await?,
        }
    }
    let wanted = sent.len();
    match store::requests::record_sent_all_shops(state.db(), state.now(), sent).await {
        Ok(recorded) if recorded.len() < wanted => {
            tracing::warn!(
                changed = wanted - recorded.len(),
                "requests changed while sending; the newer outcome stays"
            );
        }
        Ok(_) => {}
        Err(TransitionError::Database(e)) => return Err(e),
        Err(e) => tracing::warn!(error = %e, "sends not recorded"),
    }
    Ok(())
}

/// A wave's claim on one request, as renewed before the wave.
struct Claim {
    ours: bool,
    renewed: std::time::Instant,
    lease: Duration,
}

/// Sends one request's composed messages, unless its claim ran out. A send that waited behind
/// slow ones for half a lease renews its own claim first.
async fn send_one<'a>(
    state: &AppState,
    r: &'a requests::Model,
    ctx: &Context<'_>,
    messages: Vec<compose::Composed>,
    claim: Claim,
) -> (&'a requests::Model, Outcome) {
    let half_lease = (claim.lease / 2).to_std().unwrap_or_default();
    let ours = if claim.ours && claim.renewed.elapsed() > half_lease {
        let now = state.now();
        let one = [(r.shop_id, r.id, r.attempts)];
        match store::requests::renew_claims(state.db(), &one, now, now + claim.lease).await {
            Ok(renewed) => renewed.contains(&r.id),
            Err(e) => {
                tracing::error!(error = %e, "claim not renewed; the lease will let it be retried");
                false
            }
        }
    } else {
        claim.ours
    };
    if !ours {
        tracing::warn!("claim ran out before the send; another worker may hold it");
        return (r, Outcome::NotSent(Unsent::Lost));
    }
    let results = compose::send(state, messages).await;
    (r, decide(state, r, ctx, results))
}

fn send_span(r: &requests::Model) -> tracing::Span {
    tracing::info_span!("send", shop_id = %r.shop_id, request_id = %r.id, campaign_id = %r.campaign_id)
}

/// What the channels' results mean for the request: sent, or retried, or failed for good.
fn decide(state: &AppState, r: &requests::Model, ctx: &Context<'_>, results: Vec<ChannelResult>) -> Outcome {
    let now = state.now();
    if results.iter().any(|c| c.result.is_ok()) {
        let sent =
            requests::Model { status: RequestStatus::Sent, first_sent_at: r.first_sent_at.or(Some(now)), ..r.clone() };
        let next_reminder_at = reminders::next_reminder_at(&reminder_facts(&sent, ctx.campaign));
        return Outcome::Sent(results, next_reminder_at);
    }
    let errors: Vec<&SendError> = results.iter().filter_map(|c| c.result.as_ref().err()).collect();
    let permanent = errors.iter().all(|e| matches!(e, SendError::Permanent(_)));
    let message = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
    let attempts = u32::try_from(r.attempts).unwrap_or(u32::MAX);
    Outcome::NotSent(match RetryPolicy::SENDS.decide(attempts, permanent, rand::random::<f64>()) {
        RetryDecision::RetryAfter(d) => Unsent::Retry(now + Duration::from_std(d).unwrap_or_default(), message),
        RetryDecision::GiveUp => Unsent::Failed(message),
    })
}

/// An accepted send, as [`store::requests::record_sent_all_shops`] writes it: the first accepted channel
/// goes with the transition; the other channel (for `both`) is recorded as its own `sent` or
/// `failed` event.
fn sent_record(
    state: &AppState,
    r: &requests::Model,
    results: Vec<ChannelResult>,
    next_reminder_at: Option<DateTime<Utc>>,
    report: &mut DispatchReport,
) -> SentRecord {
    let now = state.now();
    report.sent += 1;
    metrics::counter!("reelproof_sends_total", "outcome" => "sent").increment(1);
    // Spec 001 §10's second SLO: from when the request was due to when it went out.
    if let Some(due) = r.next_attempt_at {
        let lag = (now - due).num_milliseconds().max(0) as f64 / 1000.0;
        metrics::histogram!("reelproof_send_lag_seconds").record(lag);
    }
    let first = results.iter().position(|c| c.result.is_ok()).unwrap_or_default();
    let mut primary = None;
    let mut more_events = Vec::new();
    for (i, c) in results.into_iter().enumerate() {
        let payload = c.sent_payload();
        match c.result {
            Ok(id) if i == first => primary = Some((payload, id)),
            Ok(id) => more_events.push(NewEvent {
                provider_message_id: Some(id),
                payload: Some(payload),
                ..NewEvent::new(RequestEventType::Sent, now)
            }),
            Err(e) => more_events.push(NewEvent {
                payload: Some(serde_json::json!({ "channel": c.channel.as_str(), "error": truncate(&e.to_string()) })),
                ..NewEvent::new(RequestEventType::Failed, now)
            }),
        }
    }
    let (payload, provider_message_id) = primary.unwrap_or_default();
    SentRecord {
        shop_id: r.shop_id,
        id: r.id,
        fence: r.attempts,
        provider_message_id,
        next_reminder_at,
        payload,
        more_events,
    }
}

/// Records a first message that did not go out, through the one transition function (or, for
/// a deferral, putting the claim back).
async fn record_unsent(
    state: &AppState,
    r: &requests::Model,
    unsent: Unsent,
    report: &mut DispatchReport,
) -> Result<(), DbErr> {
    let now = state.now();
    let (to, mut details) = match unsent {
        Unsent::Lost => return Ok(()),
        Unsent::Deferred(until) => {
            store::requests::defer(state.db(), r.shop_id, r.id, until).await?;
            report.deferred += 1;
            return Ok(());
        }
        Unsent::Retry(at, error) => {
            report.retrying += 1;
            metrics::counter!("reelproof_sends_total", "outcome" => "retrying").increment(1);
            tracing::warn!(%error, retry_at = %at, attempt = r.attempts, "send failed; will retry");
            let payload = serde_json::json!({ "attempt": r.attempts, "retry_at": at, "error": truncate(&error) });
            (
                RequestStatus::Queued,
                ChangeDetails {
                    retry_at: Some(at),
                    last_error: Some(error),
                    payload: Some(payload),
                    ..Default::default()
                },
            )
        }
        Unsent::Failed(error) => {
            report.failed += 1;
            metrics::counter!("reelproof_sends_total", "outcome" => "failed").increment(1);
            tracing::error!(%error, attempts = r.attempts, "send failed for good");
            raise_send_alert(state, r, &error, now).await?;
            let payload = serde_json::json!({ "attempts": r.attempts, "error": truncate(&error) });
            (
                RequestStatus::Failed,
                ChangeDetails { last_error: Some(error), payload: Some(payload), ..Default::default() },
            )
        }
        Unsent::Expired(reason) => {
            report.expired += 1;
            (RequestStatus::Expired, ChangeDetails { expire_reason: Some(reason), ..Default::default() })
        }
    };
    // Fenced: if another worker has claimed the request since (its lease ran out), this
    // outcome does not overwrite the newer one.
    details.fence = Some(r.attempts);
    match store::requests::transition(state.db(), r.shop_id, r.id, to, now, details).await {
        Ok(_) => Ok(()),
        Err(TransitionError::Database(e)) => Err(e),
        Err(e) => {
            tracing::warn!(error = %e, "request changed while sending");
            Ok(())
        }
    }
}

/// Appends an event to a request we just read; it cannot be missing or another shop's.
async fn append(state: &AppState, r: &requests::Model, e: NewEvent) -> Result<(), DbErr> {
    match store::request_events::append(state.db(), r.shop_id, r.id, e).await {
        Ok(_) | Err(store::request_events::AppendError::NotFound) => Ok(()),
        Err(store::request_events::AppendError::Database(e)) => Err(e),
    }
}

/// The merchant's readable alert for a request that will not be delivered.
pub(crate) async fn raise_send_alert(
    state: &AppState,
    r: &requests::Model,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let msg = format!(
        "Could not deliver the testimonial request for {} (order {}) after {} attempt(s): {}",
        r.product_title,
        r.order_name.clone().unwrap_or_else(|| r.shopify_order_id.to_string()),
        r.attempts,
        error
    );
    let meta = serde_json::json!({ "request_id": r.id, "attempts": r.attempts });
    store::alerts::raise(state.db(), r.shop_id, "send_failed", AlertSeverity::Warning, msg, meta, now).await?;
    Ok(())
}

fn truncate(s: &str) -> String {
    s.chars().take(500).collect()
}

/// One reminder round (spec 001 §5): claim requests whose reminder is due and, after every
/// hard stop is checked again at send time, send the reminder with the same capture link.
pub async fn dispatch_reminders(state: &AppState) -> Result<DispatchReport, DbErr> {
    dispatch_reminders_until(state, &Stop::never()).await
}

async fn dispatch_reminders_until(state: &AppState, stop: &Stop) -> Result<DispatchReport, DbErr> {
    let now = state.now();
    let claimed =
        store::requests::claim_reminders_due_all_shops(state.db(), now, now + send_lease(state), BATCH).await?;
    let mut report = DispatchReport { claimed: claimed.len(), ..Default::default() };
    if claimed.is_empty() {
        return Ok(report);
    }
    let round = RoundContext::load(state.db(), &claimed).await?;
    let mut lookups = Lookups::default();
    for (i, r) in claimed.iter().enumerate() {
        if stop.is_stopping() {
            give_back(state, &claimed[i..], ClaimKind::Reminder).await?;
            break;
        }
        let span =
            tracing::info_span!("remind", shop_id = %r.shop_id, request_id = %r.id, campaign_id = %r.campaign_id);
        let step = async {
            if let Err(e) = remind(state, r, &round, &mut lookups, now, &mut report).await {
                tracing::error!(error = %e, "reminder failed for a request; the lease will let it be retried");
            }
        };
        step.instrument(span).await;
    }
    lookups.remember_images(state.db()).await?;
    Ok(report)
}

async fn remind(
    state: &AppState,
    r: &requests::Model,
    round: &RoundContext,
    lookups: &mut Lookups,
    now: DateTime<Utc>,
    report: &mut DispatchReport,
) -> Result<(), DbErr> {
    let ctx = match round.check(r, now) {
        Ok(ctx) => ctx,
        // Expiry is the sweeper's to record; a paused or archived campaign is a hard stop.
        Err(NotNow::Expire(_)) => return store::requests::set_next_reminder(state.db(), r.shop_id, r.id, None).await,
        Err(NotNow::Defer(until)) => {
            let paused = round.campaign(r).is_some_and(|c| c.status != CampaignStatus::Active);
            report.deferred += 1;
            let next = if paused { None } else { Some(until) };
            return store::requests::set_next_reminder(state.db(), r.shop_id, r.id, next).await;
        }
    };
    // The rule decides again with what is true now (a postponement, a changed campaign).
    let facts = reminder_facts(r, ctx.campaign);
    match reminders::next_reminder_at(&facts) {
        None => return store::requests::set_next_reminder(state.db(), r.shop_id, r.id, None).await,
        Some(at) if at > now => return store::requests::set_next_reminder(state.db(), r.shop_id, r.id, Some(at)).await,
        Some(_) => {}
    }
    let n = r.reminder_count + 1;
    let composed = compose::compose(state, r, &ctx, TemplateKind::Reminder, &format!("reminder-{n}"), lookups).await?;
    let results = compose::send(state, composed).await;
    let Some(accepted) = results.iter().find_map(|c| c.result.as_ref().ok().map(|id| (c.channel, id.clone()))) else {
        let errors: Vec<String> =
            results.iter().filter_map(|c| c.result.as_ref().err().map(ToString::to_string)).collect();
        let permanent = results.iter().all(|c| matches!(c.result, Err(SendError::Permanent(_))));
        let message = errors.join("; ");
        tracing::warn!(error = %message, permanent, "reminder not sent");
        let (event, next) = if permanent {
            (RequestEventType::Failed, None)
        } else {
            (RequestEventType::Retrying, Some(now + REMINDER_RETRY))
        };
        let payload = serde_json::json!({ "reminder": n, "error": truncate(&message) });
        append(state, r, NewEvent { payload: Some(payload), ..NewEvent::new(event, now) }).await?;
        return store::requests::set_next_reminder(state.db(), r.shop_id, r.id, next).await;
    };
    let after = ReminderFacts { reminder_count: n, ..facts };
    let mut payload =
        results.iter().find(|c| c.channel == accepted.0).map(ChannelResult::sent_payload).unwrap_or_default();
    payload["reminder"] = n.into();
    let recorded = store::requests::record_reminder(
        state.db(),
        r.shop_id,
        r.id,
        r.reminder_count,
        reminders::next_reminder_at(&after),
        Some(accepted.1.clone()),
        payload,
        now,
    )
    .await?;
    if recorded {
        report.reminders_sent += 1;
        metrics::counter!("reelproof_reminders_sent_total").increment(1);
        for c in results.into_iter().filter(|c| c.channel != accepted.0) {
            let e = match c.result {
                Ok(id) => NewEvent {
                    provider_message_id: Some(id),
                    payload: Some(serde_json::json!({ "reminder": n, "channel": c.channel.as_str() })),
                    ..NewEvent::new(RequestEventType::ReminderSent, now)
                },
                Err(e) => NewEvent {
                    payload: Some(
                        serde_json::json!({ "reminder": n, "channel": c.channel.as_str(), "error": truncate(&e.to_string()) }),
                    ),
                    ..NewEvent::new(RequestEventType::Failed, now)
                },
            };
            append(state, r, e).await?;
        }
    }
    Ok(())
}

/// The expiry sweeper: open requests past `expires_at` become `expired`.
pub async fn expire_overdue(state: &AppState) -> Result<usize, DbErr> {
    let now = state.now();
    let mut expired = 0;
    for r in store::requests::overdue_all_shops(state.db(), now, 500).await? {
        let details = ChangeDetails { expire_reason: Some(ExpireReason::TokenExpired), ..Default::default() };
        match store::requests::transition(state.db(), r.shop_id, r.id, RequestStatus::Expired, now, details).await {
            Ok(_) => expired += 1,
            Err(TransitionError::Database(e)) => return Err(e),
            Err(_) => {}
        }
    }
    Ok(expired)
}

/// One full scheduler round (tests call this; `serve` runs it on a timer): first messages,
/// reminders, then expiry.
pub async fn run_once(state: &AppState) -> Result<DispatchReport, DbErr> {
    run_round(state, &Stop::never(), true).await
}

/// Gives back the claims of a batch a shutdown cut short.
async fn give_back(state: &AppState, claims: &[requests::Model], kind: ClaimKind) -> Result<(), DbErr> {
    let released = store::requests::release_claims_all_shops(state.db(), claims, kind).await?;
    tracing::info!(released, ?kind, "shutting down: claims given back for the next worker");
    Ok(())
}

/// One scheduler round: the due first messages, then (when `full`) reminders, expiry and the
/// sweeps. At shutdown it stops after the wave in progress (giving back the rest of its batch)
/// and skips the round's remaining steps, which the next round of any worker does.
async fn run_round(state: &AppState, stop: &Stop, full: bool) -> Result<DispatchReport, DbErr> {
    let mut report = DispatchReport::default();
    // Each round claims at most BATCH rows; a short round means nothing more is due.
    loop {
        let r = dispatch_due_until(state, stop).await?;
        report.add(&r);
        if r.claimed < BATCH as usize || stop.is_stopping() {
            break;
        }
    }
    if !full {
        return Ok(report);
    }
    loop {
        if stop.is_stopping() {
            return Ok(report);
        }
        let r = dispatch_reminders_until(state, stop).await?;
        report.add(&r);
        if r.claimed < BATCH as usize {
            break;
        }
    }
    if stop.is_stopping() {
        return Ok(report);
    }
    report.expired += expire_overdue(state).await?;
    // Not messaging, but the same periodic round: DESIGN.md's 14-day rule for submissions.
    report.auto_approved += super::moderation::approve_overdue(state).await?;
    super::analytics::maybe_recompute(state).await?;
    super::alert_summary::maybe_send(state).await?;
    super::reconcile::plan_due(state).await?;
    sweep_staging_hourly(state).await;
    sweep_stranded_media(state).await?;
    Ok(report)
}

/// The stranded-media sweep, at most once every five minutes per process.
async fn sweep_stranded_media(state: &AppState) -> Result<(), DbErr> {
    static LAST: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(i64::MIN);
    if super::first_in_slot(&LAST, state.now(), 300) {
        super::media::sweep_stranded(state).await?;
    }
    Ok(())
}

/// The hourly sweeps (staged parts, orphaned originals, old rate counters), at most once an
/// hour per process.
async fn sweep_staging_hourly(state: &AppState) {
    static LAST: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(i64::MIN);
    if super::first_in_slot(&LAST, state.now(), 3600) {
        super::uploads::sweep_stale_staging(state).await;
        let before = state.now() - super::uploads::ORPHAN_MAX_AGE;
        if let Err(e) = super::uploads::sweep_orphan_uploads(state, before).await {
            tracing::warn!(error = %e, "orphaned uploads not swept; the next hour tries again");
        }
        if let Err(e) = super::rate_limits::prune(state).await {
            tracing::warn!(error = %e, "old rate counters not pruned; the next hour tries again");
        }
    }
}

/// How often the scheduler looks for due first messages: a due request waits at most this
/// long before its batch is claimed (spec 001 §10's due→sent lag), for one indexed query a
/// second per worker when nothing is due.
const TICK: std::time::Duration = std::time::Duration::from_secs(1);
/// Every how many ticks the rest of the round runs: reminders, expiry and the sweeps, none of
/// which a few seconds change.
const FULL_ROUND_EVERY: u64 = 5;

/// The scheduler loop of `serve`: due first messages every second, the whole round every five,
/// until shutdown.
pub async fn run_loop(state: AppState, stop: Stop) {
    for tick in 0u64.. {
        if stop.is_stopping() {
            return;
        }
        let full = tick % FULL_ROUND_EVERY == 0;
        tokio::select! {
            result = run_round(&state, &stop, full) => {
                if let Err(e) = result {
                    tracing::error!(error = %e, "scheduler round failed");
                }
            }
            // A provider call that hangs past the drain deadline must not hold the shutdown:
            // the round is dropped as a crash would drop it, and the send's lease hands the
            // request to another worker.
            () = stop.deadline() => {
                tracing::warn!("a send was still in progress at the drain deadline; its lease will hand it over");
                return;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            () = stop.stopping() => return,
        }
    }
}
