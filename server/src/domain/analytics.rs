//! The funnel rollup (spec 004 §9.2, DESIGN.md `daily_analytics`): counts per campaign and UTC
//! day, computed from the facts of that day alone, so recomputing a day gives the same row
//! (the job is idempotent and can be re-run after late provider events).

use chrono::NaiveDate;
use entity::CampaignId;
use entity::RequestEventType;
use std::collections::BTreeMap;

/// One timeline event, with its request's campaign.
#[derive(Debug, Clone)]
pub struct EventFact {
    pub campaign_id: CampaignId,
    pub day: NaiveDate,
    pub kind: RequestEventType,
    /// A mail scanner or link checker, not the customer (`payload.actor = "machine"`).
    pub machine: bool,
}

/// One moderation action, with its submission's campaign.
#[derive(Debug, Clone)]
pub struct ModerationFact {
    pub campaign_id: CampaignId,
    pub day: NaiveDate,
    pub action: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub requests_created: i32,
    pub sent: i32,
    pub failed: i32,
    pub delivered: i32,
    /// People only: scanner opens are not interest.
    pub opened: i32,
    pub clicked: i32,
    pub reminders_sent: i32,
    pub submitted: i32,
    pub approved: i32,
    pub published: i32,
    pub expired: i32,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.requests_created += o.requests_created;
        self.sent += o.sent;
        self.failed += o.failed;
        self.delivered += o.delivered;
        self.opened += o.opened;
        self.clicked += o.clicked;
        self.reminders_sent += o.reminders_sent;
        self.submitted += o.submitted;
        self.approved += o.approved;
        self.published += o.published;
        self.expired += o.expired;
    }
}

/// Counts per (campaign, day). `created` are the requests created that day, by campaign.
pub fn roll_up(
    created: &[(CampaignId, NaiveDate)],
    events: &[EventFact],
    moderation: &[ModerationFact],
) -> BTreeMap<(CampaignId, NaiveDate), Counts> {
    let mut out: BTreeMap<(CampaignId, NaiveDate), Counts> = BTreeMap::new();
    for key in created {
        out.entry(*key).or_default().requests_created += 1;
    }
    for e in events {
        let c = out.entry((e.campaign_id, e.day)).or_default();
        use RequestEventType::*;
        match e.kind {
            Sent => c.sent += 1,
            Failed => c.failed += 1,
            Delivered => c.delivered += 1,
            Opened if !e.machine => c.opened += 1,
            Clicked if !e.machine => c.clicked += 1,
            ReminderSent => c.reminders_sent += 1,
            Submitted => c.submitted += 1,
            Expired => c.expired += 1,
            _ => {}
        }
    }
    for m in moderation {
        let c = out.entry((m.campaign_id, m.day)).or_default();
        match m.action.as_str() {
            "approve" => c.approved += 1,
            "publish" => c.published += 1,
            _ => {}
        }
    }
    out
}

/// `part / whole`, or 0 when nothing happened (no division by zero in a dashboard).
pub fn rate(part: i32, whole: i32) -> f64 {
    if whole <= 0 { 0.0 } else { f64::from(part) / f64::from(whole) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_funnel_counts_people_per_campaign_and_day() {
        let (a, b) = (CampaignId(uuid::Uuid::from_u128(1)), CampaignId(uuid::Uuid::from_u128(2)));
        let d1 = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let d2 = d1.succ_opt().unwrap();
        let ev = |campaign_id, day, kind, machine| EventFact { campaign_id, day, kind, machine };
        let events = [
            ev(a, d1, RequestEventType::Sent, false),
            ev(a, d1, RequestEventType::Opened, true),
            ev(a, d1, RequestEventType::Opened, false),
            ev(a, d2, RequestEventType::Clicked, false),
            ev(a, d2, RequestEventType::Clicked, true),
            ev(b, d1, RequestEventType::Queued, false),
        ];
        let moderation = [ModerationFact { campaign_id: a, day: d2, action: "approve".into() }];
        let r = roll_up(&[(a, d1), (a, d1), (b, d1)], &events, &moderation);
        let a1 = r[&(a, d1)];
        assert_eq!((a1.requests_created, a1.sent, a1.opened), (2, 1, 1), "the scanner's open does not count");
        assert_eq!((r[&(a, d2)].clicked, r[&(a, d2)].approved), (1, 1));
        assert_eq!(r[&(b, d1)], Counts { requests_created: 1, ..Default::default() }, "queued is not a funnel step");
        assert_eq!(rate(1, 4), 0.25);
        assert_eq!(rate(1, 0), 0.0);
    }
}
