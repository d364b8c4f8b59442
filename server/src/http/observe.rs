//! Request metrics and the `/metrics` endpoint.

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;
use tracing::Instrument;

/// Counts requests and their latency by route template (never the raw path: it may hold a
/// capture token) and status.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_owned();
    let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    // The span names the route template, never the path (a capture token may be in it).
    let span = tracing::info_span!(
        "http.request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        http.response.status_code = tracing::field::Empty,
    );
    let response = next.run(req).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    let elapsed = start.elapsed().as_secs_f64();
    tracing::info!(%method, %route, status, request_id, elapsed_ms = elapsed * 1000.0, "request");
    let labels = [("method", method), ("route", route), ("status", status.to_string())];
    metrics::counter!("reelproof_http_requests_total", &labels).increment(1);
    metrics::histogram!("reelproof_http_request_duration_seconds", &labels[..2]).record(elapsed);
    response
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    // A gauge read at scrape time: open admin subscriptions on this replica.
    metrics::gauge!("reelproof_live_subscribers").set(state.live().subscribers() as f64);
    // The backlog is the database's to tell; a scrape never waits long for it.
    match tokio::time::timeout(std::time::Duration::from_secs(2), crate::services::backlog::measure(&state)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "backlog not measured"),
        Err(_) => tracing::warn!("backlog not measured: the database did not answer within 2 s"),
    }
    ([(http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics().render())
        .into_response()
}
