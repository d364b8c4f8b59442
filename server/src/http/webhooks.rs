//! `POST /webhooks/shopify`: verify, then hand to the intake service.
//!
//! The HMAC is checked over the raw bytes before anything parses them; a missing or wrong
//! signature is 401 and nothing is stored. Everything verified answers 200 — even unusable
//! payloads (recorded as `failed`) — because a non-2xx makes Shopify retry for hours and
//! eventually drop the subscription. Only our own failure (database down) answers 500, so that
//! Shopify's retry delivers again once we are back.

use super::JsonError;
use crate::services::intake;
use crate::shopify::webhooks::{DeliveryHeaders, verify_hmac};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};

pub async fn shopify(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers.get("x-shopify-hmac-sha256").and_then(|v| v.to_str().ok());
    if !state.config().shopify.secrets().any(|secret| verify_hmac(secret, &body, signature)) {
        let reason = if signature.is_none() { "missing_hmac" } else { "bad_hmac" };
        metrics::counter!("reelproof_webhooks_rejected_total", "reason" => reason).increment(1);
        tracing::warn!(reason, "webhook refused");
        return JsonError::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "invalid webhook signature")
            .into_response();
    }
    let delivery = DeliveryHeaders::from_headers(&headers);
    match intake::receive_shopify(&state, &delivery, &body).await {
        Ok(intake::IntakeOutcome::Refused) => {
            metrics::counter!("reelproof_webhooks_rejected_total", "reason" => "shop_mismatch").increment(1);
            JsonError::new(StatusCode::BAD_REQUEST, "VALIDATION", "the body and the headers name different shops")
                .into_response()
        }
        Ok(outcome) => {
            (StatusCode::OK, axum::Json(serde_json::json!({ "ok": true, "outcome": format!("{outcome:?}") })))
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "webhook processing failed; Shopify will retry");
            JsonError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "temporary failure, retry later")
                .into_response()
        }
    }
}
