//! The shell: navigation in `<s-app-nav>` (App Bridge draws it in Shopify admin's own menu;
//! standalone, the local stylesheet shows it as a bar), client-side routes with deep links,
//! and the toast host. Every screen but Home is loaded lazily (`routes`).

use crate::components::{EmptyState, Page, ToastHost};
use crate::{routes, screens};
use leptos::prelude::*;
use leptos_router::Lazy;
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
                    <Route path=path!("/app/inbox") view={Lazy::<routes::Inbox>::new()}/>
                    <Route path=path!("/app/inbox/:id") view={Lazy::<routes::Submission>::new()}/>
                    <Route path=path!("/app/published") view={Lazy::<routes::Published>::new()}/>
                    <Route path=path!("/app/requests") view={Lazy::<routes::Requests>::new()}/>
                    <Route path=path!("/app/campaigns") view={Lazy::<routes::Campaigns>::new()}/>
                    <Route path=path!("/app/campaigns/:id") view={Lazy::<routes::CampaignEditor>::new()}/>
                    <Route path=path!("/app/templates") view={Lazy::<routes::Templates>::new()}/>
                    <Route path=path!("/app/templates/:id") view={Lazy::<routes::TemplateEditor>::new()}/>
                    <Route path=path!("/app/analytics") view={Lazy::<routes::Analytics>::new()}/>
                    <Route path=path!("/app/settings") view={Lazy::<routes::Settings>::new()}/>
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
