//! A span per GraphQL operation, for every schema: the schema and the operation's name, so a
//! trace shows which query was slow (never its variables: they may hold a capture token or a
//! customer's words).

use async_graphql::Response;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use std::sync::Arc;
use tracing::Instrument;

/// Wraps each operation's execution in a `graphql.operation` span; `0` names the schema.
pub struct OperationSpans(pub &'static str);

impl ExtensionFactory for OperationSpans {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationSpansExtension(self.0))
    }
}

struct OperationSpansExtension(&'static str);

#[async_trait::async_trait]
impl Extension for OperationSpansExtension {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let span = tracing::info_span!(
            "graphql.operation",
            graphql.schema = self.0,
            graphql.operation.name = operation_name.unwrap_or("(anonymous)"),
            errors = tracing::field::Empty,
        );
        let response = next.run(ctx, operation_name).instrument(span.clone()).await;
        if !response.errors.is_empty() {
            span.record("errors", response.errors.len());
        }
        response
    }
}
