//! `GET /api/exports/testimonials.csv`: the testimonials export as a download that streams,
//! for the admin's "Download CSV" and for integrators (`curl -H "Authorization: Bearer rp_…"`).
//! The same credentials as `/api/graphql` (`auth::require_admin` runs first); reading needs no
//! write scope. The GraphQL field `submissionsCsv` gives the same text in one string, capped.

use super::JsonError;
use crate::graphql::admin::{AdminPrincipal, AdminSchema};
use crate::state::AppState;
use axum::Extension;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use entity::SubmissionStatus;
use futures_util::StreamExt;
use http::{HeaderValue, StatusCode, header};

#[derive(serde::Deserialize)]
pub struct ExportParams {
    status: Option<String>,
}

pub async fn testimonials_csv(
    State((_, state)): State<(AdminSchema, AppState)>,
    Extension(principal): Extension<AdminPrincipal>,
    Query(params): Query<ExportParams>,
) -> Response {
    let status = match params.status.as_deref().map(parse_status) {
        None => None,
        Some(Some(s)) => Some(s),
        Some(None) => {
            return JsonError::new(
                StatusCode::BAD_REQUEST,
                "VALIDATION",
                "status must be one of pending, approved, rejected or archived",
            )
            .into_response();
        }
    };
    // A download holds one of the admin permits while it streams, like any admin operation,
    // so exports can never take every database connection from webhooks.
    let Some(permit) = crate::graphql::admin::guard::admit(&state).await else {
        return JsonError::new(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", crate::graphql::admin::guard::BUSY)
            .into_response();
    };
    let shop_id = principal.shop_id;
    let stream = crate::services::testimonial_csv::export_stream(state, shop_id, status).map(move |chunk| {
        let _held = &permit;
        chunk.map_err(|e| {
            tracing::error!(error = %e, %shop_id, "testimonial export broke off");
            std::io::Error::other("the export could not be read")
        })
    });
    let mut resp = Body::from_stream(stream).into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"reelproof-testimonials.csv\""),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The status filter as the API spells it (`PENDING`) or as the CSV does (`pending`).
fn parse_status(text: &str) -> Option<SubmissionStatus> {
    [SubmissionStatus::Pending, SubmissionStatus::Approved, SubmissionStatus::Rejected, SubmissionStatus::Archived]
        .into_iter()
        .find(|s| s.as_str().eq_ignore_ascii_case(text))
}
