use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// A confirmation in `<s-modal>`: what will happen, in a sentence, and two buttons. Inside
/// Shopify admin Polaris opens it as an overlay (`showOverlay()`); standalone, the local
/// stylesheet shows the same markup as a dialog.
#[component]
pub fn Confirm(
    open: RwSignal<bool>,
    #[prop(into)] heading: Signal<String>,
    #[prop(into)] body: Signal<String>,
    #[prop(into)] confirm_label: Signal<String>,
    #[prop(optional)] destructive: bool,
    on_confirm: Callback<()>,
) -> impl IntoView {
    // Effects run once the DOM is updated, so the opened modal is in the document.
    Effect::new(move |_| {
        if open.get()
            && let Some(el) = document().query_selector("s-modal[data-testid=confirm]").ok().flatten()
        {
            let el: &web_sys::Element = &el;
            if let Ok(f) = js_sys::Reflect::get(el, &"showOverlay".into())
                && let Ok(f) = f.dyn_into::<js_sys::Function>()
            {
                let _ = f.call0(el);
            }
        }
    });
    view! {
        <Show when=move || open.get()>
            <div class="rp-overlay" on:click=move |_| open.set(false)></div>
            <s-modal heading=move || heading.get() open="" data-testid="confirm" role="dialog" aria-modal="true">
                <h2 class="rp-modal-title">{move || heading.get()}</h2>
                <p>{move || body.get()}</p>
                <div class="rp-modal-actions">
                    <s-button slot="secondary-actions" data-testid="confirm-cancel" on:click=move |_| open.set(false)>"Cancel"</s-button>
                    <s-button slot="primary-action" variant="primary" tone=if destructive { "critical" } else { "auto" }
                        data-testid="confirm-ok"
                        on:click=move |_| { open.set(false); on_confirm.run(()); }>
                        {move || confirm_label.get()}
                    </s-button>
                </div>
            </s-modal>
        </Show>
    }
}
