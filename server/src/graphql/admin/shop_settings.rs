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
    /// "How we collect testimonials" under the storefront block (at most 600 characters);
    /// `null` goes back to the built-in note, an empty text shows none.
    pub collection_note: MaybeUndefined<String>,
}

fn optional(v: MaybeUndefined<String>) -> Option<Option<String>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(s) => Some(Some(s)),
    }
}

/// One text of the capture page in one language: ours, and the merchant's if they wrote one.
#[derive(async_graphql::SimpleObject)]
pub struct CaptureText {
    pub key: String,
    /// What the page shows.
    pub text: String,
    /// Ours, in this language.
    pub default_text: String,
    pub overridden: bool,
}

#[derive(Default)]
pub struct CaptureCopyQuery;

#[Object]
impl CaptureCopyQuery {
    /// Every text of the customer's capture page in `locale` (en, fr, de, es, it, nl, pt).
    async fn capture_texts(&self, context: &Context<'_>, locale: String) -> Result<Vec<CaptureText>> {
        let (p, state) = ctx(context)?;
        let shop = crate::services::shops::get(state.db(), p.shop_id).await.map_err(ToApiError::to_api_error)?;
        let mine = shop.settings.capture_copy.get(&locale);
        let ours = crate::domain::capture_copy::copy(&locale, None);
        let shown = crate::domain::capture_copy::copy(&locale, mine);
        Ok(ours
            .into_iter()
            .map(|(key, default_text)| {
                let text = shown.get(key).cloned().unwrap_or_default();
                CaptureText { key: key.to_owned(), overridden: text != default_text, text, default_text }
            })
            .collect())
    }
}

#[derive(Default)]
pub struct ShopSettingsMutation;

#[Object]
impl ShopSettingsMutation {
    /// The merchant's own wording of one capture-page text in one language; `null` goes back to
    /// ours. Keys are those of `captureTexts`.
    async fn set_capture_text(
        &self,
        context: &Context<'_>,
        locale: String,
        key: String,
        text: Option<String>,
    ) -> Result<Vec<CaptureText>> {
        use crate::services::shops::CaptureCopyError as E;
        let (p, state) = ctx(context)?;
        match crate::services::shops::set_capture_text(state.db(), p.shop_id, &locale, &key, text).await {
            Ok(()) => CaptureCopyQuery.capture_texts(context, locale).await,
            Err(E::Shop(e)) => Err(e.to_api_error()),
            Err(e @ (E::UnknownKey(_) | E::UnknownLocale)) => Err(field_errors(
                e.to_string(),
                [(if matches!(e, E::UnknownLocale) { "locale" } else { "key" }, e.to_string().as_str())],
            )),
            Err(e @ E::TooLong) => Err(field_errors(e.to_string(), [("text", e.to_string().as_str())])),
        }
    }

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
            collection_note: match input.collection_note {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(s) => Some(Some(s)),
            },
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
