//! The links inside a message: the capture link `/t/{token}` (click tracking; the capture page
//! of issue 5 renders here), the email's stars `/t/{token}/rate/{n}/{signature}` (the same page
//! with a rating chosen), the SMS short link `/r/{code}`, the "not arrived yet" page
//! `/t/{token}/postpone`, and the open pixel `/o/{request_id}/{signature}.gif`.
//!
//! Mail scanners fetch links too, so nothing that changes a request happens on a GET except
//! recording the (classified) click: postponing takes a POST from the confirmation page.

use crate::domain::engagement::{Signals, is_prefetch};
use crate::domain::html::escape;
use crate::services::engagement::{self, LinkError, LinkView};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode, header};

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
    0x02, 0x44, 0x01, 0x00, 0x3b,
];

fn signals<'a>(method: &Method, headers: &'a HeaderMap) -> Signals<'a> {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    Signals {
        user_agent: h("user-agent"),
        head_request: method == Method::HEAD,
        prefetch: is_prefetch(h("purpose"), h("sec-purpose"), h("x-moz")),
        ..Default::default()
    }
}

pub async fn capture_link(
    State(state): State<AppState>,
    Path(token): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    match engagement::open_capture_link(&state, &token, signals(&method, &headers)).await {
        Ok(v) => capture_page(&state, &token, &v, None).await,
        Err(e) => link_error(e),
    }
}

/// A star from the email: the capture page with that rating chosen (the customer may change
/// it). A star whose signature does not match is the same "not valid" page as a wrong token.
pub async fn star_link(
    State(state): State<AppState>,
    Path((token, rating, signature)): Path<(String, String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let Ok(rating) = rating.parse::<u8>() else { return link_error(LinkError::NotFound) };
    match engagement::open_star_link(&state, &token, rating, &signature, signals(&method, &headers)).await {
        Ok(v) => capture_page(&state, &token, &v, Some(rating)).await,
        Err(e) => link_error(e),
    }
}

/// An SMS short link: on to the capture link it stands for.
pub async fn short_link(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    match engagement::resolve_short_link(&state, &code).await {
        Ok(path) => {
            let mut resp = axum::response::Redirect::to(&path).into_response();
            let h = resp.headers_mut();
            h.insert(header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
            h.insert(header::REFERRER_POLICY, http::HeaderValue::from_static("no-referrer"));
            resp
        }
        Err(e) => link_error(e),
    }
}

async fn capture_page(state: &AppState, token: &str, v: &LinkView, rating: Option<u8>) -> Response {
    let postpone_href = v.may_postpone.then(|| format!("/t/{token}/postpone"));
    let shell = super::static_ui::CaptureShell {
        title: &format!("Your video about {}", v.request.product_title),
        postpone_href: postpone_href.as_deref(),
        rating,
        language: v.language,
        copy: &v.copy,
    };
    if let Some(html) = super::static_ui::capture_shell(state, &shell).await {
        // The token is in this page's URL: never cached, never sent on as a referrer.
        let mut resp = Html(html).into_response();
        let h = resp.headers_mut();
        h.insert(header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
        h.insert(header::REFERRER_POLICY, http::HeaderValue::from_static("no-referrer"));
        return resp;
    }
    // Without the built page (a bare `cargo run`), a plain page that still says what the link
    // is for.
    let postpone = if v.may_postpone {
        format!(
            "<p class=\"muted\">Not arrived yet? <a href=\"/t/{}/postpone\">Ask me again later</a>.</p>",
            escape(token)
        )
    } else {
        String::new()
    };
    page(
        StatusCode::OK,
        &format!("Your video about {}", v.request.product_title),
        &format!(
            "<p>{} would love a short video about your <strong>{}</strong>.</p>\
             <p>This link works until {}.</p>{postpone}",
            escape(&v.shop_name),
            escape(&v.request.product_title),
            v.request.expires_at.format("%-d %B %Y")
        ),
    )
}

pub async fn postpone_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match engagement::postpone_preview(&state, &token).await {
        Ok(v) if v.may_postpone => page(
            StatusCode::OK,
            "Not arrived yet?",
            &format!(
                "<p>If your <strong>{}</strong> has not arrived, we will ask again in {} days.</p>\
                 <form method=\"post\"><button type=\"submit\">Ask me again later</button></form>",
                escape(&v.request.product_title),
                v.postpone_days
            ),
        ),
        Ok(_) => link_error(LinkError::CannotPostpone),
        Err(e) => link_error(e),
    }
}

pub async fn postpone(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match engagement::postpone(&state, &token).await {
        Ok(v) => done(&v),
        Err(e) => link_error(e),
    }
}

fn done(v: &LinkView) -> Response {
    page(
        StatusCode::OK,
        "Thanks, we will ask again later",
        &format!(
            "<p>We will remind you about your <strong>{}</strong> in {} days. The link now works until {}.</p>",
            escape(&v.request.product_title),
            v.postpone_days,
            v.request.expires_at.format("%-d %B %Y")
        ),
    )
}

pub async fn unsubscribe_page(Path(token): Path<String>) -> Response {
    page(
        StatusCode::OK,
        "Unsubscribe",
        &format!(
            "<p>Stop all review requests from this shop?</p>\
             <form method=\"post\" action=\"/u/{}\"><button type=\"submit\">Unsubscribe</button></form>",
            escape(&token)
        ),
    )
}

/// The confirmation form's POST and the one-click `List-Unsubscribe-Post` (RFC 8058) alike.
pub async fn unsubscribe(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match engagement::unsubscribe(&state, &token).await {
        Ok(shop_name) => page(
            StatusCode::OK,
            "You are unsubscribed",
            &format!("<p>{} will not send you review requests any more.</p>", escape(&shop_name)),
        ),
        Err(e) => link_error(e),
    }
}

pub async fn open_pixel(
    State(state): State<AppState>,
    Path((request_id, signature)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let signature = signature.strip_suffix(".gif").unwrap_or(&signature);
    if let Ok(id) = request_id.parse::<entity::RequestId>()
        && let Err(e) = engagement::record_open(&state, id, signature, signals(&method, &headers)).await
    {
        tracing::error!(error = %e, "could not record an open");
    }
    ([(header::CONTENT_TYPE, "image/gif"), (header::CACHE_CONTROL, "no-store, max-age=0")], PIXEL).into_response()
}

fn link_error(e: LinkError) -> Response {
    let (status, title) = match &e {
        LinkError::NotFound => (StatusCode::NOT_FOUND, "Link not found"),
        LinkError::Expired => (StatusCode::GONE, "This link has expired"),
        LinkError::AlreadySubmitted => (StatusCode::CONFLICT, "Thank you!"),
        LinkError::CannotPostpone => (StatusCode::CONFLICT, "Cannot postpone"),
        LinkError::Database(err) => {
            tracing::error!(error = %err, "capture link failed");
            (StatusCode::SERVICE_UNAVAILABLE, "Please try again in a moment")
        }
    };
    let text = match e {
        LinkError::Database(_) => "Something went wrong on our side.".to_owned(),
        other => format!("{}.", capitalise(&other.to_string())),
    };
    page(status, title, &format!("<p>{}</p>", escape(&text)))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{t}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5}}\
         .muted{{color:#555}}button{{font-size:1rem;padding:.6rem 1.2rem}}</style></head>\
         <body><h1>{t}</h1>{body}</body></html>",
        t = escape(title)
    );
    // Capture links are bearer secrets: keep them out of caches and referrers.
    (status, [(header::CACHE_CONTROL, "no-store"), (header::REFERRER_POLICY, "no-referrer")], Html(html))
        .into_response()
}
