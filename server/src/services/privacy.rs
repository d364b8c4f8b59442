//! Shopify's mandatory privacy webhooks (SHOPIFY.md §1.6): `customers/data_request`,
//! `customers/redact`, `shop/redact`.
//!
//! Redaction deletes rather than anonymises: a testimonial without its person has no value
//! and keeping half of it is a liability. Media objects are deleted before the transaction
//! commits; if storage fails the whole delivery rolls back and Shopify's retry tries again
//! (deleting is idempotent).

use crate::domain::planner::{CustomerFacts, customer_key};
use crate::services::planning;
use crate::shopify::payloads::CustomerPrivacyRequest;
use crate::state::AppState;
use crate::store;
use chrono::{DateTime, Utc};
use entity::{RequestId, ShopId, SubmissionId};
use entity::{
    privacy_exports, testimonial_media_assets as assets, testimonial_request_events as events,
    testimonial_requests as requests, testimonial_submissions as submissions,
};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

/// Why a privacy request could not be carried out; the webhook delivery then rolls back and
/// Shopify's retry tries again (every step is idempotent).
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error(transparent)]
    Database(#[from] DbErr),
    /// A media object could not be deleted.
    #[error(transparent)]
    Storage(#[from] crate::providers::storage::StorageError),
}

/// The requests of this shop that belong to the customer or to the listed orders.
async fn customer_requests(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    r: &CustomerPrivacyRequest,
) -> Result<Vec<requests::Model>, DbErr> {
    let mut any = Condition::any();
    if !r.order_ids.is_empty() {
        any = any.add(requests::Column::ShopifyOrderId.is_in(r.order_ids.iter().copied()));
    }
    if let Some(id) = r.customer_id {
        any = any.add(requests::Column::ShopifyCustomerId.eq(id));
    }
    let keys = contact_keys(r);
    if !keys.is_empty() {
        any = any.add(requests::Column::CustomerKey.is_in(keys));
    }
    if any.is_empty() {
        return Ok(Vec::new());
    }
    requests::Entity::find().filter(requests::Column::ShopId.eq(shop_id)).filter(any).all(db).await
}

/// The hashed customer keys of the contacts a privacy request names.
fn contact_keys(r: &CustomerPrivacyRequest) -> Vec<String> {
    [
        CustomerFacts { email: r.email.clone(), ..Default::default() },
        CustomerFacts { phone: r.phone.clone(), ..Default::default() },
    ]
    .iter()
    .filter(|c| c.email.is_some() || c.phone.is_some())
    .filter_map(customer_key)
    .collect()
}

async fn submissions_of(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    request_ids: &[RequestId],
) -> Result<Vec<submissions::Model>, DbErr> {
    submissions::Entity::find()
        .filter(submissions::Column::ShopId.eq(shop_id))
        .filter(submissions::Column::RequestId.is_in(request_ids.iter().copied()))
        .all(db)
        .await
}

async fn assets_of(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    submission_ids: &[SubmissionId],
) -> Result<Vec<assets::Model>, DbErr> {
    assets::Entity::find()
        .filter(assets::Column::ShopId.eq(shop_id))
        .filter(assets::Column::SubmissionId.is_in(submission_ids.iter().copied()))
        .all(db)
        .await
}

/// `customers/data_request`: everything held about the customer, stored for the merchant.
pub async fn export_customer(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    r: &CustomerPrivacyRequest,
    now: DateTime<Utc>,
) -> Result<(Uuid, usize), DbErr> {
    let reqs = customer_requests(db, shop_id, r).await?;
    let ids: Vec<RequestId> = reqs.iter().map(|q| q.id).collect();
    let subs = submissions_of(db, shop_id, &ids).await?;
    let media = assets_of(db, shop_id, &subs.iter().map(|s| s.id).collect::<Vec<_>>()).await?;
    let evs = events::Entity::find()
        .filter(events::Column::ShopId.eq(shop_id))
        .filter(events::Column::RequestId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let exported: Vec<Value> = reqs
        .iter()
        .map(|q| {
            let submission = subs.iter().find(|s| s.request_id == Some(q.id)).map(|s| {
                json!({
                    "display_name": s.display_name, "rating": s.rating, "quote": s.quote, "status": s.status,
                    "published": s.published, "consent_text": s.consent_text, "consent_version": s.consent_version,
                    "consented_at": s.consented_at, "created_at": s.created_at,
                    "media": media.iter().filter(|a| a.submission_id == s.id).map(|a| json!({
                        "original_key": a.original_key, "playback_key": a.playback_key, "poster_key": a.poster_key,
                        "content_type": a.content_type, "size_bytes": a.size_bytes, "duration_ms": a.duration_ms,
                    })).collect::<Vec<_>>(),
                })
            });
            json!({
                "order_id": q.shopify_order_id.to_string(), "order_name": q.order_name,
                "product_id": q.product_id.to_string(), "product_title": q.product_title,
                "customer": { "first_name": q.customer_first_name, "last_name": q.customer_last_name,
                              "email": q.customer_email, "phone": q.customer_phone, "locale": q.locale },
                "channel": q.channel, "status": q.status, "created_at": q.created_at,
                "first_sent_at": q.first_sent_at, "clicked_at": q.clicked_at, "submitted_at": q.submitted_at,
                "events": evs.iter().filter(|e| e.request_id == q.id)
                    .map(|e| json!({ "type": e.event_type, "at": e.event_at })).collect::<Vec<_>>(),
                "submission": submission,
            })
        })
        .collect();
    let export = json!({
        "customer": { "id": r.customer_id.map(|i| i.to_string()), "email": r.email, "phone": r.phone },
        "orders_requested": r.order_ids.iter().map(i64::to_string).collect::<Vec<_>>(),
        "generated_at": now,
        "testimonial_requests": exported,
    });
    let id = entity::new_id();
    privacy_exports::Entity::insert(privacy_exports::ActiveModel {
        id: Set(id),
        shop_id: Set(shop_id),
        data_request_id: Set(r.data_request_id),
        shopify_customer_id: Set(r.customer_id),
        export: Set(export),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok((id, reqs.len()))
}

#[derive(Debug, Default, Serialize)]
pub struct RedactSummary {
    pub requests_deleted: usize,
    pub submissions_deleted: usize,
    pub objects_deleted: usize,
    pub exports_deleted: u64,
    pub fallbacks_dropped: u32,
    pub delivery_results_scrubbed: u32,
}

/// `customers/redact`: deletes the customer's requests (and with them events, submissions,
/// assets, moderation records), their media objects, privacy exports and waiting fallbacks.
pub async fn redact_customer(
    state: &AppState,
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    r: &CustomerPrivacyRequest,
) -> Result<RedactSummary, PrivacyError> {
    let reqs = customer_requests(db, shop_id, r).await?;
    let ids: Vec<RequestId> = reqs.iter().map(|q| q.id).collect();
    let subs = submissions_of(db, shop_id, &ids).await?;
    let media = assets_of(db, shop_id, &subs.iter().map(|s| s.id).collect::<Vec<_>>()).await?;
    let mut summary = RedactSummary::default();
    for a in &media {
        let mut keys: Vec<String> = [Some(&a.original_key), a.playback_key.as_ref(), a.poster_key.as_ref()]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        if let Some(poster) = &a.poster_key {
            let widths = crate::domain::media::parse_widths(a.poster_widths.as_deref());
            keys.extend(crate::domain::media::poster_variant_keys(poster, &widths));
        }
        for key in &keys {
            state.storage().delete(key).await?;
            summary.objects_deleted += 1;
        }
    }
    // Uploads that were never submitted (the customer left mid-way) and their resumable
    // staging files: nothing of the customer stays in storage either.
    for q in &reqs {
        let prefix = crate::providers::storage::upload_prefix(shop_id, q.id);
        summary.objects_deleted += state.storage().delete_prefix(&prefix).await?;
        super::uploads::discard_staging(state, &prefix).await;
    }
    // Published testimonials of the customer are in the theme blocks' metafields too: the
    // affected pages are written again (connected shops; in this transaction).
    // (`enqueue` sorts and dedups the pages.)
    let pages: Vec<Option<i64>> =
        subs.iter().filter(|s| s.published).flat_map(|s| [None, Some(s.product_id)]).collect();
    if !pages.is_empty() {
        super::storefront_sync::enqueue(db, shop_id, &pages, state.now()).await?;
    }
    // Cascades to events, submissions, assets and moderation_log.
    requests::Entity::delete_many()
        .filter(requests::Column::ShopId.eq(shop_id))
        .filter(requests::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    summary.requests_deleted = reqs.len();
    summary.submissions_deleted = subs.len();
    // Their unsubscribe goes too: it is keyed by the same hashed contact.
    let mut keys: Vec<String> = reqs.iter().filter_map(|q| q.customer_key.clone()).collect();
    keys.extend(contact_keys(r));
    keys.sort();
    keys.dedup();
    for k in &keys {
        store::suppressions::delete_for_customer(db, shop_id, k).await?;
    }
    if let Some(cid) = r.customer_id {
        summary.exports_deleted = privacy_exports::Entity::delete_many()
            .filter(privacy_exports::Column::ShopId.eq(shop_id))
            .filter(privacy_exports::Column::ShopifyCustomerId.eq(cid))
            .exec(db)
            .await?
            .rows_affected;
    }
    let mut orders: Vec<i64> = reqs.iter().map(|q| q.shopify_order_id).collect();
    orders.extend(&r.order_ids);
    summary.fallbacks_dropped = planning::drop_fallbacks_of_customer(db, shop_id, &orders, r).await?;
    store::order_cancellations::delete_for_orders(db, shop_id, &orders).await?;
    if !subs.is_empty() {
        store::shops::bump_storefront_version(db, shop_id).await?;
    }
    // Delivery results name the orders they planned; those ids go too.
    summary.delivery_results_scrubbed = store::deliveries::scrub_results_for_orders(db, shop_id, &orders).await?;
    tracing::info!(%shop_id, requests = summary.requests_deleted, objects = summary.objects_deleted, "customer redacted");
    Ok(summary)
}

/// `shop/redact`: every object under the shop's prefix, then the shop row (all tables
/// cascade).
pub async fn redact_shop(state: &AppState, db: &impl ConnectionTrait, shop_id: ShopId) -> Result<usize, PrivacyError> {
    let objects = state.storage().delete_prefix(&crate::providers::storage::shop_prefix(shop_id)).await?;
    store::shops::delete(db, shop_id).await?;
    tracing::info!(%shop_id, objects, "shop redacted");
    Ok(objects)
}

/// The shop's privacy exports, newest first.
pub async fn list_exports(db: &impl ConnectionTrait, shop_id: ShopId) -> Result<Vec<privacy_exports::Model>, DbErr> {
    privacy_exports::Entity::find()
        .filter(privacy_exports::Column::ShopId.eq(shop_id))
        .order_by_desc(privacy_exports::Column::CreatedAt)
        .all(db)
        .await
}
