//! Postmark webhooks (SHOPIFY.md §7.2): one JSON record per POST with a `RecordType`; no body
//! signature, so the URL carries basic-auth credentials that we check.

use super::{EventKind, ParseError, ProviderEvent, request_id_from};
use chrono::{DateTime, Utc};

/// The metadata key our emails carry (`X-PM-Metadata-reelproof_request_id`).
pub const REQUEST_ID_METADATA: &str = "reelproof_request_id";

pub fn parse(body: &[u8]) -> Result<Option<ProviderEvent>, ParseError> {
    let err = |reason: String| ParseError { provider: "postmark", reason };
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| err(format!("expected a JSON object: {e}")))?;
    let record = v.get("RecordType").and_then(|r| r.as_str()).ok_or_else(|| err("no RecordType".into()))?;
    let text = |k: &str| v.get(k).and_then(|x| x.as_str());
    let (kind, at_field) = match record {
        "Delivery" => (EventKind::Delivered, "DeliveredAt"),
        "Open" => (EventKind::Opened, "ReceivedAt"),
        "Click" => (EventKind::Clicked, "ReceivedAt"),
        "Bounce" => {
            // Soft bounces and transient types are retried by Postmark; only hard ones are final.
            let kind = text("Type").unwrap_or("Bounce");
            if !matches!(kind, "HardBounce" | "BadEmailAddress" | "ManuallyDeactivated" | "SpamNotification") {
                return Ok(None);
            }
            let description = text("Description").unwrap_or("bounced");
            (EventKind::Failed(format!("{kind}: {description}")), "BouncedAt")
        }
        "SpamComplaint" => (EventKind::Unsubscribed("postmark:SpamComplaint".into()), "BouncedAt"),
        "SubscriptionChange" if v.get("SuppressSending").and_then(|s| s.as_bool()) == Some(true) => {
            (EventKind::Unsubscribed("postmark:SubscriptionChange".into()), "ChangedAt")
        }
        _ => return Ok(None),
    };
    let at = text(at_field).and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc));
    Ok(Some(ProviderEvent {
        kind,
        request_id: request_id_from(v.get("Metadata").and_then(|m| m.get(REQUEST_ID_METADATA))),
        message_id: text("MessageID").map(str::to_owned),
        at,
        user_agent: text("UserAgent").map(str::to_owned),
        payload: v,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_map_to_canonical_kinds() {
        let id = entity::RequestId::new_v7();
        let delivery = json!({
            "RecordType": "Delivery", "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
            "Recipient": "ann@example.com", "DeliveredAt": "2026-11-23T10:00:00Z",
            "Metadata": { "reelproof_request_id": id.to_string() }
        });
        let e = parse(delivery.to_string().as_bytes()).unwrap().unwrap();
        assert_eq!(e.kind, EventKind::Delivered);
        assert_eq!(e.request_id, Some(id));
        assert_eq!(e.message_id.as_deref(), Some("883953f4-6105-42a2-a16a-77a8eac79483"));
        assert_eq!(e.at.unwrap().to_rfc3339(), "2026-11-23T10:00:00+00:00");

        let hard = json!({ "RecordType": "Bounce", "Type": "HardBounce", "Description": "The server was unable to deliver", "BouncedAt": "2026-11-23T10:00:00Z" });
        assert_eq!(
            parse(hard.to_string().as_bytes()).unwrap().unwrap().kind,
            EventKind::Failed("HardBounce: The server was unable to deliver".into())
        );
        let soft = json!({ "RecordType": "Bounce", "Type": "SoftBounce" });
        assert!(parse(soft.to_string().as_bytes()).unwrap().is_none());
        let open = json!({ "RecordType": "Open", "UserAgent": "Mozilla/5.0", "ReceivedAt": "2026-11-23T11:00:00Z" });
        let e = parse(open.to_string().as_bytes()).unwrap().unwrap();
        assert_eq!((e.kind, e.user_agent.as_deref()), (EventKind::Opened, Some("Mozilla/5.0")));
        let spam = parse(br#"{"RecordType":"SpamComplaint"}"#).unwrap().unwrap();
        assert_eq!(spam.kind, EventKind::Unsubscribed("postmark:SpamComplaint".into()));
        assert!(parse(br#"{"RecordType":"SubscriptionChange","SuppressSending":false}"#).unwrap().is_none());
        assert!(parse(b"[]").is_err());
    }
}
