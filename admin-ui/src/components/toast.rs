use leptos::prelude::*;
use std::cell::Cell;

thread_local! {
    // The standalone toast's text. A global rather than context: toasts are raised from event
    // handlers after an `await`, where no reactive owner is current.
    static TOAST: Cell<Option<RwSignal<Option<String>>>> = const { Cell::new(None) };
}

/// A short confirmation ("Saved"). Never for errors: those stay next to what failed.
pub fn toast(message: &str) {
    if crate::api::app_bridge_call(&["toast", "show"], &[message.into()]).is_some() {
        return;
    }
    if let Some(t) = TOAST.with(Cell::get) {
        t.set(Some(message.to_owned()));
        let message = message.to_owned();
        set_timeout(
            move || {
                if t.get_untracked().as_deref() == Some(message.as_str()) {
                    t.set(None);
                }
            },
            std::time::Duration::from_secs(4),
        );
    }
}

#[component]
pub fn ToastHost() -> impl IntoView {
    let t = RwSignal::new(None::<String>);
    TOAST.with(|cell| cell.set(Some(t)));
    view! {
        <Show when=move || t.get().is_some()>
            <div class="rp-toast" role="status" data-testid="toast">{move || t.get()}</div>
        </Show>
    }
}
