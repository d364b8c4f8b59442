//! Signed, expiring URLs for the local media store: `PUT /uploads/{key}` (one upload of at most
//! `max_bytes` of one content type) and `GET /media/{key}` (playback). The signature binds every
//! parameter, so changing the key, the expiry, the type or the size limit voids it.

use crate::domain::tokens::LinkKey;
use chrono::{DateTime, Utc};

/// What an upload URL allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadGrant {
    pub key: String,
    pub content_type: String,
    pub max_bytes: i64,
    pub expires: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignedUrlError {
    #[error("the link is not valid")]
    BadSignature,
    #[error("the link has expired")]
    Expired,
}

impl UploadGrant {
    fn fields(&self) -> [String; 4] {
        [self.key.clone(), self.content_type.clone(), self.max_bytes.to_string(), self.expires.to_string()]
    }

    pub fn signature(&self, key: &LinkKey) -> String {
        let f = self.fields();
        key.sign_fields("upload", &f.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// The query string of the upload URL.
    pub fn query(&self, key: &LinkKey) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("ct", &self.content_type)
            .append_pair("max", &self.max_bytes.to_string())
            .append_pair("exp", &self.expires.to_string())
            .append_pair("sig", &self.signature(key))
            .finish()
    }

    pub fn verify(&self, key: &LinkKey, signature: &str, now: DateTime<Utc>) -> Result<(), SignedUrlError> {
        let f = self.fields();
        if !key.verify_fields("upload", &f.iter().map(String::as_str).collect::<Vec<_>>(), signature) {
            return Err(SignedUrlError::BadSignature);
        }
        if now.timestamp() > self.expires {
            return Err(SignedUrlError::Expired);
        }
        Ok(())
    }
}

/// The query string of a playback URL for `key`, valid until `expires` (unix seconds).
pub fn media_query(key: &LinkKey, object: &str, expires: i64) -> String {
    let sig = key.sign_fields("media", &[object, &expires.to_string()]);
    format!("exp={expires}&sig={sig}")
}

pub fn verify_media(
    key: &LinkKey,
    object: &str,
    expires: i64,
    sig: &str,
    now: DateTime<Utc>,
) -> Result<(), SignedUrlError> {
    if !key.verify_fields("media", &[object, &expires.to_string()], sig) {
        return Err(SignedUrlError::BadSignature);
    }
    if now.timestamp() > expires {
        return Err(SignedUrlError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn key() -> LinkKey {
        LinkKey::new([7; 32])
    }

    #[test]
    fn any_change_voids_an_upload_grant() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        let g = UploadGrant {
            key: "shops/a/uploads/b/c".into(),
            content_type: "video/mp4".into(),
            max_bytes: 100,
            expires: now.timestamp() + 600,
        };
        let sig = g.signature(&key());
        assert_eq!(g.verify(&key(), &sig, now), Ok(()));
        for changed in [
            UploadGrant { key: "shops/a/uploads/b/d".into(), ..g.clone() },
            UploadGrant { content_type: "video/webm".into(), ..g.clone() },
            UploadGrant { max_bytes: 101, ..g.clone() },
            UploadGrant { expires: g.expires + 1, ..g.clone() },
        ] {
            assert_eq!(changed.verify(&key(), &sig, now), Err(SignedUrlError::BadSignature), "{changed:?}");
        }
        assert_eq!(g.verify(&key(), &sig, now + chrono::Duration::seconds(601)), Err(SignedUrlError::Expired));
        assert_eq!(g.verify(&LinkKey::new([8; 32]), &sig, now), Err(SignedUrlError::BadSignature));
    }

    #[test]
    fn media_urls_expire() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        let q = media_query(&key(), "shops/a/x.mp4", now.timestamp() + 60);
        let sig = q.split("sig=").nth(1).unwrap();
        assert_eq!(verify_media(&key(), "shops/a/x.mp4", now.timestamp() + 60, sig, now), Ok(()));
        assert_eq!(
            verify_media(&key(), "shops/a/y.mp4", now.timestamp() + 60, sig, now),
            Err(SignedUrlError::BadSignature)
        );
        assert_eq!(
            verify_media(&key(), "shops/a/x.mp4", now.timestamp() + 60, sig, now + chrono::Duration::seconds(61)),
            Err(SignedUrlError::Expired)
        );
    }
}
