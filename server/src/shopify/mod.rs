//! The platform's protocols: session tokens, webhook verification and payloads, the Admin API
//! client (token exchange and refresh, GraphQL) and the app proxy signature. The app's
//! credentials live here rather than in `config` so that this layer depends on nothing above
//! it; `config` builds them.

/// Where App Bridge is served; Shopify's loader refuses to run from anywhere else.
pub const APP_BRIDGE_CDN: &str = "https://cdn.shopify.com/shopifycloud/app-bridge.js";
/// Polaris web components, stable 1.x channel (SHOPIFY-2026.md §2.1).
pub const POLARIS_CDN: &str = "https://cdn.shopify.com/shopifycloud/polaris-1.js";

pub mod admin_api;
pub mod app_config;
pub mod app_proxy;
pub mod orders;
pub mod payloads;
pub mod session_token;
pub mod throttle;
pub mod webhooks;

/// The app's Shopify credentials (`SHOPIFY_API_KEY`, `SHOPIFY_API_SECRET`, …).
#[derive(Clone)]
pub struct ShopifyCredentials {
    pub api_key: String,
    pub api_secret: String,
    /// Also accepted while a secret rotation settles.
    pub previous_api_secret: Option<String>,
    /// `SHOPIFY_ADMIN_BASE`: a stand-in for `https://<shop>` (tests).
    pub admin_base: Option<url::Url>,
    /// `SHOPIFY_APP_BRIDGE_URL`: a stand-in for Shopify's App Bridge script (tests, local fakes).
    pub app_bridge_url: Option<url::Url>,
}

impl ShopifyCredentials {
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<String>) -> Self {
        Self {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
            previous_api_secret: None,
            admin_base: None,
            app_bridge_url: None,
        }
    }

    /// The App Bridge script every embedded document loads first.
    pub fn app_bridge_src(&self) -> &str {
        self.app_bridge_url.as_ref().map_or(APP_BRIDGE_CDN, url::Url::as_str)
    }

    /// Polaris comes from Shopify's CDN, or from beside an overridden App Bridge (a test's
    /// stand-in serves both).
    pub fn polaris_src(&self) -> String {
        match &self.app_bridge_url {
            Some(u) => u.join("polaris-1.js").map_or_else(|_| POLARIS_CDN.to_owned(), String::from),
            None => POLARIS_CDN.to_owned(),
        }
    }

    /// The secrets a Shopify signature may have been made with: the current one first.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.api_secret.as_str()).chain(self.previous_api_secret.as_deref())
    }
}

impl std::fmt::Debug for ShopifyCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopifyCredentials").field("api_key", &self.api_key).finish_non_exhaustive()
    }
}
