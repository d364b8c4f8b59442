//! `ShopDomain`: a parsed, normalised `*.myshopify.com` domain.
//!
//! Parse, don't validate: once a value is a `ShopDomain` it is lower-case, has one DNS label
//! of letters, digits and hyphens before `.myshopify.com`, and is safe to put in a URL or a
//! query. Shopify's own libraries apply the same rule before trusting a `shop` parameter.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShopDomain(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a shop domain of the form <name>.myshopify.com")]
pub struct InvalidShopDomain(pub String);

const SUFFIX: &str = ".myshopify.com";

impl ShopDomain {
    pub fn parse(input: &str) -> Result<Self, InvalidShopDomain> {
        let lower = input.trim().to_ascii_lowercase();
        let invalid = || InvalidShopDomain(input.chars().take(100).collect());
        let name = lower.strip_suffix(SUFFIX).ok_or_else(invalid)?;
        let valid_label = !name.is_empty()
            && name.len() <= 63
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.starts_with('-')
            && !name.ends_with('-');
        if valid_label { Ok(Self(lower)) } else { Err(invalid()) }
    }

    /// Parses the host of a URL such as a session token's `dest` (`https://x.myshopify.com`).
    pub fn from_url(url: &str) -> Result<Self, InvalidShopDomain> {
        let parsed = url::Url::parse(url).map_err(|_| InvalidShopDomain(url.chars().take(100).collect()))?;
        if parsed.scheme() != "https" {
            return Err(InvalidShopDomain(url.chars().take(100).collect()));
        }
        Self::parse(parsed.host_str().unwrap_or_default())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `https://<shop>` — the `dest` of this shop's session tokens.
    pub fn url(&self) -> String {
        format!("https://{}", self.0)
    }
}

impl fmt::Display for ShopDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_real_shop_domains() {
        assert_eq!(ShopDomain::parse("demo.myshopify.com").unwrap().as_str(), "demo.myshopify.com");
        assert_eq!(ShopDomain::parse(" My-Shop-2.MyShopify.com ").unwrap().as_str(), "my-shop-2.myshopify.com");
        assert_eq!(ShopDomain::from_url("https://demo.myshopify.com").unwrap().as_str(), "demo.myshopify.com");
        assert_eq!(ShopDomain::from_url("https://demo.myshopify.com/admin").unwrap().as_str(), "demo.myshopify.com");
    }

    #[test]
    fn refuses_lookalikes_and_garbage() {
        for bad in [
            "",
            "myshopify.com",
            ".myshopify.com",
            "demo.myshopify.com.evil.com",
            "evil.com",
            "a.b.myshopify.com",
            "-demo.myshopify.com",
            "de mo.myshopify.com",
            "demo.myshopify.co",
            "démo.myshopify.com",
        ] {
            assert!(ShopDomain::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ShopDomain::from_url("http://demo.myshopify.com").is_err(), "https only");
        assert!(ShopDomain::from_url("https://demo.myshopify.com.evil.com").is_err());
        assert!(ShopDomain::from_url("not a url").is_err());
    }
}
