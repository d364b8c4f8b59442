//! The shop's send window: messages go out only between, say, 09:00 and 20:00 in the shop's own
//! time zone. Everything stored stays UTC; only this decision looks at local time.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendWindow {
    pub tz: Tz,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl SendWindow {
    /// Reads the stored settings; anything unreadable means "always open" rather than "never
    /// send" (a typo must not silence a shop), and UTC for an unknown zone.
    pub fn parse(tz: &str, start: &str, end: &str) -> Self {
        let t = |s: &str, d: NaiveTime| NaiveTime::parse_from_str(s, "%H:%M").unwrap_or(d);
        let midnight = NaiveTime::MIN;
        Self { tz: tz.parse().unwrap_or(Tz::UTC), start: t(start, midnight), end: t(end, midnight) }
    }

    fn always_open(&self) -> bool {
        self.start == self.end
    }

    fn contains_local(&self, t: NaiveTime) -> bool {
        if self.always_open() {
            true
        } else if self.start < self.end {
            t >= self.start && t < self.end
        } else {
            // Crosses midnight, e.g. 20:00–02:00.
            t >= self.start || t < self.end
        }
    }

    /// `None` when sending is allowed at `now`; otherwise the next moment it will be.
    pub fn next_opening(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(&self.tz);
        if self.contains_local(local.time()) {
            return None;
        }
        // The window opens at `start` today or tomorrow (local), whichever is still ahead.
        for day in 0..3 {
            let date = local.date_naive() + Duration::days(day);
            // On a DST gap the start time may not exist; take the first valid instant after it.
            let opening = (0..180).find_map(|m| {
                self.tz.from_local_datetime(&date.and_time(self.start + Duration::minutes(m))).earliest()
            })?;
            let opening = opening.with_timezone(&Utc);
            if opening > now {
                return Some(opening);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn inside_the_window_sends_now() {
        let w = SendWindow::parse("Europe/Berlin", "09:00", "20:00");
        // 10:00 UTC = 11:00 in Berlin (CET).
        assert_eq!(w.next_opening(at("2026-11-23T10:00:00Z")), None);
    }

    #[test]
    fn outside_the_window_waits_for_the_next_local_opening() {
        let w = SendWindow::parse("Europe/Berlin", "09:00", "20:00");
        // 21:30 Berlin → tomorrow 09:00 Berlin = 08:00 UTC.
        assert_eq!(w.next_opening(at("2026-11-23T20:30:00Z")), Some(at("2026-11-24T08:00:00Z")));
        // 05:00 Berlin → today 09:00 Berlin.
        assert_eq!(w.next_opening(at("2026-11-23T04:00:00Z")), Some(at("2026-11-23T08:00:00Z")));
        // New York in summer (EDT, UTC-4): 07:00 local → 09:00 local = 13:00 UTC.
        let ny = SendWindow::parse("America/New_York", "09:00", "20:00");
        assert_eq!(ny.next_opening(at("2026-07-01T11:00:00Z")), Some(at("2026-07-01T13:00:00Z")));
    }

    #[test]
    fn windows_across_midnight_and_degenerate_settings() {
        let night = SendWindow::parse("UTC", "20:00", "02:00");
        assert_eq!(night.next_opening(at("2026-11-23T23:00:00Z")), None);
        assert_eq!(night.next_opening(at("2026-11-23T01:59:00Z")), None);
        assert_eq!(night.next_opening(at("2026-11-23T12:00:00Z")), Some(at("2026-11-23T20:00:00Z")));
        assert_eq!(SendWindow::parse("UTC", "09:00", "09:00").next_opening(at("2026-11-23T03:00:00Z")), None);
        let bad = SendWindow::parse("Mars/Olympus", "nine", "20:00");
        assert_eq!(bad.tz, Tz::UTC);
    }

    #[test]
    fn a_dst_gap_opening_moves_to_the_first_real_minute() {
        // Berlin skips 02:00–03:00 on 2026-03-29; a 02:30 opening becomes 03:00 CEST = 01:00 UTC.
        let w = SendWindow::parse("Europe/Berlin", "02:30", "20:00");
        assert_eq!(w.next_opening(at("2026-03-28T23:00:00Z")), Some(at("2026-03-29T01:00:00Z")));
    }
}
