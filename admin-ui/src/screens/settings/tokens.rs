//! API tokens for integrators: create one (its text is shown once, with a copy button) and
//! revoke it (its next request is refused).

use crate::api;
use crate::components::{
    Checkbox, Confirm, ErrorBanner, Loaded, Section, StatusBadge, TableHead, TextField, field_error, toast,
};
use crate::format;
use api_client::admin::{ApiTokens, CreateApiToken, RevokeApiToken, api_tokens, create_api_token, revoke_api_token};
use api_client::{ApiError, ErrorCode, FieldError, wire_name};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn Tokens() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let data = LocalResource::new(move || {
        reload.track();
        api::run::<ApiTokens>(api_tokens::Variables)
    });
    let name = RwSignal::new(String::new());
    let write = RwSignal::new(false);
    let errors = RwSignal::new(None::<ApiError>);
    let created = RwSignal::new(None::<String>);
    let revoking = RwSignal::new(None::<(String, String)>);
    let confirm_open = RwSignal::new(false);
    let create = move |_| {
        if name.get_untracked().trim().is_empty() {
            errors.set(Some(ApiError {
                code: ErrorCode::Validation,
                message: "Give the token a name.".into(),
                fields: vec![FieldError { field: "name".into(), message: "Name the token after what uses it".into() }],
                rows: Vec::new(),
            }));
            return;
        }
        let mut scopes = vec![create_api_token::ApiScope::READ];
        if write.get_untracked() {
            scopes.push(create_api_token::ApiScope::WRITE);
        }
        let vars = create_api_token::Variables { name: name.get_untracked().trim().to_owned(), scopes };
        spawn_local(async move {
            match api::run::<CreateApiToken>(vars).await {
                Ok(d) => {
                    errors.set(None);
                    created.set(Some(d.create_api_token.token));
                    name.set(String::new());
                    reload.update(|n| *n += 1);
                }
                Err(e) => errors.set(Some(e)),
            }
        });
    };
    let copy = move |_| {
        if let (Some(t), Some(w)) = (created.get_untracked(), web_sys::window()) {
            let _ = w.navigator().clipboard().write_text(&t);
            toast("Token copied");
        }
    };
    let revoke = Callback::new(move |_| {
        let Some((id, _)) = revoking.get_untracked() else { return };
        spawn_local(async move {
            match api::run::<RevokeApiToken>(revoke_api_token::Variables { id }).await {
                Ok(_) => {
                    toast("Token revoked");
                    reload.update(|n| *n += 1);
                }
                Err(e) => errors.set(Some(e)),
            }
        });
    });
    view! {
        <Section heading="Create a token">
            <div class="rp-inline-form">
                <TextField label="Name" name="name" value=name error=field_error(errors, "name") placeholder="e.g. Klaviyo sync"/>
                <Checkbox label="Allow changes (write)" name="write" checked=write/>
                <s-button variant="primary" on:click=create data-testid="create-token">"Create token"</s-button>
            </div>
            {move || errors.get().filter(|e| e.fields.is_empty()).map(|e| view! { <ErrorBanner error=e/> })}
            {move || created.get().map(|t| view! {
                <s-banner tone="success" heading="Copy your token now" data-testid="created-token">
                    <p>"It is shown this once. Send it as " <code>"Authorization: Bearer …"</code> " or paste it into GraphiQL."</p>
                    <p><code class="rp-token" data-testid="token-text">{t}</code></p>
                    <s-button on:click=copy data-testid="copy-token">"Copy"</s-button>
                    " " <a href="/graphiql" target="_blank" rel="noopener">"Open GraphiQL"</a>
                </s-banner>
            })}
        </Section>
        <Section heading="Tokens">
            <Loaded resource=data let:d>
                {if d.api_tokens.is_empty() {
                    view! { <p class="rp-muted">"No tokens yet."</p> }.into_any()
                } else {
                    view! {
                        <s-table data-testid="tokens">
                            <TableHead columns=&["Name", "Access", "Created", "Last used", ""]/>
                            <s-table-body>
                                {d.api_tokens.into_iter().map(|t| {
                                    let access = if t.scopes.iter().any(|s| wire_name(s) == "WRITE") { "WRITE" } else { "READ" };
                                    let (id, tname) = (t.id.clone(), t.name.clone());
                                    view! {
                                        <s-table-row data-testid="token">
                                            <s-table-cell>{t.name.clone()}</s-table-cell>
                                            <s-table-cell>{format::label(access)}</s-table-cell>
                                            <s-table-cell>{format::datetime(&t.created_at)}</s-table-cell>
                                            <s-table-cell>{t.last_used_at.as_deref().map(format::datetime).unwrap_or_else(|| "Never".into())}</s-table-cell>
                                            <s-table-cell>
                                                {match t.revoked_at {
                                                    Some(_) => view! { <StatusBadge code="REVOKED"/> }.into_any(),
                                                    None => view! {
                                                        <s-button tone="critical" data-testid="revoke" on:click=move |_| { revoking.set(Some((id.clone(), tname.clone()))); confirm_open.set(true); }>"Revoke"</s-button>
                                                    }.into_any(),
                                                }}
                                            </s-table-cell>
                                        </s-table-row>
                                    }
                                }).collect_view()}
                            </s-table-body>
                        </s-table>
                    }.into_any()
                }}
            </Loaded>
        </Section>
        <Confirm open=confirm_open
            heading=Signal::derive(move || format!("Revoke “{}”?", revoking.get().map(|r| r.1).unwrap_or_default()))
            body="Whatever uses it stops working at its next request. This cannot be undone."
            confirm_label="Revoke" destructive=true on_confirm=revoke/>
    }
}
