//! The Reelproof admin app. Inside Shopify admin, App Bridge supplies a fresh session token
//! for every call; in dev mode (the server marks the page) the token comes from
//! `/dev/session-token`. Everything else goes through `/api/graphql`.

mod api;

use leptos::prelude::*;

fn main() {
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let shop = LocalResource::new(api::fetch_shop);
    view! {
        <header>
            <h1>"Reelproof"</h1>
            <span class="muted">"Video testimonials"</span>
        </header>
        <main>
            <section class="card">
                <h2>"Your shop"</h2>
                <Suspense fallback=|| view! { <p class="muted" data-testid="loading">"Loading…"</p> }>
                    {move || shop.get().map(|result| match result {
                        Ok(s) => view! { <ShopCard shop=s/> }.into_any(),
                        Err(e) => view! { <p class="error" data-testid="error">{e}</p> }.into_any(),
                    })}
                </Suspense>
            </section>
        </main>
    }
}

#[component]
fn ShopCard(shop: api::Shop) -> impl IntoView {
    view! {
        <h3 data-testid="shop-name">{shop.name}</h3>
        <dl>
            <dt>"Domain"</dt>
            <dd data-testid="shop-domain">{shop.domain}</dd>
            <dt>"Installed"</dt>
            <dd>{shop.installed_at}</dd>
            <dt>"Time zone"</dt>
            <dd>{shop.timezone}</dd>
            <dt>"Send window"</dt>
            <dd>{format!("{} – {}", shop.send_window_start, shop.send_window_end)}</dd>
        </dl>
    }
}
