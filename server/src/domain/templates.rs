//! Message templates: rendering with minijinja, validation at save time, SMS length.
//!
//! Templates are checked when saved (syntax and a trial render with sample data), so a broken
//! template is the merchant's clear error at save time, never a failed send days later.

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

/// The variables a template may use (DESIGN.md §3).
#[derive(Debug, Clone, Serialize)]
pub struct MessageVars {
    pub customer_first_name: String,
    pub product_title: String,
    pub product_image: Option<String>,
    pub shop_name: String,
    pub capture_link: String,
    /// Human date, e.g. "22 December 2026".
    pub expiry_date: String,
    pub incentive: Option<String>,
    /// "Not arrived yet?" link, present while the customer may still postpone.
    pub postpone_link: Option<String>,
    /// Stops every message from this shop to the customer.
    pub unsubscribe_link: Option<String>,
}

impl MessageVars {
    pub fn sample() -> Self {
        Self {
            customer_first_name: "Ada".into(),
            product_title: "Walnut desk".into(),
            product_image: Some("https://cdn.example.com/desk.jpg".into()),
            shop_name: "Acme Furniture".into(),
            capture_link: "https://reelproof.example.com/t/SAMPLE".into(),
            expiry_date: "22 December 2026".into(),
            incentive: Some("10% off your next order".into()),
            postpone_link: Some("https://reelproof.example.com/t/SAMPLE/postpone".into()),
            unsubscribe_link: Some("https://reelproof.example.com/u/SAMPLE".into()),
        }
    }
}

/// A template as the merchant wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSource {
    pub subject: Option<String>,
    pub body: String,
    pub body_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: Option<String>,
    pub body: String,
    pub body_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{part}: {message}")]
pub struct TemplateError {
    /// The input field, as the API names it (`subject`, `body`, `bodyText`).
    pub part: &'static str,
    pub message: String,
}

/// The largest template part accepted (a long HTML email is a few kilobytes).
pub const MAX_SOURCE_BYTES: usize = 64 * 1024;

/// How much work one render may do (minijinja's fuel: about one unit per instruction). The
/// built-in templates use a few hundred; a template with nested loops over large ranges would
/// otherwise hold a send worker for as long as it liked.
const FUEL: u64 = 50_000;

fn render_one(part: &'static str, src: &str, vars: &MessageVars, html: bool) -> Result<String, TemplateError> {
    if src.len() > MAX_SOURCE_BYTES {
        return Err(TemplateError { part, message: format!("at most {} KB", MAX_SOURCE_BYTES / 1024) });
    }
    let mut env = Environment::new();
    // A misspelt variable is an error, not an empty string in a customer's inbox.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    let name = if html { "t.html" } else { "t.txt" };
    let err = |e: minijinja::Error| TemplateError { part, message: located(&e) };
    env.add_template(name, src).map_err(err)?;
    let t = env.get_template(name).map_err(err)?;
    t.render(vars).map_err(err)
}

/// A template error as the merchant can act on it: the line it is on and what is wrong, without
/// the engine's internal template name.
fn located(e: &minijinja::Error) -> String {
    let what = match e.kind() {
        minijinja::ErrorKind::OutOfFuel => "the template does too much work (a loop too long?)".to_owned(),
        kind => e.detail().map(str::to_owned).unwrap_or_else(|| kind.to_string()),
    };
    match e.line() {
        Some(line) => format!("line {line}: {what}"),
        None => what,
    }
}

/// Renders every part; HTML bodies escape variables, text parts and subjects do not.
pub fn render(src: &TemplateSource, vars: &MessageVars, body_is_html: bool) -> Result<Rendered, TemplateError> {
    Ok(Rendered {
        subject: src.subject.as_deref().map(|s| render_one("subject", s, vars, false)).transpose()?,
        body: render_one("body", &src.body, vars, body_is_html)?,
        body_text: src.body_text.as_deref().map(|s| render_one("bodyText", s, vars, false)).transpose()?,
    })
}

/// Save-time check: renders with sample data (and with optional variables absent) and insists
/// that the capture link appears, since a request without it is useless.
pub fn validate(src: &TemplateSource, body_is_html: bool) -> Result<(), TemplateError> {
    // A link without characters HTML escaping would change, so its presence is plain to see.
    const LINK: &str = "CAPTURELINK";
    let r = render(src, &MessageVars { capture_link: LINK.into(), ..MessageVars::sample() }, body_is_html)?;
    let bare = MessageVars {
        product_image: None,
        incentive: None,
        postpone_link: None,
        unsubscribe_link: None,
        ..MessageVars::sample()
    };
    render(src, &bare, body_is_html)?;
    if !r.body.contains(LINK) {
        return Err(TemplateError { part: "body", message: "must contain {{ capture_link }}".into() });
    }
    Ok(())
}

/// The locales to try for a customer, best first: the customer's (`fr-CA`), its language
/// (`fr`), the shop's, then English, which always exists.
pub fn locale_chain(customer: Option<&str>, shop: &str) -> Vec<String> {
    let mut chain: Vec<String> = Vec::new();
    let mut push = |l: &str| {
        let l = l.trim().replace('_', "-");
        if !l.is_empty() && !chain.iter().any(|c| c.eq_ignore_ascii_case(&l)) {
            chain.push(l);
        }
    };
    for l in [customer, Some(shop)].into_iter().flatten() {
        push(l);
        if let Some((lang, _)) = l.split_once(['-', '_']) {
            push(lang);
        }
    }
    push("en");
    chain
}

/// One built-in template: what every shop gets at install.
pub struct DefaultTemplate {
    pub channel: entity::TemplateChannel,
    pub kind: entity::TemplateKind,
    pub subject: Option<&'static str>,
    pub body: &'static str,
    pub body_text: Option<&'static str>,
}

/// The name the built-in templates are stored under.
pub const DEFAULT_NAME: &str = "Default";

pub fn builtin() -> [DefaultTemplate; 4] {
    use defaults::*;
    use entity::{TemplateChannel as C, TemplateKind as K};
    [
        DefaultTemplate {
            channel: C::Email,
            kind: K::Request,
            subject: Some(EMAIL_REQUEST_SUBJECT),
            body: EMAIL_REQUEST_HTML,
            body_text: Some(EMAIL_REQUEST_TEXT),
        },
        DefaultTemplate {
            channel: C::Email,
            kind: K::Reminder,
            subject: Some(EMAIL_REMINDER_SUBJECT),
            body: EMAIL_REMINDER_HTML,
            body_text: Some(EMAIL_REMINDER_TEXT),
        },
        DefaultTemplate { channel: C::Sms, kind: K::Request, subject: None, body: SMS_REQUEST, body_text: None },
        DefaultTemplate { channel: C::Sms, kind: K::Reminder, subject: None, body: SMS_REMINDER, body_text: None },
    ]
}

/// SMS segments: GSM-7 text fits 160 characters in one message and 153 per part when split;
/// anything outside GSM-7 switches the whole message to UCS-2 (70, then 67).
pub fn sms_segments(text: &str) -> u32 {
    const GSM: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const GSM_EXT: &str = "^{}\\[~]|€";
    let gsm = text.chars().all(|c| GSM.contains(c) || GSM_EXT.contains(c));
    let (len, single, multi) = if gsm {
        (text.chars().map(|c| if GSM_EXT.contains(c) { 2 } else { 1 }).sum::<usize>(), 160, 153)
    } else {
        (text.encode_utf16().count(), 70, 67)
    };
    if len <= single { 1 } else { len.div_ceil(multi) as u32 }
}

/// Built-in templates, created for every shop at install and used as the fallback.
pub mod defaults {
    pub const EMAIL_REQUEST_SUBJECT: &str = "{{ customer_first_name }}, how do you like your {{ product_title }}?";
    pub const EMAIL_REQUEST_HTML: &str = "<p>Hi {{ customer_first_name }},</p>\n<p>Thanks for shopping at {{ shop_name }}! Would you record a short video about your <strong>{{ product_title }}</strong>? It takes 30 seconds.</p>\n{% if incentive %}<p>As a thank-you: {{ incentive }}.</p>\n{% endif %}<p><a href=\"{{ capture_link }}\">Record your video</a></p>\n<p>This link works until {{ expiry_date }}.</p>\n{% if postpone_link %}<p>Not arrived yet? <a href=\"{{ postpone_link }}\">Ask me again later</a>.</p>\n{% endif %}{% if unsubscribe_link %}<p style=\"font-size:12px;color:#666\"><a href=\"{{ unsubscribe_link }}\">Unsubscribe</a> from {{ shop_name }}'s review requests.</p>\n{% endif %}";
    pub const EMAIL_REQUEST_TEXT: &str = "Hi {{ customer_first_name }},\n\nThanks for shopping at {{ shop_name }}! Would you record a short video about your {{ product_title }}? It takes 30 seconds.\n{% if incentive %}As a thank-you: {{ incentive }}.\n{% endif %}\nRecord it here: {{ capture_link }}\n\nThis link works until {{ expiry_date }}.{% if postpone_link %}\nNot arrived yet? Ask me again later: {{ postpone_link }}{% endif %}{% if unsubscribe_link %}\n\nUnsubscribe: {{ unsubscribe_link }}{% endif %}";
    pub const EMAIL_REMINDER_SUBJECT: &str = "A quick reminder about your {{ product_title }}";
    pub const EMAIL_REMINDER_HTML: &str = "<p>Hi {{ customer_first_name }},</p>\n<p>We'd still love to hear about your <strong>{{ product_title }}</strong>.</p>\n<p><a href=\"{{ capture_link }}\">Record your video</a> (until {{ expiry_date }})</p>\n{% if postpone_link %}<p>Not arrived yet? <a href=\"{{ postpone_link }}\">Ask me again later</a>.</p>\n{% endif %}{% if unsubscribe_link %}<p style=\"font-size:12px;color:#666\"><a href=\"{{ unsubscribe_link }}\">Unsubscribe</a> from {{ shop_name }}'s review requests.</p>\n{% endif %}";
    pub const EMAIL_REMINDER_TEXT: &str = "Hi {{ customer_first_name }},\n\nWe'd still love to hear about your {{ product_title }}.\nRecord your video: {{ capture_link }} (until {{ expiry_date }}){% if postpone_link %}\nNot arrived yet? Ask me again later: {{ postpone_link }}{% endif %}{% if unsubscribe_link %}\n\nUnsubscribe: {{ unsubscribe_link }}{% endif %}";
    pub const SMS_REQUEST: &str =
        "{{ shop_name }}: how is your {{ product_title }}? Share a 30s video: {{ capture_link }}";
    pub const SMS_REMINDER: &str = "{{ shop_name }}: a quick video about your {{ product_title }}? {{ capture_link }}";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> TemplateSource {
        TemplateSource {
            subject: Some(defaults::EMAIL_REQUEST_SUBJECT.into()),
            body: defaults::EMAIL_REQUEST_HTML.into(),
            body_text: Some(defaults::EMAIL_REQUEST_TEXT.into()),
        }
    }

    #[test]
    fn locale_chain_falls_back_from_region_to_language_to_shop_to_english() {
        assert_eq!(locale_chain(Some("fr-CA"), "de"), ["fr-CA", "fr", "de", "en"]);
        assert_eq!(locale_chain(Some("fr_CA"), "en"), ["fr-CA", "fr", "en"]);
        assert_eq!(locale_chain(None, "de-AT"), ["de-AT", "de", "en"]);
        assert_eq!(locale_chain(Some(""), "en"), ["en"]);
        assert_eq!(locale_chain(Some("EN"), "en"), ["EN"]);
    }

    #[test]
    fn every_builtin_template_validates() {
        for t in builtin() {
            let src = TemplateSource {
                subject: t.subject.map(Into::into),
                body: t.body.into(),
                body_text: t.body_text.map(Into::into),
            };
            validate(&src, t.channel == entity::TemplateChannel::Email).unwrap();
        }
    }

    #[test]
    fn defaults_render_every_variable_and_escape_html() {
        assert!(validate(&email(), true).is_ok());
        let vars = MessageVars { product_title: "Desk <b>&</b>".into(), ..MessageVars::sample() };
        let r = render(&email(), &vars, true).unwrap();
        assert_eq!(r.subject.as_deref(), Some("Ada, how do you like your Desk <b>&</b>?"), "subjects are plain text");
        assert!(r.body.contains("Desk &lt;b&gt;&amp;&lt;&#x2f;b&gt;"), "{}", r.body);
        // minijinja escapes `/` in HTML; browsers decode it in href attributes.
        assert!(r.body.contains("https:&#x2f;&#x2f;reelproof.example.com&#x2f;t&#x2f;SAMPLE"), "{}", r.body);
        assert!(r.body.contains("10% off"));
        assert!(r.body_text.unwrap().contains("Record it here: https://reelproof.example.com/t/SAMPLE"));
        let no_incentive = render(&email(), &MessageVars { incentive: None, ..MessageVars::sample() }, true).unwrap();
        assert!(!no_incentive.body.contains("thank-you"));
    }

    #[test]
    fn broken_templates_are_refused_at_save_with_the_part_named() {
        let bad_syntax = TemplateSource { body: "Hi {{ customer_first_name ".into(), ..email() };
        assert_eq!(validate(&bad_syntax, true).unwrap_err().part, "body");
        let unknown = TemplateSource { subject: Some("{{ customer_frist_name }}".into()), ..email() };
        let err = validate(&unknown, true).unwrap_err();
        assert_eq!(err.part, "subject");
        assert!(err.message.contains("undefined"), "{err}");
        let no_link = TemplateSource { body: "Hi {{ customer_first_name }}".into(), ..email() };
        assert_eq!(validate(&no_link, true).unwrap_err().message, "must contain {{ capture_link }}");
    }

    #[test]
    fn a_runaway_or_oversized_template_is_refused_not_run() {
        let runaway = TemplateSource {
            body: "{% for a in range(1000) %}{% for b in range(1000) %}x{% endfor %}{% endfor %}{{ capture_link }}"
                .into(),
            ..email()
        };
        let e = validate(&runaway, true).unwrap_err();
        assert_eq!(e.part, "body");
        assert!(e.message.contains("too much work"), "{}", e.message);
        let huge =
            TemplateSource { body: format!("{{{{ capture_link }}}}{}", "x".repeat(MAX_SOURCE_BYTES)), ..email() };
        assert_eq!(validate(&huge, true).unwrap_err().message, "at most 64 KB");
    }

    #[test]
    fn sms_segments_follow_gsm7_and_ucs2_limits() {
        assert_eq!(sms_segments(&"a".repeat(160)), 1);
        assert_eq!(sms_segments(&"a".repeat(161)), 2);
        assert_eq!(sms_segments(&"a".repeat(306)), 2);
        assert_eq!(sms_segments(&"a".repeat(307)), 3);
        assert_eq!(sms_segments(&"€".repeat(80)), 1, "extension characters count double");
        assert_eq!(sms_segments(&"€".repeat(81)), 2);
        assert_eq!(sms_segments(&"é".repeat(160)), 1, "é is GSM-7");
        assert_eq!(sms_segments(&"ł".repeat(70)), 1, "ł forces UCS-2");
        assert_eq!(sms_segments(&"ł".repeat(71)), 2);
        assert_eq!(sms_segments("Great 👍"), 1);
        let sms = render(
            &TemplateSource { subject: None, body: defaults::SMS_REQUEST.into(), body_text: None },
            &MessageVars::sample(),
            false,
        )
        .unwrap();
        assert!(sms.body.ends_with("https://reelproof.example.com/t/SAMPLE"), "link intact at the end");
        assert_eq!(sms_segments(&sms.body), 1);
    }
}
