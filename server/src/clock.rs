//! The one source of "now" for services and jobs.
//!
//! Production reads the system clock. Tests use a manual clock they can move forward, so rules
//! measured in days (delays, fallbacks, expiry, reminders) are tested without waiting and
//! without editing rows behind the code's back.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct Clock(Option<Arc<Mutex<DateTime<Utc>>>>);

impl Clock {
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock that stands still at `at` until [`Clock::advance`] moves it.
    pub fn manual(at: DateTime<Utc>) -> Self {
        Self(Some(Arc::new(Mutex::new(at))))
    }

    /// Microsecond precision, the finest both databases store: a time computed from `now()`
    /// compares equal to itself after a round trip through SQLite or Postgres.
    pub fn now(&self) -> DateTime<Utc> {
        let t = match &self.0 {
            None => Utc::now(),
            Some(t) => *t.lock().unwrap_or_else(|e| e.into_inner()),
        };
        t.trunc_subsecs(6)
    }

    /// Moves a manual clock forward; a no-op on the system clock.
    pub fn advance(&self, by: Duration) {
        if let Some(t) = &self.0 {
            let mut guard = t.lock().unwrap_or_else(|e| e.into_inner());
            *guard += by;
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_some() { write!(f, "Clock::manual({})", self.now()) } else { f.write_str("Clock::system") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let t0 = (Utc::now() - Duration::days(100)).trunc_subsecs(6);
        let c = Clock::manual(t0);
        assert_eq!(c.now(), t0);
        c.clone().advance(Duration::days(3));
        assert_eq!(c.now(), t0 + Duration::days(3), "clones share the time");
        let s = Clock::system();
        s.advance(Duration::days(3));
        assert!((s.now() - Utc::now()).num_seconds().abs() < 5);
    }
}
