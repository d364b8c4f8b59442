//! Rate limits of the public capture API (governor): per client IP and per capture token, so
//! one abusive client cannot hammer the API and one leaked link cannot be brute-forced into
//! uploads. In-process (each replica limits on its own), which bounds the damage per replica.

use governor::clock::DefaultClock;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

type Keyed<K> = RateLimiter<K, HashMapStateStore<K>, DefaultClock>;

pub struct CaptureLimiter {
    per_ip: Keyed<IpAddr>,
    per_token: Keyed<String>,
    checks: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many requests; please wait a minute and try again")]
pub struct RateLimited;

impl CaptureLimiter {
    pub fn new(per_ip_per_minute: u32, per_token_per_minute: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).expect("at least one"));
        Self {
            per_ip: RateLimiter::hashmap(quota(per_ip_per_minute)),
            per_token: RateLimiter::hashmap(quota(per_token_per_minute)),
            checks: AtomicU64::new(0),
        }
    }

    /// One call by `ip` (when known) with `token`.
    pub fn check(&self, ip: Option<IpAddr>, token: &str) -> Result<(), RateLimited> {
        // Forget idle keys now and then, so the maps stay as small as the active clients.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 1000 == 999 {
            self.per_ip.retain_recent();
            self.per_token.retain_recent();
        }
        if let Some(ip) = ip {
            self.per_ip.check_key(&ip).map_err(|_| RateLimited)?;
        }
        let key = crate::domain::tokens::TokenHash::of(token).as_str().to_owned();
        self.per_token.check_key(&key).map_err(|_| RateLimited)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_ip_and_per_token() {
        let l = CaptureLimiter::new(5, 3);
        let a: IpAddr = "203.0.113.1".parse().unwrap();
        let b: IpAddr = "203.0.113.2".parse().unwrap();
        for _ in 0..3 {
            l.check(Some(a), "t1").unwrap();
        }
        assert_eq!(l.check(Some(b), "t1"), Err(RateLimited), "the token's budget is spent, whoever asks");
        l.check(Some(a), "t2").unwrap();
        l.check(Some(a), "t3").unwrap();
        assert_eq!(l.check(Some(a), "t4"), Err(RateLimited), "the IP's budget is spent, whatever the token");
        l.check(Some(b), "t5").unwrap();
    }
}
