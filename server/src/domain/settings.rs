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

#[cfg(test)]
mod tests {
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
