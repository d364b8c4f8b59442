//! Rate-limit budgets (pure): what is limited, how much per window, and the fixed window a
//! moment falls in. Counting happens in the database (`services::rate_limits`), so the budget
//! holds across replicas.
//!
//! Fixed windows let a client spend up to twice the budget across a window boundary; for the
//! abuse these limits stop (hammering the capture API, flooding a shop with uploads) that is
//! close enough, and it costs one upsert per check.

use chrono::{DateTime, Utc};

/// One budget: at most `limit` hits per `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Names the bucket family (`ip`, `token`, `shop-uploads`…); part of the hashed key.
    pub name: &'static str,
    pub limit: u32,
    pub window_secs: i64,
}

impl Budget {
    /// The start of the window `now` falls in (seconds since the epoch).
    pub fn window_start(&self, now: DateTime<Utc>) -> i64 {
        let t = now.timestamp();
        t - t.rem_euclid(self.window_secs.max(1))
    }

    /// The stored bucket for `subject`: a hash, so no address or id is kept in clear.
    pub fn bucket(&self, subject: &str) -> String {
        crate::domain::tokens::TokenHash::of(&format!("{}:{subject}", self.name)).as_str().to_owned()
    }
}

/// Uploads one shop may receive per hour, whatever links and addresses they come from
/// (`CAPTURE_UPLOADS_PER_SHOP_PER_HOUR`).
pub fn shop_uploads_per_hour(limit: u32) -> Budget {
    Budget { name: "shop-uploads", limit, window_secs: 3600 }
}
/// Testimonial imports one shop may start per hour (each up to 1 000 rows and their fetches).
pub const SHOP_IMPORTS_PER_HOUR: Budget = Budget { name: "shop-imports", limit: 10, window_secs: 3600 };

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_moment_falls_in_the_window_that_started_on_the_boundary_before_it() {
        let b = Budget { name: "ip", limit: 5, window_secs: 60 };
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 10, 30, 59).unwrap();
        assert_eq!(b.window_start(t), Utc.with_ymd_and_hms(2026, 12, 1, 10, 30, 0).unwrap().timestamp());
        assert_eq!(b.window_start(t + chrono::Duration::seconds(1)), b.window_start(t) + 60);
    }

    #[test]
    fn buckets_differ_by_budget_and_subject_and_hide_the_subject() {
        let ip = Budget { name: "ip", limit: 5, window_secs: 60 };
        let token = Budget { name: "token", ..ip };
        assert_ne!(ip.bucket("203.0.113.7"), token.bucket("203.0.113.7"));
        assert_ne!(ip.bucket("203.0.113.7"), ip.bucket("203.0.113.8"));
        assert!(!ip.bucket("203.0.113.7").contains("203"));
    }
}
