//! The planner (DESIGN.md §5): which line items of an order get a testimonial request.
//!
//! Pure and deterministic: `(campaign, order, trigger time, customer history) → Plan`. One
//! request per eligible (product, variant) — never per unit — and every item left out carries
//! a reason, counted for the requests log and metrics.

use crate::domain::campaign::Eligibility;
use chrono::{DateTime, Duration, Utc};
use entity::Channel;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};

/// What the planner needs to know about the customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CustomerFacts {
    pub id: Option<i64>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub locale: Option<String>,
    pub email_consent: bool,
    pub sms_consent: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LineItemFacts {
    pub id: i64,
    /// Null when the product was deleted (`product_exists: false`).
    pub product_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub title: String,
    pub gift_card: bool,
    pub requires_shipping: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrderFacts {
    pub order_id: i64,
    pub order_name: Option<String>,
    pub test: bool,
    pub cancelled: bool,
    /// `total_price` in minor units, when Shopify sent a parseable one.
    pub total_cents: Option<i64>,
    pub customer: CustomerFacts,
    pub line_items: Vec<LineItemFacts>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignFacts {
    pub id: entity::CampaignId,
    pub channel: Channel,
    pub delay_days: i32,
    pub token_ttl_days: i32,
    pub frequency_cap_30d: Option<i32>,
    pub eligibility: Eligibility,
}

/// What we already asked this customer (loaded by the caller, by customer key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerHistory {
    /// Products this customer was ever asked about (by this shop, any campaign).
    pub asked_products: HashSet<i64>,
    /// Requests created for this customer in the last 30 days.
    pub requests_last_30d: u32,
    /// The customer asked this shop for no more messages.
    pub unsubscribed: bool,
}

/// Why an item was not planned. The names are stable: they are metric labels and appear in
/// the requests log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    OrderCancelled,
    TestOrder,
    BelowMinimumTotal,
    NoContact,
    NoConsent,
    NoProduct,
    GiftCard,
    NoShippingRequired,
    ExcludedProduct,
    NotIncludedProduct,
    DuplicateItem,
    AlreadyAsked,
    FrequencyCap,
    Unsubscribed,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderCancelled => "order_cancelled",
            Self::TestOrder => "test_order",
            Self::BelowMinimumTotal => "below_minimum_total",
            Self::NoContact => "no_contact",
            Self::NoConsent => "no_consent",
            Self::NoProduct => "no_product",
            Self::GiftCard => "gift_card",
            Self::NoShippingRequired => "no_shipping_required",
            Self::ExcludedProduct => "excluded_product",
            Self::NotIncludedProduct => "not_included_product",
            Self::DuplicateItem => "duplicate_item",
            Self::AlreadyAsked => "already_asked",
            Self::FrequencyCap => "frequency_cap",
            Self::Unsubscribed => "unsubscribed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRequest {
    pub line_item_id: i64,
    pub product_id: i64,
    pub variant_id: Option<i64>,
    pub product_title: String,
    pub channel: Channel,
    pub scheduled_for: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub requests: Vec<PlannedRequest>,
    pub skipped: BTreeMap<SkipReason, u32>,
}

impl Plan {
    fn skip(&mut self, reason: SkipReason, n: u32) {
        if n > 0 {
            *self.skipped.entry(reason).or_default() += n;
        }
    }
}

/// A stable, non-reversible key for "the same customer" across orders: SHA-256 of the
/// normalised email, else phone, else Shopify customer id. Hashing keeps contact data out of
/// the index while still matching the same person.
pub fn customer_key(c: &CustomerFacts) -> Option<String> {
    let raw = if let Some(e) = c.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        format!("email:{}", e.to_lowercase())
    } else if let Some(p) = c.phone.as_deref().map(normalise_phone).filter(|p| !p.is_empty()) {
        format!("phone:{p}")
    } else {
        format!("customer:{}", c.id?)
    };
    Some(hex::encode(Sha256::digest(raw.as_bytes())))
}

fn normalise_phone(p: &str) -> String {
    p.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect()
}

/// The channel a request will use, given the campaign's channel and what the customer gave us
/// (and agreed to, when the campaign requires consent). `None`: no way to reach them.
pub fn effective_channel(campaign: Channel, c: &CustomerFacts, require_consent: bool) -> Result<Channel, SkipReason> {
    let has_email = c.email.as_deref().is_some_and(|e| e.contains('@'));
    let has_phone = c.phone.as_deref().is_some_and(|p| normalise_phone(p).len() >= 6);
    let email_ok = has_email && (!require_consent || c.email_consent);
    let sms_ok = has_phone && (!require_consent || c.sms_consent);
    let (wants_email, wants_sms) = match campaign {
        Channel::Email => (true, false),
        Channel::Sms => (false, true),
        Channel::Both => (true, true),
    };
    match (wants_email && email_ok, wants_sms && sms_ok) {
        (true, true) => Ok(Channel::Both),
        (true, false) => Ok(Channel::Email),
        (false, true) => Ok(Channel::Sms),
        (false, false) => {
            let reachable = (wants_email && has_email) || (wants_sms && has_phone);
            Err(if reachable { SkipReason::NoConsent } else { SkipReason::NoContact })
        }
    }
}

/// Plans requests for `order` under `campaign`. `only_line_items` restricts planning to the
/// items of one fulfillment (partial shipments); items outside it are simply not part of this
/// plan, not "skipped".
pub fn plan(
    campaign: &CampaignFacts,
    order: &OrderFacts,
    trigger_at: DateTime<Utc>,
    only_line_items: Option<&[i64]>,
    history: &CustomerHistory,
) -> Plan {
    let mut plan = Plan::default();
    let items: Vec<&LineItemFacts> =
        order.line_items.iter().filter(|li| only_line_items.is_none_or(|ids| ids.contains(&li.id))).collect();
    let n = u32::try_from(items.len()).unwrap_or(u32::MAX);
    let rules = &campaign.eligibility;

    let order_level = if order.cancelled {
        Some(SkipReason::OrderCancelled)
    } else if history.unsubscribed {
        Some(SkipReason::Unsubscribed)
    } else if order.test && rules.skip_test_orders {
        Some(SkipReason::TestOrder)
    } else if rules.min_order_total_cents.is_some_and(|min| order.total_cents.unwrap_or(0) < min) {
        Some(SkipReason::BelowMinimumTotal)
    } else {
        None
    };
    if let Some(reason) = order_level {
        plan.skip(reason, n);
        return plan;
    }
    let channel = match effective_channel(campaign.channel, &order.customer, rules.require_contact_consent) {
        Ok(c) => c,
        Err(reason) => {
            plan.skip(reason, n);
            return plan;
        }
    };

    let scheduled_for = trigger_at + Duration::days(i64::from(campaign.delay_days));
    let expires_at = scheduled_for + Duration::days(i64::from(campaign.token_ttl_days));
    let mut seen: HashSet<(i64, Option<i64>)> = HashSet::new();
    let mut budget =
        campaign.frequency_cap_30d.map(|cap| u32::try_from(cap).unwrap_or(0).saturating_sub(history.requests_last_30d));

    for li in items {
        let Some(product_id) = li.product_id else {
            plan.skip(SkipReason::NoProduct, 1);
            continue;
        };
        let reason = if li.gift_card && rules.skip_gift_cards {
            Some(SkipReason::GiftCard)
        } else if !li.requires_shipping && rules.skip_items_not_requiring_shipping {
            Some(SkipReason::NoShippingRequired)
        } else if rules.exclude_product_ids.contains(&product_id) {
            Some(SkipReason::ExcludedProduct)
        } else if !rules.include_product_ids.is_empty() && !rules.include_product_ids.contains(&product_id) {
            Some(SkipReason::NotIncludedProduct)
        } else if !seen.insert((product_id, li.variant_id)) {
            Some(SkipReason::DuplicateItem)
        } else if history.asked_products.contains(&product_id)
            || plan.requests.iter().any(|r| r.product_id == product_id && r.variant_id != li.variant_id)
        {
            // Never the same product twice for one customer, across orders and variants.
            Some(SkipReason::AlreadyAsked)
        } else if budget == Some(0) {
            Some(SkipReason::FrequencyCap)
        } else {
            None
        };
        if let Some(r) = reason {
            plan.skip(r, 1);
            continue;
        }
        if let Some(b) = budget.as_mut() {
            *b -= 1;
        }
        plan.requests.push(PlannedRequest {
            line_item_id: li.id,
            product_id,
            variant_id: li.variant_id,
            product_title: li.title.clone(),
            channel,
            scheduled_for,
            expires_at,
        });
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 15, 30, 0).unwrap()
    }

    fn campaign() -> CampaignFacts {
        CampaignFacts {
            id: entity::CampaignId(uuid::Uuid::nil()),
            channel: Channel::Email,
            delay_days: 7,
            token_ttl_days: 30,
            frequency_cap_30d: None,
            eligibility: Eligibility::default(),
        }
    }

    fn item(id: i64, product: i64) -> LineItemFacts {
        LineItemFacts {
            id,
            product_id: Some(product),
            variant_id: Some(product * 10),
            title: format!("Product {product}"),
            gift_card: false,
            requires_shipping: true,
        }
    }

    fn order() -> OrderFacts {
        OrderFacts {
            order_id: 820_982_911_946_154_508,
            order_name: Some("#1001".into()),
            test: false,
            cancelled: false,
            total_cents: Some(12_000),
            customer: CustomerFacts {
                id: Some(115_310_627_314_723_954),
                email: Some("Ada@Example.com".into()),
                phone: Some("+1 555 010 9999".into()),
                first_name: Some("Ada".into()),
                email_consent: false,
                sms_consent: true,
                ..CustomerFacts::default()
            },
            line_items: vec![item(1, 101), item(2, 102), item(3, 103)],
        }
    }

    fn skipped(p: &Plan) -> Vec<(SkipReason, u32)> {
        p.skipped.iter().map(|(k, v)| (*k, *v)).collect()
    }

    #[test]
    fn one_request_per_product_scheduled_after_the_delay_and_expiring_after_the_ttl() {
        let p = plan(&campaign(), &order(), t0(), None, &CustomerHistory::default());
        assert_eq!(p.requests.len(), 3);
        assert!(p.skipped.is_empty());
        for r in &p.requests {
            assert_eq!(r.scheduled_for, t0() + Duration::days(7));
            assert_eq!(r.expires_at, t0() + Duration::days(37));
            assert_eq!(r.channel, Channel::Email);
        }
        assert_eq!(p.requests.iter().map(|r| r.product_id).collect::<Vec<_>>(), vec![101, 102, 103]);
        // Deterministic: same input, same plan.
        assert_eq!(p, plan(&campaign(), &order(), t0(), None, &CustomerHistory::default()));
    }

    #[test]
    fn the_same_product_and_variant_twice_is_one_request_other_variants_are_already_asked() {
        let mut o = order();
        o.line_items = vec![item(1, 101), item(2, 101), LineItemFacts { variant_id: Some(999), ..item(3, 101) }];
        let p = plan(&campaign(), &o, t0(), None, &CustomerHistory::default());
        assert_eq!(p.requests.len(), 1);
        assert_eq!(skipped(&p), vec![(SkipReason::DuplicateItem, 1), (SkipReason::AlreadyAsked, 1)]);
    }

    #[test]
    fn order_level_skips_count_every_item() {
        let cases = [
            (OrderFacts { cancelled: true, ..order() }, SkipReason::OrderCancelled),
            (OrderFacts { test: true, ..order() }, SkipReason::TestOrder),
            (
                OrderFacts { customer: CustomerFacts { email: None, ..order().customer }, ..order() },
                SkipReason::NoContact,
            ),
        ];
        for (o, reason) in cases {
            let p = plan(&campaign(), &o, t0(), None, &CustomerHistory::default());
            assert!(p.requests.is_empty(), "{reason:?}");
            assert_eq!(skipped(&p), vec![(reason, 3)]);
        }
        let mut c = campaign();
        c.eligibility.min_order_total_cents = Some(20_000);
        assert_eq!(
            skipped(&plan(&c, &order(), t0(), None, &CustomerHistory::default())),
            vec![(SkipReason::BelowMinimumTotal, 3)]
        );
        c.eligibility.skip_test_orders = false;
        c.eligibility.min_order_total_cents = None;
        assert_eq!(
            plan(&c, &OrderFacts { test: true, ..order() }, t0(), None, &CustomerHistory::default()).requests.len(),
            3
        );
    }

    #[test]
    fn item_rules_skip_with_their_reason() {
        let mut o = order();
        o.line_items = vec![
            LineItemFacts { gift_card: true, ..item(1, 101) },
            LineItemFacts { requires_shipping: false, ..item(2, 102) },
            item(3, 103),
            LineItemFacts { product_id: None, ..item(4, 104) },
            item(5, 105),
        ];
        let mut c = campaign();
        c.eligibility.skip_items_not_requiring_shipping = true;
        c.eligibility.exclude_product_ids = vec![103];
        let p = plan(&c, &o, t0(), None, &CustomerHistory::default());
        assert_eq!(p.requests.iter().map(|r| r.product_id).collect::<Vec<_>>(), vec![105]);
        assert_eq!(
            skipped(&p),
            vec![
                (SkipReason::NoProduct, 1),
                (SkipReason::GiftCard, 1),
                (SkipReason::NoShippingRequired, 1),
                (SkipReason::ExcludedProduct, 1)
            ]
        );
        c.eligibility = Eligibility { include_product_ids: vec![105], ..Eligibility::default() };
        let p = plan(&c, &order(), t0(), None, &CustomerHistory::default());
        assert_eq!(skipped(&p), vec![(SkipReason::NotIncludedProduct, 3)]);
    }

    #[test]
    fn frequency_caps_never_repeat_a_product_and_limit_requests_per_30_days() {
        let history =
            CustomerHistory { asked_products: [102].into_iter().collect(), requests_last_30d: 1, unsubscribed: false };
        let p = plan(&campaign(), &order(), t0(), None, &history);
        assert_eq!(p.requests.len(), 2);
        assert_eq!(skipped(&p), vec![(SkipReason::AlreadyAsked, 1)]);
        let c = CampaignFacts { frequency_cap_30d: Some(2), ..campaign() };
        let p = plan(&c, &order(), t0(), None, &CustomerHistory { requests_last_30d: 1, ..Default::default() });
        let gone = plan(&c, &order(), t0(), None, &CustomerHistory { unsubscribed: true, ..Default::default() });
        assert!(gone.requests.is_empty());
        assert_eq!(skipped(&gone).first().map(|(r, _)| *r), Some(SkipReason::Unsubscribed));
        assert_eq!(p.requests.len(), 1, "cap 2 with 1 already sent leaves one");
        assert_eq!(skipped(&p), vec![(SkipReason::FrequencyCap, 2)]);
    }

    #[test]
    fn a_fulfillment_plans_only_its_own_items() {
        let p = plan(&campaign(), &order(), t0(), Some(&[2]), &CustomerHistory::default());
        assert_eq!(p.requests.len(), 1);
        assert_eq!(p.requests[0].line_item_id, 2);
        assert!(p.skipped.is_empty(), "items of other shipments are not skips");
    }

    #[test]
    fn channels_follow_contact_and_consent() {
        let c = order().customer;
        assert_eq!(effective_channel(Channel::Both, &c, false), Ok(Channel::Both));
        assert_eq!(effective_channel(Channel::Both, &c, true), Ok(Channel::Sms), "no email consent");
        assert_eq!(effective_channel(Channel::Email, &c, true), Err(SkipReason::NoConsent));
        let no_phone = CustomerFacts { phone: None, ..c.clone() };
        assert_eq!(effective_channel(Channel::Sms, &no_phone, false), Err(SkipReason::NoContact));
        assert_eq!(effective_channel(Channel::Both, &no_phone, false), Ok(Channel::Email));
        let bad_email = CustomerFacts { email: Some("not-an-address".into()), phone: None, ..c };
        assert_eq!(effective_channel(Channel::Email, &bad_email, false), Err(SkipReason::NoContact));
    }

    #[test]
    fn customer_keys_match_the_same_person_and_hide_the_address() {
        let a = CustomerFacts { email: Some(" Ada@Example.com ".into()), ..Default::default() };
        let b = CustomerFacts { email: Some("ada@example.com".into()), id: Some(5), ..Default::default() };
        assert_eq!(customer_key(&a), customer_key(&b));
        let k = customer_key(&a).unwrap();
        assert_eq!(k.len(), 64);
        assert!(!k.contains("ada"));
        let phone_only = CustomerFacts { phone: Some("+1 (555) 010".into()), ..Default::default() };
        assert_ne!(customer_key(&phone_only), customer_key(&a));
        assert_eq!(customer_key(&CustomerFacts::default()), None);
    }
}
