//! The shell: navigation in `<s-app-nav>` (App Bridge draws it in Shopify admin's own menu;
//! standalone, the local stylesheet shows it as a bar), client-side routes with deep links,
//! and the toast host.

use crate::components::{EmptyState, Page, ToastHost};
use crate::screens;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::path;

/// The menu: (address, label). The first is the app's home (`rel="home"`).
const NAV: [(&str, &str); 8] = [
    ("/app/", "Home"),
    ("/app/inbox", "Inbox"),
    ("/app/published", "Published"),
    ("/app/requests", "Requests"),
    ("/app/campaigns", "Campaigns"),
    ("/app/templates", "Templates"),
    ("/app/analytics", "Analytics"),
    ("/app/settings", "Settings"),
];

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Nav/>
            <main class="rp-main">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/app") view=screens::home::Home/>
                    <Route path=path!("/app/inbox") view=screens::inbox::Inbox/>
                    <Route path=path!("/app/inbox/:id") view=screens::submission::SubmissionDetail/>
                    <Route path=path!("/app/published") view=screens::published::Published/>
                    <Route path=path!("/app/requests") view=screens::requests::RequestsLog/>
                    <Route path=path!("/app/campaigns") view=screens::campaigns::CampaignList/>
                    <Route path=path!("/app/campaigns/:id") view=screens::campaign_editor::CampaignEditor/>
                    <Route path=path!("/app/templates") view=screens::templates::TemplateList/>
                    <Route path=path!("/app/templates/:id") view=screens::template_editor::TemplateEditor/>
                    <Route path=path!("/app/analytics") view=screens::analytics::AnalyticsScreen/>
                    <Route path=path!("/app/settings") view=screens::settings::SettingsScreen/>
                </Routes>
            </main>
            <ToastHost/>
        </Router>
    }
}

#[component]
fn Nav() -> impl IntoView {
    let location = use_location();
    let current = move |href: &str| {
        let path = location.pathname.get();
        let path = path.trim_end_matches('/');
        let href = href.trim_end_matches('/');
        path == href || (href != "/app" && path.starts_with(&format!("{href}/")))
    };
    view! {
        <s-app-nav data-testid="nav">
            <span class="rp-brand">"Reelproof"</span>
            {NAV.iter().enumerate().map(|(i, (href, text))| {
                let href = *href;
                view! {
                    <a href=href rel=(i == 0).then_some("home")
                        aria-current=move || current(href).then_some("page")>{*text}</a>
                }
            }).collect_view()}
        </s-app-nav>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <Page title="Page not found">
            <EmptyState heading="There is nothing here" body="The address may be mistyped, or the page has moved.">
                <a href="/app/">"Go to Home"</a>
            </EmptyState>
        </Page>
    }
}
