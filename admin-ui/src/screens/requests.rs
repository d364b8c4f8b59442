//! The requests log: every request a campaign planned, filtered by status, campaign, dates,
//! failures and a search (order, name, email), newest first, a page at a time. The filters
//! live in the address, so a filtered view can be bookmarked or shared. A side panel shows one
//! request's timeline (customers and mail scanners told apart), its last error and the
//! actions: send now, postpone, cancel, resend — each confirmed first.

use crate::api;
use crate::components::{
    Confirm, EmptyState, ErrorBanner, Loaded, Loading, Page, StatusBadge, TableHead, TextField, sentence, toast,
};
use crate::format;
use api_client::admin::*;
use api_client::{ApiError, wire_name};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

const STATUSES: [&str; 7] = ["SCHEDULED", "QUEUED", "SENT", "CLICKED", "SUBMITTED", "EXPIRED", "FAILED"];
const PAGE: i64 = 25;

/// The filters, as the address holds them.
#[derive(Clone, Default, PartialEq)]
struct Filters {
    status: String,
    campaign: String,
    from: String,
    to: String,
    failed: bool,
    search: String,
    after: String,
}

impl Filters {
    fn from_query(q: &leptos_router::params::ParamsMap) -> Self {
        let get = |k: &str| q.get(k).unwrap_or_default();
        Self {
            status: get("status"),
            campaign: get("campaign"),
            from: get("from"),
            to: get("to"),
            failed: get("failed") == "1",
            search: get("q"),
            after: get("after"),
        }
    }

    fn to_query(&self, selected: Option<&str>) -> String {
        let s = url_params();
        let pairs = [
            ("status", self.status.as_str()),
            ("campaign", self.campaign.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
            ("failed", if self.failed { "1" } else { "" }),
            ("q", self.search.as_str()),
            ("after", self.after.as_str()),
            ("id", selected.unwrap_or_default()),
        ];
        for (k, v) in pairs {
            if !v.is_empty() {
                s.append(k, v);
            }
        }
        let q: String = s.to_string().into();
        if q.is_empty() { "/app/requests".into() } else { format!("/app/requests?{q}") }
    }

    fn variables(&self) -> requests::Variables {
        let status = |s: &str| match s {
            "SCHEDULED" => requests::RequestStatus::SCHEDULED,
            "QUEUED" => requests::RequestStatus::QUEUED,
            "SENT" => requests::RequestStatus::SENT,
            "CLICKED" => requests::RequestStatus::CLICKED,
            "SUBMITTED" => requests::RequestStatus::SUBMITTED,
            "EXPIRED" => requests::RequestStatus::EXPIRED,
            _ => requests::RequestStatus::FAILED,
        };
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        requests::Variables {
            filter: Some(requests::RequestFilter {
                statuses: some(&self.status).map(|s| vec![status(&s)]),
                campaign_id: some(&self.campaign),
                from: some(&self.from).map(|d| format!("{d}T00:00:00Z")),
                to: some(&self.to).map(|d| format!("{d}T23:59:59Z")),
                event_type: self.failed.then_some(requests::RequestEventType::FAILED),
                search: some(&self.search),
            }),
            first: Some(PAGE),
            after: some(&self.after),
        }
    }
}

fn url_params() -> web_sys::UrlSearchParams {
    web_sys::UrlSearchParams::new().expect("URLSearchParams exists in every browser")
}

#[component]
pub fn RequestsLog() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| query.with(Filters::from_query));
    let selected = Memo::new(move |_| query.with(|q| q.get("id")));
    let reload = RwSignal::new(0u32);
    let data = LocalResource::new(move || {
        reload.track();
        api::run::<Requests>(filters.get().variables())
    });
    let navigate = use_navigate();
    let go = move |f: Filters, id: Option<String>| navigate(&f.to_query(id.as_deref()), NavigateOptions::default());

    // The form's own copy; applied to the address on "Apply" (or Enter in the search).
    let f0 = filters.get_untracked();
    let status = RwSignal::new(f0.status);
    let campaign = RwSignal::new(f0.campaign);
    let from = RwSignal::new(f0.from);
    let to = RwSignal::new(f0.to);
    let failed = RwSignal::new(f0.failed);
    let search = RwSignal::new(f0.search);
    let apply = {
        let go = go.clone();
        move || {
            let f = Filters {
                status: status.get_untracked(),
                campaign: campaign.get_untracked(),
                from: from.get_untracked(),
                to: to.get_untracked(),
                failed: failed.get_untracked(),
                search: search.get_untracked(),
                after: String::new(),
            };
            go(f, None)
        }
    };
    let (apply1, apply2) = (apply.clone(), apply.clone());
    let go_select = go.clone();
    let go_page = go.clone();
    let go_close = go.clone();

    view! {
        <Page title="Requests">
            <form class="rp-filters" data-testid="filters" on:submit=move |ev| { ev.prevent_default(); apply1() }>
                <label class="rp-field">
                    <span class="rp-field-label">"Status"</span>
                    <select data-testid="filter-status" on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="" selected=move || status.get().is_empty()>"Any"</option>
                        {STATUSES.iter().map(|s| view! { <option value=*s selected=move || status.get() == *s>{format::label(s)}</option> }).collect_view()}
                    </select>
                </label>
                <label class="rp-field">
                    <span class="rp-field-label">"Campaign"</span>
                    <select data-testid="filter-campaign" on:change=move |ev| campaign.set(event_target_value(&ev))>
                        <option value="">"All campaigns"</option>
                        {move || data.get().and_then(Result::ok).map(|d| d.campaigns.into_iter().map(|c| {
                            let id = c.id.clone();
                            view! { <option value=c.id selected=move || campaign.get() == id>{c.name}</option> }
                        }).collect_view())}
                    </select>
                </label>
                <TextField label="From" name="filter-from" kind="date" value=from/>
                <TextField label="To" name="filter-to" kind="date" value=to/>
                <TextField label="Search" name="filter-search" value=search placeholder="Order, name or email"/>
                <label class="rp-check">
                    <input type="checkbox" data-testid="filter-failed" prop:checked=move || failed.get() on:change=move |ev| failed.set(event_target_checked(&ev))/>
                    <span>"Failed at some point"</span>
                </label>
                <s-button variant="primary" data-testid="apply" on:click=move |_| apply2()>"Apply"</s-button>
            </form>
            <div class="rp-split">
                <div class="rp-split-main">
                    <Loaded resource=data let:d>
                        {
                            let go_select = go_select.clone();
                            let go_page = go_page.clone();
                            let nodes = d.requests.nodes;
                            let next = d.requests.page_info.has_next_page.then_some(d.requests.page_info.end_cursor).flatten();
                            let names: Vec<(String, String)> = d.campaigns.into_iter().map(|c| (c.id, c.name)).collect();
                            if nodes.is_empty() {
                                view! { <EmptyState heading="No requests match" body="Requests appear here as orders come in for an active campaign. Try other filters."/> }.into_any()
                            } else {
                                view! {
                                    <s-table data-testid="requests">
                                        <TableHead columns=&["Order", "Customer", "Product", "Campaign", "Status", "Last activity"]/>
                                        <s-table-body>
                                            {nodes.into_iter().map(|r| {
                                                let id = r.id.clone();
                                                let go_select = go_select.clone();
                                                let campaign = names.iter().find(|(i, _)| *i == r.campaign_id).map(|(_, n)| n.clone()).unwrap_or_default();
                                                view! {
                                                    <s-table-row data-testid="request" data-id=r.id.clone()
                                                        class:rp-selected=move || selected.get().as_deref() == Some(id.as_str())
                                                        on:click={ let id = r.id.clone(); move |_| go_select(filters.get_untracked(), Some(id.clone())) }>
                                                        <s-table-cell>{r.order_name.clone().unwrap_or_else(|| "–".into())}</s-table-cell>
                                                        <s-table-cell>{r.customer_first_name.clone().unwrap_or_else(|| "–".into())}</s-table-cell>
                                                        <s-table-cell>{r.product_title.clone()}</s-table-cell>
                                                        <s-table-cell>{campaign}</s-table-cell>
                                                        <s-table-cell><StatusBadge code=wire_name(&r.status)/>
                                                            {r.last_error.clone().map(|e| view! { <span class="rp-failure rp-small" data-testid="last-error">{e}</span> })}
                                                        </s-table-cell>
                                                        <s-table-cell>{r.last_event_at.as_deref().map(format::datetime).unwrap_or_else(|| format::datetime(&r.scheduled_for))}</s-table-cell>
                                                    </s-table-row>
                                                }
                                            }).collect_view()}
                                        </s-table-body>
                                    </s-table>
                                    <div class="rp-pager">
                                        {(!filters.get_untracked().after.is_empty()).then(|| {
                                            let go_page = go_page.clone();
                                            view! { <s-button on:click=move |_| go_page(Filters { after: String::new(), ..filters.get_untracked() }, None)>"First page"</s-button> }
                                        })}
                                        {next.map(|cursor| {
                                            let go_page = go_page.clone();
                                            view! { <s-button data-testid="next-page" on:click=move |_| go_page(Filters { after: cursor.clone(), ..filters.get_untracked() }, None)>"Next page"</s-button> }
                                        })}
                                    </div>
                                }.into_any()
                            }
                        }
                    </Loaded>
                </div>
                {move || selected.get().map(|id| {
                    let go_close = go_close.clone();
                    view! { <RequestPanel id on_close=Callback::new(move |_| go_close(filters.get_untracked(), None)) changed=reload/> }
                })}
            </div>
        </Page>
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Act {
    SendNow,
    Postpone,
    Cancel,
    Resend,
}

impl Act {
    fn heading(self) -> &'static str {
        match self {
            Act::SendNow => "Send this request now?",
            Act::Postpone => "Postpone this request?",
            Act::Cancel => "Cancel this request?",
            Act::Resend => "Send this request again?",
        }
    }
    fn body(self, days: &str) -> String {
        match self {
            Act::SendNow => {
                "It goes out at the next scheduler round, within a minute, instead of at its planned time.".into()
            }
            Act::Postpone => format!(
                "A scheduled request goes out {days} days later; a sent one's link lasts {days} days longer and its reminders wait."
            ),
            Act::Cancel => "Nothing more is sent and the customer's link stops working. This cannot be undone.".into(),
            Act::Resend => "It is sent again at the next scheduler round, with the same link.".into(),
        }
    }
    fn label(self) -> &'static str {
        match self {
            Act::SendNow => "Send now",
            Act::Postpone => "Postpone",
            Act::Cancel => "Cancel request",
            Act::Resend => "Resend",
        }
    }
    fn done(self) -> &'static str {
        match self {
            Act::SendNow => "It will be sent within a minute",
            Act::Postpone => "Postponed",
            Act::Cancel => "Request cancelled",
            Act::Resend => "It will be sent again within a minute",
        }
    }
}

#[component]
fn RequestPanel(id: String, on_close: Callback<()>, changed: RwSignal<u32>) -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let rid = id.clone();
    let data = LocalResource::new(move || {
        reload.track();
        api::run::<RequestDetail>(request_detail::Variables { id: rid.clone() })
    });
    let pending = RwSignal::new(None::<Act>);
    let open = RwSignal::new(false);
    let days = RwSignal::new("7".to_owned());
    let error = RwSignal::new(None::<ApiError>);
    let days_error = RwSignal::new(None::<String>);
    let ask = move |a: Act| {
        if a == Act::Postpone && !matches!(days.get_untracked().trim().parse::<i64>(), Ok(1..=60)) {
            days_error.set(Some("Enter a number of days from 1 to 60.".into()));
            return;
        }
        days_error.set(None);
        pending.set(Some(a));
        open.set(true);
    };
    let confirm = Callback::new(move |_| {
        let Some(a) = pending.get_untracked() else { return };
        let id = id.clone();
        let n = days.get_untracked().trim().parse::<i64>().unwrap_or(7);
        spawn_local(async move {
            let r = match a {
                Act::SendNow => api::run::<SendRequestNow>(send_request_now::Variables { id }).await.map(drop),
                Act::Postpone => {
                    api::run::<PostponeRequest>(postpone_request::Variables { id, days: n }).await.map(drop)
                }
                Act::Cancel => api::run::<CancelRequest>(cancel_request::Variables { id }).await.map(drop),
                Act::Resend => api::run::<ResendRequest>(resend_request::Variables { id }).await.map(drop),
            };
            match r {
                Ok(()) => {
                    error.set(None);
                    toast(a.done());
                    reload.update(|n| *n += 1);
                    changed.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    });
    view! {
        <aside class="rp-panel" data-testid="request-panel">
            <div class="rp-panel-head">
                <h2>"Request"</h2>
                <s-button variant="tertiary" accessibility-label="Close" on:click=move |_| on_close.run(()) data-testid="close-panel">"✕"</s-button>
            </div>
            {move || error.get().map(|e| view! { <ErrorBanner error=e/> })}
            <Transition fallback=|| view! { <Loading/> }>
                {move || data.get().map(|r| match r {
                    Err(e) => view! { <p class="rp-failure">{sentence(&e)}</p> }.into_any(),
                    Ok(d) => {
                        let r = d.request;
                        let status = wire_name(&r.status);
                        let open_request = matches!(status.as_str(), "SCHEDULED" | "QUEUED" | "SENT" | "CLICKED");
                        view! {
                            <dl class="rp-dl">
                                <dt>"Status"</dt><dd data-testid="panel-status"><StatusBadge code=status.clone()/></dd>
                                <dt>"Order"</dt><dd>{r.order_name.clone().unwrap_or_else(|| "–".into())}</dd>
                                <dt>"Customer"</dt><dd>{r.customer_first_name.clone().unwrap_or_else(|| "–".into())}</dd>
                                <dt>"Product"</dt><dd>{r.product_title.clone()}</dd>
                                <dt>"Channel"</dt><dd>{format::label(&r.channel)}</dd>
                                <dt>"Planned for"</dt><dd>{format::datetime(&r.scheduled_for)}</dd>
                                <dt>"Link valid until"</dt><dd>{format::datetime(&r.expires_at)}</dd>
                                <dt>"Attempts"</dt><dd>{r.attempts.to_string()}</dd>
                                <dt>"Reminders sent"</dt><dd>{r.reminder_count.to_string()}</dd>
                                {r.expire_reason.clone().map(|e| view! { <dt>"Ended"</dt><dd>{format::label(&e)}</dd> })}
                            </dl>
                            {r.last_error.clone().map(|e| view! {
                                <s-banner tone="critical" heading="Last error" data-testid="panel-error"><p>{e}</p></s-banner>
                            })}
                            <div class="rp-actions">
                                {matches!(status.as_str(), "SCHEDULED" | "QUEUED").then(|| view! {
                                    <s-button data-testid="send-now" on:click=move |_| ask(Act::SendNow)>"Send now"</s-button>
                                })}
                                {(status == "FAILED").then(|| view! {
                                    <s-button variant="primary" data-testid="resend" on:click=move |_| ask(Act::Resend)>"Resend"</s-button>
                                })}
                                {open_request.then(|| view! {
                                    <s-button tone="critical" data-testid="cancel" on:click=move |_| ask(Act::Cancel)>"Cancel"</s-button>
                                })}
                            </div>
                            {open_request.then(|| view! {
                                <div class="rp-inline-form">
                                    <TextField label="Postpone by (days)" name="days" kind="number" value=days error=Signal::derive(move || days_error.get())/>
                                    <s-button data-testid="postpone" on:click=move |_| ask(Act::Postpone)>"Postpone"</s-button>
                                </div>
                            })}
                            <h3>"Timeline"</h3>
                            <ol class="rp-timeline" data-testid="timeline">
                                {r.timeline.iter().map(|e| {
                                    let kind = wire_name(&e.type_);
                                    let who = e.payload.as_ref().and_then(|p| p.get("actor")).and_then(|a| a.as_str()).map(|a| if a == "machine" { "Mail scanner" } else { "Customer" });
                                    let detail = e.payload.as_ref().and_then(describe);
                                    view! {
                                        <li data-event=kind.clone()>
                                            <StatusBadge code=kind.clone()/>
                                            {who.map(|w| view! { <span class="rp-who" data-testid="actor">{w}</span> })}
                                            <span class="rp-muted">" " {format::datetime(&e.at)}</span>
                                            {detail.map(|d| view! { <p class="rp-small">{d}</p> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    }
                })}
            </Transition>
            <Confirm open
                heading=Signal::derive(move || pending.get().map(Act::heading).unwrap_or_default().to_owned())
                body=Signal::derive(move || pending.get().map(|a| a.body(&days.get())).unwrap_or_default())
                confirm_label=Signal::derive(move || pending.get().map(Act::label).unwrap_or_default().to_owned())
                destructive=false
                on_confirm=confirm/>
        </aside>
    }
}

/// An event's details in words (never its JSON): why it failed, which provider, how long.
fn describe(p: &serde_json::Value) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(e) = p.get("error").and_then(|v| v.as_str()) {
        parts.push(e.to_owned());
    }
    if let Some(r) = p.get("reason").and_then(|v| v.as_str()) {
        parts.push(format::label(r));
    }
    if let Some(v) = p.get("provider").and_then(|v| v.as_str()) {
        parts.push(format!("via {}", format::label(v).to_lowercase()));
    }
    if let Some(d) = p.get("postponed_days").and_then(|v| v.as_i64()) {
        parts.push(format!("postponed by {d} days"));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}
