//! Twilio Programmable Messaging over its REST API: `POST
//! /2010-04-01/Accounts/{sid}/Messages.json` with basic auth (account SID, auth token), a
//! form body (`To`, `From` or `MessagingServiceSid`, `Body`, `StatusCallback`), answered with
//! `201` and the message's `sid`.
//!
//! Errors: 4xx other than 429 are permanent (bad number, unverified sender); 429, 5xx and
//! network failures are transient.

use super::email::SendError;
use super::sms::{OutgoingSms, SmsSender};
use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use std::sync::Arc;

pub struct Twilio {
    config: TwilioConfig,
    tls: tokio_rustls::TlsConnector,
}

impl Twilio {
    pub fn new(config: TwilioConfig) -> Self {
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self { config, tls: tokio_rustls::TlsConnector::from(Arc::new(tls)) }
    }

    fn form(&self, sms: &OutgoingSms) -> String {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("To", &sms.to).append_pair("Body", &sms.body);
        match (&self.config.messaging_service_sid, &self.config.from_number) {
            (Some(service), _) => form.append_pair("MessagingServiceSid", service),
            (None, Some(from)) => form.append_pair("From", from),
            (None, None) => &mut form,
        };
        if let Some(cb) = &sms.status_callback {
            form.append_pair("StatusCallback", cb);
        }
        form.finish()
    }

    /// One HTTP/1.1 request on a fresh connection (sends are seconds apart per request; the
    /// handshake is not the bottleneck). Returns status and body.
    async fn post(&self, url: &url::Url, body: String) -> Result<(u16, Bytes), String> {
        let host = url.host_str().ok_or("Twilio base URL has no host")?.to_owned();
        let port = url.port_or_known_default().ok_or("Twilio base URL has no port")?;
        let auth = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.config.account_sid, self.config.auth_token));
        let req = hyper::Request::post(url.as_str())
            .header(hyper::header::HOST, &host)
            .header(hyper::header::AUTHORIZATION, format!("Basic {auth}"))
            .header(hyper::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(hyper::header::ACCEPT, "application/json")
            .header(hyper::header::USER_AGENT, "reelproof")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await.map_err(|e| e.to_string())?;
        let timeout = std::time::Duration::from_secs(20);
        let exchange = async {
            if url.scheme() == "https" {
                let name = rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| e.to_string())?;
                let stream = self.tls.connect(name, tcp).await.map_err(|e| e.to_string())?;
                roundtrip(hyper_util::rt::TokioIo::new(stream), req).await
            } else {
                roundtrip(hyper_util::rt::TokioIo::new(tcp), req).await
            }
        };
        tokio::time::timeout(timeout, exchange).await.map_err(|_| "Twilio did not answer in 20 s".to_owned())?
    }
}

async fn roundtrip<T>(io: T, req: hyper::Request<Full<Bytes>>) -> Result<(u16, Bytes), String>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let res = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((status, body))
}

#[async_trait::async_trait]
impl SmsSender for Twilio {
    async fn send(&self, sms: &OutgoingSms) -> Result<String, SendError> {
        let url = self
            .config
            .api_base
            .join(&format!("2010-04-01/Accounts/{}/Messages.json", self.config.account_sid))
            .map_err(|e| SendError::Permanent(format!("Twilio URL: {e}")))?;
        let (status, body) = self.post(&url, self.form(sms)).await.map_err(SendError::Transient)?;
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        match status {
            200..=299 => json
                .get("sid")
                .and_then(|s| s.as_str())
                .map(str::to_owned)
                .ok_or_else(|| SendError::Transient("Twilio accepted but returned no sid".into())),
            _ => {
                let detail = match (json.get("code"), json.get("message").and_then(|m| m.as_str())) {
                    (Some(code), Some(msg)) => format!("Twilio {status} (error {code}): {msg}"),
                    _ => format!("Twilio answered {status}"),
                };
                if status == 429 || status >= 500 {
                    Err(SendError::Transient(detail))
                } else {
                    Err(SendError::Permanent(detail))
                }
            }
        }
    }
}

/// Twilio's credentials and sender, from `TWILIO_*`.
#[derive(Clone)]
pub struct TwilioConfig {
    pub account_sid: String,
    pub auth_token: String,
    pub from_number: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub api_base: url::Url,
}

impl std::fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("account_sid", &self.account_sid)
            .field("from_number", &self.from_number.is_some())
            .field("messaging_service_sid", &self.messaging_service_sid)
            .field("api_base", &self.api_base.as_str())
            .finish_non_exhaustive()
    }
}
