//! The shop's profile: sender name and reply-to, branding, language, time zone and send
//! window.

use super::{Shop, ctx};
use crate::domain::settings::ProfileChange;
use crate::graphql::error::{ToApiError, field_errors};
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result};

/// Every field optional: only what is given changes; `null` removes an optional value.
#[derive(InputObject)]
pub struct ShopSettingsInput {
    /// The name customers see messages come from (at most 100 characters).
    pub sender_name: MaybeUndefined<String>,
    /// Where customers' replies go.
    pub reply_to: MaybeUndefined<String>,
    /// `#rgb` or `#rrggbb`: buttons and accents on the capture page and in emails.
    pub brand_colour: Option<String>,
    /// An `https://` image address.
    pub logo_url: MaybeUndefined<String>,
    /// The shop's default language (a BCP 47 tag such as `en` or `pt-BR`).
    pub locale: Option<String>,
    /// IANA time zone of the send window (e.g. `Europe/Paris`).
    pub timezone: Option<String>,
    /// Local `HH:MM`; equal start and end mean "any time".
    pub send_window_start: Option<String>,
    pub send_window_end: Option<String>,
}

fn optional(v: MaybeUndefined<String>) -> Option<Option<String>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(s) => Some(Some(s)),
    }
}

#[derive(Default)]
pub struct ShopSettingsMutation;

#[Object]
impl ShopSettingsMutation {
    /// Changes the shop's profile. Every field is checked first: one bad field changes nothing,
    /// and the `VALIDATION` error lists each problem in `extensions.fields`.
    async fn update_shop_settings(&self, context: &Context<'_>, input: ShopSettingsInput) -> Result<Shop> {
        let (p, state) = ctx(context)?;
        let change = ProfileChange {
            sender_name: optional(input.sender_name),
            reply_to: optional(input.reply_to),
            brand_colour: input.brand_colour,
            logo_url: optional(input.logo_url),
            locale: input.locale,
            timezone: input.timezone,
            send_window_start: input.send_window_start,
            send_window_end: input.send_window_end,
        };
        match crate::services::shops::update_profile(state.db(), p.shop_id, change).await {
            Ok(Ok(profile)) => Ok(Shop::from(profile)),
            Ok(Err(errors)) => {
                Err(field_errors("some settings are not valid", errors.iter().map(|e| (e.field, e.message.as_str()))))
            }
            Err(e) => Err(e.to_api_error()),
        }
    }
}
