//! Published testimonials per placement, in the order the storefront shows them (featured
//! first, then by position): reorder by dragging or with the arrow buttons, unpublish, and a
//! live preview rendered by the storefront widget itself.

use crate::api;
use crate::components::{EmptyState, ErrorBanner, Loaded, Page, Section, toast};
use crate::moderation::{self, Action};
use api_client::admin::{Published as PublishedQuery, published};
use api_client::{ApiError, wire_name};
use leptos::prelude::*;
use leptos::task::spawn_local;

type Row = published::PublishedSubmissionsNodes;

#[component]
pub fn Published() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let data = LocalResource::new(move || {
        reload.track();
        api::run::<PublishedQuery>(published::Variables)
    });
    let error = RwSignal::new(None::<ApiError>);
    view! {
        <Page title="Published">
            {move || error.get().map(|e| view! { <ErrorBanner error=e/> })}
            <Loaded resource=data let:d>
                {
                    let domain = d.shop.domain.clone();
                    let live: Vec<Row> = d.submissions.nodes.into_iter().filter(|s| s.published).collect();
                    view! {
                        <Placement title="Home page" code="HOME" rows=live.clone() domain=domain.clone() reload error/>
                        <Placement title="Product pages" code="PRODUCT" rows=live domain reload error/>
                    }
                }
            </Loaded>
        </Page>
    }
}

/// The storefront's order: featured first, then position, then newest.
fn ordered(mut rows: Vec<Row>, placement: &str) -> Vec<Row> {
    rows.retain(|r| r.placements.iter().any(|p| wire_name(p) == placement));
    rows.sort_by(|a, b| {
        b.featured.cmp(&a.featured).then(a.sort_order.cmp(&b.sort_order)).then(b.created_at.cmp(&a.created_at))
    });
    rows
}

#[component]
fn Placement(
    title: &'static str,
    code: &'static str,
    rows: Vec<Row>,
    domain: String,
    reload: RwSignal<u32>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let rows = RwSignal::new(ordered(rows, code));
    let dragging = RwSignal::new(None::<usize>);
    let preview_version = RwSignal::new(0u32);
    // Positions are written as 10, 20, 30… in the new order; featured ones stay featured.
    let save_order = move |list: Vec<Row>| {
        spawn_local(async move {
            for (i, r) in list.iter().enumerate() {
                let position = (i as i64 + 1) * 10;
                if r.sort_order == position {
                    continue;
                }
                if let Err(e) = moderation::feature(r.id.clone(), r.featured, Some(position)).await {
                    error.set(Some(e));
                    break;
                }
            }
            toast("Order saved");
            reload.update(|n| *n += 1);
        });
    };
    let move_item = move |from: usize, to: usize| {
        let mut list = rows.get_untracked();
        if from >= list.len() || to >= list.len() || from == to {
            return;
        }
        let item = list.remove(from);
        list.insert(to, item);
        rows.set(list.clone());
        save_order(list);
    };
    let first_product = rows.with_untracked(|r| r.first().map(|s| s.product_id.clone()));
    let preview = move || {
        // A new address reloads the frame: after every change, and on "Refresh".
        let version = preview_version.get() + reload.get();
        let mut src = format!("/widget/preview?shop={domain}&placement={}&v={version}", code.to_lowercase());
        if code == "PRODUCT"
            && let Some(p) = &first_product
        {
            src.push_str(&format!("&product={p}"));
        }
        src
    };
    view! {
        <Section heading=title>
            <div class="rp-published" data-placement=code>
                {move || {
                    let list = rows.get();
                    if list.is_empty() {
                        return view! { <EmptyState heading="Nothing published here yet" body="Publish testimonials from the inbox to show them on your store."/> }.into_any();
                    }
                    let len = list.len();
                    view! {
                        <ol class="rp-order" data-testid=format!("order-{code}")>
                            {list.into_iter().enumerate().map(|(i, r)| {
                                let id = r.id.clone();
                                view! {
                                    <li draggable="true" data-id=r.id.clone() data-testid="published-item"
                                        on:dragstart=move |_| dragging.set(Some(i))
                                        on:dragover=move |ev| ev.prevent_default()
                                        on:drop=move |ev| { ev.prevent_default(); if let Some(from) = dragging.get_untracked() { move_item(from, i) } dragging.set(None); }>
                                        <span class="rp-drag" aria-hidden="true">"⠿"</span>
                                        {r.media.as_ref().and_then(|m| m.poster_url.clone()).map(|src| view! { <img src=src alt="" width="48" height="64"/> })}
                                        <span class="rp-order-name">{r.display_name.clone()}</span>
                                        {r.featured.then(|| view! { <s-badge tone="info">"Featured"</s-badge> })}
                                        <span class="rp-order-actions">
                                            <s-button variant="tertiary" accessibility-label="Move up" disabled=i == 0 data-testid="up"
                                                on:click=move |_| { if i > 0 { move_item(i, i - 1) } }>"↑"</s-button>
                                            <s-button variant="tertiary" accessibility-label="Move down" disabled=i + 1 == len data-testid="down"
                                                on:click=move |_| { if i + 1 < len { move_item(i, i + 1) } }>"↓"</s-button>
                                            <s-button data-testid="unpublish" on:click=move |_| {
                                                let id = id.clone();
                                                spawn_local(async move {
                                                    match moderation::act(id, Action::Unpublish).await {
                                                        Ok(()) => { toast("Unpublished"); reload.update(|n| *n += 1); }
                                                        Err(e) => error.set(Some(e)),
                                                    }
                                                });
                                            }>"Unpublish"</s-button>
                                        </span>
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }}
                {move || (!rows.with(Vec::is_empty)).then(|| view! {
                    <div class="rp-preview">
                        <div class="rp-preview-head">
                            <span class="rp-muted">"Preview, as your storefront shows it"</span>
                            <s-button variant="tertiary" on:click=move |_| preview_version.update(|n| *n += 1)>"Refresh"</s-button>
                        </div>
                        <iframe title=format!("{title} preview") src=preview.clone() data-testid=format!("preview-{code}")></iframe>
                    </div>
                })}
            </div>
        </Section>
    }
}
