//! Alerts in the admin API: what went wrong that the merchant should know (terminal send
//! failures, media that could not be processed), newest first, and marking them read.

use super::ctx;
use crate::graphql::error::{internal, parse_id};
use crate::services;
use async_graphql::{Context, ID, Json, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::AlertId;

mirror_enum!(AlertSeverityGql as "AlertSeverity" <=> AlertSeverity { Info, Warning, Critical });

#[derive(SimpleObject)]
pub struct Alert {
    pub id: ID,
    /// `send_failed`, `media_failed`, …
    pub kind: String,
    pub severity: AlertSeverityGql,
    pub message: String,
    /// Ids to follow up (request, asset, submission).
    pub metadata: Option<Json<serde_json::Value>>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl From<entity::alerts::Model> for Alert {
    fn from(a: entity::alerts::Model) -> Self {
        Self {
            id: ID(a.id.to_string()),
            kind: a.kind,
            severity: a.severity.into(),
            message: a.message,
            metadata: a.metadata.map(Json),
            created_at: a.created_at,
            read_at: a.read_at,
        }
    }
}

#[derive(Default)]
pub struct AlertQuery;

#[Object]
impl AlertQuery {
    /// The newest alerts (at most `first`, 100 at most).
    #[graphql(complexity = "first.max(1) as usize * child_complexity")]
    async fn alerts(
        &self,
        context: &Context<'_>,
        unread_only: Option<bool>,
        #[graphql(default = 50, validator(minimum = 1, maximum = 100))] first: i32,
    ) -> Result<Vec<Alert>> {
        let (p, state) = ctx(context)?;
        let rows = services::alerts::list(state, p.shop_id, unread_only.unwrap_or(false), first as u64)
            .await
            .map_err(internal)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub struct AlertMutation;

#[Object]
impl AlertMutation {
    /// Marks the shop's alerts read; returns how many were unread.
    async fn mark_alerts_read(&self, context: &Context<'_>, ids: Vec<ID>) -> Result<i32> {
        let (p, state) = ctx(context)?;
        let ids = ids.iter().map(|i| parse_id::<AlertId>(i, "alert")).collect::<Result<Vec<_>>>()?;
        let n = services::alerts::mark_read(state, p.shop_id, &ids).await.map_err(internal)?;
        Ok(n as i32)
    }

    /// Where alerts are emailed, and whether a daily summary of new alerts goes there (off by
    /// default; at most one email a day, none when nothing happened). `alertEmail: null`
    /// removes the address, which stops the summary.
    async fn update_alert_settings(
        &self,
        context: &Context<'_>,
        alert_email: MaybeUndefined<String>,
        daily_summary: Option<bool>,
    ) -> Result<super::ShopSettingsObject> {
        let (p, state) = ctx(context)?;
        let email = match alert_email {
            MaybeUndefined::Value(e) => {
                Some(Some(crate::domain::settings::parse_email_address(&e).map_err(|m| {
                    crate::graphql::error::field_errors(format!("alertEmail: {m}"), [("alertEmail", m)])
                })?))
            }
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Undefined => None,
        };
        use crate::graphql::error::ToApiError;
        let current = crate::services::shops::get(state.db(), p.shop_id).await.map_err(ToApiError::to_api_error)?;
        let will_have_email = email.clone().unwrap_or(current.settings.alert_email).is_some();
        if daily_summary == Some(true) && !will_have_email {
            return Err(crate::graphql::error::field_errors(
                "dailySummary needs an alertEmail to send to",
                [("alertEmail", "is needed to send a daily summary")],
            ));
        }
        let profile = crate::services::shops::update_settings(state.db(), p.shop_id, |s| {
            if let Some(e) = email {
                // No address, no summary.
                if e.is_none() {
                    s.daily_alert_summary = false;
                }
                s.alert_email = e;
            }
            if let Some(d) = daily_summary {
                s.daily_alert_summary = d && s.alert_email.is_some();
            }
        })
        .await
        .map_err(ToApiError::to_api_error)?;
        Ok(profile.settings.into())
    }
}
