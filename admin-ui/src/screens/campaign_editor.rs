//! A campaign's editor (`/app/campaigns/new` creates one): every setting the API has, the
//! API's own field errors next to each field, the contextual save bar, and the status changes
//! with a confirmation that says what happens to the requests already planned.

use crate::api;
use crate::components::{
    Checkbox, Confirm, ErrorBanner, Page, SaveBar, Section, Select, StatusBadge, TextField, field_error, toast,
};
use api_client::admin::*;
use api_client::{ApiError, ErrorCode, FieldError, wire_name};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_params_map};

type Campaign = campaign_editor::CampaignFields;
type TemplateRow = campaign_templates::CampaignTemplatesTemplates;

/// The form: every field as the merchant types it (numbers as text until saved).
#[derive(Clone, Copy)]
struct Form {
    name: RwSignal<String>,
    trigger: RwSignal<String>,
    channel: RwSignal<String>,
    delay_days: RwSignal<String>,
    fallback_days: RwSignal<String>,
    reminder_enabled: RwSignal<bool>,
    reminder_delay_days: RwSignal<String>,
    max_reminders: RwSignal<String>,
    postpone_days: RwSignal<String>,
    max_postpones: RwSignal<String>,
    token_ttl_days: RwSignal<String>,
    frequency_cap: RwSignal<String>,
    include_products: RwSignal<String>,
    exclude_products: RwSignal<String>,
    min_order_total: RwSignal<String>,
    skip_gift_cards: RwSignal<bool>,
    skip_test_orders: RwSignal<bool>,
    skip_no_shipping: RwSignal<bool>,
    require_consent: RwSignal<bool>,
    prompt: RwSignal<String>,
    consent_text: RwSignal<String>,
    incentive: RwSignal<String>,
    /// The discount for everyone who submits: no value, no reward.
    reward_kind: RwSignal<String>,
    reward_value: RwSignal<String>,
    reward_minimum: RwSignal<String>,
    reward_days: RwSignal<String>,
    request_email: RwSignal<String>,
    reminder_email: RwSignal<String>,
    request_sms: RwSignal<String>,
    reminder_sms: RwSignal<String>,
}

/// A form's values, for telling whether anything changed.
type Snapshot = Vec<String>;

impl Form {
    fn new() -> Self {
        let s = || RwSignal::new(String::new());
        let b = || RwSignal::new(false);
        Self {
            name: s(),
            trigger: s(),
            channel: s(),
            delay_days: s(),
            fallback_days: s(),
            reminder_enabled: b(),
            reminder_delay_days: s(),
            max_reminders: s(),
            postpone_days: s(),
            max_postpones: s(),
            token_ttl_days: s(),
            frequency_cap: s(),
            include_products: s(),
            exclude_products: s(),
            min_order_total: s(),
            skip_gift_cards: b(),
            skip_test_orders: b(),
            skip_no_shipping: b(),
            require_consent: b(),
            prompt: s(),
            consent_text: s(),
            incentive: s(),
            reward_kind: RwSignal::new("PERCENTAGE".to_owned()),
            reward_value: s(),
            reward_minimum: s(),
            reward_days: RwSignal::new("30".to_owned()),
            request_email: s(),
            reminder_email: s(),
            request_sms: s(),
            reminder_sms: s(),
        }
    }

    /// A new campaign's defaults are the API's.
    fn defaults(self) {
        self.name.set("Video testimonials".into());
        self.trigger.set("ORDER_DELIVERED".into());
        self.channel.set("EMAIL".into());
        for (sig, v) in [
            (self.delay_days, "7"),
            (self.fallback_days, "14"),
            (self.reminder_delay_days, "3"),
            (self.max_reminders, "1"),
            (self.postpone_days, "7"),
            (self.max_postpones, "1"),
            (self.token_ttl_days, "30"),
        ] {
            sig.set(v.into());
        }
        self.reminder_enabled.set(true);
        self.skip_gift_cards.set(true);
        self.skip_test_orders.set(true);
    }

    fn load(self, c: &Campaign) {
        self.name.set(c.name.clone());
        self.trigger.set(wire_name(&c.trigger));
        self.channel.set(wire_name(&c.channel));
        self.delay_days.set(c.delay_days.to_string());
        self.fallback_days.set(c.fallback_days.to_string());
        self.reminder_enabled.set(c.reminder_enabled);
        self.reminder_delay_days.set(c.reminder_delay_days.to_string());
        self.max_reminders.set(c.max_reminders.to_string());
        self.postpone_days.set(c.postpone_days.to_string());
        self.max_postpones.set(c.max_postpones.to_string());
        self.token_ttl_days.set(c.token_ttl_days.to_string());
        self.frequency_cap.set(c.frequency_cap30d.map(|n| n.to_string()).unwrap_or_default());
        let e = &c.eligibility;
        self.include_products.set(e.include_product_ids.join(", "));
        self.exclude_products.set(e.exclude_product_ids.join(", "));
        self.min_order_total.set(e.min_order_total.clone().unwrap_or_default());
        self.skip_gift_cards.set(e.skip_gift_cards);
        self.skip_test_orders.set(e.skip_test_orders);
        self.skip_no_shipping.set(e.skip_items_not_requiring_shipping);
        self.require_consent.set(e.require_contact_consent);
        self.prompt.set(c.prompt.clone());
        self.consent_text.set(c.consent_text.clone());
        self.incentive.set(c.incentive.clone().unwrap_or_default());
        if let Some(r) = &c.reward {
            let kind = match r.kind {
                campaign_editor::RewardKind::FIXED_AMOUNT => "FIXED_AMOUNT",
                _ => "PERCENTAGE",
            };
            self.reward_kind.set(kind.to_owned());
            self.reward_value.set(r.value.clone());
            self.reward_minimum.set(r.minimum_subtotal.clone().unwrap_or_default());
            self.reward_days.set(r.expires_in_days.to_string());
        }
        let t = &c.templates;
        self.request_email.set(t.request_email.clone().unwrap_or_default());
        self.reminder_email.set(t.reminder_email.clone().unwrap_or_default());
        self.request_sms.set(t.request_sms.clone().unwrap_or_default());
        self.reminder_sms.set(t.reminder_sms.clone().unwrap_or_default());
    }

    fn snapshot(self) -> Snapshot {
        let texts = [
            self.name,
            self.trigger,
            self.channel,
            self.delay_days,
            self.fallback_days,
            self.reminder_delay_days,
            self.max_reminders,
            self.postpone_days,
            self.max_postpones,
            self.token_ttl_days,
            self.frequency_cap,
            self.include_products,
            self.exclude_products,
            self.min_order_total,
            self.prompt,
            self.consent_text,
            self.incentive,
            self.reward_kind,
            self.reward_value,
            self.reward_minimum,
            self.reward_days,
            self.request_email,
            self.reminder_email,
            self.request_sms,
            self.reminder_sms,
        ];
        let flags = [
            self.reminder_enabled,
            self.skip_gift_cards,
            self.skip_test_orders,
            self.skip_no_shipping,
            self.require_consent,
        ];
        texts.iter().map(|s| s.get()).chain(flags.iter().map(|b| b.get().to_string())).collect()
    }

    /// The whole-number fields, or the fields that are not numbers.
    fn numbers(self) -> Result<Numbers, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut num = |field: &str, s: RwSignal<String>| match s.get_untracked().trim().parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                errors.push(FieldError { field: field.into(), message: "must be a whole number".into() });
                0
            }
        };
        let n = Numbers {
            delay_days: num("delayDays", self.delay_days),
            fallback_days: num("fallbackDays", self.fallback_days),
            reminder_delay_days: num("reminderDelayDays", self.reminder_delay_days),
            max_reminders: num("maxReminders", self.max_reminders),
            postpone_days: num("postponeDays", self.postpone_days),
            max_postpones: num("maxPostpones", self.max_postpones),
            token_ttl_days: num("tokenTtlDays", self.token_ttl_days),
            frequency_cap: match self.frequency_cap.get_untracked().trim() {
                "" => None,
                t => Some(t.parse::<i64>().unwrap_or_else(|_| {
                    errors.push(FieldError {
                        field: "frequencyCap30d".into(),
                        message: "must be a whole number, or empty for no cap".into(),
                    });
                    0
                })),
            },
        };
        if errors.is_empty() { Ok(n) } else { Err(errors) }
    }
}

struct Numbers {
    delay_days: i64,
    fallback_days: i64,
    reminder_delay_days: i64,
    max_reminders: i64,
    postpone_days: i64,
    max_postpones: i64,
    token_ttl_days: i64,
    frequency_cap: Option<i64>,
}

fn text(s: RwSignal<String>) -> Option<String> {
    let v = s.get_untracked();
    (!v.trim().is_empty()).then(|| v.trim().to_owned())
}

fn ids(s: RwSignal<String>) -> Vec<String> {
    s.get_untracked().split([',', ' ', '\n']).map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()
}

/// Saves the form: a new campaign is created (and the editor moves to its address), an
/// existing one updated with every field.
async fn save(id: Option<String>, f: Form) -> Result<String, ApiError> {
    let n = f.numbers().map_err(|fields| ApiError {
        code: ErrorCode::Validation,
        message: "Some fields need a number.".into(),
        fields,
        rows: Vec::new(),
    })?;
    macro_rules! input_parts {
        ($m:ident) => {{
            use $m::*;
            let trigger = match f.trigger.get_untracked().as_str() {
                "ORDER_PAID" => CampaignTrigger::ORDER_PAID,
                "ORDER_FULFILLED" => CampaignTrigger::ORDER_FULFILLED,
                _ => CampaignTrigger::ORDER_DELIVERED,
            };
            let channel = match f.channel.get_untracked().as_str() {
                "SMS" => Channel::SMS,
                "BOTH" => Channel::BOTH,
                _ => Channel::EMAIL,
            };
            let eligibility = EligibilityInput {
                include_product_ids: Some(ids(f.include_products)),
                exclude_product_ids: Some(ids(f.exclude_products)),
                min_order_total: text(f.min_order_total),
                skip_gift_cards: Some(f.skip_gift_cards.get_untracked()),
                skip_test_orders: Some(f.skip_test_orders.get_untracked()),
                skip_items_not_requiring_shipping: Some(f.skip_no_shipping.get_untracked()),
                require_contact_consent: Some(f.require_consent.get_untracked()),
            };
            let templates = CampaignTemplatesInput {
                request_email: text(f.request_email),
                reminder_email: text(f.reminder_email),
                request_sms: text(f.request_sms),
                reminder_sms: text(f.reminder_sms),
            };
            (trigger, channel, eligibility, templates)
        }};
    }
    // The reward as the form has it: no value means none (an update then removes it).
    macro_rules! reward {
        ($m:ident) => {{
            text(f.reward_value).map(|value| $m::RewardInput {
                kind: if f.reward_kind.get_untracked() == "FIXED_AMOUNT" {
                    $m::RewardKind::FIXED_AMOUNT
                } else {
                    $m::RewardKind::PERCENTAGE
                },
                value,
                minimum_subtotal: text(f.reward_minimum),
                expires_in_days: f.reward_days.get_untracked().trim().parse().unwrap_or(30),
            })
        }};
    }
    match id {
        None => {
            let (trigger, channel, eligibility, templates) = input_parts!(create_campaign);
            let input = create_campaign::CreateCampaignInput {
                name: f.name.get_untracked(),
                trigger,
                channel,
                delay_days: n.delay_days,
                fallback_days: n.fallback_days,
                reminder_enabled: f.reminder_enabled.get_untracked(),
                reminder_delay_days: n.reminder_delay_days,
                max_reminders: n.max_reminders,
                postpone_days: n.postpone_days,
                max_postpones: n.max_postpones,
                token_ttl_days: n.token_ttl_days,
                frequency_cap30d: n.frequency_cap,
                eligibility: Some(eligibility),
                consent_text: text(f.consent_text),
                prompt: text(f.prompt),
                incentive: text(f.incentive),
                reward: reward!(create_campaign),
                // Translations of the consent are set through the API; the form keeps them.
                consent_texts: None,
                templates: Some(templates),
            };
            Ok(api::run::<CreateCampaign>(create_campaign::Variables { input }).await?.create_campaign.id)
        }
        Some(id) => {
            let (trigger, channel, eligibility, templates) = input_parts!(update_campaign);
            let input = update_campaign::UpdateCampaignInput {
                name: Some(f.name.get_untracked()),
                trigger: Some(trigger),
                channel: Some(channel),
                delay_days: Some(n.delay_days),
                fallback_days: Some(n.fallback_days),
                reminder_enabled: Some(f.reminder_enabled.get_untracked()),
                reminder_delay_days: Some(n.reminder_delay_days),
                max_reminders: Some(n.max_reminders),
                postpone_days: Some(n.postpone_days),
                max_postpones: Some(n.max_postpones),
                token_ttl_days: Some(n.token_ttl_days),
                frequency_cap30d: n.frequency_cap,
                eligibility: Some(eligibility),
                consent_text: Some(f.consent_text.get_untracked()),
                prompt: Some(f.prompt.get_untracked()),
                incentive: text(f.incentive),
                reward: reward!(update_campaign),
                consent_texts: None,
                templates: Some(templates),
            };
            api::run::<UpdateCampaign>(update_campaign::Variables { id: id.clone(), input }).await?;
            Ok(id)
        }
    }
}

#[component]
pub fn CampaignEditor() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id")).filter(|i| i != "new"));
    let form = Form::new();
    let saved = RwSignal::new(Snapshot::new());
    let campaign = RwSignal::new(None::<Campaign>);
    let templates = RwSignal::new(Vec::<TemplateRow>::new());
    let load_error = RwSignal::new(None::<ApiError>);
    let errors = RwSignal::new(None::<ApiError>);
    let saving = RwSignal::new(false);
    let reload = RwSignal::new(0u32);

    Effect::new(move |_| {
        reload.track();
        let id = id.get();
        spawn_local(async move {
            match id {
                None => {
                    form.defaults();
                    match api::run::<CampaignTemplates>(campaign_templates::Variables).await {
                        Ok(d) => templates.set(d.templates),
                        Err(e) => load_error.set(Some(e)),
                    }
                }
                Some(id) => match api::run::<CampaignEditor>(campaign_editor::Variables { id }).await {
                    Ok(d) => {
                        form.load(&d.campaign);
                        campaign.set(Some(d.campaign));
                        templates.set(
                            d.templates
                                .into_iter()
                                .map(|t| TemplateRow {
                                    id: t.id,
                                    name: t.name,
                                    channel: convert(&t.channel),
                                    kind: convert(&t.kind),
                                    locale: t.locale,
                                })
                                .collect(),
                        );
                    }
                    Err(e) => load_error.set(Some(e)),
                },
            }
            saved.set(form.snapshot());
        });
    });
    let dirty = Signal::derive(move || !saved.get().is_empty() && form.snapshot() != saved.get());
    let navigate = use_navigate();
    let on_save = Callback::new(move |_| {
        saving.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            match save(id.get_untracked(), form).await {
                Ok(new_id) => {
                    errors.set(None);
                    saved.set(form.snapshot());
                    toast("Campaign saved");
                    if id.get_untracked().is_none() {
                        navigate(&format!("/app/campaigns/{new_id}"), NavigateOptions::default());
                    } else {
                        reload.update(|n| *n += 1);
                    }
                }
                Err(e) => errors.set(Some(e)),
            }
            saving.set(false);
        });
    });
    let on_discard = Callback::new(move |_| {
        errors.set(None);
        match campaign.get_untracked() {
            Some(c) => form.load(&c),
            None => form.defaults(),
        }
    });
    let fe = move |name: &'static str| field_error(errors, name);
    let options = |list: &[(&str, &str)]| -> Signal<Vec<(String, String)>> {
        Signal::stored(list.iter().map(|(v, l)| ((*v).to_owned(), (*l).to_owned())).collect())
    };
    let template_options = move |channel: &'static str, kind: &'static str| {
        Signal::derive(move || {
            let mut o = vec![(String::new(), "The shop's default template".to_owned())];
            o.extend(
                templates
                    .get()
                    .into_iter()
                    .filter(|t| wire_name(&t.channel) == channel && wire_name(&t.kind) == kind)
                    .map(|t| (t.id, format!("{} ({})", t.name, t.locale))),
            );
            o
        })
    };
    let title = if id.get_untracked().is_some() { "Edit campaign" } else { "New campaign" };

    view! {
        <Page title back="/app/campaigns">
            <SaveBar dirty saving on_save on_discard/>
            {move || load_error.get().map(|e| view! { <ErrorBanner error=e/> })}
            {move || errors.get().map(|e| view! {
                <s-banner tone="critical" heading="The campaign was not saved" data-testid="save-error">
                    <p>{crate::components::sentence(&e)}</p>
                </s-banner>
            })}
            {move || campaign.get().map(|c| view! { <StatusPanel c reload dirty/> })}
            <form class="rp-form" data-save-bar="" on:submit=move |ev| { ev.prevent_default(); on_save.run(()) }>
                <Section heading="Basics">
                    <TextField label="Name" name="name" value=form.name error=fe("name")/>
                    <Select label="Ask after" name="trigger" value=form.trigger error=fe("trigger")
                        options=options(&[("ORDER_PAID", "The order is paid"), ("ORDER_FULFILLED", "The order is fulfilled"), ("ORDER_DELIVERED", "The order is delivered")])/>
                    <Select label="Send by" name="channel" value=form.channel error=fe("channel")
                        options=options(&[("EMAIL", "Email"), ("SMS", "SMS"), ("BOTH", "Email and SMS")])/>
                    <TextField label="Days to wait" name="delayDays" kind="number" value=form.delay_days error=fe("delayDays") help="Between the trigger and the first message (0–90)."/>
                    <Show when=move || form.trigger.get() == "ORDER_DELIVERED">
                        <TextField label="Fallback days after fulfillment" name="fallbackDays" kind="number" value=form.fallback_days error=fe("fallbackDays") help="For carriers that never report delivery (1–90)."/>
                    </Show>
                </Section>
                <Section heading="Reminders and postponing">
                    <Checkbox label="Send reminders" name="reminderEnabled" checked=form.reminder_enabled/>
                    <TextField label="Days before a reminder" name="reminderDelayDays" kind="number" value=form.reminder_delay_days error=fe("reminderDelayDays")/>
                    <TextField label="Reminders at most" name="maxReminders" kind="number" value=form.max_reminders error=fe("maxReminders")/>
                    <TextField label="Days a customer can postpone by" name="postponeDays" kind="number" value=form.postpone_days error=fe("postponeDays") help="The “not arrived yet?” link moves the request this much later."/>
                    <TextField label="Postpones at most" name="maxPostpones" kind="number" value=form.max_postpones error=fe("maxPostpones")/>
                    <TextField label="Link lifetime (days)" name="tokenTtlDays" kind="number" value=form.token_ttl_days error=fe("tokenTtlDays")/>
                    <TextField label="Requests per customer in 30 days" name="frequencyCap30d" kind="number" value=form.frequency_cap error=fe("frequencyCap30d") help="Empty: no cap."/>
                </Section>
                <Section heading="Who is asked">
                    <TextField label="Only these products (ids)" name="eligibility.includeProductIds" value=form.include_products error=fe("eligibility.includeProductIds") help="Comma-separated; empty: every product."/>
                    <TextField label="Never these products (ids)" name="eligibility.excludeProductIds" value=form.exclude_products error=fe("eligibility.excludeProductIds")/>
                    <TextField label="Minimum order total" name="eligibility.minOrderTotal" value=form.min_order_total error=fe("eligibility.minOrderTotal") placeholder="25.00"/>
                    <Checkbox label="Skip gift cards" name="skipGiftCards" checked=form.skip_gift_cards/>
                    <Checkbox label="Skip test orders" name="skipTestOrders" checked=form.skip_test_orders/>
                    <Checkbox label="Skip items that need no shipping" name="skipItemsNotRequiringShipping" checked=form.skip_no_shipping/>
                    <Checkbox label="Only customers who accepted marketing" name="requireContactConsent" checked=form.require_consent/>
                </Section>
                <Section heading="Messages">
                    <Select label="Request email" name="templates.requestEmail" value=form.request_email options=template_options("EMAIL", "REQUEST") error=fe("templates.requestEmail")/>
                    <Select label="Reminder email" name="templates.reminderEmail" value=form.reminder_email options=template_options("EMAIL", "REMINDER") error=fe("templates.reminderEmail")/>
                    <Select label="Request SMS" name="templates.requestSms" value=form.request_sms options=template_options("SMS", "REQUEST") error=fe("templates.requestSms")/>
                    <Select label="Reminder SMS" name="templates.reminderSms" value=form.reminder_sms options=template_options("SMS", "REMINDER") error=fe("templates.reminderSms")/>
                </Section>
                <Section heading="Capture page">
                    <TextField label="What to ask" name="prompt" multiline=true value=form.prompt error=fe("prompt")/>
                    <TextField label="Consent text" name="consentText" multiline=true value=form.consent_text error=fe("consentText") help="Changing it starts a new consent version; earlier testimonials keep theirs."/>
                    <TextField label="Thank-you offer" name="incentive" value=form.incentive error=fe("incentive") help="Given to everyone who sends a testimonial, whatever they say. Optional."/>
                    <Select label="Thank-you discount" name="reward.kind" value=form.reward_kind error=fe("reward.kind")
                        options=options(&[("PERCENTAGE", "Percent off"), ("FIXED_AMOUNT", "Amount off")])/>
                    <TextField label="Discount value" name="reward.value" value=form.reward_value error=fe("reward.value")
                        help="A unique single-use Shopify code for everyone who submits, whatever their rating. Empty: no discount."/>
                    <TextField label="Minimum order subtotal" name="reward.minimumSubtotal" value=form.reward_minimum error=fe("reward.minimumSubtotal") help="Optional."/>
                    <TextField label="Code valid for (days)" name="reward.expiresInDays" kind="number" value=form.reward_days error=fe("reward.expiresInDays")/>
                </Section>
            </form>
        </Page>
    }
}

/// Two generated modules' copies of one enum, by wire name.
fn convert<A: serde::Serialize, B: serde::de::DeserializeOwned>(a: &A) -> B {
    serde_json::to_value(a).and_then(serde_json::from_value).expect("the same GraphQL enum")
}

#[derive(Clone, Copy, PartialEq)]
enum Change {
    Activate,
    Pause,
    Archive,
}

#[component]
fn StatusPanel(c: Campaign, reload: RwSignal<u32>, dirty: Signal<bool>) -> impl IntoView {
    let status = wire_name(&c.status);
    let pending = RwSignal::new(None::<Change>);
    let open = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let ask = move |ch: Change| {
        pending.set(Some(ch));
        open.set(true);
    };
    let id = c.id.clone();
    let confirm = Callback::new(move |_| {
        let Some(ch) = pending.get_untracked() else { return };
        let id = id.clone();
        spawn_local(async move {
            let r = match ch {
                Change::Activate => api::run::<ActivateCampaign>(activate_campaign::Variables { id }).await.map(drop),
                Change::Pause => api::run::<PauseCampaign>(pause_campaign::Variables { id }).await.map(drop),
                Change::Archive => api::run::<ArchiveCampaign>(archive_campaign::Variables { id }).await.map(drop),
            };
            match r {
                Ok(()) => {
                    error.set(None);
                    toast(match ch {
                        Change::Activate => "Campaign active",
                        Change::Pause => "Campaign paused",
                        Change::Archive => "Campaign archived",
                    });
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    });
    let heading = Signal::derive(move || match pending.get() {
        Some(Change::Activate) => "Activate this campaign?".to_owned(),
        Some(Change::Pause) => "Pause this campaign?".to_owned(),
        Some(Change::Archive) => "Archive this campaign?".to_owned(),
        None => String::new(),
    });
    let body = Signal::derive(move || {
        match pending.get() {
        Some(Change::Activate) => "From now on, new orders that match it get a request, sent as the campaign says, in your send window.".to_owned(),
        Some(Change::Pause) => "No request of this campaign is sent while it is paused: requests already planned wait, and go out once you activate it again.".to_owned(),
        Some(Change::Archive) => "The campaign stops for good: requests it planned and never sent are cancelled, and it cannot be activated again. Testimonials already received stay.".to_owned(),
        None => String::new(),
    }
    });
    let label = Signal::derive(move || match pending.get() {
        Some(Change::Activate) => "Activate".to_owned(),
        Some(Change::Pause) => "Pause".to_owned(),
        Some(Change::Archive) => "Archive".to_owned(),
        None => String::new(),
    });
    view! {
        <Section heading="Status">
            <div class="rp-actions" data-testid="campaign-status">
                <StatusBadge code=status.clone()/>
                {matches!(status.as_str(), "DRAFT" | "PAUSED").then(|| view! {
                    <s-button variant="primary" data-testid="activate" disabled=move || dirty.get()
                        on:click=move |_| if !dirty.get_untracked() { ask(Change::Activate) }>"Activate"</s-button>
                })}
                {(status == "ACTIVE").then(|| view! { <s-button data-testid="pause" on:click=move |_| ask(Change::Pause)>"Pause"</s-button> })}
                {(status != "ARCHIVED").then(|| view! { <s-button tone="critical" data-testid="archive" on:click=move |_| ask(Change::Archive)>"Archive"</s-button> })}
            </div>
            <Show when=move || dirty.get()>
                <p class="rp-muted">"Save your changes before activating."</p>
            </Show>
            {move || error.get().map(|e| view! { <ErrorBanner error=e/> })}
            <Confirm open heading body confirm_label=label destructive=false on_confirm=confirm/>
        </Section>
    }
}
