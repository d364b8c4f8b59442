//! Retry backoff (DESIGN.md §5): exponential with full jitter, base 1 min, factor 4, cap 6 h;
//! 3 attempts for sends, 5 for jobs.
//!
//! Full jitter (a uniform draw between zero and the exponential ceiling) spreads retries of a
//! burst of failures across the whole window instead of re-synchronising them on one instant.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub factor: u32,
    pub cap: Duration,
    pub max_attempts: u32,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Try again after this delay.
    RetryAfter(Duration),
    /// Do not try again: attempts are exhausted or the error is permanent.
    GiveUp,
}

impl RetryPolicy {
    pub const SENDS: Self =
        Self { base: Duration::from_secs(60), factor: 4, cap: Duration::from_secs(6 * 3600), max_attempts: 3 };
    pub const JOBS: Self = Self { max_attempts: 5, ..Self::SENDS };

    /// The ceiling of the delay after the `attempt`-th failure (1-based):
    /// `min(cap, base × factor^(attempt-1))`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(32);
        let mult = (self.factor as u64).saturating_pow(exp);
        let secs = self.base.as_secs().saturating_mul(mult);
        Duration::from_secs(secs).min(self.cap)
    }

    /// Full jitter: `jitter` is a uniform draw in `[0, 1)` (injected to keep this pure).
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let j = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.0 };
        self.ceiling(attempt).mul_f64(j)
    }

    /// After `attempts_made` attempts (the failed one included) with a transient or
    /// permanent error, should we retry?
    pub fn decide(&self, attempts_made: u32, permanent: bool, jitter: f64) -> RetryDecision {
        if permanent || attempts_made >= self.max_attempts {
            RetryDecision::GiveUp
        } else {
            RetryDecision::RetryAfter(self.delay(attempts_made, jitter))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn ceiling_grows_by_four_from_one_minute_and_caps_at_six_hours() {
        let p = RetryPolicy::SENDS;
        assert_eq!(p.ceiling(1), MIN);
        assert_eq!(p.ceiling(2), 4 * MIN);
        assert_eq!(p.ceiling(3), 16 * MIN);
        assert_eq!(p.ceiling(4), 64 * MIN);
        assert_eq!(p.ceiling(5), 256 * MIN);
        assert_eq!(p.ceiling(6), Duration::from_secs(6 * 3600), "1024 min is capped");
        assert_eq!(p.ceiling(1000), Duration::from_secs(6 * 3600), "no overflow");
    }

    #[test]
    fn full_jitter_spans_zero_to_the_ceiling() {
        let p = RetryPolicy::JOBS;
        assert_eq!(p.delay(3, 0.0), Duration::ZERO);
        assert_eq!(p.delay(3, 0.5), 8 * MIN);
        assert!(p.delay(3, 0.999_999) <= 16 * MIN);
        assert_eq!(p.delay(3, f64::NAN), Duration::ZERO, "bad jitter is harmless");
        assert_eq!(p.delay(3, 7.0), 16 * MIN, "jitter is clamped");
    }

    #[test]
    fn sends_get_three_attempts_jobs_five_and_permanent_errors_none() {
        let s = RetryPolicy::SENDS;
        assert_eq!(s.decide(1, false, 1.0), RetryDecision::RetryAfter(MIN));
        assert_eq!(s.decide(2, false, 1.0), RetryDecision::RetryAfter(4 * MIN));
        assert_eq!(s.decide(3, false, 1.0), RetryDecision::GiveUp);
        assert_eq!(s.decide(1, true, 1.0), RetryDecision::GiveUp);
        let j = RetryPolicy::JOBS;
        assert!(matches!(j.decide(4, false, 0.3), RetryDecision::RetryAfter(_)));
        assert_eq!(j.decide(5, false, 0.3), RetryDecision::GiveUp);
    }
}
