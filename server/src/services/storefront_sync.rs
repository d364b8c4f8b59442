//! The theme blocks' server-side HTML: Liquid cannot call us while rendering, so we write the
//! testimonials' HTML (the same as the app proxy's fragment) into metafields the blocks print —
//! `shop.metafields.reelproof.home_html` for the home carousel, and on each product
//! `reelproof.testimonials_html` (with the rating markup) and `…_no_rating` (without). Every
//! publication change of a connected shop enqueues a job per affected page, in the change's
//! own transaction; the job renders and calls `metafieldsSet`.

use crate::domain::visibility::Placement;
use crate::jobs::{JobFailure, JobHandler};
use crate::services::shop_connection::{self, ConnectionError};
use crate::services::storefront::{ProxyRequest, proxy_html};
use crate::shopify::admin_api::AdminApiError;
use crate::state::AppState;
use crate::store;
use entity::ShopId;
use entity::jobs;
use serde::{Deserialize, Serialize};

pub const SYNC_JOB: &str = "sync_storefront_markup";
const NAMESPACE: &str = "reelproof";

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
        let fail = |e: ConnectionError| match e {
            ConnectionError::Api(AdminApiError::Passing(m)) => JobFailure::Transient(m),
            ConnectionError::Database(e) => JobFailure::Transient(e.to_string()),
            other => JobFailure::Permanent(other.to_string()),
        };
        let call = |query: &'static str, variables| shop_connection::graphql(state, shop_id, query, variables);
        let heading = "What our customers say".to_owned();
        let render = |placement, rating_markup| {
            let req = ProxyRequest { placement, heading: heading.clone(), rating_markup, limit: 12 };
            async move { proxy_html(state, shop_id, &req).await.map_err(|e| JobFailure::Transient(e.to_string())) }
        };
        let field = |owner: &str, key: &str, value: String| serde_json::json!({ "ownerId": owner, "namespace": NAMESPACE, "key": key, "type": "multi_line_text_field", "value": value });
        let metafields = match p.product_id {
            None => {
                let data = call("{ shop { id } }", serde_json::json!({})).await.map_err(fail)?;
                let owner = data.pointer("/shop/id").and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                vec![field(&owner, "home_html", render(Placement::Home, true).await?)]
            }
            Some(pid) => {
                let owner = format!("gid://shopify/Product/{pid}");
                vec![
                    field(&owner, "testimonials_html", render(Placement::Product(pid), true).await?),
                    field(&owner, "testimonials_html_no_rating", render(Placement::Product(pid), false).await?),
                ]
            }
        };
        let data = call(SET, serde_json::json!({ "m": metafields })).await.map_err(fail)?;
        let errors = data.pointer("/metafieldsSet/userErrors").and_then(|e| e.as_array()).cloned().unwrap_or_default();
        if !errors.is_empty() {
            let text = errors.iter().filter_map(|e| e["message"].as_str()).collect::<Vec<_>>().join("; ");
            return Err(JobFailure::Permanent(format!("Shopify refused the metafields: {text}")));
        }
        tracing::info!(%shop_id, product_id = ?p.product_id, "storefront markup synced");
        Ok(())
    }
}
