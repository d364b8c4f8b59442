//! The moderation inbox: the queue (pending by default) kept current over the live
//! subscription, with thumbnails, processing state, the 14-day countdown and flagged text;
//! approve / reject / publish per row or in bulk; keyboard shortcuts.

use crate::api;
use crate::components::{EmptyState, ErrorBanner, Loading, Page, StatusBadge, sentence, toast};
use crate::format;
use crate::live::{LiveState, follow_moderation_queue};
use crate::moderation::{self, Action};
use api_client::admin::{Inbox as InboxQuery, inbox};
use api_client::{ApiError, wire_name};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use std::collections::BTreeSet;

const TABS: [(&str, &str); 4] =
    [("PENDING", "Pending"), ("APPROVED", "Approved"), ("REJECTED", "Rejected"), ("ARCHIVED", "Archived")];

pub type Row = inbox::SubmissionRow;

#[component]
pub fn Inbox() -> impl IntoView {
    let query = use_query_map();
    let status = Memo::new(move |_| query.with(|q| q.get("status")).unwrap_or_else(|| "PENDING".into()));
    let reload = RwSignal::new(0u32);
    let rows = RwSignal::new(None::<Result<Vec<Row>, ApiError>>);
    let more = RwSignal::new(None::<String>);
    let selected = RwSignal::new(0usize);
    let checked = RwSignal::new(BTreeSet::<String>::new());
    let help = RwSignal::new(false);
    let action_error = RwSignal::new(None::<ApiError>);

    Effect::new(move |_| {
        reload.track();
        let status = status.get();
        spawn_local(async move {
            let vars = inbox::Variables { status: Some(status_enum(&status)), first: Some(50), after: None };
            let r = api::run::<InboxQuery>(vars).await;
            if let Ok(d) = &r {
                more.set(
                    d.submissions.page_info.has_next_page.then(|| d.submissions.page_info.end_cursor.clone()).flatten(),
                );
            }
            rows.set(Some(r.map(|d| d.submissions.nodes)));
        });
    });
    // Effects run once the DOM shows the change: the benchmark's "inbox painted".
    Effect::new(move |_| {
        if rows.with(Option::is_some) {
            crate::perf::screen_ready("inbox");
        }
    });
    let live = follow_moderation_queue(move |_| reload.update(|n| *n += 1));

    let run = move |id: String, action: Action| {
        spawn_local(async move {
            match moderation::act(id, action).await {
                Ok(()) => {
                    action_error.set(None);
                    toast(action.done());
                    reload.update(|n| *n += 1);
                }
                Err(e) => action_error.set(Some(e)),
            }
        });
    };
    let publish = move |ids: Vec<String>| {
        let pending = status.get_untracked() == "PENDING";
        spawn_local(async move {
            let n = ids.len();
            for id in ids {
                if let Err(e) = moderation::publish(id, pending, true, true).await {
                    action_error.set(Some(e));
                    reload.update(|n| *n += 1);
                    return;
                }
            }
            action_error.set(None);
            checked.set(BTreeSet::new());
            toast(&if n == 1 { "Published".to_owned() } else { format!("{n} testimonials published") });
            reload.update(|n| *n += 1);
        });
    };
    let current_id = move || {
        rows.with(|r| {
            r.as_ref().and_then(|r| r.as_ref().ok()).and_then(|r| r.get(selected.get()).map(|s| s.id.clone()))
        })
    };

    // j/k move, a approve, r reject, p approve and publish, Enter opens, ? shows the keys.
    let navigate = use_navigate();
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        let typing = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if typing || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let len = rows.with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).map_or(0, Vec::len));
        match ev.key().as_str() {
            "j" => selected.update(|i| *i = (*i + 1).min(len.saturating_sub(1))),
            "k" => selected.update(|i| *i = i.saturating_sub(1)),
            "a" => {
                if let Some(id) = current_id() {
                    run(id, Action::Approve)
                }
            }
            "r" => {
                if let Some(id) = current_id() {
                    run(id, Action::Reject)
                }
            }
            "p" => {
                if let Some(id) = current_id() {
                    publish(vec![id])
                }
            }
            "Enter" => {
                if let Some(id) = current_id() {
                    navigate(&format!("/app/inbox/{id}"), Default::default())
                }
            }
            "?" => help.update(|h| *h = !*h),
            "Escape" => help.set(false),
            _ => return,
        }
        ev.prevent_default();
    });
    on_cleanup(move || keys.remove());

    view! {
        <Page title="Inbox">
            <div class="rp-toolbar">
                <nav class="rp-tabs" data-testid="tabs">
                    {TABS.iter().map(|(code, text)| {
                        let code = *code;
                        view! {
                            <a href=format!("/app/inbox?status={code}") aria-current=move || (status.get() == code).then_some("page")>{*text}</a>
                        }
                    }).collect_view()}
                </nav>
                <LiveIndicator state=live/>
                <s-button variant="tertiary" on:click=move |_| help.update(|h| *h = !*h) data-testid="shortcuts">"Keyboard shortcuts"</s-button>
            </div>
            <Show when=move || help.get()>
                <s-banner tone="info" heading="Keyboard shortcuts" data-testid="shortcut-help">
                    <p>"j / k: next / previous · a: approve · r: reject · p: approve and publish · Enter: open · ?: this help"</p>
                </s-banner>
            </Show>
            {move || action_error.get().map(|e| view! { <ErrorBanner error=e/> })}
            <Show when=move || !checked.with(BTreeSet::is_empty)>
                <div class="rp-bulk" data-testid="bulk">
                    <span>{move || format!("{} selected", checked.with(BTreeSet::len))}</span>
                    <s-button variant="primary" data-testid="bulk-publish"
                        on:click=move |_| publish(checked.get_untracked().into_iter().collect())>
                        "Approve and publish"
                    </s-button>
                    <s-button on:click=move |_| checked.set(BTreeSet::new())>"Clear"</s-button>
                </div>
            </Show>
            {move || match rows.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorBanner error=e/> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <EmptyState heading=empty_heading(&status.get()) body="New testimonials appear here as customers send them, without reloading."/>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="rp-queue" data-testid="queue">
                        {list.into_iter().enumerate().map(|(i, row)| view! {
                            <QueueRow row index=i selected checked on_action=Callback::new(move |(id, a)| run(id, a))
                                on_publish=Callback::new(move |id| publish(vec![id])) reload/>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            {move || more.get().map(|_| view! { <p class="rp-muted">"Showing the newest 50. Moderate these to see older ones."</p> })}
        </Page>
    }
}

fn empty_heading(status: &str) -> String {
    match status {
        "PENDING" => "Nothing to moderate".into(),
        other => format!("No {} testimonials", format::label(other).to_lowercase()),
    }
}

fn status_enum(s: &str) -> inbox::SubmissionStatus {
    match s {
        "APPROVED" => inbox::SubmissionStatus::APPROVED,
        "REJECTED" => inbox::SubmissionStatus::REJECTED,
        "ARCHIVED" => inbox::SubmissionStatus::ARCHIVED,
        _ => inbox::SubmissionStatus::PENDING,
    }
}

#[component]
fn LiveIndicator(state: ReadSignal<LiveState>) -> impl IntoView {
    view! {
        <span class="rp-live" data-testid="live" data-state=move || match state.get() {
            LiveState::Live => "live",
            LiveState::Connecting => "connecting",
            LiveState::Reconnecting => "reconnecting",
        }>
            {move || match state.get() {
                LiveState::Live => "● Live",
                LiveState::Connecting => "Connecting…",
                LiveState::Reconnecting => "Reconnecting…",
            }}
        </span>
    }
}

#[component]
fn QueueRow(
    row: Row,
    index: usize,
    selected: RwSignal<usize>,
    checked: RwSignal<BTreeSet<String>>,
    on_action: Callback<(String, Action)>,
    on_publish: Callback<String>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let id = row.id.clone();
    let status = wire_name(&row.status);
    let media_status = row.media.as_ref().map(|m| m.status.clone());
    let failure = row.media.as_ref().and_then(|m| m.processing_error.clone());
    let asset_id = row.media.as_ref().map(|m| m.id.clone());
    let poster = row.media.as_ref().and_then(|m| m.poster_url.clone());
    let countdown = row.auto_approve_at.as_deref().and_then(format::days_until).map(|d| match d {
        ..=0 => "Approves automatically today".to_owned(),
        1 => "Approves automatically tomorrow".to_owned(),
        d => format!("Approves automatically in {d} days"),
    });
    let check_id = id.clone();
    let toggle_id = id.clone();
    let reprocess_error = RwSignal::new(None::<String>);
    let reprocess = move |_| {
        if let Some(asset) = asset_id.clone() {
            spawn_local(async move {
                match moderation::reprocess(asset).await {
                    Ok(()) => {
                        toast("Processing again");
                        reload.update(|n| *n += 1);
                    }
                    Err(e) => reprocess_error.set(Some(sentence(&e))),
                }
            });
        }
    };
    let pending = status == "PENDING";
    let (a_id, r_id, p_id) = (id.clone(), id.clone(), id.clone());
    view! {
        <li class="rp-queue-row" class:rp-selected=move || selected.get() == index data-testid="submission" data-id=id.clone()
            on:click=move |_| selected.set(index)>
            <input type="checkbox" aria-label="Select" prop:checked=move || checked.with(|c| c.contains(&check_id))
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    checked.update(|c| { if on { c.insert(toggle_id.clone()); } else { c.remove(&toggle_id); } });
                }/>
            <a class="rp-thumb" href=format!("/app/inbox/{id}")>
                {match poster {
                    Some(src) => view! { <img src=src alt="" width="96" height="128" loading="lazy"/> }.into_any(),
                    None => view! { <span class="rp-thumb-empty">{if row.has_video { "Video" } else { "Text" }}</span> }.into_any(),
                }}
            </a>
            <div class="rp-queue-main">
                <a class="rp-queue-name" href=format!("/app/inbox/{id}")>{row.display_name.clone()}</a>
                {row.rating.map(|r| view! { <span class="rp-stars" aria-label=format!("{r} out of 5")>{"★".repeat(r.clamp(0, 5) as usize)}</span> })}
                <StatusBadge code=status.clone()/>
                {row.published.then(|| view! { <s-badge tone="success">"Published"</s-badge> })}
                {media_status.clone().map(|m| view! { <span data-testid="media-status"><StatusBadge code=m/></span> })}
                {row.flagged.then(|| view! { <s-badge tone="critical" data-testid="flagged">{format!("Flagged: {}", row.flagged_reason.clone().unwrap_or_default())}</s-badge> })}
                {row.quote.clone().map(|q| view! { <p class="rp-quote" class:rp-flagged=row.flagged>{q}</p> })}
                <p class="rp-muted">
                    {format::label(&wire_name(&row.source))} " · " {format::datetime(&row.created_at)}
                    {countdown.map(|c| view! { " · " <span data-testid="countdown">{c}</span> })}
                </p>
                {failure.map(|f| view! {
                    <p class="rp-failure" data-testid="media-error">"The video could not be processed: " {f}</p>
                    <s-button on:click=reprocess data-testid="reprocess">"Reprocess"</s-button>
                })}
                {move || reprocess_error.get().map(|e| view! { <p class="rp-field-error">{e}</p> })}
            </div>
            <div class="rp-queue-actions">
                {pending.then(|| view! {
                    <s-button on:click=move |_| on_action.run((a_id.clone(), Action::Approve)) data-testid="approve">"Approve"</s-button>
                    <s-button tone="critical" on:click=move |_| on_action.run((r_id.clone(), Action::Reject)) data-testid="reject">"Reject"</s-button>
                })}
                {(!row.published && (pending || status == "APPROVED")).then(|| view! {
                    <s-button variant="primary" on:click=move |_| on_publish.run(p_id.clone()) data-testid="publish">
                        {if pending { "Approve and publish" } else { "Publish" }}
                    </s-button>
                })}
            </div>
        </li>
    }
}
