//! The local media store's HTTP side: `PUT /uploads/{key}` (signed, expiring, one content
//! type, size-capped while streaming) and `GET /media/{key}` (signed playback with range
//! requests). With an S3 store these URLs are the bucket's presigned ones instead.

use super::JsonError;
use crate::domain::signed_url::{self, SignedUrlError, UploadGrant};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use http::{HeaderMap, HeaderName, StatusCode, header};
use tokio::io::AsyncWriteExt;
use tower::ServiceExt;

#[derive(serde::Deserialize)]
pub struct UploadQuery {
    ct: String,
    max: i64,
    exp: i64,
    sig: String,
}

fn refused(e: SignedUrlError) -> Response {
    JsonError::new(StatusCode::FORBIDDEN, "FORBIDDEN", e.to_string()).into_response()
}

/// The body as a stream that fails when the client sends nothing for `idle`: an upload may take
/// minutes on a slow phone, but a client that stops sending (a slow-loris) loses the connection
/// instead of holding it. What arrived before stays staged for a ranged upload to resume.
fn idle_limited(body: Body, idle: std::time::Duration) -> Body {
    let stream = futures_util::stream::unfold(Some(body.into_data_stream()), move |state| async move {
        let mut stream = state?;
        match tokio::time::timeout(idle, stream.next()).await {
            Err(_) => {
                let e = std::io::Error::new(std::io::ErrorKind::TimedOut, format!("no data for {} s", idle.as_secs()));
                Some((Err(e), None))
            }
            Ok(None) => None,
            Ok(Some(chunk)) => Some((chunk.map_err(std::io::Error::other), Some(stream))),
        }
    });
    Body::from_stream(stream)
}

pub async fn upload(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = idle_limited(body, state.config().capture.upload_idle_timeout);
    let grant = UploadGrant { key: key.clone(), content_type: q.ct, max_bytes: q.max, expires: q.exp };
    if let Err(e) = grant.verify(state.links(), &q.sig, state.now()) {
        tracing::warn!(reason = %e, "upload refused");
        return refused(e);
    }
    let sent_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let base = sent_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if base != grant.content_type {
        return JsonError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "VALIDATION",
            format!("this upload expects Content-Type {}, not {:?}", grant.content_type, sent_type),
        )
        .into_response();
    }
    if let Some(range) = headers.get(header::CONTENT_RANGE) {
        return ranged(&state, &grant, range, body).await;
    }
    let too_big = || {
        JsonError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "VALIDATION",
            format!("the upload is larger than the {} bytes announced", grant.max_bytes),
        )
        .into_response()
    };
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<i64>().ok());
    if declared.is_some_and(|n| n > grant.max_bytes) {
        return too_big();
    }
    // Streamed to the store as it arrives; the object exists only once complete.
    let mut writer = state.storage().writer(&key);
    let mut stream = body.into_data_stream();
    let mut total: i64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                let _ = writer.abort().await;
                tracing::info!(error = %e, received = total, "upload interrupted");
                return JsonError::new(StatusCode::BAD_REQUEST, "VALIDATION", "the upload was interrupted")
                    .into_response();
            }
        };
        total += chunk.len() as i64;
        if total > grant.max_bytes {
            let _ = writer.abort().await;
            return too_big();
        }
        if let Err(e) = writer.write_all(&chunk).await {
            let _ = writer.abort().await;
            tracing::error!(error = %e, "upload could not be stored");
            return JsonError::new(StatusCode::SERVICE_UNAVAILABLE, "INTERNAL", "storage unavailable, retry")
                .into_response();
        }
    }
    if let Err(e) = writer.shutdown().await {
        tracing::error!(error = %e, "upload could not be completed");
        return JsonError::new(StatusCode::SERVICE_UNAVAILABLE, "INTERNAL", "storage unavailable, retry")
            .into_response();
    }
    (StatusCode::CREATED, axum::Json(serde_json::json!({ "key": key, "size": total }))).into_response()
}

/// One range of a resumable upload (`Content-Range: bytes start-end/total`).
async fn ranged(state: &AppState, grant: &UploadGrant, range: &http::HeaderValue, body: Body) -> Response {
    use crate::services::uploads::{self, UploadError};
    let Some((start, _end, total)) = range.to_str().ok().and_then(uploads::parse_content_range) else {
        return JsonError::new(StatusCode::BAD_REQUEST, "VALIDATION", "Content-Range must be `bytes start-end/total`")
            .into_response();
    };
    let with_offset = |status: StatusCode, received: i64, body: serde_json::Value| {
        (status, [(HeaderName::from_static("upload-offset"), received.to_string())], axum::Json(body)).into_response()
    };
    match uploads::append(state, grant, start, total, body.into_data_stream()).await {
        Ok(p) if p.complete => {
            with_offset(StatusCode::CREATED, p.received, serde_json::json!({ "key": grant.key, "size": p.received }))
        }
        Ok(p) => {
            with_offset(StatusCode::OK, p.received, serde_json::json!({ "received": p.received, "complete": false }))
        }
        Err(UploadError::WrongOffset(at)) => with_offset(
            StatusCode::CONFLICT,
            at,
            serde_json::json!({ "errors": [{ "message": format!("resume at byte {at}"), "extensions": { "code": "VALIDATION" } }] }),
        ),
        Err(e @ UploadError::TooLarge(_)) => {
            JsonError::new(StatusCode::PAYLOAD_TOO_LARGE, "VALIDATION", e.to_string()).into_response()
        }
        Err(e @ (UploadError::BadRange(_) | UploadError::Interrupted(_))) => {
            JsonError::new(StatusCode::BAD_REQUEST, "VALIDATION", e.to_string()).into_response()
        }
        Err(e @ UploadError::Storage(_)) => {
            tracing::error!(error = %e, "resumable upload could not be stored");
            JsonError::new(StatusCode::SERVICE_UNAVAILABLE, "INTERNAL", "storage unavailable, retry").into_response()
        }
    }
}

/// `HEAD` on the upload URL: how many bytes arrived (`Upload-Offset`), to resume after a drop.
pub async fn upload_offset(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<UploadQuery>,
) -> Response {
    let grant = UploadGrant { key, content_type: q.ct, max_bytes: q.max, expires: q.exp };
    if let Err(e) = grant.verify(state.links(), &q.sig, state.now()) {
        return refused(e);
    }
    match crate::services::uploads::offset(&state, &grant).await {
        Ok(p) => (
            StatusCode::OK,
            [
                (HeaderName::from_static("upload-offset"), p.received.to_string()),
                (HeaderName::from_static("upload-complete"), p.complete.to_string()),
            ],
        )
            .into_response(),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct MediaQuery {
    exp: i64,
    sig: String,
}

/// Signed playback from the local store, with `Range` (players seek) via tower-http.
pub async fn media(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<MediaQuery>,
    req: Request,
) -> Response {
    if let Err(e) = signed_url::verify_media(state.links(), &key, q.exp, &q.sig, state.now()) {
        return refused(e);
    }
    let Some(path) = state.storage().local_path(&key) else {
        return JsonError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such media").into_response();
    };
    match tower_http::services::ServeFile::new(path).oneshot(req).await {
        Ok(res) => res.map(Body::new).into_response(),
        Err(e) => match e {},
    }
}
