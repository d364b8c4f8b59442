//! Twilio SMS status callbacks (SHOPIFY.md §7.4): form-encoded, signed with
//! `X-Twilio-Signature` = base64(HMAC-SHA1(auth token, full URL + sorted name/value pairs)).
//! Our send sets the callback URL with `?request_id=…`, which the signature covers.

use super::{EventKind, ProviderEvent};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};

pub const SIGNATURE_HEADER: &str = "x-twilio-signature";

/// The signature Twilio computes for a callback to `url` with these form parameters.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key length");
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], given: Option<&str>) -> bool {
    given.is_some_and(|g| {
        crate::domain::tokens::constant_time_eq(signature(auth_token, url, params).as_bytes(), g.as_bytes())
    })
}

/// Maps a status callback; statuses on the way (`queued`, `sending`, `sent`) add nothing.
pub fn parse(params: &[(String, String)], request_id: Option<entity::RequestId>) -> Option<ProviderEvent> {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let kind = match get("MessageStatus").or_else(|| get("SmsStatus"))? {
        "delivered" | "read" => EventKind::Delivered,
        s @ ("failed" | "undelivered" | "canceled") => {
            let code = get("ErrorCode").map(|c| format!(" (Twilio error {c})")).unwrap_or_default();
            EventKind::Failed(format!("SMS {s}{code}"))
        }
        _ => return None,
    };
    let payload: serde_json::Map<String, serde_json::Value> =
        params.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
    Some(ProviderEvent {
        kind,
        request_id,
        message_id: get("MessageSid").map(str::to_owned),
        at: None,
        user_agent: None,
        payload: serde_json::Value::Object(payload),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn documented_vector() {
        // SHOPIFY.md §7.4, from Twilio's webhook security page.
        let params = p(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(signature("12345", url, &params), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        assert!(verify("12345", url, &params, Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ=")));
        assert!(!verify("12346", url, &params, Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ=")));
        assert!(!verify(
            "12345",
            "https://mycompany.com/myapp.php?foo=1",
            &params,
            Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
        ));
        assert!(!verify("12345", url, &params, None));
    }

    #[test]
    fn statuses_map_to_canonical_kinds() {
        let id = entity::RequestId::new_v7();
        let e = parse(&p(&[("MessageSid", "SM1"), ("MessageStatus", "delivered")]), Some(id)).unwrap();
        assert_eq!((e.kind, e.request_id, e.message_id.as_deref()), (EventKind::Delivered, Some(id), Some("SM1")));
        let e = parse(&p(&[("MessageSid", "SM1"), ("MessageStatus", "undelivered"), ("ErrorCode", "30003")]), None)
            .unwrap();
        assert_eq!(e.kind, EventKind::Failed("SMS undelivered (Twilio error 30003)".into()));
        assert!(parse(&p(&[("MessageSid", "SM1"), ("MessageStatus", "sent")]), None).is_none());
        assert!(parse(&p(&[("MessageSid", "SM1")]), None).is_none());
    }
}
