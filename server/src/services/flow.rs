//! Shopify Flow: the "Video testimonial submitted" trigger
//! (`extensions/video-testimonial-submitted`), so merchants can thank, tag or reward customers
//! in their own workflows. A submission of a connected shop enqueues one `flow_trigger` job in
//! the submission's own transaction (keyed by the submission: fired once, however often the
//! job is retried or the enqueue replayed); the job calls `flowTriggerReceive` through the
//! one Admin API client.

use crate::jobs::{JobFailure, JobHandler};
use crate::services::shop_connection::{self, ConnectionError};
use crate::state::AppState;
use crate::store;
use entity::{ShopId, SubmissionId, jobs};
use serde::{Deserialize, Serialize};

pub const FLOW_JOB: &str = "flow_trigger";
/// The trigger's handle in its extension TOML (immutable once deployed).
pub const SUBMITTED_HANDLE: &str = "video-testimonial-submitted";

const RECEIVE: &str = "mutation($handle: String!, $payload: JSON!) { flowTriggerReceive(handle: $handle, payload: $payload) { userErrors { field message } } }";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FlowPayload {
    pub submission_id: SubmissionId,
}

/// Plans the trigger for a new submission (in its transaction), for connected shops only.
pub async fn enqueue_submitted(
    db: &impl sea_orm::ConnectionTrait,
    shop_id: ShopId,
    submission_id: SubmissionId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    if !shop_connection::is_connected(db, shop_id).await? {
        return Ok(());
    }
    let job = store::jobs::NewJob {
        kind: FLOW_JOB,
        dedupe_key: Some(format!("{FLOW_JOB}:{SUBMITTED_HANDLE}:{submission_id}")),
        payload: serde_json::to_value(FlowPayload { submission_id }).expect("payload serialises"),
        run_at: now,
        max_attempts: 5,
    };
    store::jobs::enqueue(db, Some(shop_id), job, now).await?;
    Ok(())
}

/// The trigger's payload (the fields of the extension TOML; reference fields as `customer_id`
/// and `product_id`).
pub fn submitted_payload(
    submission: &entity::testimonial_submissions::Model,
    request: Option<&entity::testimonial_requests::Model>,
    shop_domain: &str,
) -> serde_json::Value {
    let mut payload = serde_json::json!({
        "product_id": submission.product_id,
        "Rating": submission.rating.unwrap_or(0),
        "Has video": submission.has_video,
        "Order name": request.and_then(|r| r.order_name.clone()).unwrap_or_default(),
        "Testimonial link": format!("https://{shop_domain}/admin/apps/reelproof/app/submissions/{}", submission.id),
    });
    if let Some(customer) = request.and_then(|r| r.shopify_customer_id) {
        payload["customer_id"] = customer.into();
    }
    payload
}

pub struct FlowJob;

#[async_trait::async_trait]
impl JobHandler<AppState> for FlowJob {
    fn kind(&self) -> &'static str {
        FLOW_JOB
    }

    async fn run(&self, state: &AppState, job: &jobs::Model) -> Result<(), JobFailure> {
        let p: FlowPayload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobFailure::Permanent(format!("unreadable flow payload: {e}")))?;
        let shop_id = job.shop_id.ok_or_else(|| JobFailure::Permanent("flow job without a shop".into()))?;
        let transient = |e: sea_orm::DbErr| JobFailure::Transient(e.to_string());
        let Some(submission) =
            store::submissions::get(state.db(), shop_id, p.submission_id).await.map_err(transient)?
        else {
            // Redacted since: nothing to tell.
            return Ok(());
        };
        let request = match submission.request_id {
            Some(id) => store::requests::get(state.db(), shop_id, id).await.map_err(transient)?,
            None => None,
        };
        let shop =
            store::shops::get(state.db(), shop_id).await.map_err(transient)?.map(|s| s.shop_domain).unwrap_or_default();
        let payload = submitted_payload(&submission, request.as_ref(), &shop);
        let vars = serde_json::json!({ "handle": SUBMITTED_HANDLE, "payload": payload });
        let data =
            shop_connection::graphql(state, shop_id, RECEIVE, vars).await.map_err(ConnectionError::into_job_failure)?;
        if let Some(text) = shop_connection::user_errors(&data, "flowTriggerReceive") {
            return Err(JobFailure::Permanent(format!("Flow refused the trigger: {text}")));
        }
        tracing::info!(%shop_id, submission_id = %p.submission_id, "flow trigger fired");
        Ok(())
    }
}
