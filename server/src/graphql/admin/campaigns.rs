//! Campaign queries and mutations (DESIGN.md §6 names).

use super::ctx;
use crate::domain::campaign::{self, CampaignSettings, Eligibility};
use crate::domain::reward::Reward;
use crate::graphql::error::{ErrorCode, ToApiError, api_error};
use crate::services::campaigns::{self as service, CampaignError};
use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::campaigns;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::CampaignStatus")]
pub enum CampaignStatus {
    Draft,
    Active,
    Paused,
    Archived,
}

/// The names integrators rely on (DESIGN.md §6): `ORDER_PAID`, `ORDER_FULFILLED`, `ORDER_DELIVERED`.
#[allow(clippy::enum_variant_names)]
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::CampaignTrigger")]
pub enum CampaignTrigger {
    OrderPaid,
    OrderFulfilled,
    OrderDelivered,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::Channel")]
pub enum Channel {
    Email,
    Sms,
    Both,
}

pub struct Campaign(pub campaigns::Model);

#[Object]
impl Campaign {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn status(&self) -> CampaignStatus {
        self.0.status.into()
    }
    async fn trigger(&self) -> CampaignTrigger {
        self.0.trigger.into()
    }
    async fn channel(&self) -> Channel {
        self.0.channel.into()
    }
    /// Days between the trigger and the first message (UTC days).
    async fn delay_days(&self) -> i32 {
        self.0.delay_days
    }
    /// Delivered trigger only: plan this many days after fulfillment when no delivery event
    /// arrives (carriers without tracking).
    async fn fallback_days(&self) -> i32 {
        self.0.fallback_days
    }
    async fn reminder_enabled(&self) -> bool {
        self.0.reminder_enabled
    }
    async fn reminder_delay_days(&self) -> i32 {
        self.0.reminder_delay_days
    }
    async fn max_reminders(&self) -> i32 {
        self.0.max_reminders
    }
    async fn postpone_days(&self) -> i32 {
        self.0.postpone_days
    }
    async fn max_postpones(&self) -> i32 {
        self.0.max_postpones
    }
    async fn token_ttl_days(&self) -> i32 {
        self.0.token_ttl_days
    }
    /// At most this many requests per customer in any 30 days (none: no cap).
    #[graphql(name = "frequencyCap30d")]
    async fn frequency_cap_30d(&self) -> Option<i32> {
        self.0.frequency_cap_30d
    }
    async fn eligibility(&self) -> EligibilityRules {
        EligibilityRules(Eligibility::from_json(&self.0.eligibility))
    }
    async fn consent_text(&self) -> &str {
        &self.0.consent_text
    }
    /// The consent text in other languages (customers of those languages read it instead).
    async fn consent_texts(&self) -> Vec<LocalizedText> {
        let map: std::collections::BTreeMap<String, String> =
            self.0.consent_texts.as_ref().and_then(|j| serde_json::from_value(j.clone()).ok()).unwrap_or_default();
        map.into_iter().map(|(locale, text)| LocalizedText { locale, text }).collect()
    }
    async fn consent_version(&self) -> i32 {
        self.0.consent_version
    }
    async fn prompt(&self) -> &str {
        &self.0.prompt
    }
    async fn incentive(&self) -> Option<&str> {
        self.0.incentive.as_deref()
    }
    /// The thank-you everyone who submits gets: a unique single-use discount code (the same
    /// for every rating; never conditioned on what the customer says).
    async fn reward(&self) -> Option<CampaignReward> {
        self.0.reward.as_ref().and_then(Reward::from_json).map(CampaignReward::from)
    }
    /// The chosen templates; an empty slot sends the shop's `Default` template.
    async fn templates(&self) -> CampaignTemplates {
        let id = |v: Option<entity::TemplateId>| v.map(|u| ID(u.to_string()));
        CampaignTemplates {
            request_email: id(self.0.request_email_template_id),
            reminder_email: id(self.0.reminder_email_template_id),
            request_sms: id(self.0.request_sms_template_id),
            reminder_sms: id(self.0.reminder_sms_template_id),
        }
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A text in one language.
#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "LocalizedTextInput")]
pub struct LocalizedText {
    /// en, fr, de, es, it, nl or pt.
    pub locale: String,
    pub text: String,
}

fn localized(v: Vec<LocalizedText>) -> std::collections::BTreeMap<String, String> {
    v.into_iter().map(|t| (t.locale.trim().to_ascii_lowercase(), t.text.trim().to_owned())).collect()
}

/// A campaign's reward.
#[derive(SimpleObject)]
pub struct CampaignReward {
    pub kind: RewardKind,
    /// Percent, or an amount in the shop's currency, as a decimal string.
    pub value: String,
    pub minimum_subtotal: Option<String>,
    pub expires_in_days: i32,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::reward::RewardKind")]
pub enum RewardKind {
    Percentage,
    FixedAmount,
}

impl From<Reward> for CampaignReward {
    fn from(r: Reward) -> Self {
        Self {
            kind: r.kind.into(),
            value: r.value,
            minimum_subtotal: r.minimum_subtotal,
            expires_in_days: r.expires_in_days,
        }
    }
}

/// The thank-you to give everyone who submits.
#[derive(InputObject)]
pub struct RewardInput {
    pub kind: RewardKind,
    pub value: String,
    pub minimum_subtotal: Option<String>,
    #[graphql(default = 30)]
    pub expires_in_days: i32,
}

impl From<RewardInput> for Reward {
    fn from(r: RewardInput) -> Self {
        Self {
            kind: r.kind.into(),
            value: r.value,
            minimum_subtotal: r.minimum_subtotal,
            expires_in_days: r.expires_in_days,
        }
    }
}

pub struct EligibilityRules(Eligibility);

fn ids_out(v: &[i64]) -> Vec<ID> {
    v.iter().map(|i| ID(i.to_string())).collect()
}

#[Object]
impl EligibilityRules {
    /// Product ids as strings: Shopify ids exceed JavaScript's safe integers.
    async fn include_product_ids(&self) -> Vec<ID> {
        ids_out(&self.0.include_product_ids)
    }
    async fn exclude_product_ids(&self) -> Vec<ID> {
        ids_out(&self.0.exclude_product_ids)
    }
    /// Decimal string in the shop currency, e.g. "25.00".
    async fn min_order_total(&self) -> Option<String> {
        self.0.min_order_total_cents.map(|c| format!("{}.{:02}", c / 100, (c % 100).abs()))
    }
    async fn skip_gift_cards(&self) -> bool {
        self.0.skip_gift_cards
    }
    async fn skip_test_orders(&self) -> bool {
        self.0.skip_test_orders
    }
    async fn skip_items_not_requiring_shipping(&self) -> bool {
        self.0.skip_items_not_requiring_shipping
    }
    async fn require_contact_consent(&self) -> bool {
        self.0.require_contact_consent
    }
}

#[derive(async_graphql::SimpleObject)]
pub struct CampaignTemplates {
    pub request_email: Option<ID>,
    pub reminder_email: Option<ID>,
    pub request_sms: Option<ID>,
    pub reminder_sms: Option<ID>,
}

/// Template choices; a slot left out keeps its choice, `null` goes back to the `Default` template.
#[derive(InputObject, Default)]
pub struct CampaignTemplatesInput {
    pub request_email: MaybeUndefined<ID>,
    pub reminder_email: MaybeUndefined<ID>,
    pub request_sms: MaybeUndefined<ID>,
    pub reminder_sms: MaybeUndefined<ID>,
}

fn apply_templates(t: &mut campaign::CampaignTemplates, input: CampaignTemplatesInput) -> Result<()> {
    let slot = |field: &str, slot: &mut Option<entity::TemplateId>, v: MaybeUndefined<ID>| -> Result<()> {
        match v {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => *slot = None,
            MaybeUndefined::Value(id) => {
                *slot = Some(id.0.parse().map_err(|_| {
                    api_error(ErrorCode::Validation, format!("templates.{field}: {:?} is not a template id", id.0))
                })?)
            }
        }
        Ok(())
    };
    slot("requestEmail", &mut t.request_email, input.request_email)?;
    slot("reminderEmail", &mut t.reminder_email, input.reminder_email)?;
    slot("requestSms", &mut t.request_sms, input.request_sms)?;
    slot("reminderSms", &mut t.reminder_sms, input.reminder_sms)
}

#[derive(InputObject, Default)]
pub struct EligibilityInput {
    pub include_product_ids: Option<Vec<ID>>,
    pub exclude_product_ids: Option<Vec<ID>>,
    /// Decimal string; null removes the minimum.
    pub min_order_total: MaybeUndefined<String>,
    pub skip_gift_cards: Option<bool>,
    pub skip_test_orders: Option<bool>,
    pub skip_items_not_requiring_shipping: Option<bool>,
    pub require_contact_consent: Option<bool>,
}

#[derive(InputObject)]
pub struct CreateCampaignInput {
    pub name: String,
    pub trigger: CampaignTrigger,
    pub channel: Channel,
    #[graphql(default = 7)]
    pub delay_days: i32,
    #[graphql(default = 14)]
    pub fallback_days: i32,
    #[graphql(default = true)]
    pub reminder_enabled: bool,
    #[graphql(default = 3)]
    pub reminder_delay_days: i32,
    #[graphql(default = 1)]
    pub max_reminders: i32,
    #[graphql(default = 7)]
    pub postpone_days: i32,
    #[graphql(default = 1)]
    pub max_postpones: i32,
    #[graphql(default = 30)]
    pub token_ttl_days: i32,
    #[graphql(name = "frequencyCap30d")]
    pub frequency_cap_30d: Option<i32>,
    pub eligibility: Option<EligibilityInput>,
    pub consent_text: Option<String>,
    /// The consent text in other languages.
    pub consent_texts: Option<Vec<LocalizedText>>,
    pub prompt: Option<String>,
    pub incentive: Option<String>,
    pub reward: Option<RewardInput>,
    pub templates: Option<CampaignTemplatesInput>,
}

/// Every field optional: only what is given changes.
#[derive(InputObject)]
pub struct UpdateCampaignInput {
    pub name: Option<String>,
    pub trigger: Option<CampaignTrigger>,
    pub channel: Option<Channel>,
    pub delay_days: Option<i32>,
    pub fallback_days: Option<i32>,
    pub reminder_enabled: Option<bool>,
    pub reminder_delay_days: Option<i32>,
    pub max_reminders: Option<i32>,
    pub postpone_days: Option<i32>,
    pub max_postpones: Option<i32>,
    pub token_ttl_days: Option<i32>,
    #[graphql(name = "frequencyCap30d")]
    pub frequency_cap_30d: MaybeUndefined<i32>,
    pub eligibility: Option<EligibilityInput>,
    pub consent_text: Option<String>,
    /// Replaces the consent text's other languages (an empty list removes them).
    pub consent_texts: Option<Vec<LocalizedText>>,
    pub prompt: Option<String>,
    pub incentive: MaybeUndefined<String>,
    /// `null` removes the reward.
    pub reward: MaybeUndefined<RewardInput>,
    pub templates: Option<CampaignTemplatesInput>,
}

fn parse_ids(field: &str, ids: Vec<ID>) -> Result<Vec<i64>> {
    ids.iter().map(|id| crate::graphql::error::parse_shopify_id(id, field)).collect()
}

fn apply_eligibility(e: &mut Eligibility, input: EligibilityInput) -> Result<()> {
    if let Some(ids) = input.include_product_ids {
        e.include_product_ids = parse_ids("eligibility.includeProductIds", ids)?;
    }
    if let Some(ids) = input.exclude_product_ids {
        e.exclude_product_ids = parse_ids("eligibility.excludeProductIds", ids)?;
    }
    match input.min_order_total {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => e.min_order_total_cents = None,
        MaybeUndefined::Value(m) => {
            e.min_order_total_cents = Some(campaign::parse_money_cents(&m).ok_or_else(|| {
                api_error(ErrorCode::Validation, format!("eligibility.minOrderTotal: {m:?} is not an amount"))
            })?)
        }
    }
    let set = |slot: &mut bool, v: Option<bool>| {
        if let Some(v) = v {
            *slot = v;
        }
    };
    set(&mut e.skip_gift_cards, input.skip_gift_cards);
    set(&mut e.skip_test_orders, input.skip_test_orders);
    set(&mut e.skip_items_not_requiring_shipping, input.skip_items_not_requiring_shipping);
    set(&mut e.require_contact_consent, input.require_contact_consent);
    Ok(())
}

fn parse_id(id: &ID) -> Result<entity::CampaignId> {
    crate::graphql::error::parse_id(id, "campaign")
}

impl ToApiError for CampaignError {
    fn to_api_error(self) -> async_graphql::Error {
        match self {
            CampaignError::NotFound => api_error(ErrorCode::NotFound, "campaign not found"),
            CampaignError::Invalid(e) => {
                crate::graphql::error::field_errors(e.to_string(), e.0.iter().map(|f| (f.field, f.message.as_str())))
            }
            CampaignError::Transition(e) => api_error(ErrorCode::InvalidTransition, e.to_string()),
            CampaignError::Archived => {
                api_error(ErrorCode::InvalidTransition, "an archived campaign cannot be changed")
            }
            CampaignError::Conflict => {
                api_error(ErrorCode::Conflict, "the campaign changed meanwhile; reload and try again")
            }
            CampaignError::Database(e) => crate::graphql::error::internal(e),
        }
    }
}

#[derive(Default)]
pub struct CampaignQuery;

#[Object]
impl CampaignQuery {
    /// The shop's campaigns, newest first.
    async fn campaigns(&self, context: &Context<'_>) -> Result<Vec<Campaign>> {
        let (p, state) = ctx(context)?;
        let list = service::list(state.db(), p.shop_id).await.map_err(ToApiError::to_api_error)?;
        Ok(list.into_iter().map(Campaign).collect())
    }

    async fn campaign(&self, context: &Context<'_>, id: ID) -> Result<Campaign> {
        let (p, state) = ctx(context)?;
        let c = service::get(state.db(), p.shop_id, parse_id(&id)?).await.map_err(ToApiError::to_api_error)?;
        Ok(Campaign(c))
    }
}

#[derive(Default)]
pub struct CampaignMutation;

#[Object]
impl CampaignMutation {
    /// Creates a campaign in `DRAFT`; activate it to start planning requests.
    async fn create_campaign(&self, context: &Context<'_>, input: CreateCampaignInput) -> Result<Campaign> {
        let (p, state) = ctx(context)?;
        let mut eligibility = Eligibility::default();
        if let Some(e) = input.eligibility {
            apply_eligibility(&mut eligibility, e)?;
        }
        let mut templates = campaign::CampaignTemplates::default();
        if let Some(t) = input.templates {
            apply_templates(&mut templates, t)?;
        }
        let settings = CampaignSettings {
            name: input.name,
            trigger: input.trigger.into(),
            channel: input.channel.into(),
            delay_days: input.delay_days,
            fallback_days: input.fallback_days,
            reminder_enabled: input.reminder_enabled,
            reminder_delay_days: input.reminder_delay_days,
            max_reminders: input.max_reminders,
            postpone_days: input.postpone_days,
            max_postpones: input.max_postpones,
            token_ttl_days: input.token_ttl_days,
            frequency_cap_30d: input.frequency_cap_30d,
            eligibility,
            consent_text: input.consent_text.unwrap_or_else(|| campaign::DEFAULT_CONSENT_TEXT.into()),
            consent_texts: input.consent_texts.map(localized).unwrap_or_default(),
            prompt: input.prompt.unwrap_or_else(|| campaign::DEFAULT_PROMPT.into()),
            incentive: input.incentive,
            reward: input.reward.map(Reward::from),
            templates,
        };
        let c =
            service::create(state.db(), p.shop_id, settings, state.now()).await.map_err(ToApiError::to_api_error)?;
        Ok(Campaign(c))
    }

    async fn update_campaign(&self, context: &Context<'_>, id: ID, input: UpdateCampaignInput) -> Result<Campaign> {
        let (p, state) = ctx(context)?;
        let id = parse_id(&id)?;
        // Parse the eligibility change before touching anything, so bad ids fail cleanly.
        let current = service::get(state.db(), p.shop_id, id).await.map_err(ToApiError::to_api_error)?;
        let mut eligibility = Eligibility::from_json(&current.eligibility);
        if let Some(e) = input.eligibility {
            apply_eligibility(&mut eligibility, e)?;
        }
        let mut templates = service::settings_of(&current).templates;
        if let Some(t) = input.templates {
            apply_templates(&mut templates, t)?;
        }
        let change = move |s: &mut CampaignSettings| {
            macro_rules! take {
                ($($f:ident),*) => { $( if let Some(v) = input.$f { s.$f = v.into(); } )* };
            }
            take!(name, delay_days, fallback_days, reminder_enabled, reminder_delay_days, max_reminders);
            take!(postpone_days, max_postpones, token_ttl_days, consent_text, prompt);
            if let Some(t) = input.trigger {
                s.trigger = t.into();
            }
            if let Some(c) = input.channel {
                s.channel = c.into();
            }
            match input.frequency_cap_30d {
                MaybeUndefined::Undefined => {}
                MaybeUndefined::Null => s.frequency_cap_30d = None,
                MaybeUndefined::Value(v) => s.frequency_cap_30d = Some(v),
            }
            match input.incentive {
                MaybeUndefined::Undefined => {}
                MaybeUndefined::Null => s.incentive = None,
                MaybeUndefined::Value(v) => s.incentive = Some(v),
            }
            if let Some(texts) = input.consent_texts {
                s.consent_texts = localized(texts);
            }
            match input.reward {
                MaybeUndefined::Undefined => {}
                MaybeUndefined::Null => s.reward = None,
                MaybeUndefined::Value(v) => s.reward = Some(v.into()),
            }
            s.eligibility = eligibility;
            s.templates = templates;
        };
        let c =
            service::update(state.db(), p.shop_id, id, change, state.now()).await.map_err(ToApiError::to_api_error)?;
        Ok(Campaign(c))
    }

    async fn activate_campaign(&self, context: &Context<'_>, id: ID) -> Result<Campaign> {
        set_status(context, id, entity::CampaignStatus::Active).await
    }

    async fn pause_campaign(&self, context: &Context<'_>, id: ID) -> Result<Campaign> {
        set_status(context, id, entity::CampaignStatus::Paused).await
    }

    /// Archives the campaign for good; its requests that were never sent are expired.
    async fn archive_campaign(&self, context: &Context<'_>, id: ID) -> Result<Campaign> {
        set_status(context, id, entity::CampaignStatus::Archived).await
    }
}

async fn set_status(context: &Context<'_>, id: ID, to: entity::CampaignStatus) -> Result<Campaign> {
    let (p, state) = ctx(context)?;
    let c = service::set_status(state.db(), p.shop_id, parse_id(&id)?, to, state.now())
        .await
        .map_err(ToApiError::to_api_error)?;
    Ok(Campaign(c))
}
