//! Subscriptions over the `graphql-transport-ws` protocol the server speaks at
//! `/api/graphql/ws`: `connection_init` with the credential, `subscribe`, then `next` messages
//! until the socket closes. The caller owns the [`LiveSubscription`]; dropping it closes the
//! socket, so a screen's subscription ends with the screen.
//!
//! A socket can close at any time (a deploy, a laptop lid, a revoked token); the caller is
//! told ([`LiveEvent::Closed`]) and decides whether to reconnect — with a fresh session
//! token, which this module does not know how to get.

use crate::error::ApiError;
use graphql_client::{GraphQLQuery, Response};
use serde_json::json;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// What a subscription delivers.
#[derive(Debug)]
pub enum LiveEvent<T> {
    /// The server accepted the subscription: from now on nothing is missed.
    Started,
    Data(T),
    Error(ApiError),
    /// The socket closed; reconnect (and reload what may have been missed) if still needed.
    Closed,
}

pub struct LiveSubscription {
    socket: WebSocket,
    // The handlers live as long as the socket is ours.
    _handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

impl Drop for LiveSubscription {
    fn drop(&mut self) {
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        self.socket.set_onopen(None);
        let _ = self.socket.close();
    }
}

/// The socket address for a path on this page's own origin (`ws:` or `wss:` to match).
pub fn same_origin_ws(path: &str) -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
    Some(format!("{scheme}://{}{path}", location.host().ok()?))
}

/// Opens a socket to `url`, authenticates with `bearer` and subscribes to `Q`.
pub fn subscribe<Q: GraphQLQuery + 'static>(
    url: &str,
    bearer: &str,
    variables: Q::Variables,
    on_event: impl Fn(LiveEvent<Q::ResponseData>) + 'static,
) -> Result<LiveSubscription, ApiError> {
    let socket = WebSocket::new_with_str(url, "graphql-transport-ws").map_err(|_| ApiError::network("live updates"))?;
    let on_event = Rc::new(on_event);
    let body = serde_json::to_value(Q::build_query(variables)).map_err(ApiError::network)?;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {bearer}") } });

    let open = {
        let socket = socket.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            let _ = socket.send_with_str(&init.to_string());
        })
    };
    let message = {
        let socket = socket.clone();
        let on_event = on_event.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let Some(text) = e.dyn_ref::<MessageEvent>().and_then(|m| m.data().as_string()) else { return };
            let Ok(msg) = serde_json::from_str::<serde_json::Value>(&text) else { return };
            match msg["type"].as_str() {
                Some("connection_ack") => {
                    let sub = json!({ "id": "1", "type": "subscribe", "payload": body });
                    let _ = socket.send_with_str(&sub.to_string());
                    on_event(LiveEvent::Started);
                }
                Some("ping") => {
                    let _ = socket.send_with_str(r#"{"type":"pong"}"#);
                }
                Some("next") => match serde_json::from_value::<Response<Q::ResponseData>>(msg["payload"].clone()) {
                    Ok(r) => match crate::transport::outcome(r) {
                        Ok(data) => on_event(LiveEvent::Data(data)),
                        Err(e) => on_event(LiveEvent::Error(e)),
                    },
                    Err(e) => on_event(LiveEvent::Error(ApiError::network(e))),
                },
                Some("error") => {
                    let first = msg["payload"].as_array().and_then(|a| a.first()).cloned().unwrap_or_default();
                    let e = serde_json::from_value::<graphql_client::Error>(first)
                        .map(ApiError::from_graphql)
                        .unwrap_or_else(ApiError::network);
                    on_event(LiveEvent::Error(e));
                }
                _ => {}
            }
        })
    };
    let close = {
        let on_event = on_event.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let _ = e.dyn_ref::<CloseEvent>();
            on_event(LiveEvent::Closed);
        })
    };
    socket.set_onopen(Some(open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(close.as_ref().unchecked_ref()));
    Ok(LiveSubscription { socket, _handlers: vec![open, message, close] })
}
