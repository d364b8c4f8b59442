//! One way to run an operation: POST (or GET, for the storefront's cacheable reads) to an
//! endpoint, optionally with a bearer token, and read the answer into the operation's types.

use crate::error::{ApiError, ErrorCode};
use gloo_net::http::Request;
use graphql_client::{GraphQLQuery, Response};

/// Runs `Q` with a POST. `bearer` is the admin's session or API token; the public APIs have none.
pub async fn post<Q: GraphQLQuery>(
    url: &str,
    bearer: Option<&str>,
    variables: Q::Variables,
) -> Result<Q::ResponseData, ApiError> {
    let body = Q::build_query(variables);
    let mut req = Request::post(url);
    if let Some(token) = bearer {
        req = req.header("Authorization", &format!("Bearer {token}"));
    }
    let resp = req.json(&body).map_err(ApiError::network)?.send().await.map_err(ApiError::network)?;
    read::<Q>(resp).await
}

/// Runs `Q` with a GET (query and variables in the address), so browsers and CDNs can cache
/// the answer; the browser revalidates its copy on every call (`no-cache`: a 304 costs almost
/// nothing), so a change is seen at once.
pub async fn get<Q: GraphQLQuery>(url: &str, variables: Q::Variables) -> Result<Q::ResponseData, ApiError> {
    let body = Q::build_query(variables);
    let vars = serde_json::to_string(&body.variables).map_err(ApiError::network)?;
    let resp = Request::get(url)
        .query([("query", body.query), ("variables", vars.as_str()), ("operationName", body.operation_name)])
        .cache(web_sys::RequestCache::NoCache)
        .send()
        .await
        .map_err(ApiError::network)?;
    read::<Q>(resp).await
}

async fn read<Q: GraphQLQuery>(resp: gloo_net::http::Response) -> Result<Q::ResponseData, ApiError> {
    let status = resp.status();
    let text = resp.text().await.map_err(ApiError::network)?;
    // Parsed in two steps on purpose: one JSON parser for every operation, then each answer's
    // types read from the tree. Reading them straight from the text inlined the text parser
    // into every response type's deserializer; this way the admin's WebAssembly is 6 KB
    // (gzip) smaller, and the answers are small enough that the extra tree costs nothing.
    let parsed: Response<Q::ResponseData> =
        match serde_json::from_str::<serde_json::Value>(&text).and_then(serde_json::from_value) {
            Ok(p) => p,
            Err(_) if status == 401 => {
                return Err(ApiError::new(
                    ErrorCode::Unauthenticated,
                    "Your session has ended. Reload the page to continue.",
                ));
            }
            Err(_) if status == 429 => {
                return Err(ApiError::new(
                    ErrorCode::RateLimited,
                    "Too many requests at once. Wait a moment and try again.",
                ));
            }
            Err(_) => return Err(ApiError::network(format!("the server answered {status}"))),
        };
    outcome(parsed)
}

/// The data, or the first error (the server puts the one that matters first).
pub fn outcome<T>(parsed: Response<T>) -> Result<T, ApiError> {
    if let Some(first) = parsed.errors.and_then(|e| e.into_iter().next()) {
        return Err(ApiError::from_graphql(first));
    }
    parsed.data.ok_or_else(|| ApiError::network("an answer without data"))
}

/// Downloads a file the API streams (`GET`, with the bearer credential): its bytes, or the
/// error the server gave in the GraphQL error shape.
pub async fn download(url: &str, bearer: &str) -> Result<Vec<u8>, ApiError> {
    let resp = Request::get(url)
        .header("Authorization", &format!("Bearer {bearer}"))
        .send()
        .await
        .map_err(ApiError::network)?;
    if resp.ok() {
        return resp.binary().await.map_err(ApiError::network);
    }
    let status = resp.status();
    let text = resp.text().await.map_err(ApiError::network)?;
    match serde_json::from_str::<Response<serde_json::Value>>(&text) {
        Ok(parsed) => outcome(parsed).and(Err(ApiError::network(format!("the server answered {status}")))),
        Err(_) => Err(ApiError::network(format!("the server answered {status}"))),
    }
}
