//! Analytics: the funnel (requests → sent → opened → clicked → submitted → published) per
//! day as SVG charts drawn from the API's series, with range and campaign filters, the rates
//! between steps, and the series as a CSV download. Opens and clicks count people only: the
//! API leaves mail scanners out.

use crate::api;
use crate::components::{Loaded, Page, Section, TableHead};
use crate::format;
use api_client::admin::{Analytics, analytics};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

type Day = analytics::AnalyticsAnalyticsDays;

/// The steps drawn, with their colour.
const STEPS: [(&str, &str); 6] = [
    ("Requests", "#8a8a8a"),
    ("Sent", "#2c6ecb"),
    ("Opened", "#47b881"),
    ("Clicked", "#f49342"),
    ("Submitted", "#9c6ade"),
    ("Published", "#d82c0d"),
];

fn step_values(d: &Day) -> [i64; 6] {
    let c = &d.counts;
    [c.scheduled, c.sent, c.opened, c.clicked, c.submitted, c.published]
}

#[component]
pub fn AnalyticsScreen() -> impl IntoView {
    let query = use_query_map();
    let days = Memo::new(move |_| {
        query
            .with(|q| q.get("days"))
            .and_then(|d| d.parse::<u32>().ok())
            .filter(|d| (1..=366).contains(d))
            .unwrap_or(30)
    });
    let campaign = Memo::new(move |_| query.with(|q| q.get("campaign")).filter(|c| !c.is_empty()));
    let data = LocalResource::new(move || {
        let (from, to) = format::last_days(days.get().saturating_sub(1));
        api::run::<Analytics>(analytics::Variables { from, to, campaign_id: campaign.get() })
    });
    let navigate = use_navigate();
    let go = move |d: u32, c: Option<String>| {
        let mut q = format!("/app/analytics?days={d}");
        if let Some(c) = c {
            q.push_str(&format!("&campaign={c}"));
        }
        navigate(&q, NavigateOptions::default());
    };
    let go2 = go.clone();
    view! {
        <Page title="Analytics">
            <div class="rp-filters">
                <label class="rp-field">
                    <span class="rp-field-label">"Range"</span>
                    <select data-testid="range" on:change=move |ev| go(event_target_value(&ev).parse().unwrap_or(30), campaign.get_untracked())>
                        {[(7, "Last 7 days"), (30, "Last 30 days"), (90, "Last 90 days"), (365, "Last 12 months")].into_iter().map(|(d, l)| view! {
                            <option value=d.to_string() selected=move || days.get() == d>{l}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="rp-field">
                    <span class="rp-field-label">"Campaign"</span>
                    <select data-testid="campaign" on:change=move |ev| { let v = event_target_value(&ev); go2(days.get_untracked(), (!v.is_empty()).then_some(v)) }>
                        <option value="">"All campaigns"</option>
                        {move || data.get().and_then(Result::ok).map(|d| d.campaigns.into_iter().map(|c| {
                            let id = c.id.clone();
                            view! { <option value=c.id selected=move || campaign.get().as_deref() == Some(id.as_str())>{c.name}</option> }
                        }).collect_view())}
                    </select>
                </label>
            </div>
            <Loaded resource=data let:d>
                {
                    let a = d.analytics;
                    let t = a.totals.clone();
                    let r = a.rates.clone();
                    let days = a.days.clone();
                    let csv_days = a.days.clone();
                    let by_template: Vec<Row> = d.by_template.iter().map(Row::from).collect();
                    let by_language: Vec<Row> = d.by_language.iter().map(Row::from).collect();
                    view! {
                        <div class="rp-grid rp-grid--6" data-testid="totals">
                            <Stat label="Requests" value=t.scheduled rate=String::new()/>
                            <Stat label="Sent" value=t.sent rate=format!("{} failed", t.failed)/>
                            <Stat label="Opened" value=t.opened rate=format!("{} of delivered", format::percent(r.opened_per_delivered))/>
                            <Stat label="Clicked" value=t.clicked rate=format!("{} of sent; {} from a star", format::percent(r.clicked_per_sent), t.star_clicked)/>
                            <Stat label="Submitted" value=t.submitted rate=format!("{} of clicked", format::percent(r.submitted_per_clicked))/>
                            <Stat label="Published" value=t.published rate=format!("{} of approved", format::percent(r.published_per_approved))/>
                        </div>
                        <Section heading="Per day">
                            <Chart days/>
                            <s-button on:click=move |_| download_csv(&csv_days) data-testid="csv">"Download CSV"</s-button>
                        </Section>
                        <Section heading="Which email works">
                            <p class="rp-muted">"Requests first sent in this range, by the template and by the language they went out in; people only."</p>
                            {if by_template.is_empty() {
                                view! { <p class="rp-muted">"Nothing sent in this range."</p> }.into_any()
                            } else {
                                view! {
                                    <Breakdown heading="Template" rows=by_template testid="by-template"/>
                                    <Breakdown heading="Language" rows=by_language testid="by-language"/>
                                }.into_any()
                            }}
                        </Section>
                        <Section heading="Rates">
                            <dl class="rp-dl" data-testid="rates">
                                <dt>"Delivered per sent"</dt><dd>{format::percent(r.delivered_per_sent)}</dd>
                                <dt>"Opened per delivered (people)"</dt><dd>{format::percent(r.opened_per_delivered)}</dd>
                                <dt>"Clicked per sent (people)"</dt><dd>{format::percent(r.clicked_per_sent)}</dd>
                                <dt>"Submitted per click"</dt><dd>{format::percent(r.submitted_per_clicked)}</dd>
                                <dt>"Submitted per sent"</dt><dd>{format::percent(r.submitted_per_sent)}</dd>
                                <dt>"Approved per submitted"</dt><dd>{format::percent(r.approved_per_submitted)}</dd>
                                <dt>"Published per approved"</dt><dd>{format::percent(r.published_per_approved)}</dd>
                            </dl>
                        </Section>
                    }
                }
            </Loaded>
        </Page>
    }
}

/// One row of a breakdown, whichever query it came from.
#[derive(Clone)]
struct Row {
    key: String,
    sent: i64,
    opened: i64,
    clicked: i64,
    star_clicked: i64,
    submitted: i64,
    submitted_per_sent: f64,
}

impl From<&analytics::Breakdown> for Row {
    fn from(b: &analytics::Breakdown) -> Self {
        Self {
            key: b.key.clone(),
            sent: b.sent,
            opened: b.opened,
            clicked: b.clicked,
            star_clicked: b.star_clicked,
            submitted: b.submitted,
            submitted_per_sent: b.submitted_per_sent,
        }
    }
}

#[component]
fn Breakdown(heading: &'static str, rows: Vec<Row>, testid: &'static str) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="rp-muted">"Nothing sent in this range."</p> }.into_any();
    }
    let columns: &'static [&'static str] = match heading {
        "Template" => &["Template", "Sent", "Opened", "Clicked", "From a star", "Answered", "Answered per sent"],
        _ => &["Language", "Sent", "Opened", "Clicked", "From a star", "Answered", "Answered per sent"],
    };
    view! {
        <s-table data-testid=testid>
            <TableHead columns/>
            <s-table-body>
                {rows.into_iter().map(|r| view! {
                    <s-table-row>
                        <s-table-cell>{r.key}</s-table-cell>
                        <s-table-cell>{r.sent.to_string()}</s-table-cell>
                        <s-table-cell>{r.opened.to_string()}</s-table-cell>
                        <s-table-cell>{r.clicked.to_string()}</s-table-cell>
                        <s-table-cell>{r.star_clicked.to_string()}</s-table-cell>
                        <s-table-cell>{r.submitted.to_string()}</s-table-cell>
                        <s-table-cell>{format::percent(r.submitted_per_sent)}</s-table-cell>
                    </s-table-row>
                }).collect_view()}
            </s-table-body>
        </s-table>
    }
    .into_any()
}

#[component]
fn Stat(label: &'static str, value: i64, rate: String) -> impl IntoView {
    view! {
        <div class="rp-stat" data-step=label>
            <span class="rp-stat-value">{value.to_string()}</span>
            <span class="rp-stat-label">{label}</span>
            <span class="rp-muted rp-small">{rate}</span>
        </div>
    }
}

/// One line per step over the days, with a legend; drawn in a fixed viewBox that scales.
#[component]
fn Chart(days: Vec<Day>) -> impl IntoView {
    const W: f64 = 720.0;
    const H: f64 = 220.0;
    const PAD: f64 = 28.0;
    let top = days.iter().flat_map(step_values).max().unwrap_or(0).max(1) as f64;
    let n = days.len().max(2) as f64 - 1.0;
    let x = move |i: usize| PAD + (i as f64) * (W - 2.0 * PAD) / n;
    let y = move |v: i64| H - PAD - (v as f64) / top * (H - 2.0 * PAD);
    let lines = STEPS.iter().enumerate().map(|(s, (name, colour))| {
        let points: Vec<String> = days.iter().enumerate().map(|(i, d)| format!("{:.1},{:.1}", x(i), y(step_values(d)[s]))).collect();
        view! { <polyline points=points.join(" ") fill="none" stroke=*colour stroke-width="2"><title>{*name}</title></polyline> }
    }).collect_view();
    let first = days.first().map(|d| format::date(&d.day)).unwrap_or_default();
    let last = days.last().map(|d| format::date(&d.day)).unwrap_or_default();
    view! {
        <figure class="rp-chart" data-testid="chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label="The funnel per day" preserveAspectRatio="none">
                <line x1=PAD y1=H - PAD x2=W - PAD y2=H - PAD stroke="#c9cccf"/>
                <line x1=PAD y1=PAD x2=PAD y2=H - PAD stroke="#c9cccf"/>
                <text x="2" y=PAD + 4.0 font-size="11" fill="#616161">{top.to_string()}</text>
                <text x="2" y=H - PAD font-size="11" fill="#616161">"0"</text>
                <text x=PAD y=H - 8.0 font-size="11" fill="#616161">{first}</text>
                <text x=W - PAD y=H - 8.0 font-size="11" fill="#616161" text-anchor="end">{last}</text>
                {lines}
            </svg>
            <figcaption class="rp-legend">
                {STEPS.iter().map(|(name, colour)| view! { <span><i style=format!("background:{colour}")></i>{*name}</span> }).collect_view()}
            </figcaption>
        </figure>
    }
}

/// The series as CSV, downloaded by the browser (no server round trip).
fn download_csv(days: &[Day]) {
    let mut csv = String::from(
        "day,requests,sent,failed,delivered,opened,clicked,star_clicked,reminders_sent,submitted,approved,published,expired\n",
    );
    for d in days {
        let c = &d.counts;
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            d.day,
            c.scheduled,
            c.sent,
            c.failed,
            c.delivered,
            c.opened,
            c.clicked,
            c.star_clicked,
            c.reminders_sent,
            c.submitted,
            c.approved,
            c.published,
            c.expired
        ));
    }
    crate::download::save("reelproof-analytics.csv", "text/csv", &csv);
}
