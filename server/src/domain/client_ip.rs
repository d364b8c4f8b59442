//! Which address a request came from, behind proxies. `X-Forwarded-For` is a list each proxy
//! appends to; only the entries our own proxies appended can be believed — everything to their
//! left was written by the client and may be anything. So the client is the entry `hops` places
//! from the right, `hops` being how many proxies of ours stand in front of the server.

use std::net::IpAddr;

/// The client address per `X-Forwarded-For`, or `None` when the header is shorter than the
/// trusted hops (the request did not come through them: use the socket's peer) or unreadable.
pub fn forwarded_client(header: &str, hops: usize) -> Option<IpAddr> {
    if hops == 0 {
        return None;
    }
    let entries: Vec<&str> = header.split(',').map(str::trim).filter(|e| !e.is_empty()).collect();
    let i = entries.len().checked_sub(hops)?;
    entries[i].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_read_from_the_right_not_from_what_the_client_wrote() {
        // The client sends a forged first entry; our one proxy appends the real address.
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(forwarded_client("1.2.3.4, 203.0.113.9", 1), ip("203.0.113.9"));
        // Two proxies of ours (a CDN, then a load balancer).
        assert_eq!(forwarded_client("1.2.3.4, 203.0.113.9, 10.0.0.2", 2), ip("203.0.113.9"));
        assert_eq!(forwarded_client("203.0.113.9", 2), None, "not through both proxies");
        assert_eq!(forwarded_client("garbage", 1), None);
        assert_eq!(forwarded_client("203.0.113.9", 0), None, "no proxy trusted");
        assert_eq!(forwarded_client("2001:db8::1", 1), ip("2001:db8::1"));
    }
}
