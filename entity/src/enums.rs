//! Every enum stored in a column. The string values are the wire/database names and must
//! never change once rows exist (add new variants instead).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $(#[sea_orm(string_value = $value)] $variant,)+
        }

        impl $name {
            /// The stored (database and log) name of this value.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $value,)+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// `campaigns.status`.
    CampaignStatus { Draft = "draft", Active = "active", Paused = "paused", Archived = "archived" }
);
string_enum!(
    /// `campaigns.trigger`: which order moment starts the clock.
    CampaignTrigger { OrderPaid = "order_paid", OrderFulfilled = "order_fulfilled", OrderDelivered = "order_delivered" }
);
string_enum!(
    /// How a request reaches the customer (`campaigns.channel`, `testimonial_requests.channel`).
    Channel { Email = "email", Sms = "sms", Both = "both" }
);
string_enum!(
    /// `message_templates.channel`: a template is for exactly one medium.
    TemplateChannel { Email = "email", Sms = "sms" }
);
string_enum!(
    /// `message_templates.kind`.
    TemplateKind { Request = "request", Reminder = "reminder" }
);
string_enum!(
    /// `testimonial_requests.status` (DESIGN.md §4). Delivered/opened are events, not statuses.
    RequestStatus {
        Scheduled = "scheduled",
        Queued = "queued",
        Sent = "sent",
        Clicked = "clicked",
        Submitted = "submitted",
        Expired = "expired",
        Failed = "failed",
    }
);
string_enum!(
    /// `testimonial_request_events.event_type` (spec 004).
    RequestEventType {
        Scheduled = "scheduled",
        Queued = "queued",
        Sent = "sent",
        Delivered = "delivered",
        Opened = "opened",
        Clicked = "clicked",
        Submitted = "submitted",
        Failed = "failed",
        Retrying = "retrying",
        ReminderSent = "reminder_sent",
        Expired = "expired",
    }
);
string_enum!(
    /// Why a request was expired (`testimonial_requests.expire_reason`).
    ExpireReason {
        TokenExpired = "token_expired",
        OrderCancelled = "order_cancelled",
        OrderRefunded = "order_refunded",
        CampaignArchived = "campaign_archived",
        ShopUninstalled = "shop_uninstalled",
        MerchantCancelled = "merchant_cancelled",
        Unsubscribed = "unsubscribed",
    }
);
string_enum!(
    /// `testimonial_submissions.status` (DESIGN.md §4).
    SubmissionStatus { Pending = "pending", Approved = "approved", Rejected = "rejected", Archived = "archived" }
);
string_enum!(
    /// `testimonial_submissions.source`.
    SubmissionSource { Capture = "capture", Import = "import" }
);
string_enum!(
    /// `testimonial_media_assets.processing_status` (DESIGN.md §4).
    AssetStatus { Uploaded = "uploaded", Processing = "processing", Ready = "ready", Failed = "failed" }
);
string_enum!(
    /// `webhook_deliveries.source`.
    WebhookSource { Shopify = "shopify", Sendgrid = "sendgrid", Postmark = "postmark", Twilio = "twilio", Reconcile = "reconcile" }
);
string_enum!(
    /// `webhook_deliveries.status`.
    DeliveryStatus { Received = "received", Processed = "processed", Ignored = "ignored", Failed = "failed" }
);
string_enum!(
    /// `jobs.status`.
    JobStatus { Pending = "pending", Running = "running", Done = "done", Dead = "dead" }
);
string_enum!(
    /// `alerts.severity`.
    AlertSeverity { Info = "info", Warning = "warning", Critical = "critical" }
);
