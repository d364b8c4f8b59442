use crate::format::{label, tone};
use leptos::prelude::*;

/// A status as a Polaris badge: the merchant's word for it, coloured by what it means.
#[component]
pub fn StatusBadge(#[prop(into)] code: String) -> impl IntoView {
    view! { <s-badge tone=tone(&code) data-status=code.clone()>{label(&code)}</s-badge> }
}
