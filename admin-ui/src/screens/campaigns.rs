//! Campaigns: each with its status and its last 30 days' funnel, and the way to a new one.

use crate::api;
use crate::components::{EmptyState, Loaded, Page, StatusBadge, TableHead};
use crate::format;
use api_client::admin::{CampaignFunnel, Campaigns, campaign_funnel, campaigns};
use api_client::wire_name;
use leptos::prelude::*;

#[component]
pub fn CampaignList() -> impl IntoView {
    let data = LocalResource::new(|| api::run::<Campaigns>(campaigns::Variables));
    view! {
        <Page title="Campaigns">
            <a class="rp-button rp-button--primary" slot="primary-action" href="/app/campaigns/new" data-testid="new-campaign">"Create campaign"</a>
            <Loaded resource=data let:d>
                {if d.campaigns.is_empty() {
                    view! {
                        <EmptyState heading="No campaigns yet" body="A campaign decides when customers are asked for a video: after payment, fulfillment or delivery.">
                            <a href="/app/campaigns/new">"Create your first campaign"</a>
                        </EmptyState>
                    }.into_any()
                } else {
                    view! {
                        <s-table data-testid="campaigns">
                            <TableHead columns=&["Campaign", "Status", "When", "Last 30 days"]/>
                            <s-table-body>
                                {d.campaigns.into_iter().map(|c| view! {
                                    <s-table-row data-testid="campaign" data-id=c.id.clone()>
                                        <s-table-cell><a href=format!("/app/campaigns/{}", c.id)>{c.name.clone()}</a></s-table-cell>
                                        <s-table-cell><StatusBadge code=wire_name(&c.status)/></s-table-cell>
                                        <s-table-cell>{format!("{} days after {}", c.delay_days, format::label(&wire_name(&c.trigger)).to_lowercase())}</s-table-cell>
                                        <s-table-cell><Funnel id=c.id.clone()/></s-table-cell>
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

/// Sent → clicked → submitted → published for one campaign.
#[component]
fn Funnel(id: String) -> impl IntoView {
    let data = LocalResource::new(move || {
        let (from, to) = format::last_days(30);
        api::run::<CampaignFunnel>(campaign_funnel::Variables { from, to, campaign_id: Some(id.clone()) })
    });
    move || {
        data.get().map(|r| match r {
            Ok(d) => {
                let t = d.analytics.totals;
                format!(
                    "{} sent · {} clicked · {} submitted · {} published",
                    t.sent, t.clicked, t.submitted, t.published
                )
            }
            Err(_) => "–".to_owned(),
        })
    }
}
