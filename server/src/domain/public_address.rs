//! Which addresses a server-side fetch (CSV import of videos) may reach: the public internet
//! only. A merchant-supplied URL must not make the server read its own loopback services, the
//! private network it runs in, or the cloud metadata endpoint (169.254.169.254) — server-side
//! request forgery.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` is a globally routable unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            // IPv4-mapped and -compatible forms reach the IPv4 address: judge that one.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            is_public_v6(v6)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // Carrier-grade NAT, 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24.
        || (a == 192 && b == 0 && c == 0)
        // Benchmarking, 198.18.0.0/15.
        || (a == 198 && (18..20).contains(&b))
        // Reserved, 240.0.0.0/4.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local fc00::/7, link-local fe80::/10, site-local fec0::/10.
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        // Documentation 2001:db8::/32.
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        // NAT64 64:ff9b::/96 can reach private IPv4 through a gateway.
        || (s[0] == 0x0064 && s[1] == 0xff9b)
        // IPv4-compatible ::a.b.c.d (deprecated) and the rest of ::/96.
        || s[..6].iter().all(|x| *x == 0))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefused {
    #[error("only http and https links can be imported")]
    Scheme,
    #[error("links with a user name or password are not imported")]
    Credentials,
    #[error("the link has no host")]
    NoHost,
    #[error("{0} is not a public internet address")]
    NotPublic(IpAddr),
}

/// The checks that need no DNS: scheme, credentials, a host, and an IP literal's address.
pub fn check_url(url: &url::Url) -> Result<(), UrlRefused> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlRefused::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefused::Credentials);
    }
    match url.host() {
        None => Err(UrlRefused::NoHost),
        Some(url::Host::Ipv4(ip)) if !is_public(IpAddr::V4(ip)) => Err(UrlRefused::NotPublic(IpAddr::V4(ip))),
        Some(url::Host::Ipv6(ip)) if !is_public(IpAddr::V6(ip)) => Err(UrlRefused::NotPublic(IpAddr::V6(ip))),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_global_unicast_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "2001:db8::1",
            "64:ff9b::a00:1",
            "::127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private} must be refused");
        }
        for public in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(is_public(public.parse().unwrap()), "{public} is public");
        }
    }

    #[test]
    fn urls_are_checked_before_any_lookup() {
        let check = |u: &str| check_url(&url::Url::parse(u).unwrap());
        assert_eq!(check("https://cdn.example.com/v.mp4"), Ok(()));
        assert_eq!(check("ftp://cdn.example.com/v.mp4"), Err(UrlRefused::Scheme));
        assert_eq!(check("file:///etc/passwd"), Err(UrlRefused::Scheme));
        assert_eq!(check("http://user:pw@cdn.example.com/v.mp4"), Err(UrlRefused::Credentials));
        assert!(matches!(check("http://127.0.0.1:8080/v.mp4"), Err(UrlRefused::NotPublic(_))));
        assert!(matches!(check("http://[::1]/v.mp4"), Err(UrlRefused::NotPublic(_))));
        // Decimal and hex spellings of loopback are normalised by the URL parser.
        assert!(matches!(check("http://2130706433/v.mp4"), Err(UrlRefused::NotPublic(_))));
        assert!(matches!(check("http://0x7f.1/v.mp4"), Err(UrlRefused::NotPublic(_))));
    }
}
