//! Sequence steps 2–3: plan an order's requests under a campaign and write them, and the
//! delivered-trigger fallback for carriers that never report a delivery.

use crate::domain::campaign::Eligibility;
use crate::domain::planner::{self, CampaignFacts, OrderFacts, SkipReason};
use crate::domain::tokens::LinkKey;
use crate::jobs::{JobFailure, JobHandler};
use crate::state::AppState;
use crate::store;
use chrono::{DateTime, Duration, Utc};
use entity::{CampaignId, ShopId};
use entity::{CampaignStatus, campaigns, jobs};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What one planning pass did, for the delivery's `result` and the metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlanSummary {
    pub planned: u32,
    pub created: u32,
    pub skipped: BTreeMap<SkipReason, u32>,
}

impl PlanSummary {
    pub fn add(&mut self, other: PlanSummary) {
        self.planned += other.planned;
        self.created += other.created;
        for (k, v) in other.skipped {
            *self.skipped.entry(k).or_default() += v;
        }
    }
}

pub fn campaign_facts(c: &campaigns::Model) -> CampaignFacts {
    CampaignFacts {
        id: c.id,
        channel: c.channel,
        delay_days: c.delay_days,
        token_ttl_days: c.token_ttl_days,
        frequency_cap_30d: c.frequency_cap_30d,
        eligibility: Eligibility::from_json(&c.eligibility),
    }
}

/// Plans `order` under `campaign` and writes the requests (insert-or-ignore on the
/// idempotency key, so replays create nothing).
///
/// The token hash written here belongs to a token nobody holds; when the sender claims the
/// request it replaces it with the hash of the request's derived capture token, whose raw form
/// only ever exists in the message.
#[allow(clippy::too_many_arguments)]
pub async fn plan_and_write(
    db: &impl ConnectionTrait,
    links: &LinkKey,
    shop_id: ShopId,
    campaign: &campaigns::Model,
    order: &OrderFacts,
    trigger_at: DateTime<Utc>,
    only_line_items: Option<&[i64]>,
    now: DateTime<Utc>,
) -> Result<PlanSummary, DbErr> {
    let key = planner::customer_key(&order.customer);
    let context = store::requests::planning_context(db, shop_id, order.order_id, key.as_deref(), now).await?;
    // Shopify does not order deliveries: a cancellation may have come before this event.
    let marked;
    let order = if !order.cancelled && context.cancelled {
        marked = OrderFacts { cancelled: true, ..order.clone() };
        &marked
    } else {
        order
    };
    let history = context.history;
    let plan = planner::plan(&campaign_facts(campaign), order, trigger_at, only_line_items, &history);
    let mut summary = PlanSummary { planned: plan.requests.len() as u32, skipped: plan.skipped.clone(), created: 0 };
    let news = plan
        .requests
        .iter()
        .map(|planned| store::requests::NewRequest {
            campaign_id: campaign.id,
            order,
            planned,
            customer_key: key.clone(),
        })
        .collect();
    // Each request's capture link is `HMAC(link key, id)`; its hash goes in with the row, so the
    // sender's claim has nothing more to write (a row version less, in every index).
    let token_hash = |id| links.capture_token(id).hash();
    summary.created = store::requests::insert_planned(db, shop_id, news, now, token_hash).await?;
    metrics::counter!("reelproof_requests_created_total").increment(u64::from(summary.created));
    if summary.created > 0 {
        // Spec 001 §10's first SLO: from the store's event (Shopify's trigger time) to the
        // request row, in seconds. Outages and Shopify's own retries show up here.
        let lag = (now - trigger_at).num_milliseconds().max(0) as f64 / 1000.0;
        metrics::histogram!("reelproof_request_creation_lag_seconds").record(lag);
    }
    for (reason, n) in &summary.skipped {
        metrics::counter!("reelproof_items_skipped_total", "reason" => reason.as_str()).increment(u64::from(*n));
    }
    Ok(summary)
}

pub const FALLBACK_JOB: &str = "delivery_fallback";

/// The payload of a delivery-fallback job: enough of the shipment to plan it later.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FallbackPayload {
    pub campaign_id: CampaignId,
    /// The fulfillment (or, for an order fulfilled in one go, the order id).
    pub shipment_id: i64,
    pub order_id: i64,
    pub fulfilled_at: DateTime<Utc>,
    pub order: OrderFacts,
    pub line_items: Option<Vec<i64>>,
}

fn fallback_key(shop_id: ShopId, campaign_id: CampaignId, shipment_id: i64) -> String {
    format!("{FALLBACK_JOB}:{shop_id}:{campaign_id}:{shipment_id}")
}

/// For every active delivered-trigger campaign, remember this shipment and plan it
/// `fallback_days` after fulfillment unless a delivery event plans it first.
pub async fn schedule_delivery_fallbacks(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    shipment_id: i64,
    order: &OrderFacts,
    line_items: Option<Vec<i64>>,
    fulfilled_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u32, DbErr> {
    let campaigns = store::campaigns::active_with_trigger(db, shop_id, entity::CampaignTrigger::OrderDelivered).await?;
    let mut scheduled = 0;
    for c in campaigns {
        let payload = FallbackPayload {
            campaign_id: c.id,
            shipment_id,
            order_id: order.order_id,
            fulfilled_at,
            order: order.clone(),
            line_items: line_items.clone(),
        };
        let job = store::jobs::NewJob {
            kind: FALLBACK_JOB,
            dedupe_key: Some(fallback_key(shop_id, c.id, shipment_id)),
            payload: serde_json::to_value(&payload).expect("payload serialises"),
            run_at: fulfilled_at + Duration::days(i64::from(c.fallback_days)),
            max_attempts: 5,
        };
        if store::jobs::enqueue(db, Some(shop_id), job, now).await? {
            scheduled += 1;
        }
    }
    Ok(scheduled)
}

/// A delivery was reported for `shipment_id`: plan every waiting fallback for it now, with the
/// delivery time as trigger time, and retire those fallbacks.
pub async fn plan_delivered_shipment(
    db: &impl ConnectionTrait,
    links: &LinkKey,
    shop_id: ShopId,
    shipment_id: i64,
    delivered_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<PlanSummary>, DbErr> {
    let pending = store::jobs::pending_of_kind(db, shop_id, FALLBACK_JOB).await?;
    let mut summary: Option<PlanSummary> = None;
    for job in pending {
        let Ok(p) = serde_json::from_value::<FallbackPayload>(job.payload.clone()) else { continue };
        if p.shipment_id != shipment_id {
            continue;
        }
        if let Some(c) = store::campaigns::get(db, shop_id, p.campaign_id).await?
            && c.status == CampaignStatus::Active
        {
            let s =
                plan_and_write(db, links, shop_id, &c, &p.order, delivered_at, p.line_items.as_deref(), now).await?;
            summary.get_or_insert_with(PlanSummary::default).add(s);
        }
        store::jobs::retire_pending(db, shop_id, job.id, "superseded by a delivery event", now).await?;
    }
    Ok(summary)
}

/// Drops waiting fallbacks of an order (cancelled) — they hold contact data and must not plan.
pub async fn drop_fallbacks_for_orders(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    order_ids: &[i64],
) -> Result<u32, DbErr> {
    drop_fallbacks_where(db, shop_id, |p| order_ids.contains(&p.order_id)).await
}

/// Drops the waiting fallbacks of a redacted customer: those of the orders named, and any
/// other whose order names the customer (by id, email or phone), since each payload holds the
/// customer's contact until it runs.
pub async fn drop_fallbacks_of_customer(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    order_ids: &[i64],
    who: &crate::shopify::payloads::CustomerPrivacyRequest,
) -> Result<u32, DbErr> {
    let same = |a: &Option<String>, b: &Option<String>| {
        a.as_deref().zip(b.as_deref()).is_some_and(|(a, b)| !a.is_empty() && a.eq_ignore_ascii_case(b))
    };
    drop_fallbacks_where(db, shop_id, |p| {
        let c = &p.order.customer;
        order_ids.contains(&p.order_id)
            || (c.id.is_some() && c.id == who.customer_id)
            || same(&c.email, &who.email)
            || same(&c.phone, &who.phone)
    })
    .await
}

async fn drop_fallbacks_where(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    matches: impl Fn(&FallbackPayload) -> bool,
) -> Result<u32, DbErr> {
    let mut dropped = 0;
    for job in store::jobs::pending_of_kind(db, shop_id, FALLBACK_JOB).await? {
        // An unreadable payload is dropped too: it could hold anyone's contact.
        let hit = serde_json::from_value::<FallbackPayload>(job.payload.clone()).map_or(true, |p| matches(&p));
        if hit {
            store::jobs::delete(db, shop_id, job.id).await?;
            dropped += 1;
        }
    }
    Ok(dropped)
}

/// The fallback job: no delivery event came within `fallback_days`, so plan from the
/// fulfillment as if it had been delivered at the fallback moment.
pub struct DeliveryFallback;

#[async_trait::async_trait]
impl JobHandler<AppState> for DeliveryFallback {
    fn kind(&self) -> &'static str {
        FALLBACK_JOB
    }

    async fn run(&self, state: &AppState, job: &jobs::Model) -> Result<(), JobFailure> {
        let p: FallbackPayload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobFailure::Permanent(format!("unreadable fallback payload: {e}")))?;
        let shop_id = job.shop_id.ok_or_else(|| JobFailure::Permanent("fallback job without a shop".into()))?;
        let db = state.db();
        let transient = |e: DbErr| JobFailure::Transient(e.to_string());
        let Some(campaign) = store::campaigns::get(db, shop_id, p.campaign_id).await.map_err(transient)? else {
            return Ok(()); // campaign deleted with its shop: nothing to plan
        };
        if campaign.status != CampaignStatus::Active {
            tracing::info!(campaign_id = %campaign.id, "fallback skipped: campaign not active");
            return Ok(());
        }
        let trigger_at = p.fulfilled_at + Duration::days(i64::from(campaign.fallback_days));
        let txn = db.begin().await.map_err(transient)?;
        let s = plan_and_write(
            &txn,
            state.links(),
            shop_id,
            &campaign,
            &p.order,
            trigger_at,
            p.line_items.as_deref(),
            state.now(),
        )
        .await
        .map_err(transient)?;
        txn.commit().await.map_err(transient)?;
        tracing::info!(campaign_id = %campaign.id, created = s.created, "delivery fallback planned");
        Ok(())
    }
}
