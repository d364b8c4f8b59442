use leptos::prelude::*;

/// An `<s-table>`'s header row.
#[component]
pub fn TableHead(columns: &'static [&'static str]) -> impl IntoView {
    view! {
        <s-table-header-row>
            {columns.iter().map(|c| view! { <s-table-header>{*c}</s-table-header> }).collect_view()}
        </s-table-header-row>
    }
}
