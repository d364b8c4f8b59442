//! Alerts in the admin API: what went wrong that the merchant should know (terminal send
//! failures, media that could not be processed), newest first, and marking them read.

use super::ctx;
use crate::graphql::error::{ErrorCode, api_error, internal};
use async_graphql::{Context, ID, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

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
    async fn alerts(
        &self,
        context: &Context<'_>,
        unread_only: Option<bool>,
        #[graphql(default = 50, validator(minimum = 1, maximum = 100))] first: i32,
    ) -> Result<Vec<Alert>> {
        let (p, state) = ctx(context)?;
        let rows = crate::store::alerts::list(state.db(), p.shop_id, unread_only.unwrap_or(false), first as u64)
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
        let ids = ids
            .iter()
            .map(|i| Uuid::parse_str(i).map_err(|_| api_error(ErrorCode::NotFound, "alert not found")))
            .collect::<Result<Vec<_>>>()?;
        let n = crate::store::alerts::mark_read(state.db(), p.shop_id, &ids, state.now()).await.map_err(internal)?;
        Ok(n as i32)
    }
}
