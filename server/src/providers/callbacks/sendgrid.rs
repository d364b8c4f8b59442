//! SendGrid's signed Event Webhook (SHOPIFY.md §7.1): a JSON array of events, signed with
//! ECDSA P-256 / SHA-256 over `timestamp header + raw body`; the public key is the base64 DER
//! SubjectPublicKeyInfo shown in SendGrid's settings.

use super::{EventKind, ParseError, ProviderEvent, request_id_from};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};

pub const SIGNATURE_HEADER: &str = "x-twilio-email-event-webhook-signature";
pub const TIMESTAMP_HEADER: &str = "x-twilio-email-event-webhook-timestamp";
/// The custom argument our emails carry (`X-SMTPAPI` unique_args); SendGrid echoes it as a
/// top-level field of every event.
pub const REQUEST_ID_ARG: &str = "reelproof_request_id";

/// DER prefix of a P-256 SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { id-ecPublicKey,
/// prime256v1 }, BIT STRING (uncompressed point follows) }.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SENDGRID_WEBHOOK_PUBLIC_KEY is not a base64 DER P-256 public key")]
pub struct BadPublicKey;

/// The verification key, parsed once at start-up.
#[derive(Clone)]
pub struct PublicKey(Vec<u8>);

impl PublicKey {
    pub fn from_base64_der(text: &str) -> Result<Self, BadPublicKey> {
        let der = STANDARD.decode(text.trim()).map_err(|_| BadPublicKey)?;
        let point = der.strip_prefix(&P256_SPKI_PREFIX[..]).ok_or(BadPublicKey)?;
        if point.len() != 65 || point[0] != 0x04 {
            return Err(BadPublicKey);
        }
        Ok(Self(point.to_vec()))
    }

    /// The SubjectPublicKeyInfo of an uncompressed P-256 point (what SendGrid displays).
    pub fn spki_base64(point: &[u8]) -> String {
        STANDARD.encode([&P256_SPKI_PREFIX[..], point].concat())
    }

    pub fn verify(&self, signature_b64: Option<&str>, timestamp: Option<&str>, body: &[u8]) -> bool {
        let (Some(sig), Some(ts)) = (signature_b64, timestamp) else {
            return false;
        };
        let Ok(sig) = STANDARD.decode(sig.trim()) else {
            return false;
        };
        let signed = [ts.as_bytes(), body].concat();
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, &self.0)
            .verify(&signed, &sig)
            .is_ok()
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sendgrid::PublicKey")
    }
}

pub fn parse(body: &[u8]) -> Result<Vec<ProviderEvent>, ParseError> {
    let err = |reason: String| ParseError { provider: "sendgrid", reason };
    let items: Vec<serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| err(format!("expected a JSON array of events: {e}")))?;
    let mut out = Vec::new();
    for item in items {
        let kind = match item.get("event").and_then(|v| v.as_str()).unwrap_or_default() {
            "delivered" => EventKind::Delivered,
            "open" => EventKind::Opened,
            "click" => EventKind::Clicked,
            "bounce" | "dropped" => {
                let reason = ["reason", "type", "status"]
                    .iter()
                    .filter_map(|k| item.get(*k).and_then(|v| v.as_str()))
                    .collect::<Vec<_>>()
                    .join(" ");
                EventKind::Failed(if reason.is_empty() { "bounced".into() } else { format!("bounced: {reason}") })
            }
            s @ ("unsubscribe" | "group_unsubscribe" | "spamreport") => {
                EventKind::Unsubscribed(format!("sendgrid:{s}"))
            }
            // processed, deferred (SendGrid keeps retrying) and resubscribes do not change a
            // request's timeline.
            _ => continue,
        };
        let at = item.get("timestamp").and_then(|v| v.as_i64()).and_then(|t| DateTime::<Utc>::from_timestamp(t, 0));
        // `smtp-id` is the Message-ID header we set; `sg_message_id` starts with SendGrid's own.
        let message_id = item.get("smtp-id").and_then(|v| v.as_str()).map(str::to_owned);
        let user_agent = item.get("useragent").and_then(|v| v.as_str()).map(str::to_owned);
        out.push(ProviderEvent {
            kind,
            request_id: request_id_from(item.get(REQUEST_ID_ARG)),
            message_id,
            at,
            user_agent,
            payload: item,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

    fn keypair() -> (EcdsaKeyPair, PublicKey) {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let kp = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        let public = PublicKey::from_base64_der(&PublicKey::spki_base64(kp.public_key().as_ref())).unwrap();
        (kp, public)
    }

    fn sign(kp: &EcdsaKeyPair, ts: &str, body: &[u8]) -> String {
        STANDARD.encode(kp.sign(&SystemRandom::new(), &[ts.as_bytes(), body].concat()).unwrap())
    }

    #[test]
    fn a_signature_over_timestamp_and_body_verifies() {
        let (kp, key) = keypair();
        let body = br#"[{"event":"delivered"}]"#;
        let sig = sign(&kp, "1700000000", body);
        assert!(key.verify(Some(&sig), Some("1700000000"), body));
        assert!(!key.verify(Some(&sig), Some("1700000001"), body), "timestamp is signed");
        assert!(!key.verify(Some(&sig), Some("1700000000"), br#"[{"event":"open"}]"#), "body is signed");
        assert!(!key.verify(None, Some("1700000000"), body));
        assert!(!key.verify(Some("not base64!"), Some("1700000000"), body));
        let (_, other) = keypair();
        assert!(!other.verify(Some(&sig), Some("1700000000"), body), "another key");
    }

    #[test]
    fn a_public_key_must_be_p256_spki() {
        assert_eq!(PublicKey::from_base64_der("nonsense").unwrap_err(), BadPublicKey);
        assert_eq!(PublicKey::from_base64_der(&STANDARD.encode([0u8; 91])).unwrap_err(), BadPublicKey);
    }

    #[test]
    fn events_map_to_canonical_kinds() {
        let id = entity::RequestId::new_v7();
        let body = serde_json::json!([
            { "event": "processed", "email": "a@example.com", "timestamp": 1700000000 },
            { "event": "delivered", "email": "a@example.com", "timestamp": 1700000001, "smtp-id": "<x@y>", "reelproof_request_id": id.to_string(), "sg_event_id": "e1" },
            { "event": "open", "timestamp": 1700000002, "useragent": "Mozilla/5.0", "sg_event_id": "e2" },
            { "event": "click", "timestamp": 1700000003, "url": "https://x/t/abc", "sg_event_id": "e3" },
            { "event": "bounce", "timestamp": 1700000004, "reason": "550 5.1.1 no such user", "type": "bounce" },
            { "event": "deferred", "timestamp": 1700000005 },
            { "event": "spamreport", "timestamp": 1700000006 }
        ]);
        let events = parse(body.to_string().as_bytes()).unwrap();
        let kinds: Vec<_> = events.iter().map(|e| e.kind.clone()).collect();
        assert_eq!(
            kinds,
            [
                EventKind::Delivered,
                EventKind::Opened,
                EventKind::Clicked,
                EventKind::Failed("bounced: 550 5.1.1 no such user bounce".into()),
                EventKind::Unsubscribed("sendgrid:spamreport".into())
            ]
        );
        assert_eq!(events[0].request_id, Some(id));
        assert_eq!(events[0].message_id.as_deref(), Some("<x@y>"));
        assert_eq!(events[0].at.unwrap().timestamp(), 1700000001);
        assert_eq!(events[1].user_agent.as_deref(), Some("Mozilla/5.0"));
        assert!(parse(b"{}").is_err());
    }
}
