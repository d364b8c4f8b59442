//! The public capture API (`/api/public/graphql`). Errors come back as a code and a message
//! the page can show as they are: the server writes them for customers.

use gloo_net::http::Request;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

impl ApiError {
    fn network(e: impl std::fmt::Display) -> Self {
        Self {
            code: "NETWORK".into(),
            message: format!("We could not reach the server ({e}). Check your connection and try again."),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Capture {
    pub shop_name: String,
    pub brand_colour: String,
    pub logo_url: Option<String>,
    pub product_title: String,
    pub product_image_url: Option<String>,
    pub customer_first_name: Option<String>,
    pub prompt: String,
    pub consent_text: String,
    pub consent_version: i32,
    pub incentive: Option<String>,
    pub max_duration_seconds: i64,
    pub max_bytes: i64,
    pub accepted_types: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadTarget {
    pub url: String,
    pub upload_key: String,
    pub parts: Vec<UploadPart>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UploadPart {
    pub offset: f64,
    pub size: f64,
    pub url: String,
}

pub struct Submission {
    pub upload_key: Option<String>,
    pub display_name: String,
    pub rating: Option<u8>,
    pub quote: String,
    pub consent_version: i32,
}

#[derive(Deserialize)]
struct Response<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<GraphQlError>,
}

#[derive(Deserialize)]
struct GraphQlError {
    message: String,
    #[serde(default)]
    extensions: Option<serde_json::Value>,
}

async fn gql<T: for<'de> Deserialize<'de>>(query: &str, variables: serde_json::Value) -> Result<T, ApiError> {
    let resp = Request::post("/api/public/graphql")
        .json(&json!({ "query": query, "variables": variables }))
        .map_err(ApiError::network)?
        .send()
        .await
        .map_err(ApiError::network)?;
    let parsed: Response<T> = resp.json().await.map_err(ApiError::network)?;
    if let Some(e) = parsed.errors.into_iter().next() {
        let code = e.extensions.and_then(|x| x.get("code")?.as_str().map(str::to_owned)).unwrap_or_default();
        return Err(ApiError { code, message: e.message });
    }
    parsed.data.ok_or_else(|| ApiError::network("no data"))
}

pub async fn capture(token: &str) -> Result<Capture, ApiError> {
    #[derive(Deserialize)]
    struct D {
        capture: Capture,
    }
    let q = "query($t: String!) { capture(token: $t) { shopName brandColour logoUrl productTitle productImageUrl \
             customerFirstName prompt consentText consentVersion incentive maxDurationSeconds maxBytes acceptedTypes } }";
    Ok(gql::<D>(q, json!({ "t": token })).await?.capture)
}

pub async fn create_upload(token: &str, content_type: &str, size: f64) -> Result<UploadTarget, ApiError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct D {
        create_upload: UploadTarget,
    }
    let q = "mutation($t: String!, $ct: String!, $n: Int!) { createUpload(token: $t, contentType: $ct, sizeBytes: $n) \
             { url uploadKey parts { offset size url } } }";
    Ok(gql::<D>(q, json!({ "t": token, "ct": content_type, "n": size as i64 })).await?.create_upload)
}

pub async fn submit(token: &str, s: Submission) -> Result<(), ApiError> {
    let q = "mutation($t: String!, $i: SubmitTestimonialInput!) { submitTestimonial(token: $t, input: $i) { id } }";
    let input = json!({
        "uploadKey": s.upload_key,
        "displayName": s.display_name,
        "rating": s.rating,
        "quote": if s.quote.trim().is_empty() { None } else { Some(s.quote) },
        "consentPublish": true,
        "consentVersion": s.consent_version,
    });
    gql::<serde_json::Value>(q, json!({ "t": token, "i": input })).await.map(|_| ())
}
