//! CSV export and import of testimonials in the admin API.

use super::ctx;
use super::moderation::{Status, Submission};
use crate::graphql::error::{ErrorCode, api_error, internal};
use crate::services::testimonial_csv::{self as service, ImportError};
use async_graphql::{Context, ErrorExtensions, Object, Result};

#[derive(Default)]
pub struct CsvQuery;

#[Object]
impl CsvQuery {
    /// Every submission (or those of one status), newest first, as CSV: status, rating, quote,
    /// product, publication and placements, media status and links (valid for 7 days), and the
    /// consent record (text, version, time). Cells a spreadsheet would run as formulas are
    /// prefixed with `'`.
    #[graphql(complexity = "crate::graphql::admin::EXPENSIVE")]
    async fn submissions_csv(&self, context: &Context<'_>, status: Option<Status>) -> Result<String> {
        let (p, state) = ctx(context)?;
        service::export(state, p.shop_id, status.map(Into::into)).await.map_err(internal)
    }
}

#[derive(Default)]
pub struct CsvMutation;

#[Object]
impl CsvMutation {
    /// Imports testimonials collected elsewhere. Columns (header row, any order): `product_id`,
    /// `display_name`, `consent` (must be `yes`) required; `rating` (1–5), `quote`, `video_url`,
    /// `date` optional; at most 1000 rows. Every row is checked first: one bad row imports
    /// nothing, and the `VALIDATION` error lists each problem in `extensions.rows` (line,
    /// column, message). Imported testimonials are `PENDING` with source `IMPORT`; their videos
    /// are fetched by the server (public addresses only, size and time limited) and processed
    /// like uploads.
    #[graphql(complexity = "crate::graphql::admin::EXPENSIVE")]
    async fn import_testimonials(&self, context: &Context<'_>, csv: String) -> Result<Vec<Submission>> {
        let (p, state) = ctx(context)?;
        match service::import(state, p.shop_id, &p.actor, &csv).await {
            Ok(rows) => {
                let ids: Vec<_> = rows.iter().map(|s| s.id).collect();
                let media =
                    crate::services::media::assets_of_submissions(state, p.shop_id, &ids).await.map_err(internal)?;
                Ok(rows
                    .into_iter()
                    .map(|s| {
                        let m = media.iter().find(|a| a.submission_id == s.id).cloned();
                        Submission::with_media(s, m)
                    })
                    .collect())
            }
            Err(ImportError::Invalid(errors)) => {
                let message = ImportError::Invalid(errors.clone()).to_string();
                let rows = serde_json::to_value(&errors).map_err(internal)?;
                Err(api_error(ErrorCode::Validation, message).extend_with(|_, ext| {
                    ext.set("rows", async_graphql::Value::from_json(rows.clone()).unwrap_or_default())
                }))
            }
            Err(e @ ImportError::TooMany) => Err(api_error(ErrorCode::RateLimited, e.to_string())),
            Err(ImportError::Database(e)) => Err(internal(e)),
        }
    }
}
