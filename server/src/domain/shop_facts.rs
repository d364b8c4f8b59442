//! The shop's own facts as Shopify knows them — name, contact email, time zone, primary
//! locale, currency, plan — read at install through the Admin API and kept current by
//! `shop/update`. They become the shop's defaults: the send window runs in its time zone, the
//! sender name is its name, templates are written in its language.
//!
//! Both sources are read leniently: a fact that is missing or malformed is `None` and leaves
//! the shop's current value alone, so a partial payload never blanks a setting.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShopFacts {
    pub name: Option<String>,
    pub email: Option<String>,
    /// IANA name (`Europe/Berlin`); only a zone chrono-tz knows is kept.
    pub iana_timezone: Option<String>,
    /// BCP 47 tag of the shop's primary locale (`de`, `pt-BR`).
    pub primary_locale: Option<String>,
    /// ISO 4217 (`EUR`).
    pub currency: Option<String>,
    pub plan: Option<String>,
}

fn text(v: Option<&Value>, max: usize) -> Option<String> {
    let s = v?.as_str()?.trim();
    (!s.is_empty() && s.len() <= max && !s.chars().any(char::is_control)).then(|| s.to_owned())
}

fn zone(v: Option<&Value>) -> Option<String> {
    text(v, 64).filter(|z| z.parse::<chrono_tz::Tz>().is_ok())
}

fn locale(v: Option<&Value>) -> Option<String> {
    text(v, 35)
        .filter(|l| l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .map(|l| l.replace('_', "-"))
}

fn currency(v: Option<&Value>) -> Option<String> {
    text(v, 3).filter(|c| c.len() == 3 && c.chars().all(|c| c.is_ascii_uppercase()))
}

impl ShopFacts {
    /// The `shop/update` webhook's payload (REST shape: `iana_timezone`, `primary_locale`,
    /// `plan_display_name`).
    pub fn from_webhook(v: &Value) -> Self {
        Self {
            name: text(v.get("name"), 255),
            email: text(v.get("email"), 254),
            iana_timezone: zone(v.get("iana_timezone")),
            primary_locale: locale(v.get("primary_locale")),
            currency: currency(v.get("currency")),
            plan: text(v.get("plan_display_name").or_else(|| v.get("plan_name")), 100),
        }
    }

    /// The Admin GraphQL answer to [`ADMIN_QUERY`] (`data` object).
    pub fn from_admin_graphql(data: &Value) -> Self {
        let shop = data.get("shop").unwrap_or(&Value::Null);
        let primary = data
            .pointer("/shopLocales")
            .and_then(Value::as_array)
            .and_then(|ls| ls.iter().find(|l| l.get("primary").and_then(Value::as_bool) == Some(true)));
        Self {
            name: text(shop.get("name"), 255),
            email: text(shop.get("contactEmail").or_else(|| shop.get("email")), 254),
            iana_timezone: zone(shop.get("ianaTimezone")),
            primary_locale: locale(primary.and_then(|l| l.get("locale"))),
            currency: currency(shop.get("currencyCode")),
            plan: text(shop.pointer("/plan/displayName"), 100),
        }
    }

    /// Takes the newer facts over the known ones, fact by fact.
    pub fn merged(&self, newer: &ShopFacts) -> ShopFacts {
        let pick = |a: &Option<String>, b: &Option<String>| b.clone().or_else(|| a.clone());
        ShopFacts {
            name: pick(&self.name, &newer.name),
            email: pick(&self.email, &newer.email),
            iana_timezone: pick(&self.iana_timezone, &newer.iana_timezone),
            primary_locale: pick(&self.primary_locale, &newer.primary_locale),
            currency: pick(&self.currency, &newer.currency),
            plan: pick(&self.plan, &newer.plan),
        }
    }
}

/// The Admin GraphQL query that reads the facts (cost 2: the shop and its locales).
pub const ADMIN_QUERY: &str =
    "{ shop { name contactEmail ianaTimezone currencyCode plan { displayName } } shopLocales { locale primary } }";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_webhook_payload_is_read_leniently() {
        let f = ShopFacts::from_webhook(&json!({
            "name": "Ada's Tea", "email": "ada@example.com", "iana_timezone": "Europe/Berlin",
            "primary_locale": "de", "currency": "EUR", "plan_display_name": "Basic"
        }));
        assert_eq!(f.name.as_deref(), Some("Ada's Tea"));
        assert_eq!(f.iana_timezone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(
            (f.primary_locale.as_deref(), f.currency.as_deref(), f.plan.as_deref()),
            (Some("de"), Some("EUR"), Some("Basic"))
        );
        let bad = ShopFacts::from_webhook(
            &json!({ "name": "", "iana_timezone": "Mars/Olympus", "currency": "euro", "primary_locale": "<b>" }),
        );
        assert_eq!(bad, ShopFacts::default(), "nothing malformed is kept");
    }

    #[test]
    fn the_admin_answer_names_the_primary_locale() {
        let f = ShopFacts::from_admin_graphql(&json!({
            "shop": { "name": "Ada's Tea", "contactEmail": "ada@example.com", "ianaTimezone": "America/New_York",
                      "currencyCode": "USD", "plan": { "displayName": "Shopify" } },
            "shopLocales": [ { "locale": "en", "primary": false }, { "locale": "pt-BR", "primary": true } ]
        }));
        assert_eq!(f.primary_locale.as_deref(), Some("pt-BR"));
        assert_eq!(f.iana_timezone.as_deref(), Some("America/New_York"));
        assert_eq!(f.plan.as_deref(), Some("Shopify"));
    }
}
