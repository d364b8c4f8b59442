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
    State((schema, trust_forwarded_for)): State<(crate::graphql::public::PublicSchema, bool)>,
    // Absent only when the router is served without connect info (never by `serve`).
    connect: Option<Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: http::HeaderMap,
    req: GraphQLRequest,
) -> GraphQLResponse {
    let header = |n: http::HeaderName| headers.get(n).and_then(|v| v.to_str().ok());
    let forwarded = trust_forwarded_for
        .then(|| header(http::HeaderName::from_static("x-forwarded-for")))
        .flatten()
        .and_then(|v| v.split(',').next()?.trim().parse().ok());
    let signals = crate::graphql::public::ClientSignals {
        user_agent: header(http::header::USER_AGENT).map(str::to_owned),
        ip: forwarded.or(connect.map(|c| c.0.0.ip())),
    };
    schema.execute(req.into_inner().data(signals)).await.into()
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
