use api_client::ApiError;
use leptos::prelude::*;

/// The API's message for one input field of the form's last failed save.
pub fn field_error(errors: RwSignal<Option<ApiError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || errors.with(|e| e.as_ref().and_then(|e| e.field(field)).map(str::to_owned)))
}

/// The red sentence under a field (Built for Shopify 4.2.4: next to the field, never only in
/// a toast).
#[component]
fn FieldError(error: Signal<Option<String>>, name: &'static str) -> impl IntoView {
    move || error.get().map(|e| view! { <p class="rp-field-error" role="alert" data-field-error=name>{e}</p> })
}

/// A labelled text input (or textarea), bound to `value`.
#[component]
pub fn TextField(
    label: &'static str,
    /// The API's name for the field (`delayDays`): the test id and where its error goes.
    name: &'static str,
    value: RwSignal<String>,
    #[prop(optional, into)] error: Signal<Option<String>>,
    #[prop(optional)] help: &'static str,
    /// `text`, `number`, `email`, `url`, `date`, `time`, `color`…
    #[prop(optional)]
    kind: &'static str,
    #[prop(optional)] multiline: bool,
    #[prop(optional)] placeholder: &'static str,
) -> impl IntoView {
    let kind = if kind.is_empty() { "text" } else { kind };
    let invalid = move || error.get().is_some().to_string();
    let control = if multiline {
        view! {
            <textarea name=name data-testid=name rows="4" aria-invalid=invalid placeholder=placeholder
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))></textarea>
        }
        .into_any()
    } else {
        view! {
            <input type=kind name=name data-testid=name aria-invalid=invalid placeholder=placeholder
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))/>
        }
        .into_any()
    };
    view! {
        <label class="rp-field" class:rp-field--invalid=move || error.get().is_some()>
            <span class="rp-field-label">{label}</span>
            {control}
            {(!help.is_empty()).then(|| view! { <span class="rp-field-help">{help}</span> })}
            <FieldError error name/>
        </label>
    }
}

/// A labelled select; `options` are (value, label).
#[component]
pub fn Select(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    options: Signal<Vec<(String, String)>>,
    #[prop(optional, into)] error: Signal<Option<String>>,
    #[prop(optional)] help: &'static str,
) -> impl IntoView {
    view! {
        <label class="rp-field" class:rp-field--invalid=move || error.get().is_some()>
            <span class="rp-field-label">{label}</span>
            <select name=name data-testid=name on:change=move |ev| value.set(event_target_value(&ev))>
                {move || options.get().into_iter().map(|(v, l)| {
                    let selected = value.get() == v;
                    view! { <option value=v selected=selected>{l}</option> }
                }).collect_view()}
            </select>
            {(!help.is_empty()).then(|| view! { <span class="rp-field-help">{help}</span> })}
            <FieldError error name/>
        </label>
    }
}

#[component]
pub fn Checkbox(
    label: &'static str,
    name: &'static str,
    checked: RwSignal<bool>,
    #[prop(optional)] help: &'static str,
) -> impl IntoView {
    view! {
        <label class="rp-check">
            <input type="checkbox" name=name data-testid=name prop:checked=move || checked.get()
                on:change=move |ev| checked.set(event_target_checked(&ev))/>
            <span>{label}</span>
            {(!help.is_empty()).then(|| view! { <span class="rp-field-help">{help}</span> })}
        </label>
    }
}
