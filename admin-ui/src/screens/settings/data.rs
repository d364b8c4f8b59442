//! The shop's data: testimonials as CSV (export, and import with each bad row's error shown
//! at its line), answers to customers' privacy requests, and asking past customers.

use crate::api;
use crate::components::{ErrorBanner, Loaded, Section, TextField, sentence, toast};
use crate::download;
use crate::format;
use api_client::admin::*;
use api_client::{ApiError, ErrorCode};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

#[component]
pub fn Data() -> impl IntoView {
    view! {
        <CsvExport/>
        <CsvImport/>
        <LookBack/>
        <PrivacyExportList/>
    }
}

#[component]
fn CsvExport() -> impl IntoView {
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let export = move |_| {
        busy.set(true);
        spawn_local(async move {
            // The server streams the file page by page, whatever the shop's size.
            match api::download("/api/exports/testimonials.csv").await {
                Ok(bytes) => {
                    error.set(None);
                    download::save_bytes("reelproof-testimonials.csv", "text/csv", &bytes);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <Section heading="Export testimonials">
            <p>"Every testimonial with its rating, words, product, publication, video links (valid for 7 days) and consent record."</p>
            <s-button on:click=export disabled=move || busy.get() data-testid="export-csv">{move || if busy.get() { "Preparing…" } else { "Download CSV" }}</s-button>
            {move || error.get().map(|e| view! { <ErrorBanner error=e/> })}
        </Section>
    }
}

#[component]
fn CsvImport() -> impl IntoView {
    let error = RwSignal::new(None::<ApiError>);
    let imported = RwSignal::new(None::<usize>);
    let busy = RwSignal::new(false);
    let on_file = move |ev: leptos::ev::Event| {
        let Some(file) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        else {
            return;
        };
        busy.set(true);
        imported.set(None);
        spawn_local(async move {
            let text = match wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string()) {
                Some(t) => t,
                None => {
                    error.set(Some(ApiError::new(
                        ErrorCode::Validation,
                        "That file could not be read as text. Choose a .csv file.",
                    )));
                    busy.set(false);
                    return;
                }
            };
            match api::run::<ImportTestimonials>(import_testimonials::Variables { csv: text }).await {
                Ok(d) => {
                    error.set(None);
                    imported.set(Some(d.import_testimonials.len()));
                    toast("Imported");
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <Section heading="Import testimonials">
            <p>"A CSV with a header row: " <code>"product_id"</code> ", " <code>"display_name"</code> ", " <code>"consent"</code>
               " (must be yes) are required; " <code>"rating"</code> ", " <code>"quote"</code> ", " <code>"video_url"</code> ", " <code>"date"</code>
               " are optional. One bad row imports nothing; every problem is listed below."</p>
            <label class="rp-field">
                <span class="rp-field-label">"CSV file"</span>
                <input type="file" accept=".csv,text/csv" data-testid="import-file" on:change=on_file disabled=move || busy.get()/>
            </label>
            {move || busy.get().then(|| view! { <p class="rp-muted">"Checking and importing…"</p> })}
            {move || imported.get().map(|n| view! { <s-banner tone="success" heading="Imported" data-testid="imported"><p>{format!("{n} testimonials are in the inbox, waiting for you.")}</p></s-banner> })}
            {move || error.get().map(|e| if e.rows.is_empty() {
                view! { <ErrorBanner error=e/> }.into_any()
            } else {
                view! {
                    <s-banner tone="critical" heading="Nothing was imported: fix these rows and try again" data-testid="row-errors">
                        <ul>
                            {e.rows.iter().map(|r| view! {
                                <li data-line=r.line.to_string()>
                                    <strong>{format!("Line {}", r.line)}</strong>
                                    {r.column.clone().map(|c| format!(", column {c}"))}
                                    ": " {r.message.clone()}
                                </li>
                            }).collect_view()}
                        </ul>
                    </s-banner>
                }.into_any()
            })}
        </Section>
    }
}

#[component]
fn LookBack() -> impl IntoView {
    let days = RwSignal::new("30".to_owned());
    let error = RwSignal::new(None::<String>);
    let ask = move |_| {
        let Ok(n @ 1..=60) = days.get_untracked().trim().parse::<i64>() else {
            error.set(Some("Enter a number of days from 1 to 60.".into()));
            return;
        };
        spawn_local(async move {
            match api::run::<LookBackOrders>(look_back_orders::Variables { days: n }).await {
                Ok(_) => {
                    error.set(None);
                    toast("Orders are being read; their requests appear in the log");
                }
                Err(e) => error.set(Some(sentence(&e))),
            }
        });
    };
    view! {
        <Section heading="Ask past customers">
            <p>"Plan requests for orders of the last days, as your active campaigns say (orders already planned are skipped)."</p>
            <div class="rp-inline-form">
                <TextField label="Days back" name="lookBackDays" kind="number" value=days error=Signal::derive(move || error.get())/>
                <s-button on:click=ask data-testid="look-back">"Ask them"</s-button>
            </div>
        </Section>
    }
}

#[component]
fn PrivacyExportList() -> impl IntoView {
    let data = LocalResource::new(|| api::run::<PrivacyExports>(privacy_exports::Variables));
    view! {
        <Section heading="Customer data requests">
            <Loaded resource=data let:d>
                {if d.privacy_exports.is_empty() {
                    view! { <p class="rp-muted">"No customer has asked for their data. When one does through Shopify, the answer is ready here to send them."</p> }.into_any()
                } else {
                    view! {
                        <ul class="rp-list" data-testid="privacy-exports">
                            {d.privacy_exports.into_iter().map(|p| {
                                let body = serde_json::to_string_pretty(&p.export).unwrap_or_default();
                                let name = format!("customer-data-{}.json", p.data_request_id.clone().unwrap_or_else(|| p.id.clone()));
                                view! {
                                    <li>
                                        {format!("Request {} · customer {} · {}", p.data_request_id.clone().unwrap_or_else(|| "–".into()), p.customer_id.clone().unwrap_or_else(|| "–".into()), format::datetime(&p.created_at))}
                                        " " <s-button on:click=move |_| download::save(&name, "application/json", &body)>"Download"</s-button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </Loaded>
        </Section>
    }
}
