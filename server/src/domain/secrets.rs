//! Encryption at rest for shop credentials (Shopify access and refresh tokens).
//!
//! AES-256-GCM with a random 96-bit nonce per value; the stored text is
//! `v2.<key id>.<base64 nonce‖ciphertext‖tag>`. The key id (8 hex digits derived from the key,
//! never the key) says which key sealed a value, so during a rotation each value is opened with
//! its own key instead of by trial. `v1.<base64…>` values (before key ids) are still read.
//! The key comes from `REELPROOF_ENCRYPTION_KEY` (32 bytes, base64).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

const PREFIX: &str = "v2.";
const PREFIX_V1: &str = "v1.";
const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct EncryptionKey([u8; 32]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the encryption key must be 32 bytes encoded as base64 (e.g. `openssl rand -base64 32`)")]
    BadKey,
    #[error("stored secret is not in a known format")]
    BadFormat,
    #[error("stored secret could not be decrypted (wrong key or tampered value)")]
    Decrypt,
    /// Sealed with a key that is neither the current nor the previous one.
    #[error("stored secret was sealed with key {0}, which is not configured")]
    UnknownKey(String),
}

/// The id of the key a stored value was sealed with (`None` for the `v1` format).
pub fn key_id_of(stored: &str) -> Option<&str> {
    stored.strip_prefix(PREFIX)?.split_once('.').map(|(id, _)| id)
}

impl EncryptionKey {
    pub fn from_base64(text: &str) -> Result<Self, SecretError> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| SecretError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SecretError::BadKey)?;
        Ok(Self(key))
    }

    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self(key)
    }

    /// An independent key for one purpose, so the encryption key itself never signs anything
    /// and one purpose's MACs are useless for another.
    pub fn derive(&self, purpose: &str) -> crate::domain::tokens::LinkKey {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(b"reelproof/derive/");
        mac.update(purpose.as_bytes());
        crate::domain::tokens::LinkKey::new(mac.finalize().into_bytes().into())
    }

    /// A public name for this key: 8 hex digits of a MAC under it, so the id reveals nothing
    /// about the key and two keys are told apart.
    pub fn id(&self) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(b"reelproof/key-id");
        hex::encode(&mac.finalize().into_bytes()[..4])
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    pub fn encrypt(&self, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        self.encrypt_with_nonce(plain, nonce)
    }

    fn encrypt_with_nonce(&self, plain: &str, nonce: [u8; NONCE_LEN]) -> String {
        let cipher = Aes256Gcm::new((&self.0).into());
        let sealed = cipher
            .encrypt(&Nonce::from(nonce), plain.as_bytes())
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}.{}", self.id(), STANDARD.encode(out))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, SecretError> {
        let body = if let Some(rest) = stored.strip_prefix(PREFIX) {
            let (id, body) = rest.split_once('.').ok_or(SecretError::BadFormat)?;
            if id != self.id() {
                return Err(SecretError::UnknownKey(id.to_owned()));
            }
            body
        } else {
            stored.strip_prefix(PREFIX_V1).ok_or(SecretError::BadFormat)?
        };
        let raw = STANDARD.decode(body).map_err(|_| SecretError::BadFormat)?;
        if raw.len() < NONCE_LEN + 16 {
            return Err(SecretError::BadFormat);
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SecretError::BadFormat)?;
        let cipher = Aes256Gcm::new((&self.0).into());
        let plain = cipher.decrypt(&Nonce::from(nonce), sealed).map_err(|_| SecretError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| SecretError::Decrypt)
    }
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionKey(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_link_keys_differ_by_purpose_and_by_key() {
        let key = EncryptionKey::generate();
        let id = entity::RequestId::new_v7();
        let t = key.derive("links").capture_token(id);
        assert_eq!(t, key.derive("links").capture_token(id), "the same key and purpose derive the same links");
        assert_ne!(t, key.derive("other").capture_token(id), "another purpose, another token");
        assert_ne!(t, EncryptionKey::generate().derive("links").capture_token(id), "another key, another token");
    }

    #[test]
    fn round_trips_and_never_stores_the_plain_text() {
        let key = EncryptionKey::generate();
        let stored = key.encrypt("shpat_secret_token");
        assert!(stored.starts_with(&format!("v2.{}.", key.id())), "{stored}");
        assert_eq!(key_id_of(&stored), Some(key.id().as_str()));
        assert!(!stored.contains("shpat"));
        assert_eq!(key.decrypt(&stored).unwrap(), "shpat_secret_token");
        assert_ne!(key.encrypt("same"), key.encrypt("same"), "fresh nonce per value");
    }

    #[test]
    fn wrong_key_or_tampering_is_detected() {
        let key = EncryptionKey::generate();
        let stored = key.encrypt_with_nonce("token", [1; 12]);
        let other = EncryptionKey::generate();
        assert_eq!(other.decrypt(&stored), Err(SecretError::UnknownKey(key.id())), "told by its id, not by trial");
        let body = stored.rsplit('.').next().unwrap();
        let mut raw = STANDARD.decode(body).unwrap();
        raw[14] ^= 1;
        assert_eq!(key.decrypt(&format!("v1.{}", STANDARD.encode(&raw))), Err(SecretError::Decrypt));
        assert_eq!(key.decrypt(&format!("v2.{}.{}", key.id(), STANDARD.encode(&raw))), Err(SecretError::Decrypt));
        assert_eq!(other.decrypt(&format!("v1.{body}")), Err(SecretError::Decrypt), "v1: no id, so by trial");
        assert_eq!(key.decrypt("plain"), Err(SecretError::BadFormat));
        assert_eq!(key.decrypt("v1.AAAA"), Err(SecretError::BadFormat));
    }

    #[test]
    fn values_sealed_before_key_ids_are_still_read() {
        let key = EncryptionKey::generate();
        let v2 = key.encrypt_with_nonce("shpat_old", [7; 12]);
        let v1 = format!("v1.{}", v2.rsplit('.').next().unwrap());
        assert_eq!(key_id_of(&v1), None);
        assert_eq!(key.decrypt(&v1).unwrap(), "shpat_old");
    }

    #[test]
    fn key_ids_tell_keys_apart_and_reveal_nothing() {
        let key = EncryptionKey::generate();
        assert_eq!(key.id().len(), 8);
        assert_eq!(key.id(), EncryptionKey::from_base64(&key.to_base64()).unwrap().id());
        assert_ne!(key.id(), EncryptionKey::generate().id());
        assert!(!key.to_base64().contains(&key.id()));
    }

    #[test]
    fn keys_parse_from_base64_of_exactly_32_bytes() {
        let key = EncryptionKey::generate();
        assert!(EncryptionKey::from_base64(&key.to_base64()).is_ok());
        assert_eq!(EncryptionKey::from_base64("c2hvcnQ=").unwrap_err(), SecretError::BadKey);
        assert_eq!(EncryptionKey::from_base64("%%%").unwrap_err(), SecretError::BadKey);
    }
}
