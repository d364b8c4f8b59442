//! App proxy requests (SHOPIFY.md §4.1): Shopify forwards `https://<shop>/apps/<subpath>/…` to
//! us with `shop`, `logged_in_customer_id`, `path_prefix`, `timestamp` and `signature` added to
//! the query. The signature is checked before any parameter is believed: drop `signature`; for
//! each other key build `key=value`, joining a repeated key's values with `,`; sort; concatenate
//! with no separator; HMAC-SHA256 with the app secret; hex; compare in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;

/// The verified parameters (decoded, repeated keys joined with `,`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyParams(BTreeMap<String, String>);

impl ProxyParams {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProxySignatureError {
    #[error("the request has no signature")]
    Missing,
    #[error("the signature does not match")]
    Mismatch,
}

/// The message Shopify signs, and the decoded parameters.
fn canonical(query: &str) -> (String, BTreeMap<String, String>, Option<String>) {
    let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut signature = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if k == "signature" {
            signature = Some(v.into_owned());
        } else {
            params.entry(k.into_owned()).or_default().push(v.into_owned());
        }
    }
    let joined: BTreeMap<String, String> = params.into_iter().map(|(k, v)| (k, v.join(","))).collect();
    // BTreeMap iterates in key order; every `key=value` string starts with its key, and keys are
    // unique, so sorting the strings is sorting by key (a key that is a prefix of another sorts
    // first either way, as `=` sorts below every letter, digit and `_`).
    let mut pieces: Vec<String> = joined.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pieces.sort();
    (pieces.concat(), joined, signature)
}

/// Signs a query as Shopify does (tests and local tooling): returns the hex signature.
pub fn sign(secret: &str, query: &str) -> String {
    let (message, _, _) = canonical(query);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Verifies the query string against any of `secrets` (the current app secret and, during a
/// rotation, the previous one).
pub fn verify<'a>(secrets: impl IntoIterator<Item = &'a str>, query: &str) -> Result<ProxyParams, ProxySignatureError> {
    let (message, params, signature) = canonical(query);
    let signature = signature.ok_or(ProxySignatureError::Missing)?;
    let expected = hex::decode(signature.trim()).map_err(|_| ProxySignatureError::Mismatch)?;
    for secret in secrets {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
        mac.update(message.as_bytes());
        if mac.verify_slice(&expected).is_ok() {
            return Ok(ProxyParams(params));
        }
    }
    Err(ProxySignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str =
        "extra=1&extra=2&shop=shop-name.myshopify.com&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555";

    /// SHOPIFY.md §4.1's three vectors (secret `hush`).
    #[test]
    fn shopifys_vectors_verify() {
        for (customer, sig) in [
            ("&logged_in_customer_id=1", "4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb"),
            ("&logged_in_customer_id=", "e072b6d7e6622d85912a5214b860d3100dc1e73d9bc29f43796ac8c9ff8093cb"),
            ("", "a9718877bea71c2484f91608a7eaea1532bdf71f5c56825065fa4ccabe549ef3"),
        ] {
            let query = format!("{BASE}{customer}&signature={sig}");
            let p = verify(["hush"], &query).unwrap_or_else(|e| panic!("{query}: {e}"));
            assert_eq!(p.get("shop"), Some("shop-name.myshopify.com"));
            assert_eq!(p.get("extra"), Some("1,2"));
            assert_eq!(p.get("path_prefix"), Some("/apps/awesome_reviews"));
            assert_eq!(sign("hush", &format!("{BASE}{customer}")), sig);
        }
    }

    #[test]
    fn any_tampering_or_absence_fails() {
        let sig = "4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb";
        let good = format!("{BASE}&logged_in_customer_id=1&signature={sig}");
        assert!(verify(["hush"], &good).is_ok());
        assert_eq!(verify(["other"], &good), Err(ProxySignatureError::Mismatch));
        assert_eq!(verify(["other", "hush"], &good).map(|_| ()), Ok(()), "a previous secret is accepted");
        let tampered = good.replace("shop-name", "other-shop");
        assert_eq!(verify(["hush"], &tampered), Err(ProxySignatureError::Mismatch));
        let added = format!("{good}&placement=home");
        assert_eq!(verify(["hush"], &added), Err(ProxySignatureError::Mismatch));
        assert_eq!(verify(["hush"], BASE), Err(ProxySignatureError::Missing));
        let garbage = format!("{BASE}&logged_in_customer_id=1&signature=zz");
        assert_eq!(verify(["hush"], &garbage), Err(ProxySignatureError::Mismatch));
    }
}
