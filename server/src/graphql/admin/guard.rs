//! Authorization inside the schema, for every transport: HTTP and GraphQL over WebSocket run
//! each operation through this extension.
//!
//! - A credential without write access (a READ API token) runs no mutation, whatever transport
//!   carries it — a WebSocket `subscribe` message may carry a mutation too.
//! - A socket outlives the credential it opened with: before each operation of a principal
//!   verified more than a moment ago, the credential is checked again — a session token past
//!   its `exp`, a revoked API token, a shop that uninstalled all stop there with
//!   `UNAUTHENTICATED` (the client reconnects with a fresh credential).

use super::{AdminPrincipal, Credential};
use crate::graphql::error::{ErrorCode, api_error};
use crate::state::AppState;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{ServerError, ServerResult, Variables};
use std::sync::Arc;

/// A principal verified this recently needs no second look (every HTTP request is verified
/// just before it runs).
const FRESH: chrono::Duration = chrono::Duration::seconds(5);

pub struct CredentialGuard;

impl ExtensionFactory for CredentialGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CredentialGuardExtension)
    }
}

struct CredentialGuardExtension;

fn refused(code: ErrorCode, message: &str) -> ServerError {
    let e = api_error(code, message);
    let mut err = ServerError::new(e.message, None);
    err.extensions = e.extensions;
    err
}

/// Whether the credential still holds (`Err` carries the reason, for logs and metrics).
async fn still_valid(state: &AppState, p: &AdminPrincipal) -> Result<(), &'static str> {
    let now = state.now();
    if now - p.verified_at < FRESH {
        return Ok(());
    }
    match &p.credential {
        Credential::Session { expires_at } => {
            let leeway = crate::shopify::session_token::LEEWAY_SECS as i64;
            if now.timestamp() > expires_at + leeway {
                return Err("expired");
            }
        }
        Credential::ApiToken { hash } => match crate::services::api_tokens::is_active(state, hash).await {
            Ok(true) => {}
            Ok(false) => return Err("revoked_api_token"),
            Err(_) => return Err("lookup_failed"),
        },
    }
    match crate::services::shops::get(state.db(), p.shop_id).await {
        Ok(profile) if profile.uninstalled_at.is_none() => Ok(()),
        Ok(_) => Err("uninstalled"),
        Err(_) => Err("lookup_failed"),
    }
}

#[async_trait::async_trait]
impl Extension for CredentialGuardExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let (Some(p), Ok(state)) = (ctx.data_opt::<AdminPrincipal>(), ctx.data::<AppState>()) else {
            // No principal: the resolvers refuse on their own (`ctx` needs one).
            return Ok(doc);
        };
        if let Err(reason) = still_valid(state, p).await {
            tracing::info!(reason, "operation refused: the credential no longer holds");
            metrics::counter!("reelproof_admin_auth_failures_total", "reason" => reason).increment(1);
            return Err(refused(ErrorCode::Unauthenticated, "the credential is no longer valid; connect again"));
        }
        let mutates = doc.operations.iter().any(|(_, op)| op.node.ty == OperationType::Mutation);
        if mutates && !p.can_write {
            return Err(refused(ErrorCode::Forbidden, "this API token has the READ scope only"));
        }
        Ok(doc)
    }
}
