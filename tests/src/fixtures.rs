//! Rows the later pipeline will create for real (campaigns, requests), inserted directly so
//! foundation tests can exercise the store against both databases.

use chrono::{DateTime, Duration, Utc};
use entity::{CampaignId, ShopId};
use entity::{CampaignStatus, CampaignTrigger, Channel, RequestStatus, campaigns, testimonial_requests};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use server::domain::tokens::TokenHash;

pub async fn campaign(db: &impl ConnectionTrait, shop_id: ShopId) -> campaigns::Model {
    let now = Utc::now();
    campaigns::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        name: Set("Ask after delivery".into()),
        status: Set(CampaignStatus::Active),
        trigger: Set(CampaignTrigger::OrderPaid),
        delay_days: Set(7),
        channel: Set(Channel::Email),
        fallback_days: Set(14),
        reminder_enabled: Set(true),
        reminder_delay_days: Set(3),
        max_reminders: Set(2),
        postpone_days: Set(7),
        max_postpones: Set(1),
        token_ttl_days: Set(30),
        frequency_cap_30d: Set(None),
        eligibility: Set(serde_json::json!({})),
        request_email_template_id: Set(None),
        reminder_email_template_id: Set(None),
        request_sms_template_id: Set(None),
        reminder_sms_template_id: Set(None),
        consent_text: Set("You may show my video on the store.".into()),
        consent_version: Set(1),
        prompt: Set("How do you like it?".into()),
        incentive: Set(None),
        reward: Set(None),
        consent_texts: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .expect("insert campaign")
}

/// A request for `product_id` of order 1 in `status`, with the given token hash.
pub async fn request(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    campaign_id: CampaignId,
    product_id: i64,
    token_hash: &TokenHash,
    status: RequestStatus,
) -> testimonial_requests::Model {
    try_request(db, shop_id, campaign_id, product_id, token_hash, status).await.expect("insert request")
}

pub async fn try_request(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    campaign_id: CampaignId,
    product_id: i64,
    token_hash: &TokenHash,
    status: RequestStatus,
) -> Result<testimonial_requests::Model, sea_orm::DbErr> {
    // Due an hour ago, so a scheduler round picks it up whatever the test clock says.
    let now: DateTime<Utc> = Utc::now() - Duration::hours(1);
    testimonial_requests::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        campaign_id: Set(campaign_id),
        // Real Shopify ids are above 2^53; make sure they round-trip exactly.
        shopify_order_id: Set(9_007_199_254_740_993),
        order_name: Set(Some("#1001".into())),
        line_item_id: Set(9_007_199_254_740_995 + product_id),
        product_id: Set(product_id),
        variant_id: Set(String::new()),
        product_title: Set("Walnut desk".into()),
        product_image_url: Set(None),
        shopify_customer_id: Set(Some(7)),
        customer_key: Set(None),
        customer_first_name: Set(Some("Ada".into())),
        customer_last_name: Set(Some("Lovelace".into())),
        customer_email: Set(Some("ada@example.com".into())),
        customer_phone: Set(None),
        locale: Set(Some("en".into())),
        channel: Set(Channel::Email),
        token_hash: Set(token_hash.as_str().to_owned()),
        short_code_hash: Set(None),
        status: Set(status),
        scheduled_for: Set(now),
        next_attempt_at: Set(Some(now)),
        attempts: Set(0),
        lease_until: Set(None),
        first_sent_at: Set(None),
        last_sent_at: Set(None),
        clicked_at: Set(None),
        submitted_at: Set(None),
        expires_at: Set(now + Duration::days(30)),
        expired_at: Set(None),
        expire_reason: Set(None),
        reminder_count: Set(0),
        next_reminder_at: Set(None),
        postpone_count: Set(0),
        last_error: Set(None),
        provider_message_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

/// An `orders/paid`-shaped payload (ids above 2^53 where Shopify uses them) with one line item
/// per `(line_item_id, product_id)`.
pub fn order(order_id: i64, items: &[(i64, i64)], email: Option<&str>) -> serde_json::Value {
    let line_items: Vec<_> = items
        .iter()
        .map(|(li, p)| {
            serde_json::json!({
                "id": li, "product_id": p, "variant_id": p * 10 + 1, "title": format!("Product {p}"),
                "quantity": 2, "price": "19.99", "requires_shipping": true, "gift_card": false,
                "admin_graphql_api_id": format!("gid://shopify/LineItem/{li}"), "properties": [], "tax_lines": []
            })
        })
        .collect();
    serde_json::json!({
        "id": order_id, "admin_graphql_api_id": format!("gid://shopify/Order/{order_id}"),
        "name": "#1001", "email": email, "contact_email": email, "phone": null, "customer_locale": "en",
        "buyer_accepts_marketing": false, "cancelled_at": null, "test": false, "financial_status": "paid",
        "total_price": "59.97", "current_total_price": "59.97", "currency": "USD", "tags": "vip, repeat",
        "processed_at": "2026-11-20T10:00:00-05:00",
        "customer": { "id": 7_200_000_000_000_001i64, "email": email, "first_name": "Ada", "last_name": "Lovelace",
                      "phone": "+15550101234", "email_marketing_consent": {"state": "subscribed"} },
        "shipping_address": { "first_name": "Ada", "last_name": "Lovelace", "phone": "+15550101234", "city": "London" },
        "line_items": line_items, "fulfillments": [], "refunds": []
    })
}

/// A `fulfillments/create`-shaped payload shipping the given `(line_item_id, product_id)`s.
pub fn fulfillment(
    fulfillment_id: i64,
    order_id: i64,
    items: &[(i64, i64)],
    email: &str,
    at: DateTime<Utc>,
) -> serde_json::Value {
    let line_items: Vec<_> = items
        .iter()
        .map(|(li, p)| {
            serde_json::json!({"id": li, "product_id": p, "variant_id": p * 10 + 1, "title": format!("Product {p}"),
            "quantity": 1, "requires_shipping": true, "gift_card": false})
        })
        .collect();
    serde_json::json!({
        "id": fulfillment_id, "order_id": order_id, "status": "success", "shipment_status": null,
        "created_at": at.to_rfc3339(), "updated_at": at.to_rfc3339(), "name": "#1001.1",
        "email": email, "tracking_company": "UPS", "tracking_number": "1Z999",
        "destination": { "first_name": "Ada", "last_name": "Lovelace", "phone": "+15550101234" },
        "line_items": line_items
    })
}

/// An uploaded original, as a submission would leave it: the object in storage, a submission
/// for `request`, and its media asset in `uploaded`, with the processing job enqueued.
pub async fn uploaded_asset(
    state: &server::state::AppState,
    request: &testimonial_requests::Model,
    bytes: Vec<u8>,
    content_type: &str,
) -> entity::testimonial_media_assets::Model {
    let db = state.db();
    let now = state.now();
    let new = server::store::submissions::NewCaptureSubmission {
        request,
        display_name: "Ada L.".into(),
        rating: Some(5),
        quote: Some("Lovely".into()),
        has_video: true,
        consent_text: "You may publish my video.".into(),
        consent_version: 1,
        flagged_reason: None,
        incentivised: false,
    };
    let submission =
        server::store::submissions::insert_capture(db, request.shop_id, new, now).await.expect("insert submission");
    let key = format!(
        "{}{}/original",
        server::providers::storage::shop_prefix(request.shop_id),
        entity::new_id::<uuid::Uuid>()
    );
    let size = bytes.len() as i64;
    state.storage().put(&key, bytes.into()).await.expect("store original");
    let asset = server::store::media_assets::insert_uploaded(
        db,
        request.shop_id,
        submission.id,
        key,
        content_type.to_owned(),
        size,
        now,
    )
    .await
    .expect("insert asset");
    server::services::media::enqueue(db, request.shop_id, asset.id, 0, now).await.expect("enqueue media job");
    asset
}

/// A campaign of its own and a `submitted` request for `product_id` under it (what a submission
/// hangs from).
pub async fn submitted_request(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    product_id: i64,
) -> testimonial_requests::Model {
    let c = campaign(db, shop_id).await;
    let token = server::domain::tokens::CaptureToken::generate().hash();
    request(db, shop_id, c.id, product_id, &token, RequestStatus::Submitted).await
}

/// A submission row (not yet inserted) as the storefront shows one: approved, published on the
/// home page and the product page, rated, with consent. Tests override what they are about.
pub fn shown_submission(
    shop_id: ShopId,
    product_id: i64,
    now: DateTime<Utc>,
) -> entity::testimonial_submissions::ActiveModel {
    use entity::{SubmissionSource, SubmissionStatus};
    entity::testimonial_submissions::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        request_id: Set(None),
        campaign_id: Set(None),
        product_id: Set(product_id),
        display_name: Set("Ada Lovelace".into()),
        rating: Set(Some(5)),
        quote: Set(Some("Lovely".into())),
        has_video: Set(true),
        consent_publish: Set(true),
        consent_text: Set("ok".into()),
        consent_version: Set(1),
        consented_at: Set(Some(now)),
        flagged: Set(false),
        flagged_reason: Set(None),
        status: Set(SubmissionStatus::Approved),
        published: Set(true),
        published_at: Set(Some(now)),
        placement_home: Set(true),
        placement_product: Set(true),
        featured: Set(false),
        sort_order: Set(0),
        moderated_at: Set(Some(now)),
        source: Set(SubmissionSource::Capture),
        reward_code: Set(None),
        incentivised: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
}
