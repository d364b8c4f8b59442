//! `/api/graphql` (admin) and `/graphiql`.

use crate::graphql::admin::{AdminPrincipal, AdminSchema};
use crate::shopify::session_token;
use crate::state::AppState;
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::Extension;
use axum::extract::State;
use axum::response::Html;

pub async fn graphql(
    State(schema): State<AdminSchema>,
    Extension(principal): Extension<AdminPrincipal>,
    req: GraphQLRequest,
) -> GraphQLResponse {
    let span = tracing::info_span!("graphql", shop_id = %principal.shop_id);
    let _enter = span.enter();
    schema.execute(req.into_inner().data(principal)).await.into()
}

/// The public capture API: no credential but the token in each call.
pub async fn public_graphql(
    State(schema): State<crate::graphql::public::PublicSchema>,
    headers: http::HeaderMap,
    req: GraphQLRequest,
) -> GraphQLResponse {
    let user_agent = headers.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned);
    schema.execute(req.into_inner().data(crate::graphql::public::ClientSignals { user_agent })).await.into()
}

/// GraphiQL. In dev mode it is pre-authorised for the demo shop (a one-hour token); in
/// production the integrator pastes an `Authorization` header.
pub async fn graphiql(State(state): State<AppState>) -> Html<String> {
    let dev_header = state.is_dev().then(|| {
        let creds = &state.config().shopify;
        let shop = crate::domain::shop_domain::ShopDomain::parse(crate::DEV_SHOP).expect("constant is valid");
        let token = session_token::mint(&creds.api_key, &creds.api_secret, &shop, chrono::Utc::now().timestamp(), 3600);
        format!("Bearer {token}")
    });
    let mut source = GraphiQLSource::build().endpoint("/api/graphql").title("Reelproof GraphiQL");
    if let Some(h) = &dev_header {
        source = source.header("Authorization", h);
    }
    Html(source.finish())
}
