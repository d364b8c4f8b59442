//! A message from request to provider, in two steps a round keeps apart: `compose` renders
//! each of the request's channels in the customer's language (the few database writes a
//! message may need happen here), and `send` hands them to the providers — which is all a
//! round does concurrently, so composing stays in order and cheap, and sending overlaps.

use super::round::{Context, Lookups};
use crate::domain::i18n;
use crate::domain::templates::{self, MessageVars, TemplateSource};
use crate::domain::tokens::{CaptureToken, TokenHash};
use crate::providers::email::{OutgoingEmail, SendError};
use crate::providers::sms::OutgoingSms;
use crate::state::AppState;
use crate::store;
use entity::{Channel, TemplateChannel, TemplateKind, message_templates, testimonial_requests as requests};
use sea_orm::DbErr;

/// One channel's message, ready for its provider (or why it cannot be sent).
pub(super) struct Composed {
    channel: TemplateChannel,
    /// The slot's idempotency key (`request:slot`), the same across retries.
    key: String,
    message: Result<Message, SendError>,
    template: String,
    language: &'static str,
}

enum Message {
    Email(OutgoingEmail),
    Sms(OutgoingSms),
}

/// What one channel's send produced.
pub(super) struct ChannelResult {
    pub channel: TemplateChannel,
    pub result: Result<String, SendError>,
    /// The template sent (its name) and the language it spoke: recorded with the `sent`
    /// event, for the analytics' breakdowns.
    pub template: String,
    pub language: &'static str,
}

impl ChannelResult {
    pub fn sent_payload(&self) -> serde_json::Value {
        serde_json::json!({ "channel": self.channel.as_str(), "template": self.template, "locale": self.language })
    }
}

/// Renders one message (a request or a reminder, `slot` naming which) on each of the request's
/// channels.
pub(super) async fn compose(
    state: &AppState,
    r: &requests::Model,
    ctx: &Context<'_>,
    kind: TemplateKind,
    slot: &str,
    lookups: &mut Lookups,
) -> Result<Vec<Composed>, DbErr> {
    let token = capture_token(state, r).await?;
    let link = state.url(&format!("/t/{}", token.expose()));
    let may_postpone = ctx.campaign.postpone_days > 0 && r.postpone_count < ctx.campaign.max_postpones;
    let shop_name = ctx
        .settings
        .sender_name
        .clone()
        .unwrap_or_else(|| ctx.shop.shop_domain.trim_end_matches(".myshopify.com").to_owned());
    let image = lookups.product_image(state, r).await;
    let locales = i18n::locale_chain(r.locale.as_deref(), &ctx.settings.locale);
    let vars = MessageVars {
        customer_first_name: r.customer_first_name.clone().unwrap_or_else(|| "there".into()),
        product_title: r.product_title.clone(),
        product_image_url: image.clone(),
        product_image: image,
        shop_name,
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
    let mut composed = Vec::new();
    for &channel in channels(r.channel) {
        let preferred = match (channel, kind) {
            (TemplateChannel::Email, TemplateKind::Request) => ctx.campaign.request_email_template_id,
            (TemplateChannel::Email, TemplateKind::Reminder) => ctx.campaign.reminder_email_template_id,
            (TemplateChannel::Sms, TemplateKind::Request) => ctx.campaign.request_sms_template_id,
            (TemplateChannel::Sms, TemplateKind::Reminder) => ctx.campaign.reminder_sms_template_id,
        };
        let stored = lookups.template(state.db(), r, channel, kind, preferred, &locales).await?;
        let (src, language, template) = match stored {
            Some(t) if !builtin_speaks_better(&t, &locales, shipped) => {
                let language = i18n::shipped_for(std::slice::from_ref(&t.locale));
                (TemplateSource { subject: t.subject, body: t.body, body_text: t.body_text }, language, t.name)
            }
            _ => (templates::builtin_one(shipped, channel, kind), shipped, templates::DEFAULT_NAME.to_owned()),
        };
        let vars = MessageVars { expiry_date: i18n::long_date(r.expires_at.date_naive(), language), ..vars.clone() };
        let compiled =
            lookups.compiled(src, channel == TemplateChannel::Email).map_err(|e| SendError::Permanent(e.to_string()));
        let message = match channel {
            TemplateChannel::Email => compiled.and_then(|t| email(state, r, &vars, ctx, &t, &key)).map(Message::Email),
            TemplateChannel::Sms => {
                let short = short_link(state, r).await?;
                let vars = MessageVars { capture_link: short, rating_links: Vec::new(), ..vars };
                compiled.and_then(|t| sms(state, r, &vars, &t, &key)).map(Message::Sms)
            }
        };
        composed.push(Composed { channel, key: key.clone(), message, template, language });
    }
    Ok(composed)
}

/// Sends what [`compose`] made, channel after channel. Before each send the provider is asked
/// whether it already accepted the slot's key (a sender that died after the provider call but
/// before recording it), so that message is recorded rather than sent twice.
pub(super) async fn send(state: &AppState, composed: Vec<Composed>) -> Vec<ChannelResult> {
    let mut results = Vec::with_capacity(composed.len());
    for c in composed {
        let started = std::time::Instant::now();
        let already = match c.channel {
            TemplateChannel::Email => state.email().accepted(&c.key).await,
            TemplateChannel::Sms => state.sms().accepted(&c.key).await,
        };
        let result = match (already, c.message) {
            (Some(id), _) => {
                tracing::warn!(
                    channel = c.channel.as_str(),
                    "the provider had already accepted this message; recording it instead of sending again"
                );
                Ok(id)
            }
            (None, Err(e)) => Err(e),
            (None, Ok(Message::Email(email))) => state.email().send(&email).await,
            (None, Ok(Message::Sms(sms))) => state.sms().send(&sms).await,
        };
        metrics::histogram!("reelproof_send_duration_seconds", "channel" => c.channel.as_str())
            .record(started.elapsed().as_secs_f64());
        let provider = match c.channel {
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
        metrics::counter!("reelproof_channel_sends_total", "channel" => c.channel.as_str(), "provider" => provider, "outcome" => outcome)
            .increment(1);
        results.push(ChannelResult { channel: c.channel, result, template: c.template, language: c.language });
    }
    results
}

fn channels(c: Channel) -> &'static [TemplateChannel] {
    match c {
        Channel::Email => &[TemplateChannel::Email],
        Channel::Sms => &[TemplateChannel::Sms],
        Channel::Both => &[TemplateChannel::Email, TemplateChannel::Sms],
    }
}

/// The request's capture token: the one whose hash it stores (written at planning), made by
/// the current key or, across a key rotation, the previous one, so a message carries the link
/// the customer already has or will have. When neither key made it (both rotated away, or a
/// request planned before links were derived at planning) no working link exists: one is
/// issued and its hash stored before the message goes.
async fn capture_token(state: &AppState, r: &requests::Model) -> Result<CaptureToken, DbErr> {
    let stored = TokenHash::from_stored(r.token_hash.clone());
    if let Some(token) = state.links().capture_token_for(r.id, &stored) {
        return Ok(token);
    }
    tracing::warn!("the request's stored link is not one the configured keys make; a new link is issued");
    let token = state.links().capture_token(r.id);
    store::requests::replace_token_hash(state.db(), r.shop_id, r.id, &token.hash()).await?;
    Ok(token)
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
fn star_link_path(state: &AppState, token: &CaptureToken, id: entity::RequestId, rating: u8) -> String {
    format!("/t/{}/rate/{rating}/{}", token.expose(), state.links().sign(&format!("rating/{rating}"), id))
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

fn email(
    state: &AppState,
    r: &requests::Model,
    vars: &MessageVars,
    ctx: &Context<'_>,
    template: &templates::Compiled,
    key: &str,
) -> Result<OutgoingEmail, SendError> {
    let to = r.customer_email.clone().ok_or_else(|| SendError::Permanent("no email address".into()))?;
    let rendered = template.render(vars).map_err(|e| SendError::Permanent(e.to_string()))?;
    let from_addr = &state.config().email.from;
    let pixel = state.url(&format!("/o/{}/{}.gif", r.id, state.links().sign("open", r.id)));
    Ok(OutgoingEmail {
        from: format!("{} <{}>", vars.shop_name.replace(['<', '>', '"'], ""), from_addr),
        reply_to: ctx.settings.reply_to.clone(),
        to,
        subject: rendered.subject.unwrap_or_default(),
        html: with_pixel(&rendered.body, &pixel),
        text: rendered.body_text.unwrap_or_default(),
        idempotency_key: key.to_owned(),
        request_id: Some(r.id),
        unsubscribe_url: vars.unsubscribe_link.clone(),
    })
}

fn sms(
    state: &AppState,
    r: &requests::Model,
    vars: &MessageVars,
    template: &templates::Compiled,
    key: &str,
) -> Result<OutgoingSms, SendError> {
    let to = r.customer_phone.clone().ok_or_else(|| SendError::Permanent("no phone number".into()))?;
    let rendered = template.render(vars).map_err(|e| SendError::Permanent(e.to_string()))?;
    Ok(OutgoingSms {
        to,
        body: rendered.body,
        idempotency_key: key.to_owned(),
        status_callback: Some(state.url(&format!("/webhooks/messaging/twilio?request_id={}", r.id))),
    })
}

/// The open pixel, inside the body when the template is a whole document.
fn with_pixel(html: &str, pixel: &str) -> String {
    let img = format!("<img src=\"{pixel}\" width=\"1\" height=\"1\" alt=\"\" style=\"display:none\">");
    match html.rfind("</body>") {
        Some(at) => format!("{}{img}\n{}", &html[..at], &html[at..]),
        None => format!("{html}\n{img}"),
    }
}
