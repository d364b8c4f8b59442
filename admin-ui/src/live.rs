//! The moderation queue's live events, for the screens that show submissions: the inbox and
//! a submission's detail. Each event (or a reconnect, after which anything may have been
//! missed) calls `on_change`; the screen reloads what it shows. The socket closes with the
//! screen.

use crate::api;
use api_client::admin::{self, ModerationQueue, moderation_queue};
use api_client::live::{LiveEvent, LiveSubscription, same_origin_ws, subscribe};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;

/// Whether live updates are flowing, for a small indicator.
#[derive(Clone, Copy, PartialEq)]
pub enum LiveState {
    Connecting,
    Live,
    Reconnecting,
}

/// Subscribes for as long as the calling component lives. `on_change` gets the submission the
/// event is about (`None`: reload everything).
pub fn follow_moderation_queue(on_change: impl Fn(Option<String>) + Clone + 'static) -> ReadSignal<LiveState> {
    let (state, set_state) = signal(LiveState::Connecting);
    let handle = StoredValue::new_local(None::<LiveSubscription>);
    let alive = StoredValue::new(true);
    on_cleanup(move || {
        alive.set_value(false);
        handle.update_value(|h| *h = None);
    });
    connect(handle, alive, set_state, on_change, false);
    state
}

fn connect(
    handle: StoredValue<Option<LiveSubscription>, LocalStorage>,
    alive: StoredValue<bool>,
    set_state: WriteSignal<LiveState>,
    on_change: impl Fn(Option<String>) + Clone + 'static,
    reconnecting: bool,
) {
    spawn_local(async move {
        let retry = {
            let on_change = on_change.clone();
            move || {
                if !alive.get_value() {
                    return;
                }
                set_state.set(LiveState::Reconnecting);
                let on_change = on_change.clone();
                set_timeout(move || connect(handle, alive, set_state, on_change, true), Duration::from_secs(3));
            }
        };
        let (Ok(token), Some(url)) = (api::session_token().await, same_origin_ws(admin::WS_PATH)) else {
            retry();
            return;
        };
        if !alive.get_value() {
            return;
        }
        let on_event = {
            let on_change = on_change.clone();
            let retry = retry.clone();
            move |e: LiveEvent<moderation_queue::ResponseData>| match e {
                LiveEvent::Started => {
                    set_state.set(LiveState::Live);
                    if reconnecting {
                        on_change(None);
                    }
                }
                LiveEvent::Data(d) => {
                    let e = d.moderation_queue;
                    let missed = api_client::wire_name(&e.kind) == "MISSED";
                    on_change(if missed { None } else { e.submission_id });
                }
                LiveEvent::Error(_) | LiveEvent::Closed => {
                    // Not from inside the socket's own handler, which dropping it would free.
                    let retry = retry.clone();
                    set_timeout(
                        move || {
                            handle.update_value(|h| *h = None);
                            retry();
                        },
                        Duration::ZERO,
                    );
                }
            }
        };
        match subscribe::<ModerationQueue>(&url, &token, moderation_queue::Variables, on_event) {
            Ok(sub) => handle.update_value(|h| *h = Some(sub)),
            Err(_) => retry(),
        }
    });
}
