use leptos::attr::custom::custom_attribute;
use leptos::prelude::*;

const ID: &str = "reelproof-save-bar";

/// The contextual save bar (Built for Shopify 4.1.5): shown while a form has unsaved changes.
/// Embedded, it is App Bridge's own (`<ui-save-bar>` shown with `shopify.saveBar.show`);
/// standalone, a bar of ours at the top of the screen with the same two buttons.
#[component]
pub fn SaveBar(
    #[prop(into)] dirty: Signal<bool>,
    #[prop(into)] saving: Signal<bool>,
    on_save: Callback<()>,
    on_discard: Callback<()>,
) -> impl IntoView {
    let embedded = crate::api::embedded();
    Effect::new(move |_| {
        let method = if dirty.get() { "show" } else { "hide" };
        crate::api::app_bridge_call(&["saveBar", method], &[ID.into()]);
    });
    on_cleanup(|| {
        crate::api::app_bridge_call(&["saveBar", "hide"], &[ID.into()]);
    });
    if embedded {
        view! {
            <ui-save-bar id=ID>
                // App Bridge takes the button with `variant="primary"` as Save, the other as Discard.
                {leptos::html::button()
                    .add_any_attr(custom_attribute("variant", "primary"))
                    .on(leptos::ev::click, move |_| on_save.run(()))
                    .disabled(move || saving.get())
                    .child("Save")}
                <button on:click=move |_| on_discard.run(())>"Discard"</button>
            </ui-save-bar>
        }
        .into_any()
    } else {
        view! {
            <div class="rp-save-bar" data-testid="save-bar" hidden=move || !dirty.get()>
                <span>"Unsaved changes"</span>
                <s-button data-testid="discard" on:click=move |_| on_discard.run(())>"Discard"</s-button>
                <s-button variant="primary" data-testid="save" disabled=move || saving.get()
                    on:click=move |_| if !saving.get_untracked() { on_save.run(()) }>
                    {move || if saving.get() { "Saving…" } else { "Save" }}
                </s-button>
            </div>
        }
        .into_any()
    }
}
