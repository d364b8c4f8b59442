//! A template's editor: the variables palette, a live preview through `previewTemplate`
//! (email subject, HTML and text; SMS with its segment count) and save-time errors at the
//! field and line they concern.

use crate::api;
use crate::components::{ErrorBanner, Page, SaveBar, Section, Select, TextField, field_error, sentence, toast};
use api_client::admin::*;
use api_client::{ApiError, wire_name};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_params_map};
use std::time::Duration;

/// What a template can say, with what each stands for.
const VARIABLES: [(&str, &str); 9] = [
    ("{{ customer_first_name }}", "The customer's first name"),
    ("{{ product_title }}", "The product bought"),
    ("{{ product_image }}", "The product's picture (an address)"),
    ("{{ shop_name }}", "Your shop's name"),
    ("{{ capture_link }}", "The customer's own link to record"),
    ("{{ expiry_date }}", "When the link stops working"),
    ("{{ incentive }}", "The campaign's thank-you offer"),
    ("{{ postpone_link }}", "“Not arrived yet?” link"),
    ("{{ unsubscribe_link }}", "Stop receiving these"),
];

#[derive(Clone, Copy)]
struct Form {
    channel: RwSignal<String>,
    kind: RwSignal<String>,
    name: RwSignal<String>,
    locale: RwSignal<String>,
    subject: RwSignal<String>,
    body: RwSignal<String>,
    body_text: RwSignal<String>,
}

impl Form {
    fn snapshot(self) -> [String; 7] {
        [self.channel, self.kind, self.name, self.locale, self.subject, self.body, self.body_text].map(|s| s.get())
    }
}

macro_rules! template_input {
    ($m:ident, $f:expr) => {{
        use $m::*;
        let f = $f;
        let opt = |s: RwSignal<String>| Some(s.get_untracked()).filter(|v| !v.trim().is_empty());
        TemplateInput {
            channel: if f.channel.get_untracked() == "SMS" { TemplateChannel::SMS } else { TemplateChannel::EMAIL },
            kind: if f.kind.get_untracked() == "REMINDER" { TemplateKind::REMINDER } else { TemplateKind::REQUEST },
            name: f.name.get_untracked(),
            locale: f.locale.get_untracked(),
            subject: opt(f.subject),
            body: f.body.get_untracked(),
            body_text: opt(f.body_text),
        }
    }};
}

#[component]
pub fn TemplateEditor() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id")).filter(|i| i != "new"));
    let s = || RwSignal::new(String::new());
    let form = Form { channel: s(), kind: s(), name: s(), locale: s(), subject: s(), body: s(), body_text: s() };
    let saved = RwSignal::new(None::<[String; 7]>);
    let original = RwSignal::new(None::<[String; 7]>);
    let errors = RwSignal::new(None::<ApiError>);
    let load_error = RwSignal::new(None::<ApiError>);
    let saving = RwSignal::new(false);
    let preview = RwSignal::new(None::<Result<preview_template::PreviewTemplatePreviewTemplate, ApiError>>);

    let apply = move |v: &[String; 7]| {
        let [c, k, n, l, su, b, bt] = v.clone();
        form.channel.set(c);
        form.kind.set(k);
        form.name.set(n);
        form.locale.set(l);
        form.subject.set(su);
        form.body.set(b);
        form.body_text.set(bt);
    };
    Effect::new(move |_| {
        let id = id.get();
        spawn_local(async move {
            let values = match id {
                None => Some([
                    "EMAIL".into(), "REQUEST".into(), "My request email".into(), "en".into(),
                    "How is your {{ product_title }}?".into(),
                    "<p>Hi {{ customer_first_name }},</p>\n<p>Would you record a short video about your {{ product_title }}?</p>\n<p><a href=\"{{ capture_link }}\">Record a video</a></p>".into(),
                    String::new(),
                ]),
                Some(id) => match api::run::<Templates>(templates::Variables).await {
                    Ok(d) => match d.templates.into_iter().find(|t| t.id == id) {
                        Some(t) => Some([
                            wire_name(&t.channel), wire_name(&t.kind), t.name, t.locale,
                            t.subject.unwrap_or_default(), t.body, t.body_text.unwrap_or_default(),
                        ]),
                        None => {
                            load_error.set(Some(ApiError::new(api_client::ErrorCode::NotFound, "This template no longer exists.")));
                            None
                        }
                    },
                    Err(e) => {
                        load_error.set(Some(e));
                        None
                    }
                },
            };
            if let Some(v) = values {
                apply(&v);
                saved.set(Some(v.clone()));
                original.set(Some(v));
            }
        });
    });

    // The preview follows the form, half a second after typing stops.
    let generation = StoredValue::new(0u32);
    Effect::new(move |_| {
        let _ = form.snapshot();
        if saved.get().is_none() {
            return;
        }
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        set_timeout(
            move || {
                if generation.get_value() != mine {
                    return;
                }
                let input = template_input!(preview_template, form);
                spawn_local(async move {
                    let r = api::run::<PreviewTemplate>(preview_template::Variables { input }).await;
                    if generation.get_value() == mine {
                        preview.set(Some(r.map(|d| d.preview_template)));
                    }
                });
            },
            Duration::from_millis(500),
        );
    });

    let dirty = Signal::derive(move || saved.get().is_some_and(|s| s != form.snapshot()));
    let navigate = use_navigate();
    let on_save = Callback::new(move |_| {
        saving.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let r = match id.get_untracked() {
                None => api::run::<CreateTemplate>(create_template::Variables {
                    input: template_input!(create_template, form),
                })
                .await
                .map(|d| Some(d.create_template.id)),
                Some(id) => api::run::<UpdateTemplate>(update_template::Variables {
                    id,
                    input: template_input!(update_template, form),
                })
                .await
                .map(|_| None),
            };
            match r {
                Ok(new_id) => {
                    errors.set(None);
                    saved.set(Some(form.snapshot()));
                    toast("Template saved");
                    if let Some(new_id) = new_id {
                        navigate(&format!("/app/templates/{new_id}"), NavigateOptions::default());
                    }
                }
                Err(e) => errors.set(Some(e)),
            }
            saving.set(false);
        });
    });
    let on_discard = Callback::new(move |_| {
        if let Some(v) = saved.get_untracked() {
            apply(&v);
        }
        errors.set(None);
    });
    let fe = move |n: &'static str| field_error(errors, n);
    let is_sms = move || form.channel.get() == "SMS";
    let insert = move |var: &'static str| form.body.update(|b| b.push_str(var));
    let opts = |l: &[(&str, &str)]| {
        Signal::stored(l.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect::<Vec<_>>())
    };

    view! {
        <Page title=if id.get_untracked().is_some() { "Edit template" } else { "New template" } back="/app/templates">
            <SaveBar dirty saving on_save on_discard/>
            {move || load_error.get().map(|e| view! { <ErrorBanner error=e/> })}
            {move || errors.get().map(|e| view! {
                <s-banner tone="critical" heading="The template was not saved" data-testid="save-error"><p>{sentence(&e)}</p></s-banner>
            })}
            <div class="rp-detail">
                <form class="rp-form" data-save-bar="" on:submit=move |ev| { ev.prevent_default(); on_save.run(()) }>
                    <Section heading="Template">
                        <TextField label="Name" name="name" value=form.name error=fe("name")/>
                        <Select label="Channel" name="channel" value=form.channel options=opts(&[("EMAIL", "Email"), ("SMS", "SMS")]) error=fe("channel")/>
                        <Select label="Kind" name="kind" value=form.kind options=opts(&[("REQUEST", "Request"), ("REMINDER", "Reminder")]) error=fe("kind")/>
                        <TextField label="Language" name="locale" value=form.locale error=fe("locale") help="A language code such as en, fr or de-CH."/>
                        <Show when=move || !is_sms()>
                            <TextField label="Subject" name="subject" value=form.subject error=fe("subject")/>
                        </Show>
                        <TextField label="Message" name="body" multiline=true value=form.body error=fe("body")
                            help="Email: HTML. SMS: plain text; keep it short."/>
                        <Show when=move || !is_sms()>
                            <TextField label="Plain-text version" name="bodyText" multiline=true value=form.body_text error=fe("bodyText") help="Optional: made from the HTML when empty."/>
                        </Show>
                    </Section>
                    <Section heading="Variables">
                        <ul class="rp-palette" data-testid="palette">
                            {VARIABLES.iter().map(|(v, what)| view! {
                                <li><s-button variant="tertiary" on:click=move |_| insert(v)><code>{*v}</code></s-button> <span class="rp-muted">{*what}</span></li>
                            }).collect_view()}
                        </ul>
                    </Section>
                </form>
                <Section heading="Preview">
                    <div data-testid="preview">
                        {move || match preview.get() {
                            None => view! { <p class="rp-muted">"The preview appears as you type."</p> }.into_any(),
                            Some(Err(e)) => view! { <p class="rp-failure" data-testid="preview-error">{e.fields.first().map(|f| f.message.clone()).unwrap_or_else(|| sentence(&e))}</p> }.into_any(),
                            Some(Ok(p)) => view! {
                                {p.subject.clone().map(|s| view! { <p class="rp-preview-subject" data-testid="preview-subject"><strong>"Subject: "</strong>{s}</p> })}
                                {p.sms_segments.map(|n| view! { <p data-testid="sms-segments">{format!("{n} SMS segment{}", if n == 1 { "" } else { "s" })}</p> })}
                                {if is_sms() {
                                    view! { <pre class="rp-sms" data-testid="preview-body">{p.body.clone()}</pre> }.into_any()
                                } else {
                                    // The rendered email in a sandboxed frame: its HTML cannot run scripts or reach the admin.
                                    view! { <iframe class="rp-email-preview" sandbox="" srcdoc=p.body.clone() title="Email preview" data-testid="preview-body"></iframe> }.into_any()
                                }}
                                {p.body_text.clone().map(|t| view! { <details><summary>"Plain text"</summary><pre>{t}</pre></details> })}
                            }.into_any(),
                        }}
                    </div>
                </Section>
            </div>
        </Page>
    }
}
