//! Per-shop settings stored as JSON in `shops.settings`.
//!
//! Unknown or missing fields fall back to defaults, so old rows keep working when a field is
//! added (serde `default`), and a corrupt value never takes a shop down.

use super::shop_facts::ShopFacts;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShopSettings {
    pub sender_name: Option<String>,
    pub reply_to: Option<String>,
    /// `#rrggbb`.
    pub brand_colour: String,
    pub logo_url: Option<String>,
    /// BCP 47 tag of the shop's default language.
    pub locale: String,
    pub default_placement_home: bool,
    pub default_placement_product: bool,
    pub auto_publish: AutoPublish,
    /// Extra words the profanity filter flags, on top of the built-in list.
    pub profanity_words: Vec<String>,
    pub alert_email: Option<String>,
    pub daily_alert_summary: bool,
    /// "How we collect testimonials", shown under the storefront block: `None` shows the
    /// built-in note, an empty text shows none.
    pub collection_note: Option<String>,
    /// The merchant's own wording of the capture page, by locale and key (`capture_copy`).
    pub capture_copy: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    /// What Shopify last told us about the shop (install, `shop/update`).
    pub facts: ShopFacts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutoPublish {
    pub enabled: bool,
    pub min_rating: i16,
}

impl Default for AutoPublish {
    fn default() -> Self {
        Self { enabled: false, min_rating: 5 }
    }
}

impl Default for ShopSettings {
    fn default() -> Self {
        Self {
            sender_name: None,
            reply_to: None,
            brand_colour: "#1f2937".into(),
            logo_url: None,
            locale: "en".into(),
            default_placement_home: true,
            default_placement_product: true,
            auto_publish: AutoPublish::default(),
            profanity_words: Vec::new(),
            alert_email: None,
            daily_alert_summary: false,
            collection_note: None,
            capture_copy: Default::default(),
            facts: ShopFacts::default(),
        }
    }
}

impl ShopSettings {
    /// Reads stored settings; anything unreadable yields the defaults rather than an error.
    pub fn from_json(value: &serde_json::Value) -> Self {
        serde_json::from_value(value.clone()).unwrap_or_default()
    }

    /// Applies new facts about the shop. A value the merchant chose is kept: the sender name
    /// and the locale follow the shop's facts only while they still equal the previous facts
    /// (or the defaults).
    pub fn apply_facts(&mut self, newer: &ShopFacts) {
        let known = self.facts.clone();
        let merged = known.merged(newer);
        if self.sender_name.is_none() || self.sender_name == known.name {
            self.sender_name = merged.name.clone();
        }
        let default_locale = ShopSettings::default().locale;
        if (self.locale == default_locale || Some(&self.locale) == known.primary_locale.as_ref())
            && let Some(l) = &merged.primary_locale
        {
            self.locale = l.clone();
        }
        self.facts = merged;
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("settings serialise to JSON")
    }
}

/// A merchant-entered alert address, trimmed: one `@`, a dotted domain, no spaces, at most 254
/// characters. (The mail server has the last word; this catches typos at save time.)
pub fn parse_email_address(s: &str) -> Result<String, &'static str> {
    let s = s.trim();
    let ok = s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.split('.').count() >= 2
                && domain.split('.').all(|p| !p.is_empty())
        });
    if ok { Ok(s.to_owned()) } else { Err("is not an email address") }
}

/// A change to the shop's profile as the merchant asked for it: `None` keeps a value, and
/// for the optional ones `Some(None)` removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileChange {
    pub sender_name: Option<Option<String>>,
    pub reply_to: Option<Option<String>>,
    pub brand_colour: Option<String>,
    pub logo_url: Option<Option<String>>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub send_window_start: Option<String>,
    pub send_window_end: Option<String>,
    /// `Some(None)` goes back to the built-in note; `Some(Some(""))` shows none.
    pub collection_note: Option<Option<String>>,
}

/// The longest "How we collect testimonials" note.
pub const MAX_COLLECTION_NOTE: usize = 600;

/// One rejected field of a settings change, named as the API names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsFieldError {
    pub field: &'static str,
    pub message: String,
}

impl ProfileChange {
    /// Checks every field at once (so the merchant sees every problem in one answer) and
    /// returns the change normalised: trimmed, blank optional values removed.
    pub fn validate(self) -> Result<Self, Vec<SettingsFieldError>> {
        let mut errors = Vec::new();
        let mut bad =
            |field: &'static str, message: &str| errors.push(SettingsFieldError { field, message: message.into() });
        let blank_is_none =
            |v: Option<Option<String>>| v.map(|o| o.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()));
        let sender_name = blank_is_none(self.sender_name);
        if let Some(Some(n)) = &sender_name
            && (n.chars().count() > 100 || n.chars().any(char::is_control))
        {
            bad("senderName", "must be at most 100 characters on one line");
        }
        let mut reply_to = blank_is_none(self.reply_to);
        if let Some(Some(r)) = &reply_to {
            match parse_email_address(r) {
                Ok(ok) => reply_to = Some(Some(ok)),
                Err(m) => bad("replyTo", m),
            }
        }
        let brand_colour = self.brand_colour.map(|c| c.trim().to_ascii_lowercase());
        if let Some(c) = &brand_colour
            && !is_hex_colour(c)
        {
            bad("brandColour", "must be a colour like #1f2937");
        }
        let logo_url = blank_is_none(self.logo_url);
        if let Some(Some(u)) = &logo_url
            && !url::Url::parse(u).is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some())
        {
            bad("logoUrl", "must be an https:// address of an image");
        }
        let locale = self.locale.map(|l| l.trim().to_owned());
        if let Some(l) = &locale
            && !is_language_tag(l)
        {
            bad("locale", "must be a language code such as en, fr or pt-BR");
        }
        let timezone = self.timezone.map(|t| t.trim().to_owned());
        if let Some(t) = &timezone
            && t.parse::<chrono_tz::Tz>().is_err()
        {
            bad("timezone", "must be a time zone such as Europe/Paris or America/New_York");
        }
        let hhmm = |v: Option<String>| v.map(|t| t.trim().to_owned());
        let (start, end) = (hhmm(self.send_window_start), hhmm(self.send_window_end));
        for (field, v) in [("sendWindowStart", &start), ("sendWindowEnd", &end)] {
            if let Some(t) = v
                && (t.len() != 5 || chrono::NaiveTime::parse_from_str(t, "%H:%M").is_err())
            {
                bad(field, "must be a time such as 09:00");
            }
        }
        let collection_note = self.collection_note.map(|o| o.map(|s| s.trim().to_owned()));
        if let Some(Some(n)) = &collection_note
            && (n.chars().count() > MAX_COLLECTION_NOTE || n.chars().any(|c| c.is_control() && c != '\n'))
        {
            bad("collectionNote", "must be at most 600 characters of text");
        }
        if errors.is_empty() {
            Ok(Self {
                sender_name,
                reply_to,
                brand_colour,
                logo_url,
                locale,
                timezone,
                send_window_start: start,
                send_window_end: end,
                collection_note,
            })
        } else {
            Err(errors)
        }
    }

    /// Applies the settings-document part of the change.
    pub fn apply(&self, s: &mut ShopSettings) {
        if let Some(v) = &self.sender_name {
            s.sender_name = v.clone();
        }
        if let Some(v) = &self.reply_to {
            s.reply_to = v.clone();
        }
        if let Some(v) = &self.brand_colour {
            s.brand_colour = v.clone();
        }
        if let Some(v) = &self.logo_url {
            s.logo_url = v.clone();
        }
        if let Some(v) = &self.locale {
            s.locale = v.clone();
        }
        if let Some(v) = &self.collection_note {
            s.collection_note = v.clone();
        }
    }
}

/// `#rgb` or `#rrggbb`: the only colours that reach a style attribute.
pub fn is_hex_colour(c: &str) -> bool {
    c.strip_prefix('#').is_some_and(|h| (h.len() == 3 || h.len() == 6) && h.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A BCP 47 tag as shops use them: a 2–3 letter language, then optional 2–8 character parts.
fn is_language_tag(l: &str) -> bool {
    let mut parts = l.split('-');
    let lang = parts.next().unwrap_or_default();
    (2..=3).contains(&lang.len())
        && lang.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_profile_change_reports_every_bad_field_at_once() {
        let change = ProfileChange {
            sender_name: Some(Some("Acme\nBcc: x".into())),
            reply_to: Some(Some("not-an-address".into())),
            brand_colour: Some("red; background:url(x)".into()),
            logo_url: Some(Some("http://example.com/logo.png".into())),
            locale: Some("english".into()),
            timezone: Some("Mars/Olympus".into()),
            send_window_start: Some("9am".into()),
            send_window_end: Some("25:00".into()),
            collection_note: Some(Some("x\u{7}".repeat(400))),
        };
        let fields: Vec<_> = change.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "senderName",
                "replyTo",
                "brandColour",
                "logoUrl",
                "locale",
                "timezone",
                "sendWindowStart",
                "sendWindowEnd",
                "collectionNote"
            ]
        );
    }

    #[test]
    fn a_valid_profile_change_is_normalised_and_blank_values_remove() {
        let change = ProfileChange {
            sender_name: Some(Some("  ".into())),
            reply_to: Some(Some(" help@acme.test ".into())),
            brand_colour: Some("#B91C1C".into()),
            logo_url: Some(Some("https://cdn.acme.test/logo.png".into())),
            locale: Some("pt-BR".into()),
            timezone: Some("Europe/Paris".into()),
            send_window_start: Some("09:00".into()),
            send_window_end: Some("20:30".into()),
            collection_note: None,
        }
        .validate()
        .unwrap();
        assert_eq!(change.sender_name, Some(None));
        assert_eq!(change.reply_to, Some(Some("help@acme.test".into())));
        assert_eq!(change.brand_colour.as_deref(), Some("#b91c1c"));
        let mut s = ShopSettings { sender_name: Some("Old".into()), ..ShopSettings::default() };
        change.apply(&mut s);
        assert_eq!((s.sender_name, s.locale.as_str()), (None, "pt-BR"));
    }
    use super::*;

    #[test]
    fn facts_become_defaults_but_never_override_the_merchants_choice() {
        let mut s = ShopSettings::default();
        use crate::domain::shop_facts::ShopFacts;
        let first =
            ShopFacts { name: Some("Ada's Tea".into()), primary_locale: Some("de".into()), ..Default::default() };
        s.apply_facts(&first);
        assert_eq!((s.sender_name.as_deref(), s.locale.as_str()), (Some("Ada's Tea"), "de"));
        // The shop is renamed: the sender name follows, since the merchant never changed it.
        let renamed = ShopFacts { name: Some("Ada's Teas".into()), ..Default::default() };
        s.apply_facts(&renamed);
        assert_eq!(s.sender_name.as_deref(), Some("Ada's Teas"));
        assert_eq!(s.facts.primary_locale.as_deref(), Some("de"), "a fact the update left out stays");
        // The merchant chose their own sender name: a later rename leaves it.
        s.sender_name = Some("Ada from Ada's Teas".into());
        s.apply_facts(&ShopFacts { name: Some("Tea by Ada".into()), ..Default::default() });
        assert_eq!(s.sender_name.as_deref(), Some("Ada from Ada's Teas"));
        assert_eq!(s.facts.name.as_deref(), Some("Tea by Ada"));
    }

    #[test]
    fn alert_addresses_are_checked_for_typos() {
        assert_eq!(parse_email_address(" ops@acme.example ").as_deref(), Ok("ops@acme.example"));
        for bad in [
            "",
            "ops",
            "ops@",
            "@acme.example",
            "ops@acme",
            "ops@acme..example",
            "a b@acme.example",
            "a@b@c.d",
            "x@y.z, z@y.z",
        ] {
            assert!(parse_email_address(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn missing_fields_take_defaults_and_garbage_is_harmless() {
        let s = ShopSettings::from_json(&serde_json::json!({"sender_name": "Acme", "future_field": 1}));
        assert_eq!(s.sender_name.as_deref(), Some("Acme"));
        assert_eq!(s.locale, "en");
        assert!(!s.auto_publish.enabled, "auto-publish is off by default");
        assert_eq!(ShopSettings::from_json(&serde_json::json!("nonsense")), ShopSettings::default());
        assert_eq!(ShopSettings::from_json(&ShopSettings::default().to_json()), ShopSettings::default());
    }
}
