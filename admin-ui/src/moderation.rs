//! What a merchant does to a submission, shared by the inbox, the detail view and Published:
//! each action is one mutation; "approve and publish" is two, in that order.

use crate::api;
use api_client::ApiError;
use api_client::admin::*;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    Approve,
    Reject,
    Archive,
    Restore,
    Unpublish,
}

impl Action {
    pub fn done(self) -> &'static str {
        match self {
            Action::Approve => "Approved",
            Action::Reject => "Rejected",
            Action::Archive => "Archived",
            Action::Restore => "Restored to pending",
            Action::Unpublish => "Unpublished",
        }
    }
}

pub async fn act(id: String, action: Action) -> Result<(), ApiError> {
    match action {
        Action::Approve => api::run::<ApproveSubmission>(approve_submission::Variables { id }).await.map(drop),
        Action::Reject => api::run::<RejectSubmission>(reject_submission::Variables { id, note: None }).await.map(drop),
        Action::Archive => api::run::<ArchiveSubmission>(archive_submission::Variables { id }).await.map(drop),
        Action::Restore => api::run::<RestoreSubmission>(restore_submission::Variables { id }).await.map(drop),
        Action::Unpublish => api::run::<UnpublishSubmission>(unpublish_submission::Variables { id }).await.map(drop),
    }
}

/// Publishes in the given places (`home`, `product`), approving first when still pending.
pub async fn publish(id: String, pending: bool, home: bool, product: bool) -> Result<(), ApiError> {
    if pending {
        act(id.clone(), Action::Approve).await?;
    }
    let mut placements = Vec::new();
    if home {
        placements.push(publish_submission::Placement::HOME);
    }
    if product {
        placements.push(publish_submission::Placement::PRODUCT);
    }
    api::run::<PublishSubmission>(publish_submission::Variables { id, placements }).await.map(drop)
}

pub async fn feature(id: String, featured: bool, sort_order: Option<i64>) -> Result<(), ApiError> {
    api::run::<FeatureSubmission>(feature_submission::Variables { id, featured, sort_order }).await.map(drop)
}

pub async fn reprocess(asset_id: String) -> Result<(), ApiError> {
    api::run::<ReprocessAsset>(reprocess_asset::Variables { id: asset_id }).await.map(drop)
}
