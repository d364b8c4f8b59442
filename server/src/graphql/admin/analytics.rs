//! Analytics in the admin API: the funnel scheduled → sent → delivered → opened (people) →
//! clicked → submitted → approved → published, per day and in total, with its rates.

use super::ctx;
use crate::domain::analytics::{Counts, rate};
use crate::graphql::error::{ErrorCode, api_error, internal};
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::NaiveDate;

#[derive(SimpleObject, Clone, Copy)]
pub struct FunnelCounts {
    /// Requests planned (scheduled) that day.
    pub scheduled: i32,
    pub sent: i32,
    pub failed: i32,
    pub delivered: i32,
    /// Opens by people (mail scanners left out).
    pub opened: i32,
    pub clicked: i32,
    /// Of those, clicks on a star in the email (the rating chosen before the page opened).
    pub star_clicked: i32,
    pub reminders_sent: i32,
    pub submitted: i32,
    pub approved: i32,
    pub published: i32,
    pub expired: i32,
}

impl From<Counts> for FunnelCounts {
    fn from(c: Counts) -> Self {
        Self {
            scheduled: c.requests_created,
            sent: c.sent,
            failed: c.failed,
            delivered: c.delivered,
            opened: c.opened,
            clicked: c.clicked,
            star_clicked: c.star_clicked,
            reminders_sent: c.reminders_sent,
            submitted: c.submitted,
            approved: c.approved,
            published: c.published,
            expired: c.expired,
        }
    }
}

/// Each step over the one before it (0 when the step before is empty).
#[derive(SimpleObject)]
pub struct FunnelRates {
    pub delivered_per_sent: f64,
    pub opened_per_delivered: f64,
    pub clicked_per_sent: f64,
    pub submitted_per_clicked: f64,
    pub submitted_per_sent: f64,
    pub approved_per_submitted: f64,
    pub published_per_approved: f64,
}

impl From<&Counts> for FunnelRates {
    fn from(c: &Counts) -> Self {
        Self {
            delivered_per_sent: rate(c.delivered, c.sent),
            opened_per_delivered: rate(c.opened, c.delivered),
            clicked_per_sent: rate(c.clicked, c.sent),
            submitted_per_clicked: rate(c.submitted, c.clicked),
            submitted_per_sent: rate(c.submitted, c.sent),
            approved_per_submitted: rate(c.approved, c.submitted),
            published_per_approved: rate(c.published, c.approved),
        }
    }
}

/// What `analyticsBreakdown` groups by.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq)]
pub enum BreakdownBy {
    /// The template's name (`Default` for the shop's default and our built-in ones).
    Template,
    /// The language the message was written in (en, fr, de, es, it, nl, pt).
    Locale,
}

#[derive(SimpleObject)]
pub struct BreakdownRow {
    /// The template's name or the language.
    pub key: String,
    pub sent: i32,
    /// People only, each request once.
    pub opened: i32,
    pub clicked: i32,
    pub star_clicked: i32,
    pub submitted: i32,
    pub clicked_per_sent: f64,
    pub submitted_per_sent: f64,
}

#[derive(SimpleObject)]
pub struct AnalyticsDay {
    pub day: NaiveDate,
    pub counts: FunnelCounts,
}

#[derive(SimpleObject)]
pub struct Analytics {
    pub days: Vec<AnalyticsDay>,
    pub totals: FunnelCounts,
    pub rates: FunnelRates,
}

#[derive(Default)]
pub struct AnalyticsQuery;

#[Object]
impl AnalyticsQuery {
    /// The funnel per UTC day from `from` to `to` (at most 366 days), for all campaigns or one.
    /// Rollups are refreshed every ten minutes for today and yesterday.
    async fn analytics(
        &self,
        context: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        campaign_id: Option<ID>,
    ) -> Result<Analytics> {
        let (p, state) = ctx(context)?;
        if to < from || (to - from).num_days() > 366 {
            return Err(api_error(ErrorCode::Validation, "choose a range of 1 to 366 days (`from` ≤ `to`)"));
        }
        let campaign =
            campaign_id.map(|c| crate::graphql::error::parse_id::<entity::CampaignId>(&c, "campaign")).transpose()?;
        let (days, total) =
            crate::services::analytics::report(state, p.shop_id, from, to, campaign).await.map_err(internal)?;
        Ok(Analytics {
            days: days.into_iter().map(|d| AnalyticsDay { day: d.day, counts: d.counts.into() }).collect(),
            rates: (&total).into(),
            totals: total.into(),
        })
    }

    /// Which email works: the requests first sent in the range, grouped by the template or the
    /// language they went out with, and how many of each group were opened, clicked (from a
    /// star too) and answered — people only, each request once.
    async fn analytics_breakdown(
        &self,
        context: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        campaign_id: Option<ID>,
        by: BreakdownBy,
    ) -> Result<Vec<BreakdownRow>> {
        let (p, state) = ctx(context)?;
        if to < from || (to - from).num_days() > 366 {
            return Err(api_error(ErrorCode::Validation, "choose a range of 1 to 366 days (`from` ≤ `to`)"));
        }
        let campaign =
            campaign_id.map(|c| crate::graphql::error::parse_id::<entity::CampaignId>(&c, "campaign")).transpose()?;
        let by = match by {
            BreakdownBy::Template => crate::services::analytics::BreakdownBy::Template,
            BreakdownBy::Locale => crate::services::analytics::BreakdownBy::Locale,
        };
        let rows =
            crate::services::analytics::breakdown(state, p.shop_id, from, to, campaign, by).await.map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|r| BreakdownRow {
                submitted_per_sent: rate(r.submitted, r.sent),
                clicked_per_sent: rate(r.clicked, r.sent),
                key: r.key,
                sent: r.sent,
                opened: r.opened,
                clicked: r.clicked,
                star_clicked: r.star_clicked,
                submitted: r.submitted,
            })
            .collect())
    }
}
