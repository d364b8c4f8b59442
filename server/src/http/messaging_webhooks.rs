//! `POST /webhooks/messaging/{sendgrid|postmark|twilio}`: verify the provider's signature over
//! the raw request, parse, hand to the engagement service.
//!
//! Forged or unsigned → 401 and nothing recorded. Verified → 200, even for events we cannot
//! match or do not use (a non-2xx makes the provider retry for a day); replays are absorbed by
//! the event dedupe. Only our own failure answers 500, so the provider retries later.

use super::JsonError;
use crate::providers::callbacks::{self, Provider, postmark, sendgrid, twilio};
use crate::services::engagement;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};

pub async fn receive(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(provider) = Provider::parse(&provider) else {
        return JsonError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "unknown provider").into_response();
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let cfg = &state.config().callbacks;
    let not_configured = || {
        JsonError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "callbacks for this provider are not configured")
            .into_response()
    };
    let parsed: Result<Vec<callbacks::ProviderEvent>, callbacks::ParseError> = match provider {
        Provider::SendGrid => {
            let Some(key) = &cfg.sendgrid_public_key else { return not_configured() };
            if !key.verify(header(sendgrid::SIGNATURE_HEADER), header(sendgrid::TIMESTAMP_HEADER), &body) {
                return refuse(provider);
            }
            sendgrid::parse(&body)
        }
        Provider::Postmark => {
            let Some(auth) = &cfg.postmark_basic_auth else { return not_configured() };
            if !callbacks::verify_basic_auth(auth, header("authorization")) {
                return refuse(provider);
            }
            postmark::parse(&body).map(|e| e.into_iter().collect())
        }
        Provider::Twilio => {
            let Some(token) = &cfg.twilio_auth_token else { return not_configured() };
            let params: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
            // Twilio signs the URL it called: our public base plus the path and query.
            let called = state.url(uri.path_and_query().map_or(uri.path(), |p| p.as_str()));
            if !twilio::verify(token, &called, &params, header(twilio::SIGNATURE_HEADER)) {
                return refuse(provider);
            }
            let request_id = uri
                .query()
                .and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "request_id"))
                .and_then(|(_, v)| v.parse::<entity::RequestId>().ok());
            Ok(twilio::parse(&params, request_id).into_iter().collect())
        }
    };
    let events = match parsed {
        Ok(events) => events,
        Err(e) => {
            tracing::warn!(provider = provider.as_str(), error = %e, "verified callback with an unusable body; ignored");
            return (StatusCode::OK, axum::Json(serde_json::json!({ "ok": true, "ignored": e.to_string() })))
                .into_response();
        }
    };
    match engagement::record_provider_events(&state, provider, events).await {
        Ok(report) => (StatusCode::OK, axum::Json(serde_json::json!({ "ok": true, "report": report }))).into_response(),
        Err(e) => {
            tracing::error!(provider = provider.as_str(), error = %e, "provider callback failed; the provider will retry");
            JsonError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "temporary failure, retry later")
                .into_response()
        }
    }
}

fn refuse(provider: Provider) -> Response {
    metrics::counter!("reelproof_webhooks_rejected_total", "reason" => "bad_signature", "source" => provider.as_str())
        .increment(1);
    tracing::warn!(provider = provider.as_str(), "provider callback refused: bad signature");
    JsonError::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "invalid callback signature").into_response()
}
