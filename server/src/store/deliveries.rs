//! `webhook_deliveries`: the inbox. Inserting the delivery is the dedupe: the unique
//! `(source, external_id)` key turns a replay or a concurrent copy into a no-op.

use chrono::{DateTime, Utc};
use entity::ShopId;
use entity::{DeliveryStatus, WebhookSource, webhook_deliveries as deliveries};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, TryInsertResult};
use uuid::Uuid;

pub struct NewDelivery {
    pub shop_id: Option<ShopId>,
    pub source: WebhookSource,
    pub topic: String,
    pub external_id: String,
    pub event_id: Option<String>,
    pub triggered_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
}

/// Records a delivery as `received`; `None` when it was seen before (a duplicate). Global:
/// a delivery may arrive before (or after) its shop exists, and its id is unique across shops.
pub async fn insert_if_new_all_shops(db: &impl ConnectionTrait, d: NewDelivery) -> Result<Option<Uuid>, DbErr> {
    let id = entity::new_id();
    let row = deliveries::ActiveModel {
        id: Set(id),
        shop_id: Set(d.shop_id),
        source: Set(d.source),
        topic: Set(d.topic.chars().take(100).collect()),
        external_id: Set(d.external_id.chars().take(200).collect()),
        event_id: Set(d.event_id.map(|e| e.chars().take(200).collect())),
        triggered_at: Set(d.triggered_at),
        received_at: Set(d.received_at),
        status: Set(DeliveryStatus::Received),
        error: Set(None),
        result: Set(None),
    };
    let res = deliveries::Entity::insert(row)
        .on_conflict_do_nothing_on([deliveries::Column::Source, deliveries::Column::ExternalId])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(res, TryInsertResult::Inserted(n) if n > 0).then_some(id))
}

/// Records how processing ended. `result` must hold counts and ids only — no contact data.
pub async fn finish_all_shops(
    db: &impl ConnectionTrait,
    id: Uuid,
    status: DeliveryStatus,
    error: Option<String>,
    result: Option<serde_json::Value>,
) -> Result<(), DbErr> {
    deliveries::Entity::update_many()
        .col_expr(deliveries::Column::Status, status.as_str().into())
        .col_expr(deliveries::Column::Error, error.map(|e| e.chars().take(2000).collect::<String>()).into())
        .col_expr(deliveries::Column::Result, result.into())
        .filter(deliveries::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces the `result` of this shop's deliveries that name one of `order_ids` (customer
/// redaction: the order id links the record to a person).
pub async fn scrub_results_for_orders(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    order_ids: &[i64],
) -> Result<u32, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    // A shop's whole delivery history can be large: read it a page at a time (by id, which is
    // time-ordered), only the two columns needed.
    const PAGE: u64 = 500;
    let mut scrubbed = 0;
    let mut after: Option<Uuid> = None;
    loop {
        let mut q = deliveries::Entity::find()
            .select_only()
            .column(deliveries::Column::Id)
            .column(deliveries::Column::Result)
            .filter(deliveries::Column::ShopId.eq(shop_id))
            .filter(deliveries::Column::Result.is_not_null());
        if let Some(a) = after {
            q = q.filter(deliveries::Column::Id.gt(a));
        }
        let rows: Vec<(Uuid, Option<serde_json::Value>)> =
            q.order_by_asc(deliveries::Column::Id).limit(PAGE).into_tuple().all(db).await?;
        let Some(last) = rows.last().map(|r| r.0) else { break };
        let named: Vec<Uuid> = rows
            .iter()
            .filter(|(_, result)| {
                result
                    .as_ref()
                    .and_then(|r| r.get("order_id"))
                    .and_then(serde_json::Value::as_i64)
                    .is_some_and(|o| order_ids.contains(&o))
            })
            .map(|(id, _)| *id)
            .collect();
        if !named.is_empty() {
            let n = deliveries::Entity::update_many()
                .col_expr(deliveries::Column::Result, Some(serde_json::json!({ "redacted": true })).into())
                .filter(deliveries::Column::ShopId.eq(shop_id))
                .filter(deliveries::Column::Id.is_in(named))
                .exec(db)
                .await?;
            scrubbed += n.rows_affected as u32;
        }
        if (rows.len() as u64) < PAGE {
            break;
        }
        after = Some(last);
    }
    Ok(scrubbed)
}
