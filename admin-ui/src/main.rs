//! The Reelproof admin app: every screen a merchant uses, embedded in Shopify admin.
//!
//! - `app` — the shell: App Bridge navigation, routes, the toast host.
//! - `screens/` — one module per screen, named after what the merchant does there.
//! - `routes` — every screen but Home as a lazily loaded chunk.
//! - `components/` — the Polaris-based building blocks every screen shares.
//! - `api` — session tokens and the shared typed client (`api-client`).
//! - `format` — how times, counts and the API's codes read on screen.

mod api;
mod app;
mod components;
mod download;
mod format;
mod live;
mod moderation;
mod perf;
mod routes;
mod screens;

fn main() {
    leptos::mount::mount_to_body(app::App);
    perf::mark("reelproof:interactive");
}
