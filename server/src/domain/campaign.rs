//! Campaigns: their validated settings, eligibility rules and status changes.
//!
//! Parse, don't validate: a [`CampaignSettings`] can only be built through
//! [`CampaignSettings::validate`], so a stored campaign always satisfies these limits.

use entity::{CampaignStatus, CampaignTrigger, Channel, TemplateChannel, TemplateKind};
use serde::{Deserialize, Serialize};

/// Eligibility rules stored as JSON in `campaigns.eligibility`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Eligibility {
    /// When non-empty, only these products are asked about.
    pub include_product_ids: Vec<i64>,
    pub exclude_product_ids: Vec<i64>,
    /// Minimum order total in the shop currency's minor units (cents).
    pub min_order_total_cents: Option<i64>,
    pub skip_gift_cards: bool,
    pub skip_test_orders: bool,
    pub skip_items_not_requiring_shipping: bool,
    /// Ask only customers who accepted marketing on the channel used.
    pub require_contact_consent: bool,
}

impl Default for Eligibility {
    fn default() -> Self {
        Self {
            include_product_ids: Vec::new(),
            exclude_product_ids: Vec::new(),
            min_order_total_cents: None,
            skip_gift_cards: true,
            skip_test_orders: true,
            skip_items_not_requiring_shipping: false,
            require_contact_consent: false,
        }
    }
}

impl Eligibility {
    /// Reads stored rules; a corrupt value falls back to the (conservative) defaults.
    pub fn from_json(v: &serde_json::Value) -> Self {
        serde_json::from_value(v.clone()).unwrap_or_default()
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("eligibility serialises")
    }
}

/// Everything a merchant sets on a campaign, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignSettings {
    pub name: String,
    pub trigger: CampaignTrigger,
    pub channel: Channel,
    pub delay_days: i32,
    pub fallback_days: i32,
    pub reminder_enabled: bool,
    pub reminder_delay_days: i32,
    pub max_reminders: i32,
    pub postpone_days: i32,
    pub max_postpones: i32,
    pub token_ttl_days: i32,
    pub frequency_cap_30d: Option<i32>,
    pub eligibility: Eligibility,
    pub consent_text: String,
    /// The consent text per shipped language (`fr` → "…"), for customers of that language.
    pub consent_texts: std::collections::BTreeMap<String, String>,
    pub prompt: String,
    pub incentive: Option<String>,
    /// The thank-you everyone who submits gets (never depending on what they say).
    pub reward: Option<crate::domain::reward::Reward>,
    /// The merchant's template choices; an empty slot sends the shop's `Default` template.
    pub templates: CampaignTemplates,
}

/// The templates a campaign chose, one per channel and kind (channel `BOTH` needs an email and
/// an SMS template for each kind).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CampaignTemplates {
    pub request_email: Option<entity::TemplateId>,
    pub reminder_email: Option<entity::TemplateId>,
    pub request_sms: Option<entity::TemplateId>,
    pub reminder_sms: Option<entity::TemplateId>,
}

impl CampaignTemplates {
    /// Every slot with the API's name for it.
    pub fn slots(&self) -> [(&'static str, TemplateChannel, TemplateKind, Option<entity::TemplateId>); 4] {
        use {TemplateChannel as C, TemplateKind as K};
        [
            ("templates.requestEmail", C::Email, K::Request, self.request_email),
            ("templates.reminderEmail", C::Email, K::Reminder, self.reminder_email),
            ("templates.requestSms", C::Sms, K::Request, self.request_sms),
            ("templates.reminderSms", C::Sms, K::Reminder, self.reminder_sms),
        ]
    }
}

/// The (channel, kind) pairs a campaign sends, each of which needs a template: the request on
/// every channel of the campaign, and the reminder too when reminders are on.
pub fn needed_templates(channel: Channel, reminder_enabled: bool) -> Vec<(TemplateChannel, TemplateKind)> {
    let channels: &[TemplateChannel] = match channel {
        Channel::Email => &[TemplateChannel::Email],
        Channel::Sms => &[TemplateChannel::Sms],
        Channel::Both => &[TemplateChannel::Email, TemplateChannel::Sms],
    };
    let kinds: &[TemplateKind] =
        if reminder_enabled { &[TemplateKind::Request, TemplateKind::Reminder] } else { &[TemplateKind::Request] };
    channels.iter().flat_map(|c| kinds.iter().map(move |k| (*c, *k))).collect()
}

/// One rejected field, named as the API names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid campaign: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
pub struct InvalidCampaign(pub Vec<FieldError>);

pub const DEFAULT_CONSENT_TEXT: &str =
    "I agree that the store may publish my video, first name, last initial and rating on its website.";
pub const DEFAULT_PROMPT: &str = "How are you enjoying it? Tell others in 30 seconds.";

impl CampaignSettings {
    /// A campaign with the same defaults the admin API applies to omitted fields.
    pub fn new(name: impl Into<String>, trigger: CampaignTrigger, channel: Channel) -> Self {
        Self {
            name: name.into(),
            trigger,
            channel,
            delay_days: 7,
            fallback_days: 14,
            reminder_enabled: true,
            reminder_delay_days: 3,
            max_reminders: 1,
            postpone_days: 7,
            max_postpones: 1,
            token_ttl_days: 30,
            frequency_cap_30d: None,
            eligibility: Eligibility::default(),
            consent_text: DEFAULT_CONSENT_TEXT.into(),
            consent_texts: Default::default(),
            prompt: DEFAULT_PROMPT.into(),
            incentive: None,
            reward: None,
            templates: CampaignTemplates::default(),
        }
    }

    /// Checks every limit at once, so the merchant sees all problems in one answer.
    pub fn validate(self) -> Result<Self, InvalidCampaign> {
        let mut errors = Vec::new();
        let mut range = |field: &'static str, v: i32, lo: i32, hi: i32| {
            if !(lo..=hi).contains(&v) {
                errors.push(FieldError { field, message: format!("must be between {lo} and {hi}, got {v}") });
            }
        };
        range("delayDays", self.delay_days, 0, 90);
        range("fallbackDays", self.fallback_days, 1, 90);
        range("reminderDelayDays", self.reminder_delay_days, 1, 60);
        range("maxReminders", self.max_reminders, 0, 5);
        range("postponeDays", self.postpone_days, 1, 60);
        range("maxPostpones", self.max_postpones, 0, 2);
        range("tokenTtlDays", self.token_ttl_days, 1, 365);
        if let Some(cap) = self.frequency_cap_30d {
            range("frequencyCap30d", cap, 1, 100);
        }
        let mut text = |field: &'static str, v: &str, max: usize| {
            if v.trim().is_empty() {
                errors.push(FieldError { field, message: "must not be empty".into() });
            } else if v.chars().count() > max {
                errors.push(FieldError { field, message: format!("must be at most {max} characters") });
            }
        };
        text("name", &self.name, 200);
        text("consentText", &self.consent_text, 2000);
        text("prompt", &self.prompt, 500);
        for (locale, t) in &self.consent_texts {
            if !crate::domain::i18n::SHIPPED.contains(&locale.as_str()) {
                errors.push(FieldError {
                    field: "consentTexts",
                    message: format!("{locale:?} is not one of en, fr, de, es, it, nl, pt"),
                });
            } else if t.trim().is_empty() || t.chars().count() > 2000 {
                errors.push(FieldError { field: "consentTexts", message: format!("{locale}: 1 to 2000 characters") });
            }
        }
        if let Some(i) = &self.incentive
            && i.chars().count() > 500
        {
            errors.push(FieldError { field: "incentive", message: "must be at most 500 characters".into() });
        }
        let reward = match self.reward.clone().map(crate::domain::reward::Reward::validate) {
            Some(Ok(r)) => Some(r),
            Some(Err(bad)) => {
                let field = |f: &'static str| match f {
                    "value" => "reward.value",
                    "minimumSubtotal" => "reward.minimumSubtotal",
                    _ => "reward.expiresInDays",
                };
                errors.extend(bad.into_iter().map(|e| FieldError { field: field(e.field), message: e.message }));
                None
            }
            None => None,
        };
        let e = &self.eligibility;
        if e.min_order_total_cents.is_some_and(|c| c < 0) {
            errors.push(FieldError { field: "eligibility.minOrderTotal", message: "must not be negative".into() });
        }
        if let Some(p) = e.include_product_ids.iter().find(|p| e.exclude_product_ids.contains(p)) {
            errors.push(FieldError {
                field: "eligibility.excludeProductIds",
                message: format!("product {p} is both included and excluded"),
            });
        }
        if errors.is_empty() { Ok(Self { reward, ..self }) } else { Err(InvalidCampaign(errors)) }
    }
}

/// Campaign lifecycle: draft → active ⇄ paused; anything but archived → archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a campaign cannot go from {from} to {to}")]
pub struct InvalidCampaignTransition {
    pub from: CampaignStatus,
    pub to: CampaignStatus,
}

pub fn transition(from: CampaignStatus, to: CampaignStatus) -> Result<CampaignStatus, InvalidCampaignTransition> {
    use CampaignStatus::*;
    let ok = matches!((from, to), (Draft | Paused, Active) | (Active, Paused) | (Draft | Active | Paused, Archived));
    if ok { Ok(to) } else { Err(InvalidCampaignTransition { from, to }) }
}

/// Parses a money string like `"12.34"` into minor units; Shopify sends money as strings.
pub fn parse_money_cents(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let mut frac_digits: String = frac.chars().take(2).collect();
    while frac_digits.len() < 2 {
        frac_digits.push('0');
    }
    let cents = whole.checked_mul(100)?.checked_add(frac_digits.parse::<i64>().ok()?)?;
    Some(if neg { -cents } else { cents })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    pub(crate) fn settings() -> CampaignSettings {
        CampaignSettings {
            max_reminders: 2,
            ..CampaignSettings::new("After delivery", CampaignTrigger::OrderPaid, Channel::Email)
        }
    }

    #[test]
    fn each_channel_needs_its_request_template_and_reminders_their_own() {
        use {TemplateChannel as C, TemplateKind as K};
        assert_eq!(needed_templates(Channel::Email, false), vec![(C::Email, K::Request)]);
        assert_eq!(needed_templates(Channel::Sms, true), vec![(C::Sms, K::Request), (C::Sms, K::Reminder)]);
        assert_eq!(needed_templates(Channel::Both, false), vec![(C::Email, K::Request), (C::Sms, K::Request)]);
        assert_eq!(needed_templates(Channel::Both, true).len(), 4);
    }

    #[test]
    fn sensible_settings_pass() {
        assert!(settings().validate().is_ok());
        assert!(CampaignSettings { delay_days: 0, max_reminders: 5, ..settings() }.validate().is_ok());
        assert!(CampaignSettings { delay_days: 90, ..settings() }.validate().is_ok());
    }

    #[test]
    fn every_problem_is_reported_at_once_by_field() {
        let bad = CampaignSettings {
            name: " ".into(),
            delay_days: 91,
            max_reminders: 6,
            token_ttl_days: 0,
            frequency_cap_30d: Some(0),
            eligibility: Eligibility {
                include_product_ids: vec![1],
                exclude_product_ids: vec![1],
                min_order_total_cents: Some(-1),
                ..Eligibility::default()
            },
            ..settings()
        };
        let err = bad.validate().unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                "delayDays",
                "maxReminders",
                "tokenTtlDays",
                "frequencyCap30d",
                "name",
                "eligibility.minOrderTotal",
                "eligibility.excludeProductIds"
            ]
        );
        assert!(err.to_string().contains("delayDays: must be between 0 and 90, got 91"));
    }

    #[test]
    fn campaign_status_changes_follow_the_lifecycle() {
        use CampaignStatus::*;
        let allowed = [
            (Draft, Active),
            (Paused, Active),
            (Active, Paused),
            (Draft, Archived),
            (Active, Archived),
            (Paused, Archived),
        ];
        for from in CampaignStatus::iter() {
            for to in CampaignStatus::iter() {
                assert_eq!(transition(from, to).is_ok(), allowed.contains(&(from, to)), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn money_strings_parse_to_cents() {
        assert_eq!(parse_money_cents("12.34"), Some(1234));
        assert_eq!(parse_money_cents("12"), Some(1200));
        assert_eq!(parse_money_cents("12.5"), Some(1250));
        assert_eq!(parse_money_cents("0.00"), Some(0));
        assert_eq!(parse_money_cents("-3.10"), Some(-310));
        assert_eq!(parse_money_cents("1,000.00"), None);
        assert_eq!(parse_money_cents("abc"), None);
        assert_eq!(parse_money_cents(""), None);
    }

    #[test]
    fn stored_eligibility_tolerates_missing_and_corrupt_values() {
        assert_eq!(Eligibility::from_json(&serde_json::json!({})), Eligibility::default());
        assert_eq!(Eligibility::from_json(&serde_json::json!(42)), Eligibility::default());
        let e = Eligibility { exclude_product_ids: vec![9], ..Eligibility::default() };
        assert_eq!(Eligibility::from_json(&e.to_json()), e);
    }
}
