//! Sequence step 1: a verified Shopify webhook delivery becomes durable state.
//!
//! The delivery is recorded in `webhook_deliveries` and processed **in the same transaction**:
//! either the record and all its effects commit together, or neither does and Shopify's retry
//! finds a clean slate. The unique `(source, external_id)` key makes replays and concurrent
//! copies no-ops. Processing is a handful of indexed writes, well inside Shopify's 5 s budget;
//! anything slow (sending, media) happens later in jobs.

use crate::domain::planner::OrderFacts;
use crate::domain::shop_domain::ShopDomain;
use crate::domain::tokens::LinkKey;
use crate::services::planning::{self, PlanSummary};
use crate::services::privacy;
use crate::shopify::payloads::{self, CustomerPrivacyRequest, Fulfillment, FulfillmentEvent, Order, Refund};
use crate::shopify::webhooks::{DeliveryHeaders, Topic};
use crate::state::AppState;
use crate::store;
use crate::store::requests::{ChangeDetails, TransitionError};
use chrono::{DateTime, Utc};
use entity::ShopId;
use entity::{CampaignTrigger, DeliveryStatus, ExpireReason, RequestStatus, WebhookSource};
use sea_orm::{DatabaseTransaction, DbErr, TransactionTrait};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tracing::Instrument;

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error(transparent)]
    Privacy(#[from] super::privacy::PrivacyError),
}

/// How a delivery ended (all of them answer 2xx to Shopify).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeOutcome {
    /// Seen before: nothing changed.
    Duplicate,
    /// Recorded with this status (`processed`, `ignored` or `failed`).
    Recorded(DeliveryStatus),
    /// Recorded as `failed` and refused: the signed body and the headers disagree.
    Refused,
}

/// What processing a topic produced.
struct Handled {
    status: DeliveryStatus,
    error: Option<String>,
    result: Value,
}

impl Handled {
    fn processed(result: Value) -> Self {
        Self { status: DeliveryStatus::Processed, error: None, result }
    }
    fn ignored(why: &str) -> Self {
        Self { status: DeliveryStatus::Ignored, error: Some(why.to_owned()), result: Value::Null }
    }
    fn failed(why: String) -> Self {
        Self { status: DeliveryStatus::Failed, error: Some(why), result: Value::Null }
    }
}

/// Records and processes one delivery whose HMAC the caller has verified.
pub async fn receive_shopify(
    state: &AppState,
    headers: &DeliveryHeaders,
    body: &[u8],
) -> Result<IntakeOutcome, IntakeError> {
    let topic_name = headers.topic.clone().unwrap_or_default();
    let topic = Topic::parse(&topic_name);
    let label = topic.map(|_| topic_name.to_ascii_lowercase()).unwrap_or_else(|| "unknown".into());
    metrics::counter!("reelproof_webhooks_received_total", "topic" => label.clone()).increment(1);

    let shop = match headers.shop_domain.as_deref().map(ShopDomain::parse) {
        Some(Ok(domain)) => store::shops::find_by_domain(state.db(), &domain).await?,
        _ => None,
    };
    // Shopify always sends a webhook id; if a proxy dropped it, a hash of the content still
    // dedupes identical redeliveries.
    let external_id = headers.webhook_id.clone().unwrap_or_else(|| {
        let mut h = Sha256::new();
        h.update(topic_name.as_bytes());
        h.update(body);
        format!("sha256:{}", hex::encode(h.finalize()))
    });

    let delivery = Delivery {
        source: WebhookSource::Shopify,
        topic_name,
        external_id,
        event_id: headers.event_id.clone(),
        triggered_at: headers.triggered_at,
        payload: serde_json::from_slice::<Value>(body).map_err(|e| format!("malformed JSON: {e}")),
    };
    record_and_handle(state, shop, delivery).await
}

/// Replays a delivery the reconciliation read back through the Admin API (a webhook Shopify
/// may never have sent): recorded once by its external id and handled exactly as the webhook.
pub async fn receive_reconciled(
    state: &AppState,
    shop: &entity::shops::Model,
    replay: crate::shopify::orders::Replay,
) -> Result<IntakeOutcome, IntakeError> {
    let delivery = Delivery {
        source: WebhookSource::Reconcile,
        topic_name: replay.topic.to_owned(),
        external_id: replay.external_id,
        event_id: None,
        triggered_at: None,
        payload: Ok(replay.payload),
    };
    record_and_handle(state, Some(shop.clone()), delivery).await
}

/// One delivery, from a webhook or a replay.
struct Delivery {
    source: WebhookSource,
    topic_name: String,
    external_id: String,
    event_id: Option<String>,
    triggered_at: Option<DateTime<Utc>>,
    payload: Result<Value, String>,
}

/// Records a delivery (once: a known external id is a duplicate) and processes it in the same
/// transaction.
async fn record_and_handle(
    state: &AppState,
    shop: Option<entity::shops::Model>,
    d: Delivery,
) -> Result<IntakeOutcome, IntakeError> {
    let now = state.now();
    let topic_name = d.topic_name;
    let topic = Topic::parse(&topic_name);
    let label = topic.map(|_| topic_name.to_ascii_lowercase()).unwrap_or_else(|| "unknown".into());
    let txn = state.db().begin().await?;
    let new = store::deliveries::NewDelivery {
        shop_id: shop.as_ref().map(|s| s.id),
        source: d.source,
        topic: topic_name.clone(),
        external_id: d.external_id,
        event_id: d.event_id,
        triggered_at: d.triggered_at,
        received_at: now,
    };
    let Some(delivery_id) = store::deliveries::insert_if_new_all_shops(&txn, new).await? else {
        txn.commit().await?;
        metrics::counter!("reelproof_webhooks_duplicate_total", "topic" => label).increment(1);
        return Ok(IntakeOutcome::Duplicate);
    };

    let mut refused = false;
    let handled = match (topic, &shop) {
        (None, _) => Handled::ignored("topic not handled by Reelproof"),
        (Some(_), None) => Handled::ignored("unknown shop"),
        (Some(t), Some(s)) if s.uninstalled_at.is_some() && !t.applies_to_uninstalled_shops() => {
            Handled::ignored("shop has uninstalled the app")
        }
        (Some(t), Some(s)) => match &d.payload {
            Err(e) => Handled::failed(e.clone()),
            // The signed body outranks the headers: a body that names another shop than the
            // `X-Shopify-Shop-Domain` header is refused, recorded, and changes nothing.
            Ok(payload) if payloads::shop_domain_in(payload).is_some_and(|body_shop| body_shop != s.shop_domain) => {
                refused = true;
                Handled::failed(format!(
                    "the body names shop {:?}, the headers {:?}: refused",
                    payloads::shop_domain_in(payload).unwrap_or_default(),
                    s.shop_domain
                ))
            }
            Ok(payload) => {
                let trigger_at = d.triggered_at.unwrap_or(now);
                let span = tracing::info_span!("webhook", shop_id = %s.id, topic = %topic_name);
                handle(state, &txn, s.id, t, payload, trigger_at, now).instrument(span).await?
            }
        },
    };
    if handled.status == DeliveryStatus::Ignored {
        tracing::info!(topic = %topic_name, reason = handled.error.as_deref().unwrap_or(""), "webhook ignored");
    } else if handled.status == DeliveryStatus::Failed {
        tracing::warn!(topic = %topic_name, error = handled.error.as_deref().unwrap_or(""), "webhook could not be used");
    }
    let status = handled.status;
    let result = (!handled.result.is_null()).then_some(handled.result);
    store::deliveries::finish_all_shops(&txn, delivery_id, status, handled.error, result).await?;
    txn.commit().await?;
    metrics::counter!("reelproof_webhooks_processed_total", "topic" => label, "status" => status.as_str()).increment(1);
    if refused {
        return Ok(IntakeOutcome::Refused);
    }
    Ok(IntakeOutcome::Recorded(status))
}

fn summary_json(order_id: i64, s: &PlanSummary, extra: Value) -> Value {
    let mut v = json!({ "order_id": order_id, "planned": s.planned, "created": s.created, "skipped": s.skipped });
    if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), extra) {
        obj.extend(more);
    }
    v
}

/// Plans `order` under every active campaign with `trigger`.
#[allow(clippy::too_many_arguments)]
async fn plan_for_trigger(
    txn: &DatabaseTransaction,
    links: &LinkKey,
    shop_id: ShopId,
    trigger: CampaignTrigger,
    order: &OrderFacts,
    trigger_at: DateTime<Utc>,
    only: Option<&[i64]>,
    now: DateTime<Utc>,
) -> Result<PlanSummary, DbErr> {
    let mut total = PlanSummary::default();
    for c in store::campaigns::active_with_trigger(txn, shop_id, trigger).await? {
        total.add(planning::plan_and_write(txn, links, shop_id, &c, order, trigger_at, only, now).await?);
    }
    Ok(total)
}

async fn handle(
    state: &AppState,
    txn: &DatabaseTransaction,
    shop_id: ShopId,
    topic: Topic,
    payload: &Value,
    trigger_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Handled, IntakeError> {
    let links = state.links();
    let malformed = |e: payloads::PayloadError| Handled::failed(format!("unusable {topic:?} payload: {e}"));
    Ok(match topic {
        Topic::OrdersPaid => match Order::from_json(payload) {
            Err(e) => malformed(e),
            Ok(o) => {
                let s =
                    plan_for_trigger(txn, links, shop_id, CampaignTrigger::OrderPaid, &o.facts, trigger_at, None, now)
                        .await?;
                Handled::processed(summary_json(o.facts.order_id, &s, json!({ "malformed_items": o.malformed_items })))
            }
        },
        Topic::OrdersFulfilled => match Order::from_json(payload) {
            Err(e) => malformed(e),
            Ok(o) => {
                let s = plan_for_trigger(
                    txn,
                    links,
                    shop_id,
                    CampaignTrigger::OrderFulfilled,
                    &o.facts,
                    trigger_at,
                    None,
                    now,
                )
                .await?;
                // Delivered-trigger campaigns wait for a delivery event, with a fallback per
                // shipment (or for the whole order when the payload lists no fulfillments).
                let mut fallbacks = 0;
                if o.fulfillments.is_empty() {
                    fallbacks += planning::schedule_delivery_fallbacks(
                        txn,
                        shop_id,
                        o.facts.order_id,
                        &o.facts,
                        None,
                        trigger_at,
                        now,
                    )
                    .await?;
                }
                for f in &o.fulfillments {
                    let items = f.order.line_items.iter().map(|li| li.id).collect();
                    let at = f.created_at.unwrap_or(trigger_at);
                    fallbacks +=
                        planning::schedule_delivery_fallbacks(txn, shop_id, f.id, &o.facts, Some(items), at, now)
                            .await?;
                }
                Handled::processed(summary_json(o.facts.order_id, &s, json!({ "fallbacks_scheduled": fallbacks })))
            }
        },
        Topic::FulfillmentsCreate | Topic::FulfillmentsUpdate => match Fulfillment::from_json(payload) {
            Err(e) => malformed(e),
            Ok(f) => handle_fulfillment(txn, links, shop_id, topic, &f, trigger_at, now).await?,
        },
        Topic::FulfillmentEventsCreate => match FulfillmentEvent::from_json(payload) {
            Err(e) => malformed(e),
            Ok(ev) if !ev.is_delivered() => Handled::ignored("fulfillment event is not a delivery"),
            Ok(ev) => {
                let at = ev.happened_at.unwrap_or(trigger_at);
                match planning::plan_delivered_shipment(txn, links, shop_id, ev.fulfillment_id, at, now).await? {
                    Some(s) => Handled::processed(summary_json(
                        ev.order_id,
                        &s,
                        json!({ "fulfillment_id": ev.fulfillment_id }),
                    )),
                    None => Handled::ignored("delivery for a shipment Reelproof never saw fulfilled"),
                }
            }
        },
        Topic::OrdersCancelled => match payloads::id(payload, "id") {
            None => Handled::failed("orders/cancelled payload has no order id".into()),
            Some(order_id) => {
                store::order_cancellations::record(txn, shop_id, order_id, trigger_at).await?;
                let expired = expire_open(txn, shop_id, order_id, None, ExpireReason::OrderCancelled, now).await?;
                let dropped = planning::drop_fallbacks_for_orders(txn, shop_id, &[order_id]).await?;
                Handled::processed(json!({ "order_id": order_id, "expired": expired, "fallbacks_dropped": dropped }))
            }
        },
        Topic::RefundsCreate => match Refund::from_json(payload) {
            Err(e) => malformed(e),
            Ok(r) if r.fully_refunded_line_items.is_empty() => Handled::ignored("no line item fully refunded"),
            Ok(r) => {
                let items = r.fully_refunded_line_items.clone();
                let expired =
                    expire_open(txn, shop_id, r.order_id, Some(&items), ExpireReason::OrderRefunded, now).await?;
                Handled::processed(json!({ "order_id": r.order_id, "line_items": items, "expired": expired }))
            }
        },
        Topic::AppUninstalled => {
            store::shops::mark_uninstalled(txn, shop_id, now).await?;
            tracing::info!(%shop_id, "shop uninstalled the app; sending stops");
            Handled::processed(json!({ "uninstalled": true }))
        }
        Topic::ShopUpdate => {
            let facts = crate::domain::shop_facts::ShopFacts::from_webhook(payload);
            super::shops::apply_facts(txn, shop_id, &facts).await.map_err(|e| match e {
                super::shops::ShopError::Database(e) => IntakeError::Database(e),
                super::shops::ShopError::NotFound => IntakeError::Database(DbErr::RecordNotFound("shop".into())),
            })?;
            Handled::processed(json!({ "facts_updated": true }))
        }
        Topic::CustomersDataRequest => match CustomerPrivacyRequest::from_json(payload) {
            Err(e) => malformed(e),
            Ok(r) => {
                let (export_id, n) = privacy::export_customer(txn, shop_id, &r, now).await?;
                Handled::processed(json!({ "export_id": export_id, "requests": n }))
            }
        },
        Topic::CustomersRedact => match CustomerPrivacyRequest::from_json(payload) {
            Err(e) => malformed(e),
            Ok(r) => Handled::processed(
                serde_json::to_value(privacy::redact_customer(state, txn, shop_id, &r).await?).unwrap_or_default(),
            ),
        },
        Topic::ShopRedact => {
            let objects = privacy::redact_shop(state, txn, shop_id).await?;
            Handled::processed(json!({ "objects_deleted": objects }))
        }
    })
}

async fn handle_fulfillment(
    txn: &DatabaseTransaction,
    links: &LinkKey,
    shop_id: ShopId,
    topic: Topic,
    f: &Fulfillment,
    trigger_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Handled, IntakeError> {
    let items: Vec<i64> = f.order.line_items.iter().map(|li| li.id).collect();
    let mut summary = PlanSummary::default();
    let mut fallbacks = 0;
    if topic == Topic::FulfillmentsCreate {
        // A partial shipment: the fulfilled-trigger campaigns ask about its items only.
        summary.add(
            plan_for_trigger(
                txn,
                links,
                shop_id,
                CampaignTrigger::OrderFulfilled,
                &f.order,
                trigger_at,
                Some(&items),
                now,
            )
            .await?,
        );
        let at = f.created_at.unwrap_or(trigger_at);
        fallbacks =
            planning::schedule_delivery_fallbacks(txn, shop_id, f.id, &f.order, Some(items.clone()), at, now).await?;
    }
    if f.is_delivered() {
        let at = f.updated_at.unwrap_or(trigger_at);
        // Plan from the waiting fallback when there is one; otherwise from this payload.
        match planning::plan_delivered_shipment(txn, links, shop_id, f.id, at, now).await? {
            Some(s) => summary.add(s),
            None => summary.add(
                plan_for_trigger(txn, links, shop_id, CampaignTrigger::OrderDelivered, &f.order, at, Some(&items), now)
                    .await?,
            ),
        }
    } else if topic == Topic::FulfillmentsUpdate {
        return Ok(Handled::ignored("fulfillment update is not a delivery"));
    }
    Ok(Handled::processed(summary_json(
        f.order_id,
        &summary,
        json!({ "fulfillment_id": f.id, "fallbacks_scheduled": fallbacks }),
    )))
}

/// Expires every open request of an order (or of some of its line items) through the one
/// transition function.
async fn expire_open(
    txn: &DatabaseTransaction,
    shop_id: ShopId,
    order_id: i64,
    line_items: Option<&[i64]>,
    reason: ExpireReason,
    now: DateTime<Utc>,
) -> Result<u32, DbErr> {
    let mut expired = 0;
    for r in store::requests::open_for_order(txn, shop_id, order_id, line_items).await? {
        let details = ChangeDetails { expire_reason: Some(reason), ..Default::default() };
        match store::requests::transition(txn, shop_id, r.id, RequestStatus::Expired, now, details).await {
            Ok(_) => expired += 1,
            // Submitted or expired meanwhile: nothing left to stop.
            Err(TransitionError::Invalid(_) | TransitionError::Conflict | TransitionError::NotFound) => {}
            Err(TransitionError::Database(e)) => return Err(e),
        }
    }
    Ok(expired)
}
