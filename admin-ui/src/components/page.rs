use leptos::prelude::*;

/// A screen: `<s-page>` with its heading (App Bridge's title bar when embedded) and, on a
/// sub-page, the way back.
#[component]
pub fn Page(
    #[prop(into)] title: String,
    /// The parent screen, for sub-pages (Built for Shopify asks for a back button there).
    #[prop(optional, into)]
    back: Option<String>,
    children: Children,
) -> impl IntoView {
    let heading = title.clone();
    view! {
        <s-page heading=heading data-testid="page">
            {back.map(|href| view! {
                <a class="rp-back" slot="breadcrumb-actions" href=href data-testid="back">"← Back"</a>
            })}
            <h1 class="rp-page-title">{title}</h1>
            {children()}
        </s-page>
    }
}

/// A card with an optional heading.
#[component]
pub fn Section(#[prop(optional, into)] heading: Option<String>, children: Children) -> impl IntoView {
    let attr = heading.clone().unwrap_or_default();
    view! {
        <s-section heading=attr>
            {heading.map(|h| view! { <h2 class="rp-section-title">{h}</h2> })}
            {children()}
        </s-section>
    }
}
