//! `testimonial_submissions`: what a customer submitted.

use chrono::{DateTime, Utc};
use entity::{
    SubmissionSource, SubmissionStatus, testimonial_requests as requests, testimonial_submissions as submissions,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr};

/// A submission through the capture page, as the customer gave it.
pub struct NewCaptureSubmission<'a> {
    pub request: &'a requests::Model,
    pub display_name: String,
    pub rating: Option<i16>,
    pub quote: Option<String>,
    pub has_video: bool,
    pub consent_text: String,
    pub consent_version: i32,
}

/// Inserts a `pending` submission for the request. The unique request id makes a second
/// insert for the same request fail (`UniqueConstraintViolation`).
pub async fn insert_capture(
    db: &impl ConnectionTrait,
    new: NewCaptureSubmission<'_>,
    now: DateTime<Utc>,
) -> Result<submissions::Model, DbErr> {
    let r = new.request;
    submissions::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(r.shop_id),
        request_id: Set(Some(r.id)),
        campaign_id: Set(Some(r.campaign_id)),
        product_id: Set(r.product_id),
        display_name: Set(new.display_name),
        rating: Set(new.rating),
        quote: Set(new.quote),
        has_video: Set(new.has_video),
        consent_publish: Set(true),
        consent_text: Set(new.consent_text),
        consent_version: Set(new.consent_version),
        consented_at: Set(Some(now)),
        flagged: Set(false),
        flagged_reason: Set(None),
        status: Set(SubmissionStatus::Pending),
        published: Set(false),
        published_at: Set(None),
        placement_home: Set(false),
        placement_product: Set(false),
        featured: Set(false),
        sort_order: Set(0),
        moderated_at: Set(None),
        source: Set(SubmissionSource::Capture),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}
