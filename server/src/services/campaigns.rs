//! Campaigns: create, update and move through their lifecycle. Archiving expires the requests
//! that were never sent.

use crate::domain::campaign::{self, CampaignSettings, InvalidCampaign, InvalidCampaignTransition};
use crate::store;
use crate::store::requests::{ChangeDetails, TransitionError};
use chrono::{DateTime, Utc};
use entity::{CampaignStatus, ExpireReason, RequestStatus, campaigns};
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("campaign not found")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] InvalidCampaign),
    #[error(transparent)]
    Transition(#[from] InvalidCampaignTransition),
    #[error("an archived campaign cannot be changed")]
    Archived,
    #[error("the campaign changed meanwhile; reload and try again")]
    Conflict,
    #[error(transparent)]
    Database(#[from] DbErr),
}

pub async fn create(
    db: &DatabaseConnection,
    shop_id: Uuid,
    settings: CampaignSettings,
    now: DateTime<Utc>,
) -> Result<campaigns::Model, CampaignError> {
    let settings = settings.validate()?;
    let c = store::campaigns::insert(db, shop_id, &settings, now).await?;
    tracing::info!(%shop_id, campaign_id = %c.id, "campaign created");
    Ok(c)
}

/// Settings as stored, for an update to start from.
pub fn settings_of(c: &campaigns::Model) -> CampaignSettings {
    CampaignSettings {
        name: c.name.clone(),
        trigger: c.trigger,
        channel: c.channel,
        delay_days: c.delay_days,
        fallback_days: c.fallback_days,
        reminder_enabled: c.reminder_enabled,
        reminder_delay_days: c.reminder_delay_days,
        max_reminders: c.max_reminders,
        postpone_days: c.postpone_days,
        max_postpones: c.max_postpones,
        token_ttl_days: c.token_ttl_days,
        frequency_cap_30d: c.frequency_cap_30d,
        eligibility: campaign::Eligibility::from_json(&c.eligibility),
        consent_text: c.consent_text.clone(),
        prompt: c.prompt.clone(),
        incentive: c.incentive.clone(),
    }
}

/// Applies `change` to the current settings, validates, saves.
pub async fn update(
    db: &DatabaseConnection,
    shop_id: Uuid,
    id: Uuid,
    change: impl FnOnce(&mut CampaignSettings),
    now: DateTime<Utc>,
) -> Result<campaigns::Model, CampaignError> {
    let current = get(db, shop_id, id).await?;
    if current.status == CampaignStatus::Archived {
        return Err(CampaignError::Archived);
    }
    let mut settings = settings_of(&current);
    change(&mut settings);
    let settings = settings.validate()?;
    Ok(store::campaigns::update(db, current, &settings, now).await?)
}

pub async fn get(db: &DatabaseConnection, shop_id: Uuid, id: Uuid) -> Result<campaigns::Model, CampaignError> {
    store::campaigns::get(db, shop_id, id).await?.ok_or(CampaignError::NotFound)
}

pub async fn list(db: &DatabaseConnection, shop_id: Uuid) -> Result<Vec<campaigns::Model>, CampaignError> {
    Ok(store::campaigns::list(db, shop_id).await?)
}

/// Moves a campaign to `to` (activate, pause, archive). Archiving also expires its unsent
/// requests, in the same transaction.
pub async fn set_status(
    db: &DatabaseConnection,
    shop_id: Uuid,
    id: Uuid,
    to: CampaignStatus,
    now: DateTime<Utc>,
) -> Result<campaigns::Model, CampaignError> {
    let current = get(db, shop_id, id).await?;
    campaign::transition(current.status, to)?;
    let txn = db.begin().await?;
    if !store::campaigns::set_status(&txn, shop_id, id, current.status, to, now).await? {
        return Err(CampaignError::Conflict);
    }
    if to == CampaignStatus::Archived {
        for r in store::requests::unsent_for_campaign(&txn, shop_id, id).await? {
            let details = ChangeDetails { expire_reason: Some(ExpireReason::CampaignArchived), ..Default::default() };
            match store::requests::transition(&txn, shop_id, r.id, RequestStatus::Expired, now, details).await {
                Ok(_) | Err(TransitionError::Invalid(_) | TransitionError::Conflict | TransitionError::NotFound) => {}
                Err(TransitionError::Database(e)) => return Err(e.into()),
            }
        }
    }
    txn.commit().await?;
    tracing::info!(%shop_id, campaign_id = %id, from = %current.status, %to, "campaign status changed");
    get(db, shop_id, id).await
}
