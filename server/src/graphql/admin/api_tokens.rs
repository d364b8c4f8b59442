//! API tokens in the admin API. Only a staff session manages them: a token cannot mint or
//! revoke tokens, so a leaked one cannot entrench itself.

use super::{AdminPrincipal, ctx};
use crate::domain::api_token::Scope;
use crate::graphql::error::{ErrorCode, ToApiError, api_error, internal};
use crate::services::api_tokens::{self, ApiTokenError};
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "ApiScope")]
pub enum ApiScopeGql {
    Read,
    Write,
}

impl From<ApiScopeGql> for Scope {
    fn from(s: ApiScopeGql) -> Self {
        match s {
            ApiScopeGql::Read => Scope::Read,
            ApiScopeGql::Write => Scope::Write,
        }
    }
}

#[derive(SimpleObject)]
pub struct ApiToken {
    pub id: ID,
    pub name: String,
    pub scopes: Vec<ApiScopeGql>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<entity::api_tokens::Model> for ApiToken {
    fn from(m: entity::api_tokens::Model) -> Self {
        let scopes = Scope::parse_list(&m.scopes)
            .into_iter()
            .map(|s| match s {
                Scope::Read => ApiScopeGql::Read,
                Scope::Write => ApiScopeGql::Write,
            })
            .collect();
        Self {
            id: ID(m.id.to_string()),
            name: m.name,
            scopes,
            created_at: m.created_at,
            last_used_at: m.last_used_at,
            revoked_at: m.revoked_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct CreatedApiToken {
    /// `rp_…`: shown this once; send it as `Authorization: Bearer rp_…`.
    pub token: String,
    pub api_token: ApiToken,
}

impl ToApiError for ApiTokenError {
    fn to_api_error(self) -> async_graphql::Error {
        match self {
            Self::Invalid(m) => api_error(ErrorCode::Validation, m),
            Self::NotFound => api_error(ErrorCode::NotFound, "API token not found"),
            Self::Database(e) => internal(e),
        }
    }
}

fn staff_only(p: &AdminPrincipal) -> Result<()> {
    if p.is_api_token {
        return Err(api_error(ErrorCode::Forbidden, "API tokens are managed from the admin app, not with a token"));
    }
    Ok(())
}

#[derive(Default)]
pub struct ApiTokenQuery;

#[Object]
impl ApiTokenQuery {
    /// The shop's API tokens, newest first (revoked ones too); never their text.
    async fn api_tokens(&self, context: &Context<'_>) -> Result<Vec<ApiToken>> {
        let (p, state) = ctx(context)?;
        staff_only(p)?;
        Ok(api_tokens::list(state, p.shop_id).await.map_err(internal)?.into_iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub struct ApiTokenMutation;

#[Object]
impl ApiTokenMutation {
    async fn create_api_token(
        &self,
        context: &Context<'_>,
        name: String,
        scopes: Vec<ApiScopeGql>,
    ) -> Result<CreatedApiToken> {
        let (p, state) = ctx(context)?;
        staff_only(p)?;
        let scopes: Vec<Scope> = scopes.into_iter().map(Into::into).collect();
        let (row, token) =
            api_tokens::create(state, p.shop_id, &name, &scopes).await.map_err(ToApiError::to_api_error)?;
        Ok(CreatedApiToken { token, api_token: row.into() })
    }

    /// Revokes a token at once: its next request is refused.
    async fn revoke_api_token(&self, context: &Context<'_>, id: ID) -> Result<ApiToken> {
        let (p, state) = ctx(context)?;
        staff_only(p)?;
        let id = crate::graphql::error::parse_id(&id, "API token")?;
        Ok(api_tokens::revoke(state, p.shop_id, id).await.map_err(ToApiError::to_api_error)?.into())
    }
}
