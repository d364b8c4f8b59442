//! Settings, one tab per concern (the tab is in the address, `?tab=`): the shop's profile
//! (sender, branding, language, send window), moderation rules, alerts, API tokens, and data
//! (CSV export and import, privacy exports, asking past customers).

mod alerts;
mod data;
mod moderation_rules;
mod profile;
mod tokens;

use crate::api;
use crate::components::{Loaded, Page};
use api_client::admin::{Settings, settings};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const TABS: [(&str, &str); 5] = [
    ("profile", "Shop"),
    ("moderation", "Moderation"),
    ("alerts", "Alerts"),
    ("tokens", "API tokens"),
    ("data", "Data"),
];

pub type ShopData = settings::SettingsShop;

#[component]
pub fn SettingsScreen() -> impl IntoView {
    let query = use_query_map();
    let tab = Memo::new(move |_| query.with(|q| q.get("tab")).unwrap_or_else(|| "profile".into()));
    let reload = RwSignal::new(0u32);
    let data = LocalResource::new(move || {
        reload.track();
        api::run::<Settings>(settings::Variables)
    });
    view! {
        <Page title="Settings">
            <nav class="rp-tabs" data-testid="settings-tabs">
                {TABS.iter().map(|(code, text)| {
                    let code = *code;
                    view! { <a href=format!("/app/settings?tab={code}") aria-current=move || (tab.get() == code).then_some("page")>{*text}</a> }
                }).collect_view()}
            </nav>
            {move || match tab.get().as_str() {
                "tokens" => view! { <tokens::Tokens/> }.into_any(),
                "data" => view! { <data::Data/> }.into_any(),
                t => {
                    let t = t.to_owned();
                    view! {
                        <Loaded resource=data let:d>
                            {match t.as_str() {
                                "moderation" => view! { <moderation_rules::ModerationRules shop=d.shop reload/> }.into_any(),
                                "alerts" => view! { <alerts::Alerts shop=d.shop reload/> }.into_any(),
                                _ => view! { <profile::Profile shop=d.shop reload/> }.into_any(),
                            }}
                        </Loaded>
                    }.into_any()
                }
            }}
        </Page>
    }
}
