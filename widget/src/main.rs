//! The storefront widget: mounts into every `.reelproof-widget` container a theme block
//! rendered. It reads its shop and placement from the container's data attributes.
//! (The testimonial carousel and grid arrive with the storefront issue.)

use leptos::prelude::*;
use wasm_bindgen::JsCast;

fn main() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(containers) = document.query_selector_all(".reelproof-widget") else { return };
    for i in 0..containers.length() {
        let Some(el) = containers.item(i).and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()) else { continue };
        let shop = el.get_attribute("data-shop").unwrap_or_default();
        let placement = el.get_attribute("data-placement").unwrap_or_else(|| "home".into());
        leptos::mount::mount_to(el, move || view! { <Widget shop=shop placement=placement/> }).forget();
    }
}

#[component]
fn Widget(shop: String, placement: String) -> impl IntoView {
    view! {
        <section class="reelproof" data-testid="reelproof-widget" data-shop=shop data-placement=placement>
            <p>"Customer video testimonials"</p>
        </section>
    }
}
