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
    /// A click on a star in the email (`payload.source = "star"`).
    pub star: bool,
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
    /// People's clicks that came from a star in the email (part of `clicked`).
    pub star_clicked: i32,
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
        self.star_clicked += o.star_clicked;
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
            Clicked if !e.machine => {
                c.clicked += 1;
                c.star_clicked += i32::from(e.star);
            }
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

/// One row of a breakdown: the requests first sent with one template (or in one language) in
/// the range, and how many of them went on to each step (people only, each request once).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BreakdownRow {
    pub key: String,
    pub sent: i32,
    pub opened: i32,
    pub clicked: i32,
    pub star_clicked: i32,
    pub submitted: i32,
}

/// A later event of a request in a breakdown.
#[derive(Debug, Clone)]
pub struct StepFact<Id> {
    pub request: Id,
    pub kind: RequestEventType,
    pub machine: bool,
    pub star: bool,
}

/// Groups requests by the key of their first send (`sends`: request and key) and counts, per
/// key, the requests that reached each step. Sorted by requests sent, most first.
pub fn breakdown<Id: Ord + Copy>(sends: &[(Id, String)], steps: &[StepFact<Id>]) -> Vec<BreakdownRow> {
    use std::collections::BTreeSet;
    let key_of: BTreeMap<Id, &str> = sends.iter().map(|(id, k)| (*id, k.as_str())).collect();
    let mut rows: BTreeMap<&str, BreakdownRow> = BTreeMap::new();
    for k in key_of.values() {
        rows.entry(k).or_insert_with(|| BreakdownRow { key: (*k).to_owned(), ..Default::default() }).sent += 1;
    }
    let mut seen: BTreeSet<(Id, &'static str)> = BTreeSet::new();
    for s in steps.iter().filter(|s| !s.machine) {
        let Some(k) = key_of.get(&s.request) else { continue };
        let row = rows.get_mut(k).expect("every key has a row");
        let mut count = |step: &'static str, slot: &mut i32| {
            if seen.insert((s.request, step)) {
                *slot += 1;
            }
        };
        match s.kind {
            RequestEventType::Opened => count("opened", &mut row.opened),
            RequestEventType::Clicked => {
                count("clicked", &mut row.clicked);
                if s.star {
                    count("star", &mut row.star_clicked);
                }
            }
            RequestEventType::Submitted => count("submitted", &mut row.submitted),
            _ => {}
        }
    }
    let mut out: Vec<BreakdownRow> = rows.into_values().collect();
    out.sort_by(|a, b| b.sent.cmp(&a.sent).then_with(|| a.key.cmp(&b.key)));
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
        let ev = |campaign_id, day, kind, machine| EventFact { campaign_id, day, kind, machine, star: false };
        let events = [
            ev(a, d1, RequestEventType::Sent, false),
            ev(a, d1, RequestEventType::Opened, true),
            ev(a, d1, RequestEventType::Opened, false),
            ev(a, d2, RequestEventType::Clicked, false),
            ev(a, d2, RequestEventType::Clicked, true),
            EventFact { star: true, ..ev(a, d2, RequestEventType::Clicked, false) },
            EventFact { star: true, ..ev(a, d2, RequestEventType::Clicked, true) },
            ev(b, d1, RequestEventType::Queued, false),
        ];
        let moderation = [ModerationFact { campaign_id: a, day: d2, action: "approve".into() }];
        let r = roll_up(&[(a, d1), (a, d1), (b, d1)], &events, &moderation);
        let a1 = r[&(a, d1)];
        assert_eq!((a1.requests_created, a1.sent, a1.opened), (2, 1, 1), "the scanner's open does not count");
        assert_eq!((r[&(a, d2)].clicked, r[&(a, d2)].star_clicked, r[&(a, d2)].approved), (2, 1, 1));
        assert_eq!(r[&(b, d1)], Counts { requests_created: 1, ..Default::default() }, "queued is not a funnel step");
        assert_eq!(rate(1, 4), 0.25);
        let step = |request, kind, machine, star| StepFact { request, kind, machine, star };
        let sends = [(1, "fr".to_owned()), (2, "fr".to_owned()), (3, "en".to_owned())];
        let steps = [
            step(1, RequestEventType::Clicked, false, true),
            step(1, RequestEventType::Clicked, false, false),
            step(2, RequestEventType::Clicked, true, true),
            step(3, RequestEventType::Opened, false, false),
            step(3, RequestEventType::Opened, false, false),
            step(4, RequestEventType::Submitted, false, false),
            step(1, RequestEventType::Submitted, false, false),
        ];
        let rows = breakdown(&sends, &steps);
        let fr = BreakdownRow { key: "fr".into(), sent: 2, opened: 0, clicked: 1, star_clicked: 1, submitted: 1 };
        let en = BreakdownRow { key: "en".into(), sent: 1, opened: 1, ..Default::default() };
        assert_eq!(rows, [fr, en], "each request once per step; scanners and strangers left out");
        assert_eq!(rate(1, 0), 0.0);
    }
}
