//! Capture tokens and other bearer secrets.
//!
//! A token is 256 random bits, sent to the customer as unpadded base64url (43 characters) and
//! stored only as its SHA-256 (hex). A database leak therefore never yields a working link,
//! and lookups stay a plain unique-index hit on the hash.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const TOKEN_BYTES: usize = 32;
/// Length of the base64url text of 32 bytes without padding.
pub const TOKEN_TEXT_LEN: usize = 43;

/// A raw capture token. Deliberately not `Display`/`Debug`-printable in full, so it cannot end
/// up in a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct CaptureToken(String);

/// SHA-256 of a token, hex-encoded: what the database stores and indexes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token is malformed")]
    Malformed,
}

impl CaptureToken {
    /// A fresh token from the given random source (the OS RNG in production).
    pub fn generate_with(rng: &mut impl RngCore) -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        rng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn generate() -> Self {
        Self::generate_with(&mut rand::rng())
    }

    /// Parses a token from a URL; anything that is not exactly 32 bytes of base64url is refused
    /// before it reaches the database.
    pub fn parse(text: &str) -> Result<Self, TokenError> {
        if text.len() != TOKEN_TEXT_LEN {
            return Err(TokenError::Malformed);
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| TokenError::Malformed)?;
        if bytes.len() != TOKEN_BYTES {
            return Err(TokenError::Malformed);
        }
        Ok(Self(text.to_owned()))
    }

    /// The text that goes into the customer's link; callers must not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl std::fmt::Debug for CaptureToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Enough to tell two tokens apart in a test failure, never enough to use one.
        write!(f, "CaptureToken({}…)", &self.0[..4])
    }
}

impl TokenHash {
    pub fn of(secret: &str) -> Self {
        Self(hex::encode(Sha256::digest(secret.as_bytes())))
    }

    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time check that `candidate` hashes to this value.
    pub fn matches(&self, candidate: &str) -> bool {
        constant_time_eq(Self::of(candidate).0.as_bytes(), self.0.as_bytes())
    }
}

/// Derives capture tokens and signs tracking links (the open pixel).
///
/// A capture token is `HMAC(link key, request id)`: the server can rebuild the same link for a
/// reminder without the raw token ever being stored, while the database keeps only its SHA-256.
/// Someone holding the database but not the key still cannot produce a working link.
///
/// During a rotation of the encryption key the previous link key is kept too: signatures made
/// with it still verify, and a request whose stored hash is the previous key's token gets that
/// same token again (its reminder carries the link the customer already has).
/// Characters in an SMS short link's code: 60 bits, beyond guessing at any rate our limits allow.
pub const SHORT_CODE_LEN: usize = 10;

#[derive(Clone)]
pub struct LinkKey {
    current: [u8; 32],
    previous: Option<[u8; 32]>,
}

fn mac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(&(p.len() as u64).to_be_bytes());
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

impl LinkKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self { current: bytes, previous: None }
    }

    /// This key, still accepting what `previous` signed (a rotation in progress).
    pub fn with_previous(self, previous: LinkKey) -> Self {
        Self { previous: Some(previous.current), ..self }
    }

    fn keys(&self) -> impl Iterator<Item = &[u8; 32]> {
        std::iter::once(&self.current).chain(self.previous.as_ref())
    }

    fn token_with(key: &[u8; 32], request_id: entity::RequestId) -> CaptureToken {
        CaptureToken(URL_SAFE_NO_PAD.encode(mac(key, &[b"capture/v1", request_id.0.as_bytes()])))
    }

    /// The capture token of a new request: the same every time it is asked for.
    pub fn capture_token(&self, request_id: entity::RequestId) -> CaptureToken {
        Self::token_with(&self.current, request_id)
    }

    /// The token whose hash the request stores: the current key's or, for a link sent before a
    /// rotation, the previous key's. `None` when neither key made it (its key is gone).
    pub fn capture_token_for(&self, request_id: entity::RequestId, stored: &TokenHash) -> Option<CaptureToken> {
        self.keys().map(|k| Self::token_with(k, request_id)).find(|t| stored.matches(t.expose()))
    }

    fn short_code_with(key: &[u8; 32], request_id: entity::RequestId) -> String {
        let mut code = URL_SAFE_NO_PAD.encode(mac(key, &[b"short/v1", request_id.0.as_bytes()]));
        code.truncate(SHORT_CODE_LEN);
        code
    }

    /// The SMS short link's code (`/r/{code}`): ten base64url characters (60 bits) derived
    /// from the request, so a reminder carries the same one; stored only as its hash.
    pub fn short_code(&self, request_id: entity::RequestId) -> String {
        Self::short_code_with(&self.current, request_id)
    }

    /// The code whose hash the request stores (the current key's or the previous one's).
    pub fn short_code_for(&self, request_id: entity::RequestId, stored: &TokenHash) -> Option<String> {
        self.keys().map(|k| Self::short_code_with(k, request_id)).find(|c| stored.matches(c))
    }

    /// A short signature (128 bits, base64url) binding `purpose` to an id, for links that name a
    /// request directly.
    pub fn sign(&self, purpose: &str, id: entity::RequestId) -> String {
        URL_SAFE_NO_PAD.encode(&mac(&self.current, &[purpose.as_bytes(), id.0.as_bytes()])[..16])
    }

    pub fn verify(&self, purpose: &str, id: entity::RequestId, signature: &str) -> bool {
        self.keys().any(|k| {
            let expected = URL_SAFE_NO_PAD.encode(&mac(k, &[purpose.as_bytes(), id.0.as_bytes()])[..16]);
            constant_time_eq(expected.as_bytes(), signature.as_bytes())
        })
    }

    fn fields_mac(key: &[u8; 32], purpose: &str, fields: &[&str]) -> String {
        let parts: Vec<&[u8]> =
            std::iter::once(purpose.as_bytes()).chain(fields.iter().map(|f| f.as_bytes())).collect();
        URL_SAFE_NO_PAD.encode(mac(key, &parts))
    }

    /// A full-length signature (256 bits, base64url) over several text fields, for signed URLs.
    pub fn sign_fields(&self, purpose: &str, fields: &[&str]) -> String {
        Self::fields_mac(&self.current, purpose, fields)
    }

    pub fn verify_fields(&self, purpose: &str, fields: &[&str], signature: &str) -> bool {
        self.keys().any(|k| constant_time_eq(Self::fields_mac(k, purpose, fields).as_bytes(), signature.as_bytes()))
    }
}

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(…)")
    }
}

/// Compares two secrets without leaking, through timing, where they first differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // Length is not secret for our uses (fixed-length MACs and hashes).
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use std::collections::HashSet;

    #[test]
    fn tokens_are_256_bit_url_safe_and_unique() {
        let mut seen = HashSet::new();
        for _ in 0..2000 {
            let t = CaptureToken::generate();
            assert_eq!(t.expose().len(), TOKEN_TEXT_LEN);
            assert!(t.expose().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert_eq!(URL_SAFE_NO_PAD.decode(t.expose()).unwrap().len(), 32);
            assert!(seen.insert(t.expose().to_owned()), "duplicate token");
        }
    }

    #[test]
    fn stored_form_is_sha256_hex_and_never_the_token() {
        let t = CaptureToken::generate_with(&mut StdRng::seed_from_u64(7));
        let h = t.hash();
        assert_eq!(h.as_str().len(), 64);
        assert!(h.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(h.as_str(), t.expose());
        assert_eq!(h, TokenHash::of(t.expose()), "hashing is deterministic");
        // Known vector: SHA-256("abc").
        assert_eq!(TokenHash::of("abc").as_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn matching_accepts_the_token_and_refuses_others() {
        let t = CaptureToken::generate();
        let h = t.hash();
        assert!(h.matches(t.expose()));
        assert!(!h.matches(CaptureToken::generate().expose()));
        let mut tampered = t.expose().to_owned();
        tampered.replace_range(0..1, if tampered.starts_with('A') { "B" } else { "A" });
        assert!(!h.matches(&tampered));
    }

    #[test]
    fn parse_refuses_anything_but_a_real_token() {
        let t = CaptureToken::generate();
        assert_eq!(CaptureToken::parse(t.expose()).unwrap(), t);
        for bad in ["", "short", &"A".repeat(44), &format!("{}=", &t.expose()[..42]), &"+".repeat(43)] {
            assert_eq!(CaptureToken::parse(bad), Err(TokenError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn debug_never_prints_the_whole_token() {
        let t = CaptureToken::generate();
        let shown = format!("{t:?}");
        assert!(!shown.contains(t.expose()));
        assert!(shown.chars().count() < 20, "{shown}");
    }

    #[test]
    fn derived_tokens_are_stable_per_request_and_key() {
        let links = LinkKey::new([1; 32]);
        let id = entity::RequestId::new_v7();
        let t = links.capture_token(id);
        assert_eq!(t, links.capture_token(id), "a reminder rebuilds the same link");
        assert_eq!(CaptureToken::parse(t.expose()).unwrap(), t, "derived tokens parse like random ones");
        assert_ne!(t, links.capture_token(entity::RequestId::new_v7()));
        assert_ne!(t, LinkKey::new([2; 32]).capture_token(id), "another key, another token");
    }

    #[test]
    fn signatures_bind_purpose_and_id() {
        let links = LinkKey::new([3; 32]);
        let id = entity::RequestId::new_v7();
        let sig = links.sign("open", id);
        assert_eq!(sig.len(), 22);
        assert!(links.verify("open", id, &sig));
        assert!(!links.verify("click", id, &sig));
        assert!(!links.verify("open", entity::RequestId::new_v7(), &sig));
        assert!(!links.verify("open", id, "AAAAAAAAAAAAAAAAAAAAAA"));
    }

    #[test]
    fn constant_time_eq_is_plain_equality() {
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"sama"));
        assert!(!constant_time_eq(b"same", b"same+"));
        assert!(constant_time_eq(b"", b""));
    }
}
