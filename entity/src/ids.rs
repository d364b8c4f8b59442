//! Typed ids: one type per table whose rows are named by id in a function signature.
//!
//! A bare `Uuid` lets `get(db, shop_id, campaign_id)` compile with the two arguments swapped;
//! a forgotten or swapped shop id is a cross-tenant read. With one type per id the compiler
//! refuses the swap. The types are stored as the same UUID columns (sea-orm's
//! `DeriveValueType`), serialize as the bare UUID string (`serde(transparent)`), and print as
//! it, so the schema, job payloads, live events and GraphQL ids are unchanged.
//!
//! Rows that nothing names by id (daily rollups, suppressions, cancellations, exports, webhook
//! deliveries, moderation log entries) keep a plain `Uuid` primary key.

use sea_orm::DeriveValueType;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[doc = $doc:literal])* $name:ident) => {
        $(#[doc = $doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, DeriveValueType, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered id (UUID v7), like every primary key in the schema.
            pub fn new_v7() -> Self {
                Self(Uuid::now_v7())
            }

            /// The UUID itself, for the edges that speak plain UUIDs (URLs, keys, payloads).
            pub fn into_uuid(self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        // A primary key type must say how to come from an auto-increment value; ours never do.
        impl sea_orm::TryFromU64 for $name {
            fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
                Err(sea_orm::DbErr::ConvertFromU64(stringify!($name)))
            }
        }
    };
}

typed_id!(
    /// A shop (tenant): `shops.id`, and `shop_id` in every other table.
    ShopId
);
typed_id!(
    /// `campaigns.id`.
    CampaignId
);
typed_id!(
    /// `testimonial_requests.id`: one product of one order, asked once.
    RequestId
);
typed_id!(
    /// `testimonial_request_events.id`: one entry of a request's timeline.
    RequestEventId
);
typed_id!(
    /// `testimonial_submissions.id`: a testimonial.
    SubmissionId
);
typed_id!(
    /// `testimonial_media_assets.id`: a testimonial's video.
    AssetId
);
typed_id!(
    /// `message_templates.id`.
    TemplateId
);
typed_id!(
    /// `alerts.id`.
    AlertId
);
typed_id!(
    /// `api_tokens.id`.
    ApiTokenId
);
typed_id!(
    /// `jobs.id`.
    JobId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_and_parse_as_the_bare_uuid() {
        let id = ShopId::new_v7();
        assert_eq!(id.to_string(), id.0.to_string());
        assert_eq!(id.to_string().parse::<ShopId>().unwrap(), id);
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{}\"", id.0));
        assert!("not-a-uuid".parse::<CampaignId>().is_err());
    }

    #[test]
    fn new_ids_are_uuid_v7() {
        assert_eq!(RequestId::new_v7().0.get_version_num(), 7);
    }
}
