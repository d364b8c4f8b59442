//! Every screen but Home as a lazily loaded route: its code is a WebAssembly chunk of its own,
//! fetched the first time the merchant opens it, so the app's first load carries the shell and
//! Home only (issue 14: the admin's WebAssembly at most 400 KB gzip).
//!
//! `.ci/build-ui.mjs` splits the module at these points (wasm-split, as `cargo leptos --split`
//! does); the code two screens share goes into a chunk of its own, loaded once. Once the first
//! screen shows its data, [`preload_once`] fetches the chunks when the browser is idle, so a
//! click on the menu does not wait for the network.

use crate::screens;
use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

/// A route type per screen: `$route` renders `$screen` from its own chunk. The screens fetch
/// their own data when they render, so `data()` has nothing to start early.
macro_rules! lazy_screens {
    ($($route:ident => $screen:path,)*) => {
        $(
            pub struct $route;

            #[lazy_route]
            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                fn view(_this: Self) -> AnyView {
                    $screen().into_any()
                }
            }
        )*

        /// Loads every screen's chunk, one after another, once the browser is idle; the first
        /// call only (`perf::screen_ready` calls it when the first screen shows its data).
        pub fn preload_once() {
            static STARTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
            if STARTED.swap(true, std::sync::atomic::Ordering::Relaxed) {
                return;
            }
            leptos::prelude::request_idle_callback(|| {
                leptos::task::spawn_local(async {
                    $( <$route as LazyRoute>::preload().await; )*
                });
            });
        }
    };
}

lazy_screens! {
    Inbox => screens::inbox::Inbox,
    Submission => screens::submission::SubmissionDetail,
    Published => screens::published::Published,
    Requests => screens::requests::RequestsLog,
    Campaigns => screens::campaigns::CampaignList,
    CampaignEditor => screens::campaign_editor::CampaignEditor,
    Templates => screens::templates::TemplateList,
    TemplateEditor => screens::template_editor::TemplateEditor,
    Analytics => screens::analytics::AnalyticsScreen,
    Settings => screens::settings::SettingsScreen,
}
