//! The theme blocks' server-side HTML: Liquid cannot call us while rendering, so we write the
//! testimonials' HTML (the same as the app proxy's fragment) into app-owned metafields the
//! blocks print — `shop.metafields["$app"].home_html` for the home carousel, and on each product
//! `["$app"].testimonials_html` (with the rating markup) and `…_no_rating` (without). App-owned
//! (`$app`): only this app writes them, merchants read them, no translation replaces them.
//! Each value stays under Shopify's 64 KB: testimonials are left out, never markup cut.
//!
//! Products also get the standard review metafields (`reviews.rating`, `reviews.rating_count`)
//! that themes, the Shop app and the Google and Meta feeds read, with the JSON-LD's numbers;
//! they are removed when nothing rated is shown. The shop gets `["$app"].api_base`, where the
//! theme extension's loader finds us without the merchant typing a URL.
//!
//! Every publication change of a connected shop enqueues a job per affected page, in the
//! change's own transaction; the job renders and calls `metafieldsSet`.

use crate::domain::storefront::{METAFIELD_MAX_BYTES, review_metafields};
use crate::domain::visibility::Placement;
use crate::jobs::{JobFailure, JobHandler};
use crate::services::shop_connection::{self, ConnectionError};
use crate::services::storefront::{ProxyRequest, proxy_html};
use crate::state::AppState;
use crate::store;
use entity::ShopId;
use entity::jobs;
use serde::{Deserialize, Serialize};

pub const SYNC_JOB: &str = "sync_storefront_markup";
const NAMESPACE: &str = "$app";
/// Testimonials the blocks show at most (fewer when the HTML would pass 64 KB).
const BLOCK_LIMIT: u64 = 12;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncPayload {
    /// `None`: the home page.
    pub product_id: Option<i64>,
}

/// Plans the sync of the pages a change touched (in the caller's transaction), for connected
/// shops only. `version` is the storefront version the change produced: one job per page and
/// version, however many changes a request makes.
pub async fn enqueue(
    db: &impl sea_orm::ConnectionTrait,
    shop_id: ShopId,
    pages: &[Option<i64>],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    if !shop_connection::is_connected(db, shop_id).await? {
        return Ok(());
    }
    let version = store::shops::get(db, shop_id).await?.map(|s| s.storefront_version).unwrap_or_default();
    let mut pages = pages.to_vec();
    pages.sort();
    pages.dedup();
    for page in pages {
        let target = page.map_or("home".to_owned(), |p| p.to_string());
        let job = store::jobs::NewJob {
            kind: SYNC_JOB,
            dedupe_key: Some(format!("{SYNC_JOB}:{shop_id}:{target}:{version}")),
            payload: serde_json::to_value(SyncPayload { product_id: page }).expect("payload serialises"),
            run_at: now,
            max_attempts: 5,
        };
        store::jobs::enqueue(db, Some(shop_id), job, now).await?;
    }
    Ok(())
}

const SET: &str = "mutation($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) { metafields { key } userErrors { field message } } }";
const DELETE: &str = "mutation($m: [MetafieldIdentifierInput!]!) { metafieldsDelete(metafields: $m) { deletedMetafields { key } userErrors { field message } } }";

/// The page's HTML with as many testimonials (up to the block's limit) as fit in a metafield.
async fn fitted(
    state: &AppState,
    shop_id: ShopId,
    placement: Placement,
    rating_markup: bool,
) -> Result<String, JobFailure> {
    let mut limit = BLOCK_LIMIT;
    loop {
        let req = ProxyRequest { placement, heading: "What our customers say".into(), rating_markup, limit };
        let html = proxy_html(state, shop_id, &req).await.map_err(|e| JobFailure::Transient(e.to_string()))?;
        if html.len() <= METAFIELD_MAX_BYTES {
            return Ok(html);
        }
        if limit == 1 {
            return Err(JobFailure::Permanent("one testimonial's HTML is over Shopify's 64 KB".into()));
        }
        limit -= 1;
    }
}

fn user_errors(data: &serde_json::Value, field: &str) -> Result<(), JobFailure> {
    match shop_connection::user_errors(data, field) {
        Some(text) => Err(JobFailure::Permanent(format!("Shopify refused the metafields: {text}"))),
        None => Ok(()),
    }
}

pub struct SyncJob;

#[async_trait::async_trait]
impl JobHandler<AppState> for SyncJob {
    fn kind(&self) -> &'static str {
        SYNC_JOB
    }

    async fn run(&self, state: &AppState, job: &jobs::Model) -> Result<(), JobFailure> {
        let p: SyncPayload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobFailure::Permanent(format!("unreadable sync payload: {e}")))?;
        let shop_id = job.shop_id.ok_or_else(|| JobFailure::Permanent("sync job without a shop".into()))?;
        let fail = ConnectionError::into_job_failure;
        let call = |query: &'static str, variables| shop_connection::graphql(state, shop_id, query, variables);
        let field = |owner: &str, namespace: &str, key: &str, kind: &str, value: String| serde_json::json!({ "ownerId": owner, "namespace": namespace, "key": key, "type": kind, "value": value });
        let html = |owner: &str, key: &str, value: String| field(owner, NAMESPACE, key, "multi_line_text_field", value);
        match p.product_id {
            None => {
                let data = call("{ shop { id } }", serde_json::json!({})).await.map_err(fail)?;
                let owner = data.pointer("/shop/id").and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                let metafields = vec![
                    html(&owner, "home_html", fitted(state, shop_id, Placement::Home, true).await?),
                    field(&owner, NAMESPACE, "api_base", "single_line_text_field", state.url("")),
                ];
                let data = call(SET, serde_json::json!({ "m": metafields })).await.map_err(fail)?;
                user_errors(&data, "metafieldsSet")?;
            }
            Some(pid) => {
                let owner = format!("gid://shopify/Product/{pid}");
                let mut metafields = vec![
                    html(&owner, "testimonials_html", fitted(state, shop_id, Placement::Product(pid), true).await?),
                    html(
                        &owner,
                        "testimonials_html_no_rating",
                        fitted(state, shop_id, Placement::Product(pid), false).await?,
                    ),
                ];
                let summary = crate::services::storefront::summary(state, shop_id, pid)
                    .await
                    .map_err(|e| JobFailure::Transient(e.to_string()))?;
                match review_metafields(&summary) {
                    Some((rating, count)) => {
                        metafields.push(field(&owner, "reviews", "rating", "rating", rating));
                        metafields.push(field(&owner, "reviews", "rating_count", "number_integer", count));
                    }
                    None => {
                        let gone: Vec<_> = ["rating", "rating_count"]
                            .map(|key| serde_json::json!({ "ownerId": owner, "namespace": "reviews", "key": key }))
                            .to_vec();
                        let data = call(DELETE, serde_json::json!({ "m": gone })).await.map_err(fail)?;
                        user_errors(&data, "metafieldsDelete")?;
                    }
                }
                let data = call(SET, serde_json::json!({ "m": metafields })).await.map_err(fail)?;
                user_errors(&data, "metafieldsSet")?;
            }
        }
        tracing::info!(%shop_id, product_id = ?p.product_id, "storefront markup synced");
        Ok(())
    }
}
