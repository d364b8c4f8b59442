//! Provider event callbacks (`POST /webhooks/messaging/{provider}`, SHOPIFY.md §7): each
//! provider's signature check and the parser that maps its events to canonical ones.
//!
//! Verification happens over the raw bytes before anything is parsed. Parsers are lenient in
//! what they skip (unknown event kinds are ignored, not errors) and strict in what they keep.

use entity::RequestId;
pub mod postmark;
pub mod sendgrid;
pub mod twilio;

use chrono::{DateTime, Utc};

/// Which provider a callback came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    SendGrid,
    Postmark,
    Twilio,
}

impl Provider {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sendgrid" => Some(Self::SendGrid),
            "postmark" => Some(Self::Postmark),
            "twilio" => Some(Self::Twilio),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendGrid => "sendgrid",
            Self::Postmark => "postmark",
            Self::Twilio => "twilio",
        }
    }
}

/// The canonical meaning of a provider event (spec 004 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Delivered,
    Opened,
    Clicked,
    /// The message will never arrive (hard bounce, drop, undelivered SMS); the text says why.
    Failed(String),
    /// The recipient wants no more messages (unsubscribe, spam complaint); the text says how.
    Unsubscribed(String),
}

/// One provider event, ready to be matched to a request.
#[derive(Debug, Clone)]
pub struct ProviderEvent {
    pub kind: EventKind,
    /// Our request id when the provider echoes it back (custom args, metadata, callback URL).
    pub request_id: Option<RequestId>,
    /// The message id we stored at send time, to match when no request id came back.
    pub message_id: Option<String>,
    /// When it happened at the provider; `None`: now.
    pub at: Option<DateTime<Utc>>,
    pub user_agent: Option<String>,
    /// The provider's own record, redacted later by `append_request_event`.
    pub payload: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
#[error("callback body is not what {provider} sends: {reason}")]
pub struct ParseError {
    pub provider: &'static str,
    pub reason: String,
}

/// Basic-auth check for providers without body signatures (Postmark): the configured
/// `user:password` against the `Authorization` header, in constant time.
pub fn verify_basic_auth(expected_user_password: &str, authorization: Option<&str>) -> bool {
    use base64::Engine;
    let Some(value) = authorization.and_then(|a| a.strip_prefix("Basic ")) else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(value.trim()) else {
        return false;
    };
    crate::domain::tokens::constant_time_eq(&decoded, expected_user_password.as_bytes())
}

fn request_id_from(v: Option<&serde_json::Value>) -> Option<entity::RequestId> {
    v.and_then(|v| v.as_str()).and_then(|s| s.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth() {
        // "hook:s3cret"
        assert!(verify_basic_auth("hook:s3cret", Some("Basic aG9vazpzM2NyZXQ=")));
        assert!(!verify_basic_auth("hook:s3cret", Some("Basic aG9vazp3cm9uZw==")));
        assert!(!verify_basic_auth("hook:s3cret", Some("Bearer aG9vazpzM2NyZXQ=")));
        assert!(!verify_basic_auth("hook:s3cret", Some("Basic !!!")));
        assert!(!verify_basic_auth("hook:s3cret", None));
    }
}
