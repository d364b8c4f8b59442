//! Authorization inside the schema, for every transport: HTTP and GraphQL over WebSocket run
//! each operation through this extension.
//!
//! - A credential without write access (a READ API token) runs no mutation, whatever transport
//!   carries it — a WebSocket `subscribe` message may carry a mutation too.
//! - A socket outlives the credential it opened with: before each operation of a principal
//!   verified more than a moment ago, the credential is checked again — a session token past
//!   its `exp`, a revoked API token, a shop that uninstalled all stop there with
//!   `UNAUTHENTICATED` (the client reconnects with a fresh credential).
//! - Admission: an operation runs only with one of the state's admin permits (half the
//!   database pool), waiting up to [`ADMISSION_WAIT`] for one, so admin work can never hold
//!   every connection and starve webhooks.

use super::AdminPrincipal;
use crate::graphql::error::{ErrorCode, server_error};
use crate::services::credentials;
use crate::state::AppState;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Response, ServerResult, Variables};
use std::sync::Arc;

pub struct CredentialGuard;

/// How long an operation waits for an admission permit before it is refused as busy.
pub const ADMISSION_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl ExtensionFactory for CredentialGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CredentialGuardExtension)
    }
}

struct CredentialGuardExtension;

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
        if let Err(reason) = credentials::still_valid(state, p.shop_id, &p.credential, p.verified_at).await {
            tracing::info!(reason, "operation refused: the credential no longer holds");
            metrics::counter!("reelproof_admin_auth_failures_total", "reason" => reason).increment(1);
            return Err(server_error(ErrorCode::Unauthenticated, "the credential is no longer valid; connect again"));
        }
        let mutates = doc.operations.iter().any(|(_, op)| op.node.ty == OperationType::Mutation);
        if mutates && !p.can_write {
            return Err(server_error(ErrorCode::Forbidden, "this API token has the READ scope only"));
        }
        Ok(doc)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let Ok(state) = ctx.data::<AppState>() else { return next.run(ctx, operation_name).await };
        match admit(state).await {
            Some(_permit) => next.run(ctx, operation_name).await,
            None => Response::from_errors(vec![server_error(ErrorCode::RateLimited, BUSY)]),
        }
    }
}

/// What a refused admin operation is told.
pub const BUSY: &str = "the server is busy with other admin work; try again in a moment";

/// One of the admin permits, waiting up to [`ADMISSION_WAIT`]; `None` (counted) when the
/// server stayed busy. Held for as long as the admin work runs — a streamed download too.
pub async fn admit(state: &AppState) -> Option<tokio::sync::OwnedSemaphorePermit> {
    match tokio::time::timeout(ADMISSION_WAIT, state.admin_permits().clone().acquire_owned()).await {
        Ok(Ok(permit)) => Some(permit),
        _ => {
            metrics::counter!("reelproof_admin_busy_total").increment(1);
            None
        }
    }
}
