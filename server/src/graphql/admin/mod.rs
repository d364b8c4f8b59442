//! The admin schema, served at `/api/graphql` behind admin authentication.

use crate::domain::settings::ShopSettings;
use crate::graphql::error::ToApiError;
use crate::services;
use crate::state::AppState;
use async_graphql::{Context, MergedObject, MergedSubscription, Object, Result, Schema, SimpleObject};
use chrono::{DateTime, Utc};
use entity::ShopId;
use uuid::Uuid;

/// A GraphQL enum mirroring an entity enum (upper case on the wire, DESIGN.md §6).
macro_rules! mirror_enum {
    ($gql:ident as $name:literal <=> $entity:ident { $($v:ident),+ $(,)? }) => {
        #[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug)]
        #[graphql(name = $name)]
        pub enum $gql { $($v),+ }
        impl From<entity::$entity> for $gql {
            fn from(v: entity::$entity) -> Self { match v { $(entity::$entity::$v => Self::$v),+ } }
        }
        impl From<$gql> for entity::$entity {
            fn from(v: $gql) -> Self { match v { $($gql::$v => Self::$v),+ } }
        }
    };
}

mod alerts;
mod analytics;
mod api_tokens;
mod campaigns;
pub mod guard;
mod media;
mod moderation;
mod privacy;
mod reconcile;
mod requests;
mod shop_settings;
mod templates;
mod testimonial_csv;

pub type AdminSchema = Schema<AdminQuery, AdminMutation, AdminSubscription>;

#[derive(MergedObject, Default)]
pub struct AdminQuery(
    ShopQuery,
    campaigns::CampaignQuery,
    privacy::PrivacyQuery,
    moderation::ModerationQuery,
    api_tokens::ApiTokenQuery,
    requests::RequestQuery,
    templates::TemplateQuery,
    alerts::AlertQuery,
    analytics::AnalyticsQuery,
    testimonial_csv::CsvQuery,
    shop_settings::CaptureCopyQuery,
);

#[derive(MergedObject, Default)]
pub struct AdminMutation(
    campaigns::CampaignMutation,
    media::MediaMutation,
    moderation::ModerationMutation,
    api_tokens::ApiTokenMutation,
    requests::RequestMutation,
    templates::TemplateMutation,
    alerts::AlertMutation,
    testimonial_csv::CsvMutation,
    reconcile::ReconcileMutation,
    shop_settings::ShopSettingsMutation,
);

#[derive(MergedSubscription, Default)]
pub struct AdminSubscription(moderation::ModerationSubscription, requests::RequestSubscription);

/// The caller's principal and the app state, which every resolver needs.
pub(crate) fn ctx<'a>(ctx: &'a Context<'_>) -> Result<(&'a AdminPrincipal, &'a AppState)> {
    Ok((ctx.data::<AdminPrincipal>()?, ctx.data::<AppState>()?))
}

/// Who is calling: set by the auth middleware from a verified credential only.
#[derive(Debug, Clone)]
pub struct AdminPrincipal {
    pub shop_id: ShopId,
    pub shop_domain: String,
    /// For audit records: `user:<id>` for staff sessions, `token:<name>` for API tokens.
    pub actor: String,
    /// What the credential allows: staff sessions may do everything; API tokens what their
    /// scopes say, and they never manage API tokens.
    pub can_write: bool,
    pub is_api_token: bool,
    /// The credential behind it, re-checked before every operation of a long-lived socket.
    pub credential: Credential,
    /// When the credential was verified.
    pub verified_at: chrono::DateTime<chrono::Utc>,
}

pub use crate::services::credentials::Credential;

/// The most a single document may cost: lists count their page size times what each row asks
/// for, so aliases cannot multiply a costly field past it.
pub const MAX_COMPLEXITY: usize = 5000;
/// What a whole-shop operation (the CSV export, an import) costs: two in one document are
/// already too many.
pub const EXPENSIVE: usize = MAX_COMPLEXITY / 2 + 1;

pub fn build_schema(state: AppState) -> AdminSchema {
    Schema::build(AdminQuery::default(), AdminMutation::default(), AdminSubscription::default())
        .data(state)
        .extension(guard::CredentialGuard)
        .extension(crate::graphql::limits::RootFieldLimit(30))
        .extension(crate::graphql::spans::OperationSpans("admin"))
        // The standard introspection query (graphql-js 16: GraphiQL, client generators) is 15
        // deep; the deepest real query is far shallower.
        .limit_depth(15)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

/// The admin API's SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(AdminQuery::default(), AdminMutation::default(), AdminSubscription::default()).finish().sdl()
}

#[derive(Default)]
pub struct ShopQuery;

#[Object]
impl ShopQuery {
    /// The calling merchant's shop.
    async fn shop(&self, context: &Context<'_>) -> Result<Shop> {
        let (principal, state) = ctx(context)?;
        let profile = services::shops::get(state.db(), principal.shop_id).await.map_err(ToApiError::to_api_error)?;
        Ok(Shop::from(profile))
    }
}

impl From<services::shops::ShopProfile> for Shop {
    fn from(profile: services::shops::ShopProfile) -> Self {
        let facts = &profile.settings.facts;
        Shop {
            id: profile.id.into_uuid(),
            name: facts.name.clone().unwrap_or_else(|| profile.domain.to_string()),
            currency: facts.currency.clone(),
            plan: facts.plan.clone(),
            domain: profile.domain.to_string(),
            installed_at: profile.installed_at,
            timezone: profile.timezone,
            send_window_start: profile.send_window_start,
            send_window_end: profile.send_window_end,
            settings: profile.settings.into(),
        }
    }
}

#[derive(SimpleObject)]
pub struct Shop {
    pub id: Uuid,
    /// The shop's name as Shopify knows it (its domain until Shopify has told us).
    pub name: String,
    /// ISO 4217, from Shopify.
    pub currency: Option<String>,
    /// The shop's Shopify plan.
    pub plan: Option<String>,
    /// `<name>.myshopify.com`.
    pub domain: String,
    pub installed_at: DateTime<Utc>,
    /// IANA time zone used for the send window.
    pub timezone: String,
    /// Local `HH:MM` start of the daily send window.
    pub send_window_start: String,
    pub send_window_end: String,
    pub settings: ShopSettingsObject,
}

#[derive(SimpleObject)]
#[graphql(name = "ShopSettings")]
pub struct ShopSettingsObject {
    pub sender_name: Option<String>,
    pub reply_to: Option<String>,
    pub brand_colour: String,
    pub logo_url: Option<String>,
    pub locale: String,
    pub default_placement_home: bool,
    pub default_placement_product: bool,
    pub auto_publish_enabled: bool,
    pub auto_publish_min_rating: i16,
    pub profanity_words: Vec<String>,
    pub alert_email: Option<String>,
    pub daily_alert_summary: bool,
    /// The merchant's "How we collect testimonials" note (`null`: the built-in one).
    pub collection_note: Option<String>,
}

impl From<ShopSettings> for ShopSettingsObject {
    fn from(s: ShopSettings) -> Self {
        Self {
            sender_name: s.sender_name,
            reply_to: s.reply_to,
            brand_colour: s.brand_colour,
            logo_url: s.logo_url,
            locale: s.locale,
            default_placement_home: s.default_placement_home,
            default_placement_product: s.default_placement_product,
            auto_publish_enabled: s.auto_publish.enabled,
            auto_publish_min_rating: s.auto_publish.min_rating,
            profanity_words: s.profanity_words,
            alert_email: s.alert_email,
            daily_alert_summary: s.daily_alert_summary,
            collection_note: s.collection_note,
        }
    }
}
