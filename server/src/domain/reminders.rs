//! The reminder-due rule of DESIGN.md §5 (spec 001 §5).
//!
//! A reminder is due only when the campaign has reminders enabled and is active,
//! `reminder_count < max_reminders`, the request is `sent` or `clicked`, and
//! `first_sent_at + (reminder_count + 1) × reminder_delay_days ≤ now`. Each time the customer
//! says "not arrived yet", every later reminder moves by the campaign's postpone days.

use chrono::{DateTime, Duration, Utc};
use entity::{CampaignStatus, RequestStatus};

/// The facts the rule reads, gathered by the caller from the request and its campaign.
#[derive(Debug, Clone, Copy)]
pub struct ReminderFacts {
    pub campaign_status: CampaignStatus,
    pub reminder_enabled: bool,
    pub reminder_delay_days: i32,
    pub max_reminders: i32,
    pub request_status: RequestStatus,
    pub reminder_count: i32,
    pub first_sent_at: Option<DateTime<Utc>>,
    /// Days the customer postponed by in total (`postpone_count × postpone_days`).
    pub postponed_days: i64,
}

/// When the next reminder becomes due, or `None` when no reminder will ever be due.
pub fn next_reminder_at(f: &ReminderFacts) -> Option<DateTime<Utc>> {
    let stopped = !f.reminder_enabled
        || f.campaign_status != CampaignStatus::Active
        || f.reminder_count >= f.max_reminders
        || f.reminder_delay_days <= 0
        || !matches!(f.request_status, RequestStatus::Sent | RequestStatus::Clicked);
    if stopped {
        return None;
    }
    let first = f.first_sent_at?;
    let days = i64::from(f.reminder_delay_days) * (i64::from(f.reminder_count) + 1) + f.postponed_days.max(0);
    first.checked_add_signed(Duration::days(days))
}

pub fn reminder_due(f: &ReminderFacts, now: DateTime<Utc>) -> bool {
    next_reminder_at(f).is_some_and(|at| at <= now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use sea_orm::Iterable;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).unwrap()
    }

    fn facts() -> ReminderFacts {
        ReminderFacts {
            campaign_status: CampaignStatus::Active,
            reminder_enabled: true,
            reminder_delay_days: 3,
            max_reminders: 2,
            request_status: RequestStatus::Sent,
            reminder_count: 0,
            first_sent_at: Some(t0()),
            postponed_days: 0,
        }
    }

    #[test]
    fn postponing_moves_the_reminders() {
        let f = ReminderFacts { postponed_days: 7, ..facts() };
        assert!(!reminder_due(&f, t0() + Duration::days(9)));
        assert!(reminder_due(&f, t0() + Duration::days(10)));
    }

    #[test]
    fn first_reminder_is_due_exactly_after_the_delay() {
        let f = facts();
        assert!(!reminder_due(&f, t0() + Duration::days(3) - Duration::seconds(1)));
        assert!(reminder_due(&f, t0() + Duration::days(3)));
        assert_eq!(next_reminder_at(&f), Some(t0() + Duration::days(3)));
    }

    #[test]
    fn later_reminders_count_from_the_first_send() {
        let f = ReminderFacts { reminder_count: 1, ..facts() };
        assert!(!reminder_due(&f, t0() + Duration::days(5)));
        assert!(reminder_due(&f, t0() + Duration::days(6)));
    }

    #[test]
    fn max_reminders_is_respected() {
        let f = ReminderFacts { reminder_count: 2, ..facts() };
        assert!(!reminder_due(&f, t0() + Duration::days(365)));
    }

    #[test]
    fn only_sent_or_clicked_requests_are_reminded() {
        for s in RequestStatus::iter() {
            let f = ReminderFacts { request_status: s, ..facts() };
            let want = matches!(s, RequestStatus::Sent | RequestStatus::Clicked);
            assert_eq!(reminder_due(&f, t0() + Duration::days(30)), want, "{s}");
        }
    }

    #[test]
    fn paused_archived_or_disabled_campaigns_stop_reminders() {
        for c in CampaignStatus::iter() {
            let f = ReminderFacts { campaign_status: c, ..facts() };
            assert_eq!(reminder_due(&f, t0() + Duration::days(30)), c == CampaignStatus::Active, "{c}");
        }
        let off = ReminderFacts { reminder_enabled: false, ..facts() };
        assert!(!reminder_due(&off, t0() + Duration::days(30)));
        let never_sent = ReminderFacts { first_sent_at: None, ..facts() };
        assert!(!reminder_due(&never_sent, t0() + Duration::days(30)));
    }
}
