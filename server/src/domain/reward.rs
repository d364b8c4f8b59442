//! A campaign's thank-you: a unique, single-use Shopify discount code for *everyone who
//! submits*. Nothing here looks at the rating, the words or the moderation outcome — the FTC's
//! rule on reviews and Shopify's guidelines forbid rewards that depend on sentiment — so the
//! only input to whether and what a customer gets is the campaign.

use serde::{Deserialize, Serialize};

/// What the discount takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RewardKind {
    /// `value` percent off the order.
    Percentage,
    /// `value` in the shop's currency off the order.
    FixedAmount,
}

/// The reward as the campaign stores it (JSON in `campaigns.reward`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reward {
    pub kind: RewardKind,
    /// Percent (1–100) or an amount in the shop's currency, as a decimal string ("10", "5.50").
    pub value: String,
    /// The order subtotal the code needs, if any (decimal string).
    pub minimum_subtotal: Option<String>,
    /// Days the code works after it is given (1–365).
    pub expires_in_days: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RewardError {
    /// The input field, as the API names it.
    pub field: &'static str,
    pub message: String,
}

/// A positive decimal with at most two places, as Shopify's `Decimal` takes it.
fn decimal(text: &str) -> Option<f64> {
    let t = text.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || whole.len() > 7 || frac.len() > 2 || !digits(whole) || !digits(frac) {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| *v > 0.0)
}

impl Reward {
    /// Checks every field; returns the reward with its numbers in canonical form.
    pub fn validate(self) -> Result<Self, Vec<RewardError>> {
        let mut errors = Vec::new();
        let value = self.value.trim().to_owned();
        match (self.kind, decimal(&value)) {
            (_, None) => errors
                .push(RewardError { field: "value", message: "must be a positive number such as 10 or 5.50".into() }),
            (RewardKind::Percentage, Some(v)) if v > 100.0 => {
                errors.push(RewardError { field: "value", message: "a percentage is at most 100".into() })
            }
            _ => {}
        }
        let minimum_subtotal = self.minimum_subtotal.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty());
        if minimum_subtotal.as_deref().is_some_and(|m| decimal(m).is_none()) {
            errors.push(RewardError {
                field: "minimumSubtotal",
                message: "must be a positive amount such as 30.00".into(),
            });
        }
        if !(1..=365).contains(&self.expires_in_days) {
            errors.push(RewardError { field: "expiresInDays", message: "must be 1 to 365 days".into() });
        }
        if errors.is_empty() { Ok(Self { value, minimum_subtotal, ..self }) } else { Err(errors) }
    }

    pub fn from_json(v: &serde_json::Value) -> Option<Self> {
        serde_json::from_value(v.clone()).ok()
    }

    /// How the customer reads it: "10% off" or "5.50 EUR off", and its condition.
    pub fn describe(&self, currency: &str) -> String {
        let off = match self.kind {
            RewardKind::Percentage => format!("{}% off", self.value),
            RewardKind::FixedAmount => format!("{} {currency} off", self.value),
        };
        match &self.minimum_subtotal {
            Some(m) => format!("{off} an order of {m} {currency} or more"),
            None => format!("{off} your next order"),
        }
    }

    /// The `basicCodeDiscount` input of Shopify's `discountCodeBasicCreate`: one use in all,
    /// once per customer, every product, from `starts_at` for `expires_in_days`.
    pub fn discount_input(
        &self,
        title: &str,
        code: &str,
        starts_at: chrono::DateTime<chrono::Utc>,
    ) -> serde_json::Value {
        let value = match self.kind {
            RewardKind::Percentage => {
                let fraction = decimal(&self.value).unwrap_or(0.0) / 100.0;
                serde_json::json!({ "percentage": (fraction * 10_000.0).round() / 10_000.0 })
            }
            RewardKind::FixedAmount => {
                serde_json::json!({ "discountAmount": { "amount": self.value, "appliesOnEachItem": false } })
            }
        };
        let minimum = match &self.minimum_subtotal {
            Some(m) => serde_json::json!({ "subtotal": { "greaterThanOrEqualToSubtotal": m } }),
            None => serde_json::Value::Null,
        };
        let ends_at = starts_at + chrono::Duration::days(i64::from(self.expires_in_days));
        let mut input = serde_json::json!({
            "title": title,
            "code": code,
            "startsAt": starts_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "endsAt": ends_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "context": { "all": "ALL" },
            "customerGets": { "value": value, "items": { "all": true } },
            "usageLimit": 1,
            "appliesOncePerCustomer": true,
            "combinesWith": { "orderDiscounts": false, "productDiscounts": false, "shippingDiscounts": true },
        });
        if !minimum.is_null() {
            input["minimumRequirement"] = minimum;
        }
        input
    }
}

/// The code for a submission: derived from its id by the caller's keyed MAC, so a retried job
/// asks Shopify for the same code (and Shopify's "already taken" means we made it already).
/// Letters and digits only, no look-alikes (0/O, 1/I/L).
pub fn code_from(mac: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let body: String = mac.iter().take(10).map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
    format!("THANKS-{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reward() -> Reward {
        Reward { kind: RewardKind::Percentage, value: "10".into(), minimum_subtotal: None, expires_in_days: 30 }
    }

    #[test]
    fn a_reward_is_checked_field_by_field() {
        assert!(reward().validate().is_ok());
        let bad = Reward { value: "150".into(), minimum_subtotal: Some("abc".into()), expires_in_days: 0, ..reward() };
        let fields: Vec<_> = bad.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["value", "minimumSubtotal", "expiresInDays"]);
        let fixed = Reward { kind: RewardKind::FixedAmount, value: " 5.50 ".into(), ..reward() };
        assert_eq!(fixed.validate().unwrap().value, "5.50");
        for v in ["0", "-5", "1e3", "5.555", ""] {
            assert!(Reward { value: v.into(), ..reward() }.validate().is_err(), "{v}");
        }
    }

    #[test]
    fn the_discount_is_single_use_for_everything_and_expires() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-02T10:00:00Z").unwrap().to_utc();
        let i =
            Reward { minimum_subtotal: Some("30.00".into()), ..reward() }.discount_input("Thank you", "THANKS-X", at);
        assert_eq!(i["customerGets"]["value"]["percentage"], 0.1);
        assert_eq!(i["usageLimit"], 1);
        assert_eq!(i["appliesOncePerCustomer"], true);
        assert_eq!(i["endsAt"], "2027-01-01T10:00:00Z");
        assert_eq!(i["minimumRequirement"]["subtotal"]["greaterThanOrEqualToSubtotal"], "30.00");
        let fixed =
            Reward { kind: RewardKind::FixedAmount, value: "5".into(), ..reward() }.discount_input("t", "c", at);
        assert_eq!(fixed["customerGets"]["value"]["discountAmount"]["amount"], "5");
        assert!(fixed.get("minimumRequirement").is_none());
    }

    #[test]
    fn codes_are_readable_and_stable() {
        let c = code_from(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        assert_eq!(c, code_from(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 99]));
        assert_eq!(c.len(), "THANKS-".len() + 10);
        assert!(!c["THANKS-".len()..].contains(['0', 'O', '1', 'I', 'L']));
    }

    #[test]
    fn the_description_names_the_value_and_the_condition() {
        assert_eq!(reward().describe("EUR"), "10% off your next order");
        let fixed = Reward {
            kind: RewardKind::FixedAmount,
            value: "5".into(),
            minimum_subtotal: Some("30".into()),
            ..reward()
        };
        assert_eq!(fixed.describe("EUR"), "5 EUR off an order of 30 EUR or more");
    }
}
