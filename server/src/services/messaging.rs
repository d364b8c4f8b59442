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

use crate::domain::i18n;
use crate::domain::reminders::{self, ReminderFacts};
use crate::domain::retry::{RetryDecision, RetryPolicy};
use crate::domain::send_window::SendWindow;
use crate::domain::settings::ShopSettings;
use crate::domain::templates::{self, MessageVars, TemplateSource};
use crate::domain::tokens::{CaptureToken, TokenHash};
use crate::jobs::Stop;
use crate::providers::email::{OutgoingEmail, SendError};
use crate::providers::sms::OutgoingSms;
use crate::state::AppState;
use crate::store;
use crate::store::request_events::NewEvent;
use crate::store::requests::{ChangeDetails, ClaimKind, TransitionError};
use chrono::{DateTime, Duration, Utc};
use entity::{
    AlertSeverity, CampaignStatus, Channel, ExpireReason, RequestEventType, RequestStatus, TemplateChannel,
    TemplateKind, campaigns, message_templates, shops, testimonial_requests as requests,
};
use sea_orm::DbErr;
use tracing::Instrument;

/// Claims per round; a round per loop tick.
pub const BATCH: u64 = 50;
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

/// What one channel's send produced.
struct ChannelResult {
    channel: TemplateChannel,
    result: Result<String, SendError>,
    /// The template sent (its name) and the language it spoke: recorded with the `sent`
    /// event, for the analytics' breakdowns.
    template: String,
    language: &'static str,
}

enum Outcome {
    /// At least one channel accepted; the results of every channel, and when the first
    /// reminder is due.
    Sent(Vec<ChannelResult>, Option<DateTime<Utc>>),
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
/// for this long and each send renews its own row for as long again right before the provider
/// is called, so a worker killed mid-batch strands nothing for longer than one lease, and a
/// slow batch never sends on a claim that ran out (the renewal is fenced by `attempts`).
fn send_lease(state: &AppState) -> Duration {
    Duration::from_std(state.config().dispatch.send_lease).unwrap_or(Duration::minutes(2))
}

/// Everything a message needs besides the request: the shop and campaign, read at send time.
struct Context {
    shop: shops::Model,
    campaign: campaigns::Model,
    settings: ShopSettings,
}

/// Why a claimed request cannot be sent right now.
enum NotNow {
    Expire(ExpireReason),
    Defer(DateTime<Utc>),
}

/// The send-time eligibility check shared by first messages and reminders.
async fn context(state: &AppState, r: &requests::Model, now: DateTime<Utc>) -> Result<Result<Context, NotNow>, DbErr> {
    if r.expires_at <= now {
        return Ok(Err(NotNow::Expire(ExpireReason::TokenExpired)));
    }
    let Some(shop) = store::shops::get(state.db(), r.shop_id).await? else {
        return Ok(Err(NotNow::Defer(now + Duration::hours(1))));
    };
    if shop.uninstalled_at.is_some() {
        // Stopped, not cancelled: a reinstall resumes sending.
        return Ok(Err(NotNow::Defer(now + Duration::hours(1))));
    }
    let window = SendWindow::parse(&shop.timezone, &shop.send_window_start, &shop.send_window_end);
    if let Some(opening) = window.next_opening(now) {
        return Ok(Err(NotNow::Defer(opening)));
    }
    let Some(campaign) = store::campaigns::get(state.db(), r.shop_id, r.campaign_id).await? else {
        return Ok(Err(NotNow::Expire(ExpireReason::CampaignArchived)));
    };
    match campaign.status {
        CampaignStatus::Archived => return Ok(Err(NotNow::Expire(ExpireReason::CampaignArchived))),
        CampaignStatus::Paused | CampaignStatus::Draft => return Ok(Err(NotNow::Defer(now + Duration::hours(1)))),
        CampaignStatus::Active => {}
    }
    if let Some(key) = &r.customer_key
        && store::suppressions::contains(state.db(), r.shop_id, key).await?
    {
        return Ok(Err(NotNow::Expire(ExpireReason::Unsubscribed)));
    }
    let settings = ShopSettings::from_json(&shop.settings);
    Ok(Ok(Context { shop, campaign, settings }))
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

/// As [`dispatch_due`]; once `stop` says shutdown has begun, the send in progress finishes
/// and the batch's other claims are given back.
async fn dispatch_due_until(state: &AppState, stop: &Stop) -> Result<DispatchReport, DbErr> {
    let now = state.now();
    let links = state.links();
    let claimed = store::requests::claim_due_all_shops(state.db(), now, now + send_lease(state), BATCH, |id| {
        links.capture_token(id).hash()
    })
    .await?;
    let mut report = DispatchReport { claimed: claimed.len(), ..Default::default() };
    for (i, r) in claimed.iter().enumerate() {
        if stop.is_stopping() {
            give_back(state, &claimed[i..], ClaimKind::Send).await?;
            break;
        }
        let span = tracing::info_span!("send", shop_id = %r.shop_id, request_id = %r.id, campaign_id = %r.campaign_id);
        let step = async {
            match decide_and_send(state, r).await {
                Ok(outcome) => record(state, r, outcome, &mut report).await,
                Err(e) => {
                    tracing::error!(error = %e, "send round failed for a request; the lease will let it be retried");
                    Ok(())
                }
            }
        };
        step.instrument(span).await?;
    }
    Ok(report)
}

/// Re-checks eligibility at send time, then sends.
async fn decide_and_send(state: &AppState, r: &requests::Model) -> Result<Outcome, DbErr> {
    let now = state.now();
    let ctx = match context(state, r, now).await? {
        Ok(ctx) => ctx,
        Err(NotNow::Expire(reason)) => return Ok(Outcome::Expired(reason)),
        Err(NotNow::Defer(until)) => return Ok(Outcome::Deferred(until)),
    };
    // Still ours? One send, one short lease, fenced by the claim's attempt count.
    if !store::requests::renew_claim(state.db(), r.shop_id, r.id, r.attempts, now, now + send_lease(state)).await? {
        tracing::warn!("claim ran out before the send; another worker may hold it");
        return Ok(Outcome::Lost);
    }
    let results = deliver(state, r, &ctx, TemplateKind::Request, "request").await?;
    if results.iter().any(|c| c.result.is_ok()) {
        let sent =
            requests::Model { status: RequestStatus::Sent, first_sent_at: r.first_sent_at.or(Some(now)), ..r.clone() };
        let next_reminder_at = reminders::next_reminder_at(&reminder_facts(&sent, &ctx.campaign));
        return Ok(Outcome::Sent(results, next_reminder_at));
    }
    let errors: Vec<&SendError> = results.iter().filter_map(|c| c.result.as_ref().err()).collect();
    let permanent = errors.iter().all(|e| matches!(e, SendError::Permanent(_)));
    let message = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
    let attempts = u32::try_from(r.attempts).unwrap_or(u32::MAX);
    Ok(match RetryPolicy::SENDS.decide(attempts, permanent, rand::random::<f64>()) {
        RetryDecision::RetryAfter(d) => Outcome::Retry(now + Duration::from_std(d).unwrap_or_default(), message),
        RetryDecision::GiveUp => Outcome::Failed(message),
    })
}

/// The request's capture token: the one whose hash it stores, made by the current key or,
/// across a key rotation, the previous one, so a reminder carries the link the customer already
/// has. When neither key made it (both rotated away) the old link is dead anyway: a new one
/// is issued and its hash stored before the message goes.
async fn capture_token(state: &AppState, r: &requests::Model) -> Result<CaptureToken, DbErr> {
    let stored = TokenHash::from_stored(r.token_hash.clone());
    if let Some(token) = state.links().capture_token_for(r.id, &stored) {
        return Ok(token);
    }
    tracing::warn!("the request's link was made with a key no longer configured; a new link is issued");
    let token = state.links().capture_token(r.id);
    store::requests::replace_token_hash(state.db(), r.shop_id, r.id, &token.hash()).await?;
    Ok(token)
}

/// Renders and sends one message (a request or a reminder) on each of the request's channels.
async fn deliver(
    state: &AppState,
    r: &requests::Model,
    ctx: &Context,
    kind: TemplateKind,
    slot: &str,
) -> Result<Vec<ChannelResult>, DbErr> {
    let token = capture_token(state, r).await?;
    let link = state.url(&format!("/t/{}", token.expose()));
    let may_postpone = ctx.campaign.postpone_days > 0 && r.postpone_count < ctx.campaign.max_postpones;
    let shop_name = ctx
        .settings
        .sender_name
        .clone()
        .unwrap_or_else(|| ctx.shop.shop_domain.trim_end_matches(".myshopify.com").to_owned());
    let image = product_image(state, r).await?;
    let locales = crate::domain::i18n::locale_chain(r.locale.as_deref(), &ctx.settings.locale);
    let vars = MessageVars {
        customer_first_name: r.customer_first_name.clone().unwrap_or_else(|| "there".into()),
        product_title: r.product_title.clone(),
        product_image_url: image.clone(),
        product_image: image,
        shop_name: shop_name.clone(),
        postpone_link: may_postpone.then(|| format!("{link}/postpone")),
        unsubscribe_link: Some(state.url(&format!("/u/{}", token.expose()))),
        rating_links: (1..=5).map(|n| state.url(&star_link_path(state, &token, r.id, n))).collect(),
        brand_colour: ctx.settings.brand_colour.clone(),
        brand_text_colour: templates::text_colour_on(&ctx.settings.brand_colour).to_owned(),
        logo_url: ctx.settings.logo_url.clone(),
        capture_link: link,
        expiry_date: String::new(),
        incentive: ctx.campaign.incentive.clone(),
    };
    let key = format!("{}:{slot}", r.id);
    let shipped = i18n::shipped_for(&locales);
    let mut results = Vec::new();
    for &channel in channels(r.channel) {
        let preferred = match (channel, kind) {
            (TemplateChannel::Email, TemplateKind::Request) => ctx.campaign.request_email_template_id,
            (TemplateChannel::Email, TemplateKind::Reminder) => ctx.campaign.reminder_email_template_id,
            (TemplateChannel::Sms, TemplateKind::Request) => ctx.campaign.request_sms_template_id,
            (TemplateChannel::Sms, TemplateKind::Reminder) => ctx.campaign.reminder_sms_template_id,
        };
        let stored = store::templates::pick(state.db(), r.shop_id, channel, kind, preferred, &locales).await?;
        let (src, language, template) = match stored {
            Some(t) if !builtin_speaks_better(&t, &locales, shipped) => {
                let language = i18n::shipped_for(std::slice::from_ref(&t.locale));
                (TemplateSource { subject: t.subject, body: t.body, body_text: t.body_text }, language, t.name)
            }
            _ => (templates::builtin_one(shipped, channel, kind), shipped, templates::DEFAULT_NAME.to_owned()),
        };
        let vars = MessageVars { expiry_date: i18n::long_date(r.expires_at.date_naive(), language), ..vars.clone() };
        let started = std::time::Instant::now();
        let result = match channel {
            TemplateChannel::Email => send_email(state, r, &vars, &ctx.settings, &src, &key).await,
            TemplateChannel::Sms => {
                let short = short_link(state, r).await?;
                send_sms(state, r, &MessageVars { capture_link: short, rating_links: Vec::new(), ..vars }, &src, &key)
                    .await
            }
        };
        metrics::histogram!("reelproof_send_duration_seconds", "channel" => channel.as_str())
            .record(started.elapsed().as_secs_f64());
        let provider = match channel {
            TemplateChannel::Email => state.email().name(),
            TemplateChannel::Sms => match state.config().sms {
                crate::config::SmsConfig::Outbox => "outbox",
                crate::config::SmsConfig::Twilio(_) => "twilio",
            },
        };
        let outcome = match &result {
            Ok(_) => "accepted",
            Err(SendError::Permanent(_)) => "refused",
            Err(SendError::Transient(_)) => "failed",
        };
        metrics::counter!("reelproof_channel_sends_total", "channel" => channel.as_str(), "provider" => provider, "outcome" => outcome)
            .increment(1);
        results.push(ChannelResult { channel, result, template, language });
    }
    Ok(results)
}

fn channels(c: Channel) -> &'static [TemplateChannel] {
    match c {
        Channel::Email => &[TemplateChannel::Email],
        Channel::Sms => &[TemplateChannel::Sms],
        Channel::Both => &[TemplateChannel::Email, TemplateChannel::Sms],
    }
}

/// Whether our built-in template in the customer's language beats the shop's stored one: only
/// for the shop's `Default` (a template the merchant chose by name is theirs to translate), and
/// only when the customer's language comes earlier in their chain than the stored one's. A
/// French customer of an English shop gets the French built-in until the merchant writes a
/// French `Default` of their own.
fn builtin_speaks_better(t: &message_templates::Model, chain: &[String], shipped: &str) -> bool {
    let rank = |locale: &str| {
        let lang = locale.split(['-', '_']).next().unwrap_or_default();
        chain.iter().position(|c| c.split(['-', '_']).next().unwrap_or_default().eq_ignore_ascii_case(lang))
    };
    let better = match (rank(shipped), rank(&t.locale)) {
        (Some(ours), Some(theirs)) => ours < theirs,
        (Some(_), None) => true,
        _ => false,
    };
    t.name == templates::DEFAULT_NAME && better
}

/// The path of the star link for `rating` (1–5): the capture link with the rating and a
/// signature binding the two, so an altered star is refused rather than counted.
pub(crate) fn star_link_path(state: &AppState, token: &CaptureToken, id: entity::RequestId, rating: u8) -> String {
    format!("/t/{}/rate/{rating}/{}", token.expose(), state.links().sign(&format!("rating/{rating}"), id))
}

/// The product's picture for the message: the one the request remembers, else Shopify's (when
/// the shop is connected), remembered for the reminders. Sized for the email's column.
async fn product_image(state: &AppState, r: &requests::Model) -> Result<Option<String>, DbErr> {
    if let Some(url) = &r.product_image_url {
        return Ok(Some(url.clone()));
    }
    let Some(url) = crate::services::products::info(state, r.shop_id, r.product_id).await.and_then(|p| p.image_url)
    else {
        return Ok(None);
    };
    // Shopify's CDN resizes on request: 480 px is twice the email's picture, sharp on any screen.
    let sep = if url.contains('?') { '&' } else { '?' };
    let sized = format!("{url}{sep}width=480");
    store::requests::set_product_image_url(state.db(), r.shop_id, r.id, &sized).await?;
    Ok(Some(sized))
}

/// The SMS short link (`/r/{code}`), its code's hash stored before the message goes.
async fn short_link(state: &AppState, r: &requests::Model) -> Result<String, DbErr> {
    let stored = r.short_code_hash.clone().map(TokenHash::from_stored);
    let code = match stored.as_ref().and_then(|h| state.links().short_code_for(r.id, h)) {
        Some(code) => code,
        None => {
            let code = state.links().short_code(r.id);
            store::requests::set_short_code_hash(state.db(), r.shop_id, r.id, &TokenHash::of(&code)).await?;
            code
        }
    };
    Ok(state.url(&format!("/r/{code}")))
}

async fn send_email(
    state: &AppState,
    r: &requests::Model,
    vars: &MessageVars,
    settings: &ShopSettings,
    src: &TemplateSource,
    key: &str,
) -> Result<String, SendError> {
    if let Some(id) = state.email().accepted(key).await {
        tracing::warn!("the provider had already accepted this message; recording it instead of sending again");
        return Ok(id);
    }
    let to = r.customer_email.clone().ok_or_else(|| SendError::Permanent("no email address".into()))?;
    let rendered = templates::render(src, vars, true).map_err(|e| SendError::Permanent(e.to_string()))?;
    let from_addr = &state.config().email.from;
    let pixel = state.url(&format!("/o/{}/{}.gif", r.id, state.links().sign("open", r.id)));
    let email = OutgoingEmail {
        from: format!("{} <{}>", vars.shop_name.replace(['<', '>', '"'], ""), from_addr),
        reply_to: settings.reply_to.clone(),
        to,
        subject: rendered.subject.unwrap_or_default(),
        html: with_pixel(&rendered.body, &pixel),
        text: rendered.body_text.unwrap_or_default(),
        idempotency_key: key.to_owned(),
        request_id: Some(r.id),
        unsubscribe_url: vars.unsubscribe_link.clone(),
    };
    state.email().send(&email).await
}

async fn send_sms(
    state: &AppState,
    r: &requests::Model,
    vars: &MessageVars,
    src: &TemplateSource,
    key: &str,
) -> Result<String, SendError> {
    if let Some(id) = state.sms().accepted(key).await {
        tracing::warn!("the provider had already accepted this SMS; recording it instead of sending again");
        return Ok(id);
    }
    let to = r.customer_phone.clone().ok_or_else(|| SendError::Permanent("no phone number".into()))?;
    let rendered = templates::render(src, vars, false).map_err(|e| SendError::Permanent(e.to_string()))?;
    let sms = OutgoingSms {
        to,
        body: rendered.body,
        idempotency_key: key.to_owned(),
        status_callback: Some(state.url(&format!("/webhooks/messaging/twilio?request_id={}", r.id))),
    };
    state.sms().send(&sms).await
}

/// The open pixel, inside the body when the template is a whole document.
fn with_pixel(html: &str, pixel: &str) -> String {
    let img = format!("<img src=\"{pixel}\" width=\"1\" height=\"1\" alt=\"\" style=\"display:none\">");
    match html.rfind("</body>") {
        Some(at) => format!("{}{img}\n{}", &html[..at], &html[at..]),
        None => format!("{html}\n{img}"),
    }
}

fn sent_payload(c: &ChannelResult) -> serde_json::Value {
    serde_json::json!({ "channel": c.channel.as_str(), "template": c.template, "locale": c.language })
}

async fn record(
    state: &AppState,
    r: &requests::Model,
    outcome: Outcome,
    report: &mut DispatchReport,
) -> Result<(), DbErr> {
    let now = state.now();
    let mut extra_events = Vec::new();
    let (to, mut details) = match outcome {
        Outcome::Lost => return Ok(()),
        Outcome::Deferred(until) => {
            store::requests::defer(state.db(), r.shop_id, r.id, until).await?;
            report.deferred += 1;
            return Ok(());
        }
        Outcome::Sent(results, next_reminder_at) => {
            report.sent += 1;
            metrics::counter!("reelproof_sends_total", "outcome" => "sent").increment(1);
            // Spec 001 §10's second SLO: from when the request was due to when it went out.
            if let Some(due) = r.next_attempt_at {
                let lag = (state.now() - due).num_milliseconds().max(0) as f64 / 1000.0;
                metrics::histogram!("reelproof_send_lag_seconds").record(lag);
            }
            // The first accepted channel goes with the transition; the other channel (for
            // `both`) is recorded as its own `sent` or `failed` event.
            let first = results.iter().position(|c| c.result.is_ok()).expect("Sent has an accepted channel");
            let mut primary = None;
            for (i, c) in results.into_iter().enumerate() {
                let payload = sent_payload(&c);
                match c.result {
                    Ok(id) if i == first => primary = Some((payload, id)),
                    Ok(id) => extra_events.push(NewEvent {
                        provider_message_id: Some(id),
                        payload: Some(payload),
                        ..NewEvent::new(RequestEventType::Sent, now)
                    }),
                    Err(e) => extra_events.push(NewEvent {
                        payload: Some(
                            serde_json::json!({ "channel": c.channel.as_str(), "error": truncate(&e.to_string()) }),
                        ),
                        ..NewEvent::new(RequestEventType::Failed, now)
                    }),
                }
            }
            let (payload, id) = primary.expect("found above");
            (
                RequestStatus::Sent,
                ChangeDetails {
                    provider_message_id: Some(id),
                    payload: Some(payload),
                    next_reminder_at,
                    ..Default::default()
                },
            )
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
            raise_send_alert(state, r, &error, now).await?;
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
    // Fenced: if another worker has claimed the request since (its lease ran out), this
    // outcome does not overwrite the newer one.
    details.fence = Some(r.attempts);
    match store::requests::transition(state.db(), r.shop_id, r.id, to, now, details).await {
        Ok(_) => {}
        Err(TransitionError::Database(e)) => return Err(e),
        Err(e) => {
            tracing::warn!(error = %e, "request changed while sending");
            return Ok(());
        }
    }
    for e in extra_events {
        append(state, r, e).await?;
    }
    Ok(())
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
    for (i, r) in claimed.iter().enumerate() {
        if stop.is_stopping() {
            give_back(state, &claimed[i..], ClaimKind::Reminder).await?;
            break;
        }
        let span =
            tracing::info_span!("remind", shop_id = %r.shop_id, request_id = %r.id, campaign_id = %r.campaign_id);
        let step = async {
            if let Err(e) = remind(state, r, now, &mut report).await {
                tracing::error!(error = %e, "reminder failed for a request; the lease will let it be retried");
            }
        };
        step.instrument(span).await;
    }
    Ok(report)
}

async fn remind(
    state: &AppState,
    r: &requests::Model,
    now: DateTime<Utc>,
    report: &mut DispatchReport,
) -> Result<(), DbErr> {
    let ctx = match context(state, r, now).await? {
        Ok(ctx) => ctx,
        // Expiry is the sweeper's to record; a paused or archived campaign is a hard stop.
        Err(NotNow::Expire(_)) => return store::requests::set_next_reminder(state.db(), r.shop_id, r.id, None).await,
        Err(NotNow::Defer(until)) => {
            let paused = store::campaigns::get(state.db(), r.shop_id, r.campaign_id)
                .await?
                .is_some_and(|c| c.status != CampaignStatus::Active);
            report.deferred += 1;
            let next = if paused { None } else { Some(until) };
            return store::requests::set_next_reminder(state.db(), r.shop_id, r.id, next).await;
        }
    };
    // The rule decides again with what is true now (a postponement, a changed campaign).
    let facts = reminder_facts(r, &ctx.campaign);
    match reminders::next_reminder_at(&facts) {
        None => return store::requests::set_next_reminder(state.db(), r.shop_id, r.id, None).await,
        Some(at) if at > now => return store::requests::set_next_reminder(state.db(), r.shop_id, r.id, Some(at)).await,
        Some(_) => {}
    }
    let n = r.reminder_count + 1;
    let results = deliver(state, r, &ctx, TemplateKind::Reminder, &format!("reminder-{n}")).await?;
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
    let mut payload = results.iter().find(|c| c.channel == accepted.0).map(sent_payload).unwrap_or_default();
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
    run_round(state, &Stop::never()).await
}

/// Gives back the claims of a batch a shutdown cut short.
async fn give_back(state: &AppState, claims: &[requests::Model], kind: ClaimKind) -> Result<(), DbErr> {
    let released = store::requests::release_claims_all_shops(state.db(), claims, kind).await?;
    tracing::info!(released, ?kind, "shutting down: claims given back for the next worker");
    Ok(())
}

/// One scheduler round; at shutdown it stops after the send in progress (giving back the rest
/// of its batch) and skips the round's remaining steps, which the next round of any worker does.
async fn run_round(state: &AppState, stop: &Stop) -> Result<DispatchReport, DbErr> {
    let mut report = DispatchReport::default();
    // Each round claims at most BATCH rows; a short round means nothing more is due.
    loop {
        let r = dispatch_due_until(state, stop).await?;
        report.add(&r);
        if r.claimed < BATCH as usize || stop.is_stopping() {
            break;
        }
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

/// The scheduler loop of `serve`: a round every few seconds until shutdown.
pub async fn run_loop(state: AppState, stop: Stop) {
    loop {
        if stop.is_stopping() {
            return;
        }
        tokio::select! {
            result = run_round(&state, &stop) => {
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
            _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
            () = stop.stopping() => return,
        }
    }
}
