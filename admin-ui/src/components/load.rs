use api_client::{ApiError, ErrorCode};
use leptos::prelude::*;

/// What a merchant reads when something fails: the server's own sentence where it wrote one
/// for people, ours otherwise. Never a code or a Rust error.
pub fn sentence(e: &ApiError) -> String {
    let text = match &e.code {
        ErrorCode::Network => return e.message.clone(),
        // Each field's own message is next to it; the summary names fields by their API names.
        ErrorCode::Validation if !e.fields.is_empty() => {
            return "Some fields need a change: see the messages next to them.".to_owned();
        }
        ErrorCode::Unauthenticated => "Your session has ended. Reload the page to continue.".to_owned(),
        ErrorCode::Forbidden => "You do not have permission to do this.".to_owned(),
        ErrorCode::RateLimited => "Too many requests at once. Wait a moment and try again.".to_owned(),
        ErrorCode::Internal | ErrorCode::Other(_) => {
            "Something went wrong on our side. Try again in a moment; if it keeps happening, contact support."
                .to_owned()
        }
        _ => e.message.clone(),
    };
    let mut chars = text.trim().chars();
    let mut s: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
    if !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    s
}

#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <div class="rp-loading" data-testid="loading" role="status">
            <s-spinner accessibility-label="Loading"></s-spinner>
            <span>"Loading…"</span>
        </div>
    }
}

#[component]
pub fn ErrorBanner(error: ApiError) -> impl IntoView {
    view! {
        <s-banner tone="critical" heading="This could not be done" data-testid="error">
            <p>{sentence(&error)}</p>
        </s-banner>
    }
}

#[component]
pub fn EmptyState(
    #[prop(into)] heading: String,
    #[prop(into)] body: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="rp-empty" data-testid="empty">
            <h3>{heading}</h3>
            <p>{body}</p>
            {children.map(|c| c())}
        </div>
    }
}

/// A resource's three states: loading, failed (with a sentence), loaded.
#[component]
pub fn Loaded<T, F, V>(resource: LocalResource<Result<T, ApiError>>, children: F) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || resource.get().map(|r| match r {
                Ok(v) => children(v).into_any(),
                Err(e) => view! { <ErrorBanner error=e/> }.into_any(),
            })}
        </Transition>
    }
}
