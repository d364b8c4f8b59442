//! A stand-in for Twilio's Messages API (`POST /2010-04-01/Accounts/{sid}/Messages.json`),
//! speaking its wire format: basic auth with the account SID and auth token, a form body, `201`
//! with the message resource, or Twilio's JSON error body. Twilio is a SaaS we cannot run in a
//! test; everything on our side of the wire is real.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use std::sync::{Arc, Mutex};

/// One request as Twilio would have received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub account_sid: String,
    pub authorization: Option<String>,
    pub form: Vec<(String, String)>,
}

impl Received {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    /// The next answers to give (status, JSON body); empty: 201 with a fresh sid.
    scripted: Vec<(u16, serde_json::Value)>,
}

pub struct FakeTwilio {
    addr: std::net::SocketAddr,
    inner: Arc<Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

async fn create_message(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    body: String,
) -> impl IntoResponse {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut g = inner.lock().unwrap();
    let n = g.received.len();
    g.received.push(Received { account_sid: sid.trim_end_matches("/Messages.json").to_owned(), authorization, form });
    let (status, body) = if g.scripted.is_empty() {
        (201, serde_json::json!({ "sid": format!("SM{:032x}", n + 1), "status": "queued" }))
    } else {
        g.scripted.remove(0)
    };
    (StatusCode::from_u16(status).unwrap(), axum::Json(body))
}

impl FakeTwilio {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = axum::Router::new()
            .route("/2010-04-01/Accounts/{sid}/Messages.json", axum::routing::post(create_message))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { addr, inner, task }
    }

    pub fn base_url(&self) -> url::Url {
        format!("http://{}/", self.addr).parse().unwrap()
    }

    /// The next answer will be this error (Twilio's error body shape).
    pub fn fail_next(&self, status: u16, code: u32, message: &str) {
        let body = serde_json::json!({ "code": code, "message": message, "status": status, "more_info": format!("https://www.twilio.com/docs/errors/{code}") });
        self.inner.lock().unwrap().scripted.push((status, body));
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }
}

impl Drop for FakeTwilio {
    fn drop(&mut self) {
        self.task.abort();
    }
}
