//! Home: the last 30 days' funnel, what needs the merchant (pending submissions, failed
//! requests, unread alerts) and the setup checklist.

use crate::api;
use crate::components::{Loaded, Page, Section, StatusBadge, toast};
use crate::format;
use api_client::admin::{Home as HomeQuery, MarkAlertsRead, home, mark_alerts_read};
use api_client::wire_name;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

#[component]
pub fn Home() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let data = LocalResource::new(move || {
        reload.track();
        let (from, to) = format::last_days(30);
        api::run::<HomeQuery>(home::Variables { from, to })
    });
    let block = LocalResource::new(theme_block_status);
    view! {
        <Page title="Home">
            <Loaded resource=data let:d>
                <HomeBody d=d block reload/>
            </Loaded>
        </Page>
    }
}

#[component]
fn HomeBody(d: home::ResponseData, block: LocalResource<BlockStatus>, reload: RwSignal<u32>) -> impl IntoView {
    let t = &d.analytics.totals;
    let steps = [
        ("Requests", t.scheduled),
        ("Sent", t.sent),
        ("Opened", t.opened),
        ("Clicked", t.clicked),
        ("Submitted", t.submitted),
        ("Published", t.published),
    ];
    let top = steps.iter().map(|s| s.1).max().unwrap_or(0).max(1);
    let pending = count_label(d.pending.nodes.len(), d.pending.page_info.has_next_page);
    let failed = count_label(d.failed.nodes.len(), d.failed.page_info.has_next_page);
    let active = d.campaigns.iter().any(|c| wire_name(&c.status) == "ACTIVE");
    let published = d.approved.nodes.iter().any(|s| s.published);
    let alerts = d.alerts.clone();
    Effect::new(|_| crate::perf::screen_ready("home"));
    let alert_ids: Vec<String> = alerts.iter().map(|a| a.id.clone()).collect();
    let mark_read = move |_| {
        let ids = alert_ids.clone();
        spawn_local(async move {
            if api::run::<MarkAlertsRead>(mark_alerts_read::Variables { ids }).await.is_ok() {
                toast("Alerts marked as read");
                reload.update(|n| *n += 1);
            }
        });
    };
    view! {
        <p class="rp-shop">
            {if d.shop.name == d.shop.domain {
                // Until Shopify has told us the shop's name, its domain is its name.
                view! { <strong data-testid="shop-name"><span data-testid="shop-domain">{d.shop.domain.clone()}</span></strong> }.into_any()
            } else {
                view! {
                    <strong data-testid="shop-name">{d.shop.name.clone()}</strong>
                    <span class="rp-muted">" · " <span data-testid="shop-domain">{d.shop.domain.clone()}</span></span>
                }.into_any()
            }}
        </p>
        <div class="rp-grid rp-grid--3">
            <a class="rp-stat" href="/app/inbox" data-testid="pending-count">
                <span class="rp-stat-value">{pending}</span>
                <span class="rp-stat-label">"submissions to moderate"</span>
            </a>
            <a class="rp-stat" href="/app/requests?failed=1" data-testid="failed-count">
                <span class="rp-stat-value">{failed}</span>
                <span class="rp-stat-label">"failed requests"</span>
            </a>
            <a class="rp-stat" href="#alerts" data-testid="alert-count">
                <span class="rp-stat-value">{alerts.len().to_string()}</span>
                <span class="rp-stat-label">"unread alerts"</span>
            </a>
        </div>
        <Section heading="Setup">
            <ul class="rp-checklist" data-testid="checklist">
                <Step done=Signal::stored(active) text="Activate a campaign" href="/app/campaigns"/>
                {move || {
                    let status = block.get().unwrap_or(BlockStatus::Unknown);
                    let (done, text) = match status {
                        BlockStatus::Active => (true, "Add the Reelproof block to your theme"),
                        BlockStatus::Missing => (false, "Add the Reelproof block to your theme (in the theme editor: Add block › Apps)"),
                        BlockStatus::Unknown => (false, "Add the Reelproof block to your theme (checked when Reelproof is opened in Shopify admin)"),
                    };
                    view! { <Step done=Signal::stored(done) text href=""/> }
                }}
                <Step done=Signal::stored(published) text="Publish your first testimonial" href="/app/inbox"/>
            </ul>
        </Section>
        <Section heading="Last 30 days">
            <div class="rp-funnel" data-testid="funnel">
                {steps.iter().enumerate().map(|(i, (name, n))| {
                    // A step with any count keeps a sliver of bar; a step with none has none.
                    let share = if *n == 0 { 0.0 } else { (*n as f64 / top as f64 * 100.0).max(1.0) };
                    let width = format!("width: {share}%");
                    let rate = if i == 0 { String::new() } else { format::ratio(*n, steps[i - 1].1) };
                    view! {
                        <div class="rp-funnel-row" data-step=*name>
                            <span class="rp-funnel-name">{*name}</span>
                            <span class="rp-funnel-bar"><span style=width></span></span>
                            <span class="rp-funnel-count">{n.to_string()}</span>
                            <span class="rp-funnel-rate">{rate}</span>
                        </div>
                    }
                }).collect_view()}
            </div>
            <a href="/app/analytics">"See analytics"</a>
        </Section>
        <Section heading="Alerts">
            <div id="alerts">
            {if alerts.is_empty() {
                view! { <p class="rp-muted" data-testid="no-alerts">"No unread alerts. Reelproof tells you here when a send or a video fails."</p> }.into_any()
            } else {
                view! {
                    <ul class="rp-alerts" data-testid="alerts">
                        {alerts.iter().map(|a| view! {
                            <li>
                                <StatusBadge code=wire_name(&a.severity)/>
                                " " {a.message.clone()}
                                <span class="rp-muted">" · " {format::datetime(&a.created_at)}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                    <s-button on:click=mark_read data-testid="mark-read">"Mark all as read"</s-button>
                }.into_any()
            }}
            </div>
        </Section>
    }
}

fn count_label(n: usize, more: bool) -> String {
    if more { format!("{n}+") } else { n.to_string() }
}

#[component]
fn Step(done: Signal<bool>, text: &'static str, href: &'static str) -> impl IntoView {
    view! {
        <li class:rp-done=move || done.get() data-done=move || done.get().to_string()>
            <span class="rp-check-mark" aria-hidden="true">{move || if done.get() { "✓" } else { "○" }}</span>
            {if href.is_empty() { view! { <span>{text}</span> }.into_any() } else { view! { <a href=href>{text}</a> }.into_any() }}
        </li>
    }
}

#[derive(Clone, Copy, PartialEq)]
enum BlockStatus {
    Active,
    Missing,
    /// Not embedded: App Bridge is what can tell.
    Unknown,
}

/// Whether a Reelproof block or embed is active on the published theme
/// (`shopify.app.extensions()`, Built for Shopify 4.2.3).
async fn theme_block_status() -> BlockStatus {
    let Some(promise) =
        api::app_bridge_call(&["app", "extensions"], &[]).and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
    else {
        return BlockStatus::Unknown;
    };
    let Ok(list) = wasm_bindgen_futures::JsFuture::from(promise).await else { return BlockStatus::Unknown };
    let get = |v: &wasm_bindgen::JsValue, k: &str| js_sys::Reflect::get(v, &k.into()).unwrap_or_default();
    let active = js_sys::Array::from(&list).iter().any(|ext| {
        get(&ext, "type").as_string().as_deref() == Some("theme_app_extension")
            && js_sys::Array::from(&get(&ext, "activations"))
                .iter()
                .any(|a| get(&a, "status").as_string().as_deref() == Some("active"))
    });
    if active { BlockStatus::Active } else { BlockStatus::Missing }
}
