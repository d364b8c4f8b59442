//! `/healthz` (the process answers) and `/readyz` (it can do its work).

use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;

pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    match crate::db::readiness(state.db()).await {
        Ok(()) => {
            // Without ffmpeg the server still serves everything but media processing, so it stays
            // ready and says so; assets fail with "ffmpeg not installed" until it is installed.
            let media =
                if state.config().media.tools.available().await { "ok" } else { "degraded: ffmpeg not installed" };
            Json(serde_json::json!({ "status": "ready", "database": "ok", "migrations": "current", "media": media }))
                .into_response()
        }
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "status": "not_ready", "reason": reason })))
                .into_response()
        }
    }
}
