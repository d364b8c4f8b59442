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
    /// The product's picture (Shopify's CDN), when known.
    pub product_image_url: Option<String>,
    /// The same, under the name templates written before it was renamed use.
    pub product_image: Option<String>,
    pub shop_name: String,
    /// The capture link; in an SMS, its short form (`/r/{code}`).
    pub capture_link: String,
    /// Five links, one star each (one to five): each opens the capture page with that rating
    /// chosen. Empty in an SMS.
    pub rating_links: Vec<String>,
    /// The shop's `#rrggbb` colour, and a text colour that reads on it.
    pub brand_colour: String,
    pub brand_text_colour: String,
    pub logo_url: Option<String>,
    /// Human date in the message's language, e.g. "22 December 2026".
    pub expiry_date: String,
    pub incentive: Option<String>,
    /// "Not arrived yet?" link, present while the customer may still postpone.
    pub postpone_link: Option<String>,
    /// Stops every message from this shop to the customer.
    pub unsubscribe_link: Option<String>,
}

impl MessageVars {
    pub fn sample() -> Self {
        let image = Some("https://cdn.example.com/desk.jpg".to_owned());
        Self {
            customer_first_name: "Ada".into(),
            product_title: "Walnut desk".into(),
            product_image_url: image.clone(),
            product_image: image,
            shop_name: "Acme Furniture".into(),
            capture_link: "https://reelproof.example.com/t/SAMPLE".into(),
            rating_links: (1..=5).map(|n| format!("https://reelproof.example.com/t/SAMPLE/rate/{n}/SIG")).collect(),
            brand_colour: "#1f2937".into(),
            brand_text_colour: "#ffffff".into(),
            logo_url: Some("https://cdn.example.com/logo.png".into()),
            expiry_date: "22 December 2026".into(),
            incentive: Some("10% off your next order".into()),
            postpone_link: Some("https://reelproof.example.com/t/SAMPLE/postpone".into()),
            unsubscribe_link: Some("https://reelproof.example.com/u/SAMPLE".into()),
        }
    }
}

/// The text colour that reads on a `#rgb`/`#rrggbb` background: white on dark colours, near
/// black on light ones (WCAG relative luminance, threshold where both contrasts are equal).
pub fn text_colour_on(background: &str) -> &'static str {
    let hex = background.trim_start_matches('#');
    let full: String = if hex.len() == 3 { hex.chars().flat_map(|c| [c, c]).collect() } else { hex.to_owned() };
    let channel = |i: usize| {
        let v = full.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(0) as f64 / 255.0;
        if v <= 0.039_28 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
    };
    let luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
    if luminance > 0.179 { "#111111" } else { "#ffffff" }
}

/// A template as the merchant wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

/// A template's parts compiled once, to render many messages: a send round renders the same
/// few templates for hundreds of customers, and compiling each part for every message was a
/// measurable share of a send's work (`bench/dispatch`, BENCHMARKS.md).
pub struct Compiled {
    env: Environment<'static>,
    subject: bool,
    body_is_html: bool,
    body_text: bool,
}

/// The parts' names in the environment. The extension picks minijinja's escaping: `.html`
/// escapes variables for HTML, `.txt` leaves them as they are.
const SUBJECT: &str = "subject.txt";
const BODY_HTML: &str = "body.html";
const BODY_TEXT: &str = "body.txt";
const TEXT_PART: &str = "bodyText.txt";

/// Compiles every part (syntax errors are found here, named by the part they are in).
pub fn compile(src: &TemplateSource, body_is_html: bool) -> Result<Compiled, TemplateError> {
    let mut env = Environment::new();
    // A misspelt variable is an error, not an empty string in a customer's inbox.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Fuel is counted per render, so one compiled template limits every message alike.
    env.set_fuel(Some(FUEL));
    let mut add = |part: &'static str, name: &'static str, src: &str| {
        if src.len() > MAX_SOURCE_BYTES {
            return Err(TemplateError { part, message: format!("at most {} KB", MAX_SOURCE_BYTES / 1024) });
        }
        env.add_template_owned(name, src.to_owned()).map_err(|e| TemplateError { part, message: located(&e) })
    };
    if let Some(subject) = &src.subject {
        add("subject", SUBJECT, subject)?;
    }
    add("body", if body_is_html { BODY_HTML } else { BODY_TEXT }, &src.body)?;
    if let Some(text) = &src.body_text {
        add("bodyText", TEXT_PART, text)?;
    }
    Ok(Compiled { env, subject: src.subject.is_some(), body_is_html, body_text: src.body_text.is_some() })
}

impl Compiled {
    /// Renders every part; HTML bodies escape variables, text parts and subjects do not.
    pub fn render(&self, vars: &impl Serialize) -> Result<Rendered, TemplateError> {
        let one = |part: &'static str, name: &str| -> Result<String, TemplateError> {
            let err = |e: minijinja::Error| TemplateError { part, message: located(&e) };
            self.env.get_template(name).map_err(err)?.render(vars).map_err(err)
        };
        let body_name = if self.body_is_html { BODY_HTML } else { BODY_TEXT };
        Ok(Rendered {
            subject: self.subject.then(|| one("subject", SUBJECT)).transpose()?,
            body: one("body", body_name)?,
            body_text: self.body_text.then(|| one("bodyText", TEXT_PART)).transpose()?,
        })
    }
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

/// Compiles and renders once; HTML bodies escape variables, text parts and subjects do not.
pub fn render(src: &TemplateSource, vars: &MessageVars, body_is_html: bool) -> Result<Rendered, TemplateError> {
    compile(src, body_is_html)?.render(vars)
}

/// Save-time check: renders with sample data (and with optional variables absent) and insists
/// that the capture link appears, since a request without it is useless.
pub fn validate(src: &TemplateSource, body_is_html: bool) -> Result<(), TemplateError> {
    // A link without characters HTML escaping would change, so its presence is plain to see.
    const LINK: &str = "CAPTURELINK";
    let compiled = compile(src, body_is_html)?;
    let r = compiled.render(&MessageVars { capture_link: LINK.into(), ..MessageVars::sample() })?;
    let bare = MessageVars {
        product_image: None,
        product_image_url: None,
        logo_url: None,
        incentive: None,
        postpone_link: None,
        unsubscribe_link: None,
        ..MessageVars::sample()
    };
    compiled.render(&bare)?;
    if !r.body.contains(LINK) {
        return Err(TemplateError { part: "body", message: "must contain {{ capture_link }}".into() });
    }
    Ok(())
}

/// One built-in template: what every shop gets at install, in its language.
pub struct DefaultTemplate {
    pub channel: entity::TemplateChannel,
    pub kind: entity::TemplateKind,
    pub subject: Option<String>,
    pub body: String,
    pub body_text: Option<String>,
}

impl DefaultTemplate {
    pub fn source(&self) -> TemplateSource {
        TemplateSource { subject: self.subject.clone(), body: self.body.clone(), body_text: self.body_text.clone() }
    }
}

/// The name the built-in templates are stored under.
pub const DEFAULT_NAME: &str = "Default";

/// The four built-in templates in a shipped locale (`i18n::SHIPPED`; English for any other).
pub fn builtin(locale: &str) -> [DefaultTemplate; 4] {
    use entity::{TemplateChannel as C, TemplateKind as K};
    let c = crate::domain::i18n::message_copy(locale);
    [
        DefaultTemplate {
            channel: C::Email,
            kind: K::Request,
            subject: Some(c.subject.to_owned()),
            body: layout::email_html(c, false),
            body_text: Some(layout::email_text(c, false)),
        },
        DefaultTemplate {
            channel: C::Email,
            kind: K::Reminder,
            subject: Some(c.reminder_subject.to_owned()),
            body: layout::email_html(c, true),
            body_text: Some(layout::email_text(c, true)),
        },
        DefaultTemplate {
            channel: C::Sms,
            kind: K::Request,
            subject: None,
            body: c.sms_request.to_owned(),
            body_text: None,
        },
        DefaultTemplate {
            channel: C::Sms,
            kind: K::Reminder,
            subject: None,
            body: c.sms_reminder.to_owned(),
            body_text: None,
        },
    ]
}

/// The built-in template of one channel and kind in `locale`.
pub fn builtin_one(locale: &str, channel: entity::TemplateChannel, kind: entity::TemplateKind) -> TemplateSource {
    builtin(locale)
        .into_iter()
        .find(|t| t.channel == channel && t.kind == kind)
        .map(|t| t.source())
        .expect("every channel and kind has a built-in")
}

/// What the thank-you email says: the reward's code in the customer's language.
#[derive(Debug, Clone, Serialize)]
pub struct RewardVars {
    pub customer_first_name: String,
    pub shop_name: String,
    pub code: String,
    pub expiry_date: String,
    pub brand_colour: String,
    pub logo_url: Option<String>,
}

/// The thank-you email with a reward's code, rendered (subject, HTML, text).
pub fn reward_email(locale: &str, vars: &RewardVars) -> Result<Rendered, TemplateError> {
    let c = crate::domain::i18n::message_copy(locale);
    let src = TemplateSource {
        subject: Some(c.reward_subject.to_owned()),
        body: layout::reward_html(c),
        body_text: Some(layout::reward_text(c)),
    };
    compile(&src, true)?.render(vars)
}

/// The built-in emails' layout: one column at most 600 px wide, tables and inline styles only
/// (what every mail client renders), no external stylesheet, font or script; explicit
/// background and text colours everywhere, so a client's dark mode cannot leave dark text on a
/// dark background. The words come from `i18n::MessageCopy`.
mod layout {
    use crate::domain::i18n::MessageCopy;

    const FONT: &str = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

    fn fill(skeleton: &str, c: &MessageCopy, reminder: bool) -> String {
        let star_label = c.star_label.replace("{n}", "{{ loop.index }}");
        skeleton
            .replace("[[font]]", FONT)
            .replace("[[greeting]]", c.greeting)
            .replace("[[heading]]", if reminder { c.reminder_heading } else { c.heading })
            .replace("[[intro]]", if reminder { c.reminder_intro } else { c.intro })
            .replace("[[incentive]]", c.incentive)
            .replace("[[button]]", c.button)
            .replace("[[stars]]", c.stars)
            .replace("[[star_label]]", &star_label)
            .replace("[[expiry]]", c.expiry)
            .replace("[[postpone_question]]", c.postpone_question)
            .replace("[[postpone_link]]", c.postpone_link)
            .replace("[[unsubscribe_link]]", c.unsubscribe_link)
            .replace("[[unsubscribe_rest]]", c.unsubscribe_rest)
    }

    pub fn email_html(c: &MessageCopy, reminder: bool) -> String {
        // The reminder says the same more briefly: no picture, no incentive paragraph repeated.
        let picture = if reminder {
            ""
        } else {
            r#"{% if product_image_url %}<tr><td align="center" style="padding:8px 24px 0;background-color:#ffffff;"><img src="{{ product_image_url }}" alt="{{ product_title }}" width="240" style="display:block;width:100%;max-width:240px;height:auto;border:0;border-radius:8px;"></td></tr>
{% endif %}"#
        };
        let incentive = if reminder { "" } else { "{% if incentive %} [[incentive]]{% endif %}" };
        let skeleton = format!(
            r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark"><title>{{{{ product_title }}}}</title></head>
<body style="margin:0;padding:0;background-color:#f4f4f5;color:#18181b;font-family:[[font]];">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f4f5;"><tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;background-color:#ffffff;border-radius:12px;">
<tr><td align="center" style="padding:24px 24px 0;background-color:#ffffff;border-radius:12px 12px 0 0;">{{% if logo_url %}}<img src="{{{{ logo_url }}}}" alt="{{{{ shop_name }}}}" height="40" style="display:block;height:40px;width:auto;max-width:200px;border:0;">{{% else %}}<span style="font-size:18px;font-weight:700;color:#18181b;">{{{{ shop_name }}}}</span>{{% endif %}}</td></tr>
<tr><td style="padding:24px 24px 4px;background-color:#ffffff;font-size:16px;line-height:1.5;color:#3f3f46;">[[greeting]]</td></tr>
<tr><td style="padding:0 24px 8px;background-color:#ffffff;font-size:24px;line-height:1.3;font-weight:700;color:#18181b;">[[heading]]</td></tr>
{picture}<tr><td style="padding:12px 24px 8px;background-color:#ffffff;font-size:16px;line-height:1.5;color:#3f3f46;">[[intro]]{incentive}</td></tr>
<tr><td align="center" style="padding:16px 24px 8px;background-color:#ffffff;"><a href="{{{{ capture_link }}}}" style="display:inline-block;background-color:{{{{ brand_colour }}}};color:{{{{ brand_text_colour }}}};font-size:18px;font-weight:700;line-height:24px;text-decoration:none;padding:16px 32px;border-radius:8px;">[[button]]</a></td></tr>
{{% if rating_links %}}<tr><td align="center" style="padding:16px 24px 0;background-color:#ffffff;font-size:14px;color:#52525b;">[[stars]]</td></tr>
<tr><td align="center" style="padding:4px 24px 8px;background-color:#ffffff;">{{% for link in rating_links %}}<a href="{{{{ link }}}}" title="[[star_label]]" style="display:inline-block;font-size:36px;line-height:44px;color:#f59e0b;text-decoration:none;padding:0 6px;">&#9733;</a>{{% endfor %}}</td></tr>
{{% endif %}}<tr><td style="padding:16px 24px 24px;background-color:#ffffff;border-radius:0 0 12px 12px;font-size:13px;line-height:1.5;color:#71717a;">[[expiry]]{{% if postpone_link %}} [[postpone_question]] <a href="{{{{ postpone_link }}}}" style="color:#52525b;">[[postpone_link]]</a>.{{% endif %}}</td></tr>
</table>
{{% if unsubscribe_link %}}<p style="margin:16px 0 0;font-size:12px;line-height:1.5;color:#71717a;"><a href="{{{{ unsubscribe_link }}}}" style="color:#71717a;">[[unsubscribe_link]]</a> [[unsubscribe_rest]]</p>
{{% endif %}}</td></tr></table>
</body></html>"#
        );
        fill(&skeleton, c, reminder)
    }

    /// The thank-you with the reward's code: the same frame, the code in a box.
    pub fn reward_html(c: &MessageCopy) -> String {
        let skeleton = r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark"></head>
<body style="margin:0;padding:0;background-color:#f4f4f5;color:#18181b;font-family:[[font]];">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f4f5;"><tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;background-color:#ffffff;border-radius:12px;">
<tr><td align="center" style="padding:24px 24px 0;background-color:#ffffff;border-radius:12px 12px 0 0;">{% if logo_url %}<img src="{{ logo_url }}" alt="{{ shop_name }}" height="40" style="display:block;height:40px;width:auto;max-width:200px;border:0;">{% else %}<span style="font-size:18px;font-weight:700;color:#18181b;">{{ shop_name }}</span>{% endif %}</td></tr>
<tr><td style="padding:24px 24px 4px;background-color:#ffffff;font-size:16px;line-height:1.5;color:#3f3f46;">[[greeting]]</td></tr>
<tr><td style="padding:0 24px 8px;background-color:#ffffff;font-size:16px;line-height:1.5;color:#3f3f46;">[[reward_intro]]</td></tr>
<tr><td align="center" style="padding:16px 24px;background-color:#ffffff;"><span style="display:inline-block;border:2px dashed {{ brand_colour }};background-color:#ffffff;color:#18181b;font-size:24px;font-weight:700;letter-spacing:2px;padding:12px 24px;border-radius:8px;font-family:ui-monospace,Menlo,Consolas,monospace;">{{ code }}</span></td></tr>
<tr><td style="padding:8px 24px 24px;background-color:#ffffff;border-radius:0 0 12px 12px;font-size:14px;line-height:1.5;color:#52525b;">[[reward_until]]</td></tr>
</table></td></tr></table>
</body></html>"#;
        fill(skeleton, c, false).replace("[[reward_intro]]", c.reward_intro).replace("[[reward_until]]", c.reward_until)
    }

    pub fn reward_text(c: &MessageCopy) -> String {
        fill("[[greeting]]\n\n[[reward_intro]]\n\n    {{ code }}\n\n[[reward_until]]", c, false)
            .replace("[[reward_intro]]", c.reward_intro)
            .replace("[[reward_until]]", c.reward_until)
    }

    pub fn email_text(c: &MessageCopy, reminder: bool) -> String {
        let body = if reminder {
            "[[greeting]]\n\n[[heading]] [[intro]]\n\n[[button]]: {{ capture_link }}"
        } else {
            "[[greeting]]\n\n[[heading]]\n[[intro]]{% if incentive %}\n[[incentive]]{% endif %}\n\n[[button]]: {{ capture_link }}"
        };
        let rest = "{% if rating_links %}\n\n[[stars]]\n{% for link in rating_links %}[[star_label]]: {{ link }}\n{% endfor %}{% endif %}\n[[expiry]]{% if postpone_link %}\n[[postpone_question]] [[postpone_link]]: {{ postpone_link }}{% endif %}{% if unsubscribe_link %}\n\n[[unsubscribe_link]]: {{ unsubscribe_link }}{% endif %}";
        fill(&format!("{body}{rest}"), c, reminder)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> TemplateSource {
        builtin_one("en", entity::TemplateChannel::Email, entity::TemplateKind::Request)
    }

    #[test]
    fn every_builtin_template_validates_in_every_language() {
        for locale in crate::domain::i18n::SHIPPED {
            for t in builtin(locale) {
                validate(&t.source(), t.channel == entity::TemplateChannel::Email)
                    .unwrap_or_else(|e| panic!("{locale} {:?} {:?}: {e}", t.channel, t.kind));
            }
        }
    }

    #[test]
    fn every_builtin_sms_fits_one_segment_with_a_short_link() {
        let vars = MessageVars {
            capture_link: "https://reelproof.example.com/r/Ab3dE6gH".into(),
            shop_name: "Acme Furniture".into(),
            product_title: "Walnut desk".into(),
            rating_links: Vec::new(),
            ..MessageVars::sample()
        };
        for locale in crate::domain::i18n::SHIPPED {
            for t in builtin(locale).into_iter().filter(|t| t.channel == entity::TemplateChannel::Sms) {
                let body = render(&t.source(), &vars, false).unwrap().body;
                assert_eq!(sms_segments(&body), 1, "{locale}: {body} ({} chars)", body.chars().count());
            }
        }
    }

    #[test]
    fn the_email_carries_five_star_links_in_both_parts_and_the_brand() {
        let r =
            render(&email(), &MessageVars { brand_colour: "#b91c1c".into(), ..MessageVars::sample() }, true).unwrap();
        for n in 1..=5 {
            let html_link =
                format!("https:&#x2f;&#x2f;reelproof.example.com&#x2f;t&#x2f;SAMPLE&#x2f;rate&#x2f;{n}&#x2f;SIG");
            assert!(r.body.contains(&html_link), "star {n} in the HTML");
            let text_link = format!("{n} of 5: https://reelproof.example.com/t/SAMPLE/rate/{n}/SIG");
            assert!(r.body_text.as_ref().unwrap().contains(&text_link), "star {n} in the text");
        }
        assert!(r.body.contains("background-color:#b91c1c"), "the button wears the shop's colour");
        assert!(r.body.contains("cdn.example.com&#x2f;logo.png") && r.body.contains("cdn.example.com&#x2f;desk.jpg"));
        assert!(!r.body.contains("<link") && !r.body.contains("<script") && !r.body.contains("@import"));
    }

    #[test]
    fn text_colour_reads_on_the_brand_colour() {
        assert_eq!(text_colour_on("#1f2937"), "#ffffff");
        assert_eq!(text_colour_on("#fde047"), "#111111");
        assert_eq!(text_colour_on("#fff"), "#111111");
        assert_eq!(text_colour_on("#b91c1c"), "#ffffff");
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
        assert!(r.body_text.unwrap().contains("Record a video: https://reelproof.example.com/t/SAMPLE"));
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
    fn one_compiled_template_renders_each_customers_message_and_limits_each_alike() {
        let compiled = compile(&email(), true).unwrap();
        let ada = compiled.render(&MessageVars::sample()).unwrap();
        let grace =
            compiled.render(&MessageVars { customer_first_name: "Grace <i>".into(), ..MessageVars::sample() }).unwrap();
        assert_eq!(ada, render(&email(), &MessageVars::sample(), true).unwrap(), "the same as compiling each time");
        assert!(grace.subject.as_deref().unwrap().starts_with("Grace <i>,"), "{:?}", grace.subject);
        assert!(grace.body.contains("Grace &lt;i&gt;") && !ada.body.contains("Grace"), "{}", grace.body);
        // Fuel is counted per render: 6 000 loop steps each, so a budget shared across renders
        // would run out within a few messages; the hundredth gets as much as the first.
        let heavy = TemplateSource {
            body: "{% for a in range(60) %}{% for b in range(100) %}x{% endfor %}{% endfor %}{{ capture_link }}".into(),
            ..email()
        };
        let compiled = compile(&heavy, true).unwrap();
        for _ in 0..100 {
            assert!(compiled.render(&MessageVars::sample()).is_ok());
        }
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
            &builtin_one("en", entity::TemplateChannel::Sms, entity::TemplateKind::Request),
            &MessageVars::sample(),
            false,
        )
        .unwrap();
        assert!(sms.body.ends_with("https://reelproof.example.com/t/SAMPLE"), "link intact at the end");
        assert_eq!(sms_segments(&sms.body), 1);
    }
}
