//! The one error model: what the server puts in `errors[0]` — a message, `extensions.code`,
//! and for validation errors the fields (`extensions.fields`) or CSV rows (`extensions.rows`)
//! at fault — plus the failures of the way there (network, session).

use serde::Deserialize;

/// `extensions.code`, as the server's `graphql::error::ErrorCode` writes it, plus the client's
/// own `Network` (no answer, or an answer that is not GraphQL).
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// A dependency of the server is down for a moment; the same call may work later.
    Unavailable,
    Internal,
    Network,
    /// A code this build does not know (a newer server).
    Other(String),
}

impl ErrorCode {
    pub fn parse(code: &str) -> Self {
        match code {
            "UNAUTHENTICATED" => Self::Unauthenticated,
            "FORBIDDEN" => Self::Forbidden,
            "NOT_FOUND" => Self::NotFound,
            "VALIDATION" => Self::Validation,
            "INVALID_TRANSITION" => Self::InvalidTransition,
            "CONFLICT" => Self::Conflict,
            "TOKEN_INVALID" => Self::TokenInvalid,
            "ALREADY_SUBMITTED" => Self::AlreadySubmitted,
            "RATE_LIMITED" => Self::RateLimited,
            "UNAVAILABLE" => Self::Unavailable,
            "INTERNAL" => Self::Internal,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// One invalid input field: `field` is the input's name as the API spells it (`delayDays`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// One problem in an imported CSV: its line (1 is the header), column and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RowError {
    pub line: u64,
    #[serde(default)]
    pub column: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    /// A sentence for people: the server writes its messages for merchants and customers.
    pub message: String,
    pub fields: Vec<FieldError>,
    pub rows: Vec<RowError>,
}

impl ApiError {
    pub fn network(detail: impl std::fmt::Display) -> Self {
        Self {
            code: ErrorCode::Network,
            message: format!("We could not reach Reelproof ({detail}). Check your connection and try again."),
            fields: Vec::new(),
            rows: Vec::new(),
        }
    }

    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), fields: Vec::new(), rows: Vec::new() }
    }

    /// The message for one input field, if the server named it.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|f| f.field == name).map(|f| f.message.as_str())
    }

    /// The first error of a GraphQL answer.
    pub(crate) fn from_graphql(e: graphql_client::Error) -> Self {
        let ext = e.extensions.unwrap_or_default();
        let code = ext.get("code").and_then(|c| c.as_str()).map(ErrorCode::parse).unwrap_or(ErrorCode::Internal);
        let list = |key: &str| ext.get(key).cloned().unwrap_or(serde_json::Value::Null);
        let fields = serde_json::from_value(list("fields")).unwrap_or_default();
        let rows = serde_json::from_value(list("rows")).unwrap_or_default();
        Self { code, message: e.message, fields, rows }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_code_fields_and_rows_from_extensions() {
        let e: graphql_client::Error = serde_json::from_value(serde_json::json!({
            "message": "2 fields are invalid",
            "extensions": {
                "code": "VALIDATION",
                "fields": [{ "field": "delayDays", "message": "must be between 0 and 60" }],
                "rows": [{ "line": 3, "column": "rating", "message": "must be 1 to 5" }]
            }
        }))
        .unwrap();
        let e = ApiError::from_graphql(e);
        assert_eq!(e.code, ErrorCode::Validation);
        assert_eq!(e.field("delayDays"), Some("must be between 0 and 60"));
        assert_eq!(e.field("name"), None);
        assert_eq!(e.rows[0].line, 3);
        assert_eq!(e.rows[0].column.as_deref(), Some("rating"));
    }

    #[test]
    fn an_unknown_or_missing_code_is_kept_or_internal() {
        let e: graphql_client::Error =
            serde_json::from_value(serde_json::json!({ "message": "x", "extensions": { "code": "NEW_THING" } }))
                .unwrap();
        assert_eq!(ApiError::from_graphql(e).code, ErrorCode::Other("NEW_THING".into()));
        let e: graphql_client::Error = serde_json::from_value(serde_json::json!({ "message": "x" })).unwrap();
        assert_eq!(ApiError::from_graphql(e).code, ErrorCode::Internal);
    }
}
