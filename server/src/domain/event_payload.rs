//! What an event row may carry (spec 004 §8, DESIGN.md §5): a compact, redacted payload of at
//! most 4 KiB, and the dedupe key that makes a replayed provider callback a no-op.
//!
//! Redaction is by field name and applies at any depth, because provider payloads nest
//! (Postmark's `Metadata`, SendGrid's custom arguments). Personal data is not needed to debug a
//! delivery — the request row already says who it was for — so it never reaches the timeline.

use chrono::{DateTime, Timelike, Utc};
use entity::RequestId;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const MAX_PAYLOAD_BYTES: usize = 4096;
/// Longest string value kept; longer ones are cut (SMTP responses can be long).
const MAX_STRING_CHARS: usize = 300;

/// Field names whose values are personal data or secrets. Compared case-insensitively with
/// `-` and `_` ignored, so `smtp-id` and `smtpId` are the same name.
const REDACTED_FIELDS: &[&str] = &[
    "email",
    "recipient",
    "to",
    "from",
    "phone",
    "ip",
    "address",
    "name",
    "firstname",
    "lastname",
    "body",
    "text",
    "html",
    "content",
    "token",
    "authorization",
    "password",
    "accountsid",
];

fn normalise(key: &str) -> String {
    key.chars().filter(|c| *c != '-' && *c != '_').flat_map(char::to_lowercase).collect()
}

/// Replaces personal values with `"[redacted]"`, cuts long strings, and bounds the whole to
/// [`MAX_PAYLOAD_BYTES`] (an oversized payload is replaced by a note of its size).
pub fn sanitise(payload: Value) -> Value {
    let clean = redact(payload);
    let size = serde_json::to_vec(&clean).map(|v| v.len()).unwrap_or(usize::MAX);
    if size <= MAX_PAYLOAD_BYTES { clean } else { serde_json::json!({ "truncated": true, "original_bytes": size }) }
}

fn redact(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let hidden = REDACTED_FIELDS.contains(&normalise(&k).as_str()) && !v.is_null();
                    let v = if hidden { Value::String("[redacted]".into()) } else { redact(v) };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        Value::String(s) if s.chars().count() > MAX_STRING_CHARS => {
            Value::String(s.chars().take(MAX_STRING_CHARS).chain(std::iter::once('…')).collect())
        }
        other => other,
    }
}

/// The dedupe rule of DESIGN.md §5: the same request, event type and provider message id within
/// the same minute is one event. Returned as a hash so the unique index stays small.
pub fn dedupe_key(
    request_id: RequestId,
    event_type: &str,
    provider_message_id: Option<&str>,
    at: DateTime<Utc>,
) -> String {
    let minute = at.with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or(at);
    let text = format!("{request_id}|{event_type}|{}|{}", provider_message_id.unwrap_or(""), minute.timestamp());
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    #[test]
    fn personal_fields_are_redacted_at_any_depth() {
        let p = json!({
            "event": "delivered",
            "email": "ann@example.com",
            "smtp-id": "<a@b>",
            "Metadata": { "Recipient": "ann@example.com", "request_id": "x" },
            "list": [{ "To": "+15551234567" }],
            "missing_email": null,
            "Email": null
        });
        let s = sanitise(p);
        assert_eq!(s["email"], "[redacted]");
        assert_eq!(s["Metadata"]["Recipient"], "[redacted]");
        assert_eq!(s["Metadata"]["request_id"], "x");
        assert_eq!(s["list"][0]["To"], "[redacted]");
        assert_eq!(s["smtp-id"], "<a@b>");
        assert_eq!(s["event"], "delivered");
        assert!(s["Email"].is_null(), "null stays null: nothing to hide");
        assert!(!s.to_string().contains("ann@"));
        assert!(!s.to_string().contains("5551234567"));
    }

    #[test]
    fn long_strings_are_cut_and_big_payloads_replaced() {
        let s = sanitise(json!({ "response": "x".repeat(1000) }));
        assert_eq!(s["response"].as_str().unwrap().chars().count(), MAX_STRING_CHARS + 1);
        let many: serde_json::Map<String, Value> =
            (0..100).map(|i| (format!("k{i}"), json!("y".repeat(200)))).collect();
        let s = sanitise(Value::Object(many));
        assert_eq!(s["truncated"], true);
        assert!(serde_json::to_vec(&s).unwrap().len() <= MAX_PAYLOAD_BYTES);
    }

    #[test]
    fn dedupe_key_is_per_minute_type_and_provider_id() {
        let id = RequestId(uuid::Uuid::nil());
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 5).unwrap();
        let k = dedupe_key(id, "delivered", Some("m1"), t);
        assert_eq!(k, dedupe_key(id, "delivered", Some("m1"), t + chrono::Duration::seconds(50)));
        assert_ne!(k, dedupe_key(id, "delivered", Some("m1"), t + chrono::Duration::seconds(60)));
        assert_ne!(k, dedupe_key(id, "opened", Some("m1"), t));
        assert_ne!(k, dedupe_key(id, "delivered", Some("m2"), t));
        assert_ne!(k, dedupe_key(id, "delivered", None, t));
        assert_ne!(k, dedupe_key(RequestId(uuid::Uuid::max()), "delivered", Some("m1"), t));
    }
}
