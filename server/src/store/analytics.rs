//! `daily_analytics`: reading a day's facts, replacing a day's rows, reading series.

use crate::domain::analytics::{Counts, EventFact, ModerationFact};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{CampaignId, RequestId, ShopId, SubmissionId};
use entity::{
    daily_analytics as rows, moderation_log, testimonial_request_events as events, testimonial_requests as requests,
    testimonial_submissions as submissions,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::{BTreeMap, HashMap};

fn bounds(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
    (start, start + chrono::Duration::days(1))
}

pub struct DayFacts {
    pub created: Vec<(CampaignId, NaiveDate)>,
    pub events: Vec<EventFact>,
    pub moderation: Vec<ModerationFact>,
}

/// Everything that happened in the shop on `day` (UTC), each fact with its campaign.
pub async fn day_facts(db: &impl ConnectionTrait, shop_id: ShopId, day: NaiveDate) -> Result<DayFacts, DbErr> {
    let (start, end) = bounds(day);
    let created: Vec<(CampaignId, NaiveDate)> = requests::Entity::find()
        .select_only()
        .column(requests::Column::CampaignId)
        .filter(requests::Column::ShopId.eq(shop_id))
        .filter(requests::Column::CreatedAt.gte(start))
        .filter(requests::Column::CreatedAt.lt(end))
        .into_tuple::<CampaignId>()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c, day))
        .collect();
    let day_events = events::Entity::find()
        .filter(events::Column::ShopId.eq(shop_id))
        .filter(events::Column::EventAt.gte(start))
        .filter(events::Column::EventAt.lt(end))
        .all(db)
        .await?;
    let request_ids: Vec<RequestId> = day_events.iter().map(|e| e.request_id).collect();
    let campaign_of: HashMap<RequestId, CampaignId> = if request_ids.is_empty() {
        HashMap::new()
    } else {
        requests::Entity::find()
            .select_only()
            .column(requests::Column::Id)
            .column(requests::Column::CampaignId)
            .filter(requests::Column::ShopId.eq(shop_id))
            .filter(requests::Column::Id.is_in(request_ids))
            .into_tuple::<(RequestId, CampaignId)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let events = day_events
        .into_iter()
        .filter_map(|e| {
            let field = |k: &str| e.payload.as_ref().and_then(|p| p.get(k)).and_then(|a| a.as_str());
            let (machine, star) = (field("actor") == Some("machine"), field("source") == Some("star"));
            Some(EventFact { campaign_id: *campaign_of.get(&e.request_id)?, day, kind: e.event_type, machine, star })
        })
        .collect();
    let day_log = moderation_log::Entity::find()
        .filter(moderation_log::Column::ShopId.eq(shop_id))
        .filter(moderation_log::Column::At.gte(start))
        .filter(moderation_log::Column::At.lt(end))
        .all(db)
        .await?;
    let submission_ids: Vec<SubmissionId> = day_log.iter().map(|m| m.submission_id).collect();
    let campaign_of_submission: HashMap<SubmissionId, CampaignId> = if submission_ids.is_empty() {
        HashMap::new()
    } else {
        submissions::Entity::find()
            .filter(submissions::Column::ShopId.eq(shop_id))
            .filter(submissions::Column::Id.is_in(submission_ids))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|s| Some((s.id, s.campaign_id?)))
            .collect()
    };
    let moderation = day_log
        .into_iter()
        .filter_map(|m| {
            Some(ModerationFact { campaign_id: *campaign_of_submission.get(&m.submission_id)?, day, action: m.action })
        })
        .collect();
    Ok(DayFacts { created, events, moderation })
}

/// Replaces the shop's rows for `day` with `counts` (delete, then insert: re-running a day
/// converges on the same rows).
pub async fn replace_day(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    day: NaiveDate,
    counts: &BTreeMap<(CampaignId, NaiveDate), Counts>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    rows::Entity::delete_many()
        .filter(rows::Column::ShopId.eq(shop_id))
        .filter(rows::Column::Day.eq(day))
        .exec(db)
        .await?;
    for ((campaign_id, d), c) in counts {
        rows::ActiveModel {
            id: Set(entity::new_id()),
            shop_id: Set(shop_id),
            campaign_id: Set(*campaign_id),
            day: Set(*d),
            requests_created: Set(c.requests_created),
            sent: Set(c.sent),
            failed: Set(c.failed),
            delivered: Set(c.delivered),
            opened: Set(c.opened),
            clicked: Set(c.clicked),
            star_clicked: Set(c.star_clicked),
            reminders_sent: Set(c.reminders_sent),
            submitted: Set(c.submitted),
            approved: Set(c.approved),
            published: Set(c.published),
            expired: Set(c.expired),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// The first sends (`sent` events) of the shop's requests in `from..=to` (UTC days), optionally
/// of one campaign: each request with its event's payload (channel, template, locale).
pub async fn sends_between(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    from: NaiveDate,
    to: NaiveDate,
    campaign_id: Option<CampaignId>,
) -> Result<Vec<(RequestId, Option<serde_json::Value>)>, DbErr> {
    let (start, _) = bounds(from);
    let (_, end) = bounds(to);
    let sent = events::Entity::find()
        .filter(events::Column::ShopId.eq(shop_id))
        .filter(events::Column::EventType.eq(entity::RequestEventType::Sent.as_str()))
        .filter(events::Column::EventAt.gte(start))
        .filter(events::Column::EventAt.lt(end))
        .order_by_asc(events::Column::EventAt)
        .all(db)
        .await?;
    let ids: Vec<RequestId> = sent.iter().map(|e| e.request_id).collect();
    let keep: std::collections::HashSet<RequestId> = match campaign_id {
        None => ids.iter().copied().collect(),
        Some(_) if ids.is_empty() => Default::default(),
        Some(c) => requests::Entity::find()
            .select_only()
            .column(requests::Column::Id)
            .filter(requests::Column::ShopId.eq(shop_id))
            .filter(requests::Column::CampaignId.eq(c))
            .filter(requests::Column::Id.is_in(ids))
            .into_tuple::<RequestId>()
            .all(db)
            .await?
            .into_iter()
            .collect(),
    };
    let mut seen = std::collections::HashSet::new();
    Ok(sent
        .into_iter()
        .filter(|e| keep.contains(&e.request_id) && seen.insert(e.request_id))
        .map(|e| (e.request_id, e.payload))
        .collect())
}

/// Every opened, clicked and submitted event of these requests of the shop.
pub async fn steps_of(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    ids: &[RequestId],
) -> Result<Vec<events::Model>, DbErr> {
    use entity::RequestEventType as T;
    let mut out = Vec::new();
    // Bounded `IN` lists: SQLite's and Postgres's parameter limits are far above this.
    for chunk in ids.chunks(500) {
        out.extend(
            events::Entity::find()
                .filter(events::Column::ShopId.eq(shop_id))
                .filter(events::Column::RequestId.is_in(chunk.to_vec()))
                .filter(events::Column::EventType.is_in([
                    T::Opened.as_str(),
                    T::Clicked.as_str(),
                    T::Submitted.as_str(),
                ]))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// The rows of `from..=to`, optionally of one campaign, by day.
pub async fn series(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    from: NaiveDate,
    to: NaiveDate,
    campaign_id: Option<CampaignId>,
) -> Result<Vec<rows::Model>, DbErr> {
    let mut q = rows::Entity::find()
        .filter(rows::Column::ShopId.eq(shop_id))
        .filter(rows::Column::Day.gte(from))
        .filter(rows::Column::Day.lte(to));
    if let Some(c) = campaign_id {
        q = q.filter(rows::Column::CampaignId.eq(c));
    }
    q.order_by_asc(rows::Column::Day).order_by_asc(rows::Column::CampaignId).all(db).await
}
