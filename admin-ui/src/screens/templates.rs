//! Message templates: every email and SMS the shop can send, by channel, kind and locale.

use crate::api;
use crate::components::{EmptyState, Loaded, Page, StatusBadge, TableHead};
use crate::format;
use api_client::admin::{Templates, templates};
use api_client::wire_name;
use leptos::prelude::*;

#[component]
pub fn TemplateList() -> impl IntoView {
    let data = LocalResource::new(|| api::run::<Templates>(templates::Variables));
    view! {
        <Page title="Templates">
            <a class="rp-button rp-button--primary" slot="primary-action" href="/app/templates/new" data-testid="new-template">"Create template"</a>
            <Loaded resource=data let:d>
                {if d.templates.is_empty() {
                    view! { <EmptyState heading="No templates" body="Create an email or SMS template, or keep the built-in ones."/> }.into_any()
                } else {
                    view! {
                        <s-table data-testid="templates">
                            <TableHead columns=&["Name", "Channel", "Kind", "Language", "Updated"]/>
                            <s-table-body>
                                {d.templates.into_iter().map(|t| view! {
                                    <s-table-row data-testid="template">
                                        <s-table-cell><a href=format!("/app/templates/{}", t.id)>{t.name.clone()}</a></s-table-cell>
                                        <s-table-cell>{format::label(&wire_name(&t.channel))}</s-table-cell>
                                        <s-table-cell><StatusBadge code=wire_name(&t.kind)/></s-table-cell>
                                        <s-table-cell>{t.locale.clone()}</s-table-cell>
                                        <s-table-cell>{format::datetime(&t.updated_at)}</s-table-cell>
                                    </s-table-row>
                                }).collect_view()}
                            </s-table-body>
                        </s-table>
                    }.into_any()
                }}
            </Loaded>
        </Page>
    }
}
