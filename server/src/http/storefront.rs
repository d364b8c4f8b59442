//! `/api/storefront/graphql` (public, cacheable) and `/proxy/*` (the Shopify app proxy).
//!
//! Storefront responses are made for caches: `GET` with the query in the URL (or an Apollo
//! persisted-query hash), `Cache-Control: public, max-age=30, stale-while-revalidate=300`, and a
//! weak ETag built from the request and the storefront version of every shop it read — a
//! publication change bumps that version in its own transaction, so the next response carries a
//! new ETag and `If-None-Match` never keeps a testimonial that was unpublished. CORS is open
//! (`*`, no credentials): storefronts live on any domain and the API is read-only and public.

use crate::graphql::storefront::{ShopsSeen, StorefrontSchema};
use crate::providers::storefront_cache::Answer;
use crate::services::storefront::{self as service, ProxyRequest, StorefrontError};
use crate::state::AppState;
use async_graphql_axum::GraphQLRequest;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};

const CACHE: &str = "public, max-age=30, stale-while-revalidate=300";

fn cors(headers: &mut HeaderMap) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("ETag"));
}

/// `OPTIONS`: the CORS preflight of a `POST` with a JSON body.
pub async fn preflight() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    cors(h);
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type"));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
    r
}

/// What identifies a request for caching: query, variables, operation and extensions (the
/// persisted-query hash).
fn request_key(req: &async_graphql::Request) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(req.query.as_bytes());
    h.update([0]);
    h.update(serde_json::to_vec(&req.variables).unwrap_or_default());
    h.update([0]);
    h.update(req.operation_name.as_deref().unwrap_or("").as_bytes());
    h.update([0]);
    h.update(serde_json::to_vec(&req.extensions).unwrap_or_default());
    h.finalize().into()
}

/// The weak ETag of a storefront response: the request and the versions of the shops it read
/// (media links are stable, so nothing else changes the answer).
fn etag(key: &[u8; 32], seen: &[(String, entity::ShopId, i64)]) -> String {
    let mut h = Sha256::new();
    h.update(key);
    for (_, shop, version) in seen {
        h.update(format!("|{shop}:{version}").as_bytes());
    }
    format!("W/\"sf-{}\"", &hex::encode(h.finalize())[..32])
}

fn matches(if_none_match: Option<&HeaderValue>, tag: &HeaderValue) -> bool {
    let (Some(v), Ok(tag)) = (if_none_match.and_then(|v| v.to_str().ok()), tag.to_str()) else { return false };
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    v.split(',').any(|t| t.trim() == "*" || bare(t) == bare(tag))
}

/// `GET` and `POST /api/storefront/graphql`. An answer made before is sent again while every
/// shop it read is at the same storefront version (`providers::storefront_cache`): no parsing,
/// no database beyond that check, which itself is usually answered from memory.
pub async fn graphql(
    State((schema, state)): State<(StorefrontSchema, AppState)>,
    headers: HeaderMap,
    req: GraphQLRequest,
) -> Response {
    let req = req.into_inner();
    let key = request_key(&req);
    let cache = state.storefront_cache();
    if let Some(answer) = cache.answer(&key)
        && service::still_current(&state, &answer.shops).await
    {
        metrics::counter!("reelproof_storefront_answers_total", "from" => "cache").increment(1);
        return answer_response(&headers, &answer);
    }
    metrics::counter!("reelproof_storefront_answers_total", "from" => "execution").increment(1);
    let seen = ShopsSeen::default();
    let resp = schema.execute(req.data(seen.clone())).await;
    let body = bytes::Bytes::from(serde_json::to_vec(&resp).unwrap_or_default());
    if !resp.errors.is_empty() {
        let mut r = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
        r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        cors(r.headers_mut());
        return r;
    }
    let shops = seen.0.lock().map(|v| v.clone()).unwrap_or_default();
    let Ok(etag) = HeaderValue::from_str(&etag(&key, &shops)) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let answer =
        Answer { body, etag, shops: shops.into_iter().map(|(domain, _, version)| (domain, version)).collect() };
    let r = answer_response(&headers, &answer);
    cache.remember_answer(key, answer);
    r
}

/// A successful answer: `304` when the client holds it already, else the JSON; cacheable.
fn answer_response(headers: &HeaderMap, answer: &Answer) -> Response {
    let mut r = if matches(headers.get(header::IF_NONE_MATCH), &answer.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], answer.body.clone()).into_response()
    };
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE));
    h.insert(header::ETAG, answer.etag.clone());
    cors(h);
    r
}

/// `GET /s/{shop_id}/{submission_id}/{video.mp4|poster.jpg}`: the storefront's stable media
/// link. Checked against the visibility rule at every request, then redirected (never cached)
/// to a storage link that lasts ten minutes: an unpublished video stops playing at once.
pub async fn media(
    State(state): State<AppState>,
    Path((shop_id, submission_id, file)): Path<(String, String, String)>,
) -> Response {
    let (Ok(shop_id), Ok(submission_id), Some(file)) = (
        shop_id.parse::<entity::ShopId>(),
        submission_id.parse::<entity::SubmissionId>(),
        service::MediaFile::parse(&file),
    ) else {
        return plain(StatusCode::NOT_FOUND, "no such testimonial");
    };
    match service::media_location(&state, shop_id, submission_id, file).await {
        Ok(location) => {
            let mut r = StatusCode::FOUND.into_response();
            let h = r.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&location) {
                h.insert(header::LOCATION, v);
            }
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            cors(h);
            r
        }
        Err(StorefrontError::UnknownShop | StorefrontError::NotVisible) => {
            plain(StatusCode::NOT_FOUND, "no such testimonial")
        }
        Err(e) => {
            tracing::error!(error = %e, "storefront media link failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "the video is unavailable right now")
        }
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], text).into_response()
}

/// `GET /proxy/*`: what Shopify's app proxy forwards from `https://<shop>/apps/<subpath>/…`.
/// The signature is checked before any parameter is read (401 otherwise). Paths: `/` or
/// `/home` (home-page testimonials), `/products/<id>` (a product's, with its structured data
/// unless `rating_markup=0`). The answer is `application/liquid`, which Shopify renders inside
/// the theme's layout: a page of testimonials with no JavaScript at all; `format=fragment` gives
/// the bare HTML fragment instead.
pub async fn app_proxy(
    State(state): State<AppState>,
    path: Option<Path<String>>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let params = match crate::shopify::app_proxy::verify(state.config().shopify.secrets(), &query) {
        Ok(p) => p,
        Err(e) => {
            metrics::counter!("reelproof_app_proxy_rejected_total").increment(1);
            tracing::warn!(error = %e, "app proxy request refused");
            return plain(StatusCode::UNAUTHORIZED, "invalid app proxy signature");
        }
    };
    let Some(shop) = params.get("shop") else { return plain(StatusCode::BAD_REQUEST, "no shop") };
    let path = path.map(|Path(p)| p).unwrap_or_default();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let placement = match segments.as_slice() {
        [] | ["home"] => crate::domain::visibility::Placement::Home,
        ["products", id] => match id.parse::<i64>() {
            Ok(p) if p > 0 => crate::domain::visibility::Placement::Product(p),
            _ => return plain(StatusCode::NOT_FOUND, "no such product"),
        },
        _ => return plain(StatusCode::NOT_FOUND, "no such page"),
    };
    let req = ProxyRequest {
        placement,
        heading: params.get("heading").filter(|h| !h.trim().is_empty()).unwrap_or("What our customers say").to_owned(),
        rating_markup: params.get("rating_markup") != Some("0"),
        limit: params.get("limit").and_then(|l| l.parse().ok()).unwrap_or(12),
    };
    let html = match service::shop(&state, shop).await {
        Ok((shop_id, _)) => service::proxy_html(&state, shop_id, &req).await,
        Err(e) => Err(e),
    };
    match html {
        Ok(html) => {
            if params.get("format") == Some("fragment") {
                return ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, CACHE)], html)
                    .into_response();
            }
            // A page of the theme: the stylesheet and the block's container, and no script.
            let page = format!(
                "<link rel=\"stylesheet\" href=\"{}\"><div class=\"reelproof-widget\" data-layout=\"grid\">{html}</div>",
                state.url("/widget/reelproof.css")
            );
            ([(header::CONTENT_TYPE, "application/liquid"), (header::CACHE_CONTROL, CACHE)], page).into_response()
        }
        Err(StorefrontError::UnknownShop) => {
            plain(StatusCode::NOT_FOUND, "this shop does not have Reelproof installed")
        }
        Err(e) => {
            tracing::error!(error = %e, "app proxy failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "testimonials are unavailable right now")
        }
    }
}
