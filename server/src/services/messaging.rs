//! Sequence step 4: the sender. Claims due requests, re-checks that each may still be sent,
//! mints the customer's capture token, renders, sends, and records the outcome through the one
//! transition function — with retries (DESIGN.md §5), terminal failures raising an alert for
//! the merchant, and the expiry sweeper.

use crate::domain::retry::{RetryDecision, RetryPolicy};
use crate::domain::send_window::SendWindow;
use crate::domain::settings::ShopSettings;
use crate::domain::templates::{self, MessageVars, TemplateSource, defaults};
use crate::domain::tokens::CaptureToken;
use crate::providers::email::{OutgoingEmail, SendError};
use crate::providers::sms::OutgoingSms;
use crate::state::AppState;
use crate::store;
use crate::store::requests::{ChangeDetails, TransitionError};
use chrono::{DateTime, Duration, Utc};
use entity::{AlertSeverity, CampaignStatus, Channel, ExpireReason, RequestStatus, testimonial_requests as requests};
use sea_orm::DbErr;

/// Claims per round; a round per loop tick.
pub const BATCH: u64 = 50;
/// How long a sender may hold a claim before another may take the row over.
const LEASE: Duration = Duration::minutes(10);

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DispatchReport {
    pub claimed: usize,
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    pub expired: usize,
    pub deferred: usize,
}

impl DispatchReport {
    pub fn add(&mut self, r: &DispatchReport) {
        self.claimed += r.claimed;
        self.sent += r.sent;
        self.retrying += r.retrying;
        self.failed += r.failed;
        self.expired += r.expired;
        self.deferred += r.deferred;
    }
}

enum Outcome {
    Sent(String),
    Retry(DateTime<Utc>, String),
    Failed(String),
    Expired(ExpireReason),
    /// Not now (outside the send window, campaign paused, shop uninstalled): back at this time.
    Deferred(DateTime<Utc>),
}

/// One round: claim up to `BATCH` due requests and handle each.
pub async fn dispatch_due(state: &AppState) -> Result<DispatchReport, DbErr> {
    let now = state.now();
    let claimed = store::requests::claim_due_all_shops(state.db(), now, now + LEASE, BATCH).await?;
    let mut report = DispatchReport { claimed: claimed.len(), ..Default::default() };
    for r in claimed {
        let span = tracing::info_span!("send", shop_id = %r.shop_id, request_id = %r.id, campaign_id = %r.campaign_id);
        let _enter = span.enter();
        let outcome = match decide_and_send(state, &r).await {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(error = %e, "send round failed for a request; the lease will let it be retried");
                continue;
            }
        };
        record(state, &r, outcome, &mut report).await?;
    }
    Ok(report)
}

/// Re-checks eligibility at send time, then sends.
async fn decide_and_send(state: &AppState, r: &requests::Model) -> Result<Outcome, DbErr> {
    let now = state.now();
    if r.expires_at <= now {
        return Ok(Outcome::Expired(ExpireReason::TokenExpired));
    }
    let Some(shop) = store::shops::get(state.db(), r.shop_id).await? else {
        return Ok(Outcome::Deferred(now + Duration::hours(1)));
    };
    if shop.uninstalled_at.is_some() {
        // Stopped, not cancelled: a reinstall resumes sending.
        return Ok(Outcome::Deferred(now + Duration::hours(1)));
    }
    let window = SendWindow::parse(&shop.timezone, &shop.send_window_start, &shop.send_window_end);
    if let Some(opening) = window.next_opening(now) {
        return Ok(Outcome::Deferred(opening));
    }
    let Some(campaign) = store::campaigns::get(state.db(), r.shop_id, r.campaign_id).await? else {
        return Ok(Outcome::Expired(ExpireReason::CampaignArchived));
    };
    match campaign.status {
        CampaignStatus::Archived => return Ok(Outcome::Expired(ExpireReason::CampaignArchived)),
        CampaignStatus::Paused | CampaignStatus::Draft => return Ok(Outcome::Deferred(now + Duration::hours(1))),
        CampaignStatus::Active => {}
    }
    let settings = ShopSettings::from_json(&shop.settings);
    // The customer's token exists only now, only in the message.
    let token = CaptureToken::generate();
    store::requests::set_token_hash(state.db(), r.shop_id, r.id, &token.hash()).await?;
    let link = format!("{}/t/{}", state.public_url().as_str().trim_end_matches('/'), token.expose());
    let shop_name =
        settings.sender_name.clone().unwrap_or_else(|| shop.shop_domain.trim_end_matches(".myshopify.com").to_owned());
    let vars = MessageVars {
        customer_first_name: r.customer_first_name.clone().unwrap_or_else(|| "there".into()),
        product_title: r.product_title.clone(),
        product_image: r.product_image_url.clone(),
        shop_name: shop_name.clone(),
        capture_link: link,
        expiry_date: r.expires_at.format("%-d %B %Y").to_string(),
        incentive: campaign.incentive.clone(),
    };
    let slot = format!("{}:{}", r.id, r.attempts);
    let mut provider_ids = Vec::new();
    let mut errors = Vec::new();
    if matches!(r.channel, Channel::Email | Channel::Both) {
        match send_email(state, r, &vars, &settings, &shop_name, &slot).await {
            Ok(id) => provider_ids.push(id),
            Err(e) => errors.push(e),
        }
    }
    if matches!(r.channel, Channel::Sms | Channel::Both) {
        match send_sms(state, r, &vars, &slot).await {
            Ok(id) => provider_ids.push(id),
            Err(e) => errors.push(e),
        }
    }
    if !provider_ids.is_empty() {
        return Ok(Outcome::Sent(provider_ids.join(",")));
    }
    let permanent = errors.iter().all(|e| matches!(e, SendError::Permanent(_)));
    let message = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
    let attempts = u32::try_from(r.attempts).unwrap_or(u32::MAX);
    Ok(match RetryPolicy::SENDS.decide(attempts, permanent, rand::random::<f64>()) {
        RetryDecision::RetryAfter(d) => Outcome::Retry(now + Duration::from_std(d).unwrap_or_default(), message),
        RetryDecision::GiveUp => Outcome::Failed(message),
    })
}

async fn send_email(
    state: &AppState,
    r: &requests::Model,
    vars: &MessageVars,
    settings: &ShopSettings,
    shop_name: &str,
    slot: &str,
) -> Result<String, SendError> {
    let to = r.customer_email.clone().ok_or_else(|| SendError::Permanent("no email address".into()))?;
    let src = TemplateSource {
        subject: Some(defaults::EMAIL_REQUEST_SUBJECT.into()),
        body: defaults::EMAIL_REQUEST_HTML.into(),
        body_text: Some(defaults::EMAIL_REQUEST_TEXT.into()),
    };
    let rendered = templates::render(&src, vars, true).map_err(|e| SendError::Permanent(e.to_string()))?;
    let from_addr = &state.config().email.from;
    let email = OutgoingEmail {
        from: format!("{} <{}>", shop_name.replace(['<', '>', '"'], ""), from_addr),
        reply_to: settings.reply_to.clone(),
        to,
        subject: rendered.subject.unwrap_or_default(),
        html: rendered.body,
        text: rendered.body_text.unwrap_or_default(),
        idempotency_key: slot.to_owned(),
    };
    state.email().send(&email).await
}

async fn send_sms(state: &AppState, r: &requests::Model, vars: &MessageVars, slot: &str) -> Result<String, SendError> {
    let to = r.customer_phone.clone().ok_or_else(|| SendError::Permanent("no phone number".into()))?;
    let src = TemplateSource { subject: None, body: defaults::SMS_REQUEST.into(), body_text: None };
    let rendered = templates::render(&src, vars, false).map_err(|e| SendError::Permanent(e.to_string()))?;
    let sms = OutgoingSms { to, body: rendered.body, idempotency_key: slot.to_owned() };
    state.sms().send(&sms).await
}

async fn record(
    state: &AppState,
    r: &requests::Model,
    outcome: Outcome,
    report: &mut DispatchReport,
) -> Result<(), DbErr> {
    let now = state.now();
    let (to, details) = match outcome {
        Outcome::Deferred(until) => {
            store::requests::defer(state.db(), r.shop_id, r.id, until).await?;
            report.deferred += 1;
            return Ok(());
        }
        Outcome::Sent(id) => {
            report.sent += 1;
            metrics::counter!("reelproof_sends_total", "outcome" => "sent").increment(1);
            (RequestStatus::Sent, ChangeDetails { provider_message_id: Some(id), ..Default::default() })
        }
        Outcome::Retry(at, error) => {
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
        Outcome::Failed(error) => {
            report.failed += 1;
            metrics::counter!("reelproof_sends_total", "outcome" => "failed").increment(1);
            tracing::error!(%error, attempts = r.attempts, "send failed for good");
            let msg = format!(
                "Could not send the testimonial request for {} (order {}) after {} attempt(s): {}",
                r.product_title,
                r.order_name.clone().unwrap_or_else(|| r.shopify_order_id.to_string()),
                r.attempts,
                error
            );
            let meta = serde_json::json!({ "request_id": r.id, "attempts": r.attempts });
            store::alerts::raise(state.db(), r.shop_id, "send_failed", AlertSeverity::Warning, msg, meta, now).await?;
            let payload = serde_json::json!({ "attempts": r.attempts, "error": truncate(&error) });
            (
                RequestStatus::Failed,
                ChangeDetails { last_error: Some(error), payload: Some(payload), ..Default::default() },
            )
        }
        Outcome::Expired(reason) => {
            report.expired += 1;
            (RequestStatus::Expired, ChangeDetails { expire_reason: Some(reason), ..Default::default() })
        }
    };
    match store::requests::transition(state.db(), r.shop_id, r.id, to, now, details).await {
        Ok(_) => Ok(()),
        Err(TransitionError::Database(e)) => Err(e),
        Err(e) => {
            tracing::warn!(error = %e, "request changed while sending");
            Ok(())
        }
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(500).collect()
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

/// One full scheduler round (tests call this; `serve` runs it on a timer).
pub async fn run_once(state: &AppState) -> Result<DispatchReport, DbErr> {
    let mut report = DispatchReport::default();
    loop {
        let r = dispatch_due(state).await?;
        let done = r.claimed < BATCH as usize;
        report.add(&r);
        if done {
            break;
        }
    }
    report.expired += expire_overdue(state).await?;
    Ok(report)
}

/// The scheduler loop of `serve`: a round every few seconds until shutdown.
pub async fn run_loop(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        if let Err(e) = run_once(&state).await {
            tracing::error!(error = %e, "scheduler round failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
            _ = shutdown.changed() => return,
        }
    }
}
