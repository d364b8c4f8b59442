//! Typed GraphQL error codes, sent in `extensions.code` so clients can branch on them.

use async_graphql::ErrorExtensions;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    Validation,
    InvalidTransition,
    Conflict,
    TokenInvalid,
    AlreadySubmitted,
    RateLimited,
    /// A dependency (the video store) is not answering: the same call may work in a minute.
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::Validation => "VALIDATION",
            Self::InvalidTransition => "INVALID_TRANSITION",
            Self::Conflict => "CONFLICT",
            Self::TokenInvalid => "TOKEN_INVALID",
            Self::AlreadySubmitted => "ALREADY_SUBMITTED",
            Self::RateLimited => "RATE_LIMITED",
            Self::Unavailable => "UNAVAILABLE",
            Self::Internal => "INTERNAL",
        }
    }
}

/// Parses a GraphQL `ID` into a typed id. Something that is not an id names no row of the
/// shop, so the answer is `NOT_FOUND` ("<what> not found"), exactly as for an unknown id.
pub fn parse_id<T: std::str::FromStr>(id: &str, what: &str) -> Result<T, async_graphql::Error> {
    id.parse().map_err(|_| api_error(ErrorCode::NotFound, format!("{what} not found")))
}

/// A Shopify product (or order) id given as an `ID`: the number, or its `gid://shopify/…/N`
/// form. Shopify's ids pass 2³¹ and JavaScript's safe integers, so the API carries them as
/// strings both ways.
pub fn parse_shopify_id(id: &str, field: &str) -> Result<i64, async_graphql::Error> {
    id.rsplit('/')
        .next()
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|p| *p > 0)
        .ok_or_else(|| api_error(ErrorCode::Validation, format!("{field}: {id:?} is not a Shopify id")))
}

/// `VALIDATION` with each field's problem in `extensions.fields` (`[{ field, message }]`), so
/// a form can show every message next to its field.
pub fn field_errors<'a>(
    summary: impl Into<String>,
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> async_graphql::Error {
    let fields: Vec<_> =
        fields.into_iter().map(|(field, message)| serde_json::json!({ "field": field, "message": message })).collect();
    api_error(ErrorCode::Validation, summary).extend_with(|_, ext| {
        ext.set("fields", async_graphql::Value::from_json(serde_json::Value::from(fields.clone())).unwrap_or_default())
    })
}

/// A GraphQL error with a code. Internal errors are logged here with their detail and sent to
/// the client without it.
pub fn api_error(code: ErrorCode, message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message.into()).extend_with(|_, ext| ext.set("code", code.as_str()))
}

/// The same coded error as a `ServerError`, for extensions that refuse an operation before
/// any resolver runs.
pub fn server_error(code: ErrorCode, message: impl Into<String>) -> async_graphql::ServerError {
    let e = api_error(code, message);
    let mut err = async_graphql::ServerError::new(e.message, None);
    err.extensions = e.extensions;
    err
}

pub fn internal(err: impl std::fmt::Display) -> async_graphql::Error {
    tracing::error!(error = %err, "internal error in a GraphQL resolver");
    api_error(ErrorCode::Internal, "internal error")
}

/// Maps a service error to a coded GraphQL error. (A blanket `From<Display>` in async-graphql
/// rules out `From` impls, so resolvers call `.map_err(ToApiError::to_api_error)`.)
pub trait ToApiError {
    fn to_api_error(self) -> async_graphql::Error;
}

impl ToApiError for crate::services::shops::ShopError {
    fn to_api_error(self) -> async_graphql::Error {
        match self {
            Self::NotFound => api_error(ErrorCode::NotFound, "shop not found"),
            other => internal(other),
        }
    }
}

impl ToApiError for crate::services::capture::CaptureError {
    fn to_api_error(self) -> async_graphql::Error {
        use crate::services::capture::CaptureError as E;
        match self {
            E::TokenInvalid => api_error(ErrorCode::TokenInvalid, self.to_string()),
            E::AlreadySubmitted => api_error(ErrorCode::AlreadySubmitted, self.to_string()),
            E::Validation(m) => api_error(ErrorCode::Validation, m),
            E::ShopBusy => api_error(ErrorCode::RateLimited, self.to_string()),
            E::Storage(e) => {
                tracing::warn!(error = %e, "the media store failed a capture call");
                api_error(ErrorCode::Unavailable, "the video store is not answering; please try again in a minute")
            }
            other => internal(other),
        }
    }
}

impl ToApiError for crate::services::media::AssetError {
    fn to_api_error(self) -> async_graphql::Error {
        use crate::services::media::AssetError as E;
        match self {
            E::NotFound => api_error(ErrorCode::NotFound, "media asset not found"),
            E::Invalid(e) => {
                api_error(ErrorCode::InvalidTransition, format!("only a failed asset can be reprocessed ({e})"))
            }
            E::Conflict => api_error(ErrorCode::Conflict, "the asset changed meanwhile; reload and try again"),
            E::Database(e) => internal(e),
        }
    }
}
