//! One submission: the video, what the customer wrote, the consent record, the moderation log
//! and every action a merchant can take on it. Processing changes arrive live.

use crate::api;
use crate::components::{Checkbox, ErrorBanner, Loaded, Page, Section, StatusBadge, TextField, sentence, toast};
use crate::format;
use crate::live::follow_moderation_queue;
use crate::moderation::{self, Action};
use api_client::admin::{
    BindSubmissionProduct, SubmissionDetail as DetailQuery, bind_submission_product, submission_detail,
};
use api_client::{ApiError, wire_name};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;

#[component]
pub fn SubmissionDetail() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id")).unwrap_or_default());
    let reload = RwSignal::new(0u32);
    let data = LocalResource::new(move || {
        reload.track();
        api::run::<DetailQuery>(submission_detail::Variables { id: id.get() })
    });
    follow_moderation_queue(move |about| {
        if about.is_none() || about.as_deref() == Some(id.get_untracked().as_str()) {
            reload.update(|n| *n += 1);
        }
    });
    view! {
        <Page title="Testimonial" back="/app/inbox">
            <Loaded resource=data let:d>
                <Detail s=d.submission reload/>
            </Loaded>
        </Page>
    }
}

type Submission = submission_detail::SubmissionDetailSubmission;

#[component]
fn Detail(s: Submission, reload: RwSignal<u32>) -> impl IntoView {
    let status = wire_name(&s.status);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let done = move |r: Result<(), ApiError>, message: &'static str| match r {
        Ok(()) => {
            error.set(None);
            toast(message);
            reload.update(|n| *n += 1);
        }
        Err(e) => error.set(Some(e)),
    };
    let act = {
        let id = s.id.clone();
        move |action: Action| {
            let id = id.clone();
            busy.set(true);
            spawn_local(async move {
                done(moderation::act(id, action).await, action.done());
                busy.set(false);
            });
        }
    };
    let placements: Vec<String> = s.placements.iter().map(wire_name).collect();
    let home = RwSignal::new(placements.is_empty() || placements.iter().any(|p| p == "HOME"));
    let product = RwSignal::new(placements.is_empty() || placements.iter().any(|p| p == "PRODUCT"));
    let publish = {
        let id = s.id.clone();
        let pending = status == "PENDING";
        move |_| {
            let id = id.clone();
            spawn_local(async move {
                done(
                    moderation::publish(id, pending, home.get_untracked(), product.get_untracked()).await,
                    "Published",
                );
            });
        }
    };
    let featured = s.featured;
    let feature = {
        let id = s.id.clone();
        move |_| {
            let id = id.clone();
            spawn_local(async move {
                done(
                    moderation::feature(id, !featured, None).await,
                    if featured { "No longer featured" } else { "Featured" },
                );
            });
        }
    };
    let product_id = RwSignal::new(s.product_id.clone());
    let bind_error = RwSignal::new(None::<String>);
    let bind = {
        let id = s.id.clone();
        move |_| {
            let vars = bind_submission_product::Variables { id: id.clone(), product_id: product_id.get_untracked() };
            spawn_local(async move {
                match api::run::<BindSubmissionProduct>(vars).await {
                    Ok(_) => {
                        bind_error.set(None);
                        toast("Moved to the other product");
                        reload.update(|n| *n += 1);
                    }
                    Err(e) => {
                        bind_error.set(Some(e.field("productId").map(str::to_owned).unwrap_or_else(|| sentence(&e))))
                    }
                }
            });
        }
    };
    let media = s.media.clone();
    let reprocess = {
        let asset = media.as_ref().map(|m| m.id.clone());
        move |_| {
            if let Some(a) = asset.clone() {
                spawn_local(async move { done(moderation::reprocess(a).await, "Processing again") });
            }
        }
    };
    let (a1, a2, a3, a4, a5) = (act.clone(), act.clone(), act.clone(), act.clone(), act.clone());
    let is_pending = status == "PENDING";
    let is_approved = status == "APPROVED";
    let is_closed = status == "REJECTED" || status == "ARCHIVED";
    let is_archived = status == "ARCHIVED";
    view! {
        {move || error.get().map(|e| view! { <ErrorBanner error=e/> })}
        <div class="rp-detail">
            <Section heading="Video">
                {match &media {
                    None => view! { <p class="rp-muted">"A text-only testimonial."</p> }.into_any(),
                    Some(m) => {
                        let ready = m.status == "READY";
                        view! {
                            <p data-testid="media-status"><StatusBadge code=m.status.clone()/></p>
                            {if ready {
                                view! { <video class="rp-player" controls preload="metadata" src=m.playback_url.clone() poster=m.poster_url.clone() data-testid="player"></video> }.into_any()
                            } else {
                                view! { <p class="rp-muted">"The video shows here once it is processed."</p> }.into_any()
                            }}
                            {m.duration_ms.map(|d| view! { <p class="rp-muted">{format!("{:.0} seconds", d as f64 / 1000.0)}</p> })}
                            {m.processing_error.clone().map(|e| view! {
                                <p class="rp-failure" data-testid="media-error">"The video could not be processed: " {e}</p>
                                <s-button on:click=reprocess.clone() data-testid="reprocess">"Reprocess"</s-button>
                            })}
                        }.into_any()
                    }
                }}
            </Section>
            <div>
                <Section heading="What the customer said">
                    <p class="rp-detail-name" data-testid="display-name">{s.display_name.clone()}</p>
                    {s.rating.map(|r| view! { <p class="rp-stars" data-testid="rating">{"★".repeat(r.clamp(0, 5) as usize)} <span class="rp-muted">{format!(" {r} of 5")}</span></p> })}
                    {s.quote.clone().map(|q| view! { <blockquote class="rp-quote" class:rp-flagged=s.flagged data-testid="quote">{q}</blockquote> })}
                    {s.flagged.then(|| view! { <s-badge tone="critical">{format!("Flagged: {}", s.flagged_reason.clone().unwrap_or_default())}</s-badge> })}
                    <dl class="rp-dl">
                        <dt>"Status"</dt><dd><StatusBadge code=status.clone()/> {s.published.then(|| view! { <s-badge tone="success">"Published"</s-badge> })}</dd>
                        <dt>"Product"</dt><dd data-testid="product">{match s.product.clone() {
                            Some(p) => view! {
                                {p.image_url.map(|src| view! { <img class="rp-product-image" src=src alt="" width="40" height="40"/> })}
                                <span>{p.title}</span>
                            }.into_any(),
                            // Not connected to Shopify (dev mode), or the product is gone: its id.
                            None => view! { <span>{format!("Product {}", s.product_id)}</span> }.into_any(),
                        }}</dd>
                        <dt>"Received"</dt><dd>{format::datetime(&s.created_at)}</dd>
                        <dt>"Source"</dt><dd>{format::label(&wire_name(&s.source))}</dd>
                    </dl>
                </Section>
                <Section heading="Moderate">
                    <div class="rp-actions">
                        {is_pending.then(|| view! {
                            <s-button on:click=move |_| a1(Action::Approve) data-testid="approve">"Approve"</s-button>
                            <s-button tone="critical" on:click=move |_| a2(Action::Reject) data-testid="reject">"Reject"</s-button>
                        })}
                        {is_approved.then(|| view! {
                            <s-button tone="critical" on:click=move |_| a3(Action::Reject) data-testid="reject">"Reject"</s-button>
                        })}
                        {is_closed.then(|| view! {
                            <s-button on:click=move |_| a4(Action::Restore) data-testid="restore">"Restore to pending"</s-button>
                        })}
                        {(!is_archived).then(|| view! {
                            <s-button on:click=move |_| a5(Action::Archive) data-testid="archive">"Archive"</s-button>
                        })}
                    </div>
                    {(is_pending || is_approved).then(|| view! {
                        <fieldset class="rp-fieldset">
                            <legend>"Publish on"</legend>
                            <Checkbox label="Home page" name="placement-home" checked=home/>
                            <Checkbox label="Product page" name="placement-product" checked=product/>
                            <div class="rp-actions">
                                <s-button variant="primary" on:click=publish.clone() data-testid="publish">
                                    {if s.published { "Update placements" } else if is_pending { "Approve and publish" } else { "Publish" }}
                                </s-button>
                                {s.published.then(|| {
                                    let act = act.clone();
                                    view! { <s-button on:click=move |_| act(Action::Unpublish) data-testid="unpublish">"Unpublish"</s-button> }
                                })}
                                <s-button on:click=feature.clone() data-testid="feature">{if featured { "Stop featuring" } else { "Feature first" }}</s-button>
                            </div>
                        </fieldset>
                    })}
                    <div class="rp-inline-form">
                        <TextField label="Show on another product (product id)" name="productId" value=product_id error=Signal::derive(move || bind_error.get())/>
                        <s-button on:click=bind data-testid="bind">"Move"</s-button>
                    </div>
                </Section>
                <Section heading="Consent">
                    <p data-testid="consent">{s.consent_text.clone()}</p>
                    <p class="rp-muted">{format!("Version {}", s.consent_version)} {s.consented_at.as_deref().map(|t| format!(" · given {}", format::datetime(t)))}</p>
                </Section>
                <Section heading="Moderation log">
                    {if s.moderation_log.is_empty() {
                        view! { <p class="rp-muted">"Nobody has moderated it yet."</p> }.into_any()
                    } else {
                        view! {
                            <ol class="rp-timeline" data-testid="moderation-log">
                                {s.moderation_log.iter().map(|e| view! {
                                    <li>
                                        <strong>{format::label(&e.action)}</strong>
                                        <span class="rp-muted">{format!(" by {} · {}", actor(&e.actor), format::datetime(&e.at))}</span>
                                        {e.note.clone().map(|n| view! { <p>{n}</p> })}
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    }}
                </Section>
            </div>
        </div>
    }
}

/// `user:<id>` / `token:<name>` / `system`, in words.
fn actor(a: &str) -> String {
    match a.split_once(':') {
        Some(("user", _)) => "staff".into(),
        Some(("token", name)) => format!("API token “{name}”"),
        _ if a == "system" => "Reelproof's rules".into(),
        _ => a.to_owned(),
    }
}
