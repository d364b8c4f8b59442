//! Daily analytics: the funnel per shop, campaign and UTC day, recomputed from the day's
//! events and moderation actions (idempotent: a day can be recomputed any number of times,
//! e.g. after late provider callbacks), and the series the admin's dashboard reads.

use crate::domain::analytics::{self, Counts};
use crate::state::AppState;
use crate::store;
use chrono::NaiveDate;
use entity::{CampaignId, ShopId};
use sea_orm::{DbErr, TransactionTrait};
use std::sync::atomic::{AtomicI64, Ordering};

/// How often the scheduler's round recomputes today and yesterday.
const EVERY_SECONDS: i64 = 600;
static LAST_RUN: AtomicI64 = AtomicI64::new(0);

/// Recomputes one shop's day.
pub async fn recompute_day(state: &AppState, shop_id: ShopId, day: NaiveDate) -> Result<usize, DbErr> {
    let facts = store::analytics::day_facts(state.db(), shop_id, day).await?;
    let counts = analytics::roll_up(&facts.created, &facts.events, &facts.moderation);
    let txn = state.db().begin().await?;
    store::analytics::replace_day(&txn, shop_id, day, &counts, state.now()).await?;
    txn.commit().await?;
    Ok(counts.len())
}

/// Today and yesterday for every installed shop (late events land in yesterday's row too).
pub async fn recompute_recent(state: &AppState) -> Result<(), DbErr> {
    let today = state.now().date_naive();
    for shop_id in store::shops::installed_ids_all_shops(state.db()).await? {
        for day in [today - chrono::Duration::days(1), today] {
            recompute_day(state, shop_id, day).await?;
        }
    }
    Ok(())
}

/// `recompute_recent` at most every ten minutes (called from the scheduler's round).
pub async fn maybe_recompute(state: &AppState) -> Result<(), DbErr> {
    let now = state.now().timestamp();
    let last = LAST_RUN.load(Ordering::Relaxed);
    if now - last < EVERY_SECONDS || LAST_RUN.compare_exchange(last, now, Ordering::AcqRel, Ordering::Relaxed).is_err()
    {
        return Ok(());
    }
    recompute_recent(state).await
}

/// One day of the funnel (all campaigns, or one).
#[derive(Debug, Clone, PartialEq)]
pub struct DayReport {
    pub day: NaiveDate,
    pub counts: Counts,
}

/// What a breakdown groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakdownBy {
    Template,
    Locale,
}

/// The requests first sent in `from..=to`, grouped by the template or the language they were
/// sent with, and how far each group got (people only).
pub async fn breakdown(
    state: &AppState,
    shop_id: ShopId,
    from: NaiveDate,
    to: NaiveDate,
    campaign_id: Option<CampaignId>,
    by: BreakdownBy,
) -> Result<Vec<crate::domain::analytics::BreakdownRow>, DbErr> {
    use crate::domain::analytics::{StepFact, breakdown};
    let field = match by {
        BreakdownBy::Template => "template",
        BreakdownBy::Locale => "locale",
    };
    let sends: Vec<(entity::RequestId, String)> =
        store::analytics::sends_between(state.db(), shop_id, from, to, campaign_id)
            .await?
            .into_iter()
            .map(|(id, p)| {
                // Sends recorded before templates and languages were: their own group.
                let key = p.as_ref().and_then(|p| p[field].as_str()).unwrap_or("(not recorded)").to_owned();
                (id, key)
            })
            .collect();
    let ids: Vec<entity::RequestId> = sends.iter().map(|(id, _)| *id).collect();
    let steps: Vec<StepFact<entity::RequestId>> = store::analytics::steps_of(state.db(), shop_id, &ids)
        .await?
        .into_iter()
        .map(|e| {
            let f = |k: &str| e.payload.as_ref().and_then(|p| p.get(k)).and_then(|v| v.as_str()).map(str::to_owned);
            StepFact {
                request: e.request_id,
                kind: e.event_type,
                machine: f("actor").as_deref() == Some("machine"),
                star: f("source").as_deref() == Some("star"),
            }
        })
        .collect();
    Ok(breakdown(&sends, &steps))
}

/// The series `from..=to` (days with nothing are included as zeros) and the totals.
pub async fn report(
    state: &AppState,
    shop_id: ShopId,
    from: NaiveDate,
    to: NaiveDate,
    campaign_id: Option<CampaignId>,
) -> Result<(Vec<DayReport>, Counts), DbErr> {
    let rows = store::analytics::series(state.db(), shop_id, from, to, campaign_id).await?;
    let mut days = Vec::new();
    let mut total = Counts::default();
    let mut day = from;
    while day <= to {
        let mut c = Counts::default();
        for r in rows.iter().filter(|r| r.day == day) {
            c.add(&Counts {
                requests_created: r.requests_created,
                sent: r.sent,
                failed: r.failed,
                delivered: r.delivered,
                opened: r.opened,
                clicked: r.clicked,
                star_clicked: r.star_clicked,
                reminders_sent: r.reminders_sent,
                submitted: r.submitted,
                approved: r.approved,
                published: r.published,
                expired: r.expired,
            });
        }
        total.add(&c);
        days.push(DayReport { day, counts: c });
        day = day.succ_opt().expect("a next day");
    }
    Ok((days, total))
}
