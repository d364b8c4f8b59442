//! Fetching a merchant-supplied URL (imported testimonial videos) without letting it reach
//! anything but the public internet.
//!
//! Every hop is vetted: the URL itself (`domain::public_address::check_url`), then every address
//! its host resolves to; the connection is then pinned to a vetted address (so a DNS answer
//! that changes between the check and the connection — rebinding — cannot send it elsewhere).
//! Redirects are followed by hand, at most [`MAX_REDIRECTS`], each hop vetted the same way.
//! The body is streamed and cut off at the size limit, and the whole fetch has a deadline.

use crate::domain::public_address::{self, UrlRefused};
use std::net::SocketAddr;
use std::time::Duration;

pub const MAX_REDIRECTS: usize = 3;

#[derive(Debug, Clone)]
pub struct FetchPolicy {
    pub max_bytes: u64,
    pub timeout: Duration,
    /// Tests and local use only: also allow loopback and private addresses.
    pub allow_private: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The link may not or cannot be fetched: retrying will not help.
    #[error("{0}")]
    Refused(String),
    /// A passing trouble (network, the other server's 5xx, a timeout): worth a retry.
    #[error("{0}")]
    Passing(String),
}

impl From<UrlRefused> for FetchError {
    fn from(e: UrlRefused) -> Self {
        Self::Refused(e.to_string())
    }
}

/// What was fetched.
#[derive(Debug)]
pub struct Fetched {
    pub bytes: bytes::Bytes,
    pub content_type: Option<String>,
}

/// The addresses `url`'s host resolves to, refused unless every one is public.
async fn vetted_addresses(url: &url::Url, policy: &FetchPolicy) -> Result<Vec<SocketAddr>, FetchError> {
    if !policy.allow_private {
        public_address::check_url(url)?;
    } else if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlRefused::Scheme.into());
    }
    let host = url.host_str().ok_or(UrlRefused::NoHost)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| FetchError::Refused(format!("the host {host} could not be found ({e})")))?
        .collect();
    if addrs.is_empty() {
        return Err(FetchError::Refused(format!("the host {host} has no address")));
    }
    if !policy.allow_private
        && let Some(bad) = addrs.iter().find(|a| !public_address::is_public(a.ip()))
    {
        return Err(UrlRefused::NotPublic(bad.ip()).into());
    }
    Ok(addrs)
}

pub async fn fetch(url: &str, policy: &FetchPolicy) -> Result<Fetched, FetchError> {
    crate::providers::install_crypto_provider();
    let work = async {
        let mut url = url::Url::parse(url.trim()).map_err(|e| FetchError::Refused(format!("not a link: {e}")))?;
        for _ in 0..=MAX_REDIRECTS {
            let addrs = vetted_addresses(&url, policy).await?;
            let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned();
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .resolve_to_addrs(&host, &addrs)
                .connect_timeout(Duration::from_secs(10))
                .user_agent("Reelproof-Import/1 (+testimonial video import)")
                .build()
                .map_err(|e| FetchError::Passing(format!("http client: {e}")))?;
            let mut resp = client
                .get(url.clone())
                .send()
                .await
                .map_err(|e| FetchError::Passing(format!("could not reach {host}: {e}")))?;
            let status = resp.status();
            if status.is_redirection() {
                let next = resp
                    .headers()
                    .get(http::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .ok_or_else(|| FetchError::Refused(format!("{host} answered {status} without a location")))?;
                url = url.join(next).map_err(|e| FetchError::Refused(format!("bad redirect: {e}")))?;
                continue;
            }
            if status.is_server_error() || status == http::StatusCode::TOO_MANY_REQUESTS {
                return Err(FetchError::Passing(format!("{host} answered {status}")));
            }
            if !status.is_success() {
                return Err(FetchError::Refused(format!("{host} answered {status}")));
            }
            let too_big = || {
                FetchError::Refused(format!("the file is larger than the limit of {} MB", policy.max_bytes / 1_000_000))
            };
            if resp.content_length().is_some_and(|n| n > policy.max_bytes) {
                return Err(too_big());
            }
            let content_type = resp
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(';').next().unwrap_or(v).trim().to_ascii_lowercase());
            let mut body = bytes::BytesMut::new();
            while let Some(chunk) =
                resp.chunk().await.map_err(|e| FetchError::Passing(format!("download from {host} broke off: {e}")))?
            {
                if (body.len() + chunk.len()) as u64 > policy.max_bytes {
                    return Err(too_big());
                }
                body.extend_from_slice(&chunk);
            }
            return Ok(Fetched { bytes: body.freeze(), content_type });
        }
        Err(FetchError::Refused(format!("more than {MAX_REDIRECTS} redirects")))
    };
    tokio::time::timeout(policy.timeout, work)
        .await
        .map_err(|_| FetchError::Passing(format!("the download took longer than {} s", policy.timeout.as_secs())))?
}
