//! Shopify session tokens (App Bridge "ID tokens"), SHOPIFY.md §3.1.
//!
//! A JWT signed HS256 with the app's client secret; `aud` is our API key, `dest` the shop URL,
//! `iss` the shop's admin URL; lifetime one minute; we allow 10 s of clock skew like Shopify's
//! own library. The shop is taken from the verified `dest`, never from a request argument.

use crate::domain::shop_domain::ShopDomain;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

/// Seconds of clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 10;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub dest: String,
    pub aud: String,
    #[serde(default)]
    pub sub: Option<String>,
    pub exp: i64,
    pub nbf: i64,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub jti: Option<String>,
    #[serde(default)]
    pub sid: Option<String>,
}

/// A verified session: which shop, and which staff user (when Shopify says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSession {
    pub shop: ShopDomain,
    pub user_id: Option<String>,
    /// The token's `exp` (Unix seconds).
    pub expires_at: i64,
}

/// Why a token was refused. The variants are for logs and metrics; clients only ever see
/// "invalid session token" so that a probe learns nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionTokenError {
    #[error("session token expired")]
    Expired,
    #[error("session token not yet valid")]
    NotYetValid,
    #[error("session token signature invalid")]
    BadSignature,
    #[error("session token is for another app")]
    WrongAudience,
    #[error("session token malformed: {0}")]
    Malformed(String),
    #[error("session token dest is not a shop: {0}")]
    BadDestination(String),
    #[error("session token iss and dest name different shops")]
    IssuerMismatch,
}

/// Verifies signature, algorithm, `aud`, `exp`/`nbf` (with leeway) and that `iss` and `dest`
/// name the same shop.
pub fn verify(token: &str, api_key: &str, api_secret: &str) -> Result<VerifiedSession, SessionTokenError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[api_key]);
    validation.set_required_spec_claims(&["exp", "nbf", "aud"]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECS;
    let data = jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(api_secret.as_bytes()), &validation)
        .map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => SessionTokenError::Expired,
            ErrorKind::ImmatureSignature => SessionTokenError::NotYetValid,
            ErrorKind::InvalidSignature => SessionTokenError::BadSignature,
            ErrorKind::InvalidAudience => SessionTokenError::WrongAudience,
            other => SessionTokenError::Malformed(format!("{other:?}")),
        })?;
    let claims = data.claims;
    let shop = ShopDomain::from_url(&claims.dest).map_err(|e| SessionTokenError::BadDestination(e.to_string()))?;
    let issuer = ShopDomain::from_url(&claims.iss).map_err(|_| SessionTokenError::IssuerMismatch)?;
    if issuer != shop {
        return Err(SessionTokenError::IssuerMismatch);
    }
    Ok(VerifiedSession { shop, user_id: claims.sub, expires_at: claims.exp })
}

/// Mints a token exactly as Shopify would. Used by dev mode (which has no Shopify admin to
/// mint them) and by tests; production never calls it with a real shop.
pub fn mint(api_key: &str, api_secret: &str, shop: &ShopDomain, iat: i64, ttl_secs: i64) -> String {
    let claims = Claims {
        iss: format!("{}/admin", shop.url()),
        dest: shop.url(),
        aud: api_key.to_owned(),
        sub: Some("1".into()),
        exp: iat + ttl_secs,
        nbf: iat,
        iat: Some(iat),
        jti: Some(uuid::Uuid::new_v4().to_string()),
        sid: Some(uuid::Uuid::new_v4().simple().to_string()),
    };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(api_secret.as_bytes()))
        .expect("HS256 encoding with an in-memory key cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "app-key";
    const SECRET: &str = "app-secret";

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn shop() -> ShopDomain {
        ShopDomain::parse("demo.myshopify.com").unwrap()
    }

    fn sign(claims: &serde_json::Value, secret: &str, alg: Algorithm) -> String {
        jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    }

    fn claims(iat: i64) -> serde_json::Value {
        serde_json::json!({
            "iss": "https://demo.myshopify.com/admin", "dest": "https://demo.myshopify.com",
            "aud": KEY, "sub": "42", "exp": iat + 60, "nbf": iat, "iat": iat, "jti": "x", "sid": "y"
        })
    }

    #[test]
    fn a_fresh_token_yields_its_shop_and_user() {
        let iat = now();
        let v = verify(&sign(&claims(iat), SECRET, Algorithm::HS256), KEY, SECRET).unwrap();
        assert_eq!(v, VerifiedSession { shop: shop(), user_id: Some("42".into()), expires_at: iat + 60 });
        let minted = mint(KEY, SECRET, &shop(), now(), 60);
        assert_eq!(verify(&minted, KEY, SECRET).unwrap().shop, shop());
    }

    #[test]
    fn expiry_and_not_before_allow_ten_seconds_of_skew_and_no_more() {
        let t = now();
        assert!(verify(&mint(KEY, SECRET, &shop(), t - 65, 60), KEY, SECRET).is_ok(), "5 s past exp");
        assert_eq!(verify(&mint(KEY, SECRET, &shop(), t - 90, 60), KEY, SECRET), Err(SessionTokenError::Expired));
        assert!(verify(&mint(KEY, SECRET, &shop(), t + 5, 60), KEY, SECRET).is_ok(), "nbf 5 s ahead");
        assert_eq!(verify(&mint(KEY, SECRET, &shop(), t + 30, 60), KEY, SECRET), Err(SessionTokenError::NotYetValid));
    }

    #[test]
    fn wrong_secret_audience_or_algorithm_is_refused() {
        let t = now();
        assert_eq!(
            verify(&sign(&claims(t), "other", Algorithm::HS256), KEY, SECRET),
            Err(SessionTokenError::BadSignature)
        );
        assert_eq!(
            verify(&mint("other-app", SECRET, &shop(), t, 60), KEY, SECRET),
            Err(SessionTokenError::WrongAudience)
        );
        assert!(verify(&sign(&claims(t), SECRET, Algorithm::HS512), KEY, SECRET).is_err(), "alg pinned to HS256");
        // alg=none: a header-only token with no signature.
        let parts: Vec<_> = sign(&claims(t), SECRET, Algorithm::HS256).split('.').map(str::to_owned).collect();
        let none_header =
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, r#"{"alg":"none","typ":"JWT"}"#);
        assert!(verify(&format!("{none_header}.{}.", parts[1]), KEY, SECRET).is_err());
        assert!(verify("garbage", KEY, SECRET).is_err());
    }

    #[test]
    fn dest_must_be_a_shop_and_match_the_issuer() {
        let t = now();
        let mut c = claims(t);
        c["dest"] = "https://evil.example.com".into();
        assert!(matches!(
            verify(&sign(&c, SECRET, Algorithm::HS256), KEY, SECRET),
            Err(SessionTokenError::BadDestination(_))
        ));
        let mut c = claims(t);
        c["iss"] = "https://other.myshopify.com/admin".into();
        assert_eq!(verify(&sign(&c, SECRET, Algorithm::HS256), KEY, SECRET), Err(SessionTokenError::IssuerMismatch));
        let mut c = claims(t);
        c.as_object_mut().unwrap().remove("exp");
        assert!(verify(&sign(&c, SECRET, Algorithm::HS256), KEY, SECRET).is_err(), "exp is required");
    }
}
