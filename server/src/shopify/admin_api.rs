//! The shops' Admin API (SHOPIFY.md §3.2, §3.3, §5.1): token exchange for an expiring offline
//! access token, its refresh, and GraphQL calls with it — the one client every Admin API call
//! of the server goes through, paced by the calculated query cost (`throttle`), retrying
//! `THROTTLED` answers and passing failures with backoff. Plain HTTPS JSON through reqwest on
//! the process's ring-based rustls.

use super::ShopifyCredentials;
use super::throttle::{Throttle, ThrottleStatus};
use crate::domain::shop_domain::ShopDomain;
use serde::Deserialize;
use std::time::Duration;

/// The Admin API version every call names.
pub const API_VERSION: &str = "2026-10";

#[derive(Debug, thiserror::Error)]
pub enum AdminApiError {
    /// Shopify refused the credential (an old session token, a revoked or expired token): the
    /// merchant must open the app again.
    #[error("Shopify refused the credential: {0}")]
    Unauthorized(String),
    /// The token works but lacks a scope (403, `ACCESS_DENIED`): the merchant must approve the
    /// app's new access; retrying cannot help.
    #[error("the app lacks access: {0}")]
    Forbidden(String),
    /// Throttled, or a passing failure: try again later.
    #[error("try again later: {0}")]
    Passing(String),
    #[error("Shopify answered: {0}")]
    Failed(String),
}

/// What the token endpoint grants (offline, expiring). Its `Debug` shows no token.
#[derive(Clone, Deserialize)]
pub struct TokenGrant {
    pub access_token: String,
    pub scope: Option<String>,
    pub expires_in: Option<i64>,
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenGrant").field("scope", &self.scope).field("expires_in", &self.expires_in).finish()
    }
}

pub struct AdminApi<'a> {
    creds: &'a ShopifyCredentials,
    http: reqwest::Client,
}

impl<'a> AdminApi<'a> {
    pub fn new(creds: &'a ShopifyCredentials) -> Self {
        // One client (and its connection pool) for the process: every Admin API call goes
        // through here, and a client per call would open a new TLS connection each time.
        static HTTP: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
        let http = HTTP
            .get_or_init(|| {
                crate::providers::install_crypto_provider();
                reqwest::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .expect("an HTTP client builds")
            })
            .clone();
        Self { creds, http }
    }

    fn url(&self, shop: &ShopDomain, path: &str) -> String {
        match &self.creds.admin_base {
            Some(base) => format!("{}/{}{path}", base.as_str().trim_end_matches('/'), shop.as_str()),
            None => format!("https://{}{path}", shop.as_str()),
        }
    }

    async fn token_request(&self, shop: &ShopDomain, form: &[(&str, &str)]) -> Result<TokenGrant, AdminApiError> {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let resp = self
            .http
            .post(self.url(shop, "/admin/oauth/access_token"))
            .header("accept", "application/json")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| AdminApiError::Passing(format!("token endpoint unreachable: {e}")))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if status.is_success() {
            return serde_json::from_str(&text)
                .map_err(|e| AdminApiError::Failed(format!("unreadable token answer: {e}")));
        }
        let short: String = text.chars().take(200).collect();
        Err(if status.is_server_error() || status.as_u16() == 429 {
            AdminApiError::Passing(format!("{status}: {short}"))
        } else {
            AdminApiError::Unauthorized(format!("{status}: {short}"))
        })
    }

    /// Trades an App Bridge session token for an expiring offline access token.
    pub async fn exchange(&self, shop: &ShopDomain, session_token: &str) -> Result<TokenGrant, AdminApiError> {
        self.token_request(
            shop,
            &[
                ("client_id", &self.creds.api_key),
                ("client_secret", &self.creds.api_secret),
                ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"),
                ("subject_token", session_token),
                ("subject_token_type", "urn:ietf:params:oauth:token-type:id_token"),
                ("requested_token_type", "urn:shopify:params:oauth:token-type:offline-access-token"),
                ("expiring", "1"),
            ],
        )
        .await
    }

    /// A new access token (and refresh token) for an expired one.
    pub async fn refresh(&self, shop: &ShopDomain, refresh_token: &str) -> Result<TokenGrant, AdminApiError> {
        self.token_request(
            shop,
            &[
                ("client_id", &self.creds.api_key),
                ("client_secret", &self.creds.api_secret),
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    /// One GraphQL call; its `data`. Waits for the shop's bucket to hold the query's cost,
    /// retries `THROTTLED` answers (after the time the bucket needs), 5xx and network failures
    /// (with backoff, a few times); 401 means the token no longer works, 403 or `ACCESS_DENIED`
    /// a missing scope.
    pub async fn graphql(
        &self,
        shop: &ShopDomain,
        access_token: &str,
        query: &str,
        variables: serde_json::Value,
    ) -> Result<serde_json::Value, AdminApiError> {
        const ATTEMPTS: u32 = 6;
        let throttle = Throttle::global();
        let mut last = AdminApiError::Passing("no attempt".into());
        for attempt in 0..ATTEMPTS {
            let waited = std::time::Instant::now();
            let permit = throttle.acquire(shop.as_str(), query).await;
            metrics::histogram!("reelproof_admin_api_throttle_wait_seconds").record(waited.elapsed().as_secs_f64());
            let answer = self.graphql_once(shop, access_token, query, &variables).await;
            let (status, requested) = match &answer {
                Ok(body) => ThrottleStatus::from_extensions(body),
                Err(_) => (None, None),
            };
            throttle.finish(permit, status, requested);
            let outcome = answer.and_then(read_data);
            let pause = match &outcome {
                Err(AdminApiError::Passing(m)) if m.starts_with("throttled") => Throttle::backoff(status, requested),
                Err(AdminApiError::Passing(_)) => Duration::from_millis(250 * 2u64.pow(attempt)),
                _ => {
                    let label = match &outcome {
                        Ok(_) => "ok",
                        Err(AdminApiError::Unauthorized(_)) => "unauthorized",
                        Err(AdminApiError::Forbidden(_)) => "forbidden",
                        Err(_) => "failed",
                    };
                    metrics::counter!("reelproof_admin_api_calls_total", "outcome" => label).increment(1);
                    return outcome;
                }
            };
            metrics::counter!("reelproof_admin_api_calls_total", "outcome" => "retried").increment(1);
            if let Err(e) = outcome {
                last = e;
            }
            if attempt + 1 < ATTEMPTS {
                tokio::time::sleep(pause).await;
            }
        }
        Err(last)
    }

    /// One request; the whole answer body.
    async fn graphql_once(
        &self,
        shop: &ShopDomain,
        access_token: &str,
        query: &str,
        variables: &serde_json::Value,
    ) -> Result<serde_json::Value, AdminApiError> {
        let resp = self
            .http
            .post(self.url(shop, &format!("/admin/api/{API_VERSION}/graphql.json")))
            .header("X-Shopify-Access-Token", access_token)
            .json(&serde_json::json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(|e| AdminApiError::Passing(format!("Admin API unreachable: {e}")))?;
        let status = resp.status();
        if status == 401 {
            return Err(AdminApiError::Unauthorized(status.to_string()));
        }
        if status == 403 {
            return Err(AdminApiError::Forbidden(status.to_string()));
        }
        if status.is_server_error() || status == 429 {
            return Err(AdminApiError::Passing(status.to_string()));
        }
        resp.json().await.map_err(|e| AdminApiError::Failed(format!("unreadable answer ({status}): {e}")))
    }
}

/// The `data` of an answer, or its errors as the matching failure.
fn read_data(body: serde_json::Value) -> Result<serde_json::Value, AdminApiError> {
    if let Some(errors) = body.get("errors").and_then(|e| e.as_array()).filter(|e| !e.is_empty()) {
        let code = |c: &str| errors.iter().any(|e| e.pointer("/extensions/code").and_then(|v| v.as_str()) == Some(c));
        let text = errors.iter().filter_map(|e| e["message"].as_str()).collect::<Vec<_>>().join("; ");
        return Err(if code("THROTTLED") {
            AdminApiError::Passing(format!("throttled: {text}"))
        } else if code("ACCESS_DENIED") {
            AdminApiError::Forbidden(text)
        } else {
            AdminApiError::Failed(text)
        });
    }
    Ok(body.get("data").cloned().unwrap_or_default())
}
