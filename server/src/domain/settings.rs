//! Per-shop settings stored as JSON in `shops.settings`.
//!
//! Unknown or missing fields fall back to defaults, so old rows keep working when a field is
//! added (serde `default`), and a corrupt value never takes a shop down.

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
        }
    }
}

impl ShopSettings {
    /// Reads stored settings; anything unreadable yields the defaults rather than an error.
    pub fn from_json(value: &serde_json::Value) -> Self {
        serde_json::from_value(value.clone()).unwrap_or_default()
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
