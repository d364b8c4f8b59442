//! `/api/graphql` (admin) and `/graphiql`.

use crate::graphql::admin::{AdminPrincipal, AdminSchema};
use crate::shopify::session_token;
use crate::state::AppState;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::Extension;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Html;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use tracing::Instrument;

pub async fn graphql(
    State((schema, _)): State<(AdminSchema, AppState)>,
    Extension(principal): Extension<AdminPrincipal>,
    req: GraphQLRequest,
) -> GraphQLResponse {
    let span = tracing::info_span!("graphql", shop_id = %principal.shop_id);
    let req = req.into_inner();
    // Scopes and the credential's validity are enforced inside the schema
    // (`graphql::admin::guard`), for this transport and the WebSocket alike.
    schema.execute(req.data(principal)).instrument(span).await.into()
}

/// `GET /api/graphql`: a query in the URL, or GraphQL over WebSocket (`graphql-transport-ws`,
/// and the older `graphql-ws`) for subscriptions.
pub async fn graphql_get(
    State((schema, state)): State<(AdminSchema, AppState)>,
    req: axum::extract::Request,
) -> Response {
    use axum::extract::{FromRequest, FromRequestParts};
    if !super::auth::is_websocket_upgrade(req.headers()) {
        let principal = req.extensions().get::<AdminPrincipal>().cloned();
        let Some(principal) = principal else { return StatusCode::UNAUTHORIZED.into_response() };
        return match GraphQLRequest::from_request(req, &()).await {
            Ok(q) => graphql(State((schema, state)), Extension(principal), q).await.into_response(),
            Err(e) => e.into_response(),
        };
    }
    let (mut parts, body) = req.into_parts();
    let protocol = match GraphQLProtocol::from_request_parts(&mut parts, &()).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let upgrade = match WebSocketUpgrade::from_request(axum::extract::Request::from_parts(parts, body), &()).await {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(MAX_WS_MESSAGE)
        .on_upgrade(move |socket| {
            use futures_util::StreamExt;
            let (sink, stream) = socket.split();
            GraphQLWebSocket::new_with_pair(sink, guarded(stream), schema, protocol)
                .on_connection_init(move |payload| async move {
                    let credential = ["Authorization", "authorization"]
                        .iter()
                        .find_map(|k| payload.get(*k).and_then(|v| v.as_str()))
                        .unwrap_or_default();
                    match super::auth::authenticate_bearer(&state, credential).await {
                        Ok(principal) => {
                            let mut data = async_graphql::Data::default();
                            data.insert(principal);
                            Ok(data)
                        }
                        Err(reason) => {
                            tracing::info!(reason, "websocket refused");
                            metrics::counter!("reelproof_admin_auth_failures_total", "reason" => reason).increment(1);
                            Err(crate::graphql::error::api_error(
                                crate::graphql::error::ErrorCode::Unauthenticated,
                                "missing or invalid session token",
                            ))
                        }
                    }
                })
                .serve()
        })
        .into_response()
}

/// The largest message a client may send on an admin socket (a GraphQL document and its
/// variables are far smaller).
const MAX_WS_MESSAGE: usize = 64 * 1024;
/// How long a socket may stay open without its `connection_init`.
const INIT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);
/// Subscriptions one socket may hold at once.
const MAX_SUBSCRIPTIONS: usize = 25;

/// A socket's incoming messages with its guard rails: the first one (`connection_init`) must
/// come within [`INIT_DEADLINE`], and no more than [`MAX_SUBSCRIPTIONS`] operations may be
/// open at once. Breaking either ends the stream, which closes the socket.
fn guarded<S>(stream: S) -> impl futures_util::Stream<Item = Result<axum::extract::ws::Message, axum::Error>> + Send
where
    S: futures_util::Stream<Item = Result<axum::extract::ws::Message, axum::Error>> + Send + Unpin + 'static,
{
    use futures_util::StreamExt;
    let state = (stream, true, std::collections::HashSet::<String>::new());
    Box::pin(futures_util::stream::unfold(state, |(mut stream, first, mut open)| async move {
        let next = if first {
            match tokio::time::timeout(INIT_DEADLINE, stream.next()).await {
                Ok(n) => n,
                Err(_) => {
                    tracing::info!("websocket closed: no connection_init in time");
                    return None;
                }
            }
        } else {
            stream.next().await
        };
        let msg = next?;
        if let Ok(axum::extract::ws::Message::Text(text)) = &msg
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(text.as_str())
        {
            let id = v["id"].as_str().unwrap_or_default().to_owned();
            match v["type"].as_str() {
                // Queries and mutations end on their own; only subscriptions stay open.
                Some("subscribe" | "start") if is_subscription(v["payload"]["query"].as_str().unwrap_or_default()) => {
                    open.insert(id);
                    if open.len() > MAX_SUBSCRIPTIONS {
                        tracing::info!("websocket closed: too many subscriptions at once");
                        return None;
                    }
                }
                Some("complete" | "stop") => {
                    open.remove(&id);
                }
                _ => {}
            }
        }
        Some((msg, (stream, false, open)))
    }))
}

fn is_subscription(query: &str) -> bool {
    async_graphql::parser::parse_query(query).is_ok_and(|doc| {
        doc.operations.iter().any(|(_, op)| op.node.ty == async_graphql::parser::types::OperationType::Subscription)
    })
}

/// The public capture API: no credential but the token in each call.
pub async fn public_graphql(
    State((schema, trusted_hops)): State<(crate::graphql::public::PublicSchema, u8)>,
    // Absent only when the router is served without connect info (never by `serve`).
    connect: Option<Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: http::HeaderMap,
    req: GraphQLRequest,
) -> GraphQLResponse {
    let header = |n: http::HeaderName| headers.get(n).and_then(|v| v.to_str().ok());
    let forwarded = header(http::HeaderName::from_static("x-forwarded-for"))
        .and_then(|v| crate::domain::client_ip::forwarded_client(v, usize::from(trusted_hops)));
    let signals = crate::graphql::public::ClientSignals {
        user_agent: header(http::header::USER_AGENT).map(str::to_owned),
        ip: forwarded.or(connect.map(|c| c.0.0.ip())),
    };
    schema.execute(req.into_inner().data(signals)).await.into()
}

/// GraphiQL, served from our own files (`dist/graphiql`, bundled from npm at build time; see
/// `graphiql/`). In dev mode the page is pre-authorised for the demo shop (a one-hour token in
/// a meta tag); in production the integrator pastes an `rp_` API token, which stays in the tab.
/// Scripts may come from this origin only: the page handles credentials.
pub async fn graphiql(State(state): State<AppState>) -> Response {
    let index = state.config().ui_dir.join("graphiql").join("index.html");
    let Ok(html) = tokio::fs::read_to_string(&index).await else {
        return super::JsonError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "UI_NOT_BUILT",
            format!("GraphiQL is not built in {} (run `bash .ci/dev`)", index.display()),
        )
        .into_response();
    };
    let html = if state.is_dev() {
        let creds = &state.config().shopify;
        let shop = crate::domain::shop_domain::ShopDomain::parse(crate::DEV_SHOP).expect("constant is valid");
        let token = session_token::mint(&creds.api_key, &creds.api_secret, &shop, chrono::Utc::now().timestamp(), 3600);
        let meta = format!(r#"<meta name="reelproof-graphiql-auth" content="Bearer {token}">"#);
        html.replacen("<head>", &format!("<head>{meta}"), 1)
    } else {
        html
    };
    let mut resp = Html(html).into_response();
    let headers = resp.headers_mut();
    headers.insert(
        http::header::CONTENT_SECURITY_POLICY,
        http::HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; frame-ancestors 'none'",
        ),
    );
    headers.insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    resp
}
