//! Configuration: environment first, flags second, one typed struct per concern.
//!
//! `RawConfig` is what clap reads (every flag also has its environment variable);
//! [`RawConfig::resolve`] turns it into a [`Config`] where every value is parsed and every
//! default applied, so nothing downstream re-reads the environment or re-validates.

use crate::domain::secrets::{EncryptionKey, SecretError};
use clap::Args;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Args)]
pub struct RawConfig {
    /// Directory for the SQLite database, local media and the outbox.
    #[arg(long, env = "REELPROOF_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub http: HttpArgs,
    #[command(flatten)]
    pub shopify: ShopifyArgs,
    #[command(flatten)]
    pub messaging: MessagingArgs,
    /// 32 bytes, base64: encrypts shop access tokens at rest. Required in production mode.
    #[arg(long, env = "REELPROOF_ENCRYPTION_KEY", hide_env_values = true)]
    pub encryption_key: Option<String>,
    /// The key before a rotation: stored values it encrypted are still read (and written again
    /// with the new key at their next refresh). Remove it once a day has passed.
    #[arg(long, env = "REELPROOF_ENCRYPTION_KEY_PREVIOUS", hide_env_values = true)]
    pub previous_encryption_key: Option<String>,
    /// An OpenTelemetry collector (OTLP over HTTP, e.g. `http://collector:4318`): spans of
    /// requests, GraphQL operations, jobs, sends and transcodes are exported there.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<url::Url>,
    /// Run in dev mode: no Shopify, a demo shop, generated credentials, a pre-authorised
    /// GraphiQL. Never the fallback of a missing setting: it must be asked for.
    #[arg(long, env = "REELPROOF_DEV", default_value_t = false, value_parser = clap::builder::BoolishValueParser::new())]
    pub dev: bool,
    /// Let dev mode listen on an address other than loopback (its admin signs itself in, so
    /// anyone who can reach it is the demo shop's merchant).
    #[arg(long, env = "REELPROOF_DEV_ALLOW_REMOTE", default_value_t = false, value_parser = clap::builder::BoolishValueParser::new())]
    pub dev_allow_remote: bool,
}

/// Shopify's client secrets are 32 hexadecimal characters (newer ones carry a `shpss_` prefix);
/// anything shorter is a mistake (a truncated paste, a placeholder) and would make a weak HMAC
/// key.
pub const MIN_SECRET_LEN: usize = 32;

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `postgres://…` or `sqlite://…`; default: a SQLite file under the data dir.
    #[arg(long = "database-url", env = "DATABASE_URL", hide_env_values = true)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Address to listen on.
    #[arg(long, env = "REELPROOF_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The public base URL (used in capture links and the admin app); default `http://<listen>`.
    #[arg(long, env = "REELPROOF_PUBLIC_URL")]
    pub public_url: Option<url::Url>,
    /// Where `.ci/build-ui.mjs` put the built UIs (`app/`, `widget/`, `capture/` inside).
    #[arg(long, env = "REELPROOF_UI_DIR", default_value = "./dist")]
    pub ui_dir: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct MessagingArgs {
    /// `outbox` (files under the data dir) or an SMTP URL: `smtp://user:pass@host:port`,
    /// `smtps://…`, `smtp://host:port?tls=required`.
    #[arg(long, env = "EMAIL_TRANSPORT", default_value = "outbox", hide_env_values = true)]
    pub email_transport: String,
    /// The From address of requests (the shop's sender name is put in front of it).
    #[arg(long, env = "EMAIL_FROM", default_value = "no-reply@reelproof.localhost")]
    pub email_from: String,
    /// SendGrid's signed Event Webhook verification key (base64 DER, from SendGrid's settings).
    #[arg(long, env = "SENDGRID_WEBHOOK_PUBLIC_KEY")]
    pub sendgrid_webhook_public_key: Option<String>,
    /// `user:password` that Postmark's webhook URL carries as basic auth.
    #[arg(long, env = "POSTMARK_WEBHOOK_AUTH", hide_env_values = true)]
    pub postmark_webhook_auth: Option<String>,
    /// Twilio's auth token: signs its status callbacks (and authenticates sends).
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub twilio_auth_token: Option<String>,
    /// `outbox` (`.sms.json` files under the data dir) or `twilio`.
    #[arg(long, env = "SMS_TRANSPORT", default_value = "outbox")]
    pub sms_transport: String,
    #[arg(long, env = "TWILIO_ACCOUNT_SID")]
    pub twilio_account_sid: Option<String>,
    /// The sending number (E.164); or use a messaging service.
    #[arg(long, env = "TWILIO_FROM_NUMBER")]
    pub twilio_from_number: Option<String>,
    #[arg(long, env = "TWILIO_MESSAGING_SERVICE_SID")]
    pub twilio_messaging_service_sid: Option<String>,
    /// How long one send holds its request before another worker may take it over (seconds).
    /// It must outlast a provider call; shorter means a crashed worker's requests go out sooner.
    #[arg(long, env = "REELPROOF_SEND_LEASE_SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u32).range(5..=3600))]
    pub send_lease_seconds: u32,
    /// At shutdown (SIGTERM), how long a send, a job or an HTTP request already started may
    /// take to finish before it is stopped and its work given back to the other workers.
    #[arg(long, env = "REELPROOF_DRAIN_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=600))]
    pub drain_seconds: u32,
    /// Public capture API calls allowed per client IP per minute.
    #[arg(long, env = "CAPTURE_RATE_PER_IP", default_value_t = 120)]
    pub capture_rate_per_ip: u32,
    /// Public capture API calls allowed per capture link per minute.
    #[arg(long, env = "CAPTURE_RATE_PER_TOKEN", default_value_t = 30)]
    pub capture_rate_per_token: u32,
    /// Uploads one shop may receive per hour (all its links together).
    #[arg(long, env = "CAPTURE_UPLOADS_PER_SHOP_PER_HOUR", default_value_t = 500)]
    pub capture_uploads_per_shop_per_hour: u32,
    /// Take the client IP from `X-Forwarded-For` (only behind a proxy that sets it): the entry
    /// `REELPROOF_TRUSTED_PROXIES` places from the right, never what the client wrote.
    #[arg(long, env = "REELPROOF_TRUST_FORWARDED_FOR", default_value_t = false, value_parser = clap::builder::BoolishValueParser::new())]
    pub trust_forwarded_for: bool,
    /// How many proxies of ours stand in front of the server (a load balancer: 1; a CDN and a
    /// load balancer: 2).
    #[arg(long, env = "REELPROOF_TRUSTED_PROXIES", default_value_t = 1)]
    pub trusted_proxies: u8,
    /// The ffmpeg binary the media worker runs.
    #[arg(long, env = "FFMPEG_PATH", default_value = "ffmpeg")]
    pub ffmpeg_path: PathBuf,
    #[arg(long, env = "FFPROBE_PATH", default_value = "ffprobe")]
    pub ffprobe_path: PathBuf,
    /// Where media lives: `local` (a folder under the data dir) or `s3://bucket`.
    #[arg(long, env = "MEDIA_STORE", default_value = "local")]
    pub media_store: String,
    #[arg(long, env = "AWS_REGION")]
    pub aws_region: Option<String>,
    /// For S3-compatible services (MinIO, R2, moto…).
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    pub aws_endpoint_url: Option<String>,
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    pub aws_access_key_id: Option<String>,
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub aws_secret_access_key: Option<String>,
    #[arg(long, env = "AWS_SESSION_TOKEN", hide_env_values = true)]
    pub aws_session_token: Option<String>,
    /// Let CSV imports fetch videos from loopback and private addresses. For tests and local
    /// use only: in production it would let a merchant's CSV read the server's own network.
    #[arg(long, env = "REELPROOF_IMPORT_ALLOW_PRIVATE", default_value_t = false)]
    pub import_allow_private: bool,
    /// How long the media worker may take to download one imported video.
    #[arg(long, env = "IMPORT_FETCH_TIMEOUT_SECONDS", default_value_t = 120)]
    pub import_timeout_seconds: u64,
    /// Twilio's REST base URL (tests point it at a local fake).
    #[arg(long, env = "TWILIO_API_BASE", default_value = "https://api.twilio.com")]
    pub twilio_api_base: url::Url,
}

#[derive(Debug, Clone, Args)]
pub struct ShopifyArgs {
    /// The app's client id. With no key and no secret the server runs in dev mode.
    #[arg(long, env = "SHOPIFY_API_KEY")]
    pub api_key: Option<String>,
    /// The app's client secret (signs session tokens and webhooks).
    #[arg(long, env = "SHOPIFY_API_SECRET", hide_env_values = true)]
    pub api_secret: Option<String>,
    /// The secret before a rotation: Shopify may keep signing with it for up to an hour, so it
    /// is accepted too while set. Remove it once the rotation has settled.
    #[arg(long, env = "SHOPIFY_API_SECRET_PREVIOUS", hide_env_values = true)]
    pub previous_api_secret: Option<String>,
    /// Where the shops' Admin API is reached: unset, `https://<shop>` (the real Shopify); tests
    /// and local fakes set a base URL that every shop's requests go to (`<base>/<shop>/admin/…`).
    #[arg(long, env = "SHOPIFY_ADMIN_BASE")]
    pub admin_base: Option<url::Url>,
    /// Where the admin loads App Bridge from: unset, Shopify's CDN (the only place App Bridge
    /// may come from in production); local fakes and browser tests serve a stand-in.
    #[arg(long, env = "SHOPIFY_APP_BRIDGE_URL")]
    pub app_bridge_url: Option<url::Url>,
}

pub use crate::providers::twilio::TwilioConfig;
pub use crate::shopify::ShopifyCredentials;

/// Dev mode exists only when no Shopify credentials are configured (DESIGN.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Dev,
    Production,
}

/// Fully resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub listen: SocketAddr,
    /// `None`: derive from the bound address (useful with port 0 in tests).
    pub public_url: Option<url::Url>,
    pub ui_dir: PathBuf,
    pub shopify: ShopifyCredentials,
    pub encryption_key: EncryptionKey,
    /// Still accepted for decrypting during a key rotation.
    pub previous_encryption_key: Option<EncryptionKey>,
    pub email: EmailConfig,
    pub callbacks: CallbackConfig,
    pub sms: SmsConfig,
    pub media: MediaConfig,
    pub capture: CaptureConfig,
    pub dispatch: DispatchConfig,
    /// Where traces go (OTLP over HTTP); `None`: nowhere.
    pub otlp_endpoint: Option<url::Url>,
}

impl Config {
    /// Decrypts a stored secret with the key that sealed it (named by its key id): the current
    /// key, or during a rotation the previous one. Values sealed before key ids existed are
    /// tried with both.
    pub fn decrypt_secret(&self, stored: &str) -> Result<String, crate::domain::secrets::SecretError> {
        use crate::domain::secrets::{SecretError, key_id_of};
        let keys = std::iter::once(&self.encryption_key).chain(self.previous_encryption_key.as_ref());
        match key_id_of(stored) {
            Some(id) => keys
                .into_iter()
                .find(|k| k.id() == id)
                .ok_or_else(|| SecretError::UnknownKey(id.to_owned()))?
                .decrypt(stored),
            None => match self.encryption_key.decrypt(stored) {
                Err(e) => {
                    self.previous_encryption_key.as_ref().map_or(Err(e.clone()), |k| k.decrypt(stored).map_err(|_| e))
                }
                ok => ok,
            },
        }
    }
}

/// How background work is claimed and given back (DESIGN.md §7: at most once per slot,
/// fenced).
#[derive(Debug, Clone, Copy)]
pub struct DispatchConfig {
    /// A claimed request is another worker's to take once this has passed without the claim
    /// being renewed; each send renews it right before calling the provider.
    pub send_lease: std::time::Duration,
    /// At shutdown, how long work already started may take before it is stopped and given
    /// back (and open connections closed).
    pub drain: std::time::Duration,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        Self { send_lease: std::time::Duration::from_secs(120), drain: std::time::Duration::from_secs(30) }
    }
}

/// The public capture API's protections.
#[derive(Debug, Clone)]
pub struct CaptureConfig {
    pub rate_per_ip_per_minute: u32,
    pub rate_per_token_per_minute: u32,
    /// Uploads one shop may receive per hour, across its links and every replica.
    pub uploads_per_shop_per_hour: u32,
    /// An upload that sends nothing for this long is cut (what arrived stays staged).
    pub upload_idle_timeout: std::time::Duration,
    /// How many `X-Forwarded-For` entries, from the right, our own proxies wrote (0: the
    /// header is not believed at all).
    pub trusted_proxy_hops: u8,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        Self {
            rate_per_ip_per_minute: 120,
            rate_per_token_per_minute: 30,
            uploads_per_shop_per_hour: 500,
            upload_idle_timeout: std::time::Duration::from_secs(60),
            trusted_proxy_hops: 0,
        }
    }
}

/// The media worker's tools and limits.
#[derive(Debug, Clone, Default)]
pub struct MediaConfig {
    pub tools: crate::providers::ffmpeg::Ffmpeg,
    pub limits: crate::domain::media::MediaLimits,
    pub store: MediaStore,
    pub import: ImportFetch,
}

/// How the media worker fetches imported videos.
#[derive(Debug, Clone)]
pub struct ImportFetch {
    pub allow_private: bool,
    pub timeout: std::time::Duration,
}

impl Default for ImportFetch {
    fn default() -> Self {
        Self { allow_private: false, timeout: std::time::Duration::from_secs(120) }
    }
}

/// `MEDIA_STORE`.
#[derive(Debug, Clone, Default)]
pub enum MediaStore {
    /// `<data dir>/media`, served by our signed `/uploads` and `/media` routes.
    #[default]
    Local,
    S3(crate::providers::storage::S3Settings),
}

#[derive(Clone, Debug)]
pub enum SmsConfig {
    Outbox,
    Twilio(TwilioConfig),
}

/// What verifies provider callbacks; a provider without its secret has no callback endpoint.
#[derive(Clone, Default)]
pub struct CallbackConfig {
    pub sendgrid_public_key: Option<crate::providers::callbacks::sendgrid::PublicKey>,
    pub postmark_basic_auth: Option<String>,
    pub twilio_auth_token: Option<String>,
}

impl std::fmt::Debug for CallbackConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackConfig")
            .field("sendgrid", &self.sendgrid_public_key.is_some())
            .field("postmark", &self.postmark_basic_auth.is_some())
            .field("twilio", &self.twilio_auth_token.is_some())
            .finish()
    }
}

#[derive(Clone)]
pub struct EmailConfig {
    /// `None`: the outbox.
    pub smtp_url: Option<String>,
    pub from: String,
}

impl std::fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SMTP URL may carry a password.
        f.debug_struct("EmailConfig").field("smtp", &self.smtp_url.is_some()).field("from", &self.from).finish()
    }
}

impl EmailConfig {
    pub fn outbox() -> Self {
        Self { smtp_url: None, from: "no-reply@reelproof.localhost".into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no Shopify credentials: set SHOPIFY_API_KEY and SHOPIFY_API_SECRET (and REELPROOF_ENCRYPTION_KEY), or start dev mode explicitly with --dev or REELPROOF_DEV=1"
    )]
    NoShopifyCredentials,
    #[error("SHOPIFY_API_KEY or SHOPIFY_API_SECRET is set but blank; a blank secret would be an empty signing key")]
    BlankShopifyCredential,
    #[error(
        "SHOPIFY_API_SECRET is shorter than the {MIN_SECRET_LEN} characters Shopify issues: check it was pasted whole"
    )]
    ShortShopifySecret,
    #[error("--dev (REELPROOF_DEV) and Shopify credentials are both set: choose one")]
    DevWithShopifyCredentials,
    #[error(
        "dev mode signs anyone in as the demo shop; it listens on loopback only ({0} is not). Add --dev-allow-remote (REELPROOF_DEV_ALLOW_REMOTE=1) if you mean it"
    )]
    DevOnRemoteAddress(SocketAddr),
    #[error("SHOPIFY_API_KEY and SHOPIFY_API_SECRET must be set together")]
    HalfShopifyCredentials,
    #[error("REELPROOF_ENCRYPTION_KEY is required when Shopify credentials are set: {0}")]
    MissingEncryptionKey(SecretError),
    #[error("REELPROOF_ENCRYPTION_KEY: {0}")]
    BadEncryptionKey(SecretError),
    #[error(
        "SMS_TRANSPORT=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID"
    )]
    IncompleteTwilio,
    #[error("SMS_TRANSPORT must be `outbox` or `twilio`, not `{0}`")]
    UnknownSmsTransport(String),
    #[error("MEDIA_STORE must be `local` or `s3://bucket`, not `{0}`")]
    BadMediaStore(String),
    #[error(transparent)]
    SendGridKey(#[from] crate::providers::callbacks::sendgrid::BadPublicKey),
    #[error("dev credentials file {path}: {source}")]
    DevCredentials { path: PathBuf, source: std::io::Error },
}

/// Generated once per data dir in dev mode and kept there, so restarts keep sessions and
/// encrypted values readable.
#[derive(Serialize, Deserialize)]
struct DevCredentials {
    api_key: String,
    api_secret: String,
    encryption_key: String,
}

impl RawConfig {
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let database_url = self.database.url.unwrap_or_else(|| sqlite_url(&self.data_dir.join("reelproof.db")));
        let previous = self.shopify.previous_api_secret.filter(|s| !s.is_empty());
        let admin_base = self.shopify.admin_base;
        let app_bridge_url = self.shopify.app_bridge_url;
        let blank = |v: &Option<String>| v.as_deref().is_some_and(|s| s.trim().is_empty());
        if blank(&self.shopify.api_key) || blank(&self.shopify.api_secret) {
            return Err(ConfigError::BlankShopifyCredential);
        }
        let (mode, shopify, encryption_key) = match (self.shopify.api_key, self.shopify.api_secret) {
            (Some(_), Some(_)) if self.dev => return Err(ConfigError::DevWithShopifyCredentials),
            (Some(_), Some(api_secret)) if api_secret.trim().len() < MIN_SECRET_LEN => {
                return Err(ConfigError::ShortShopifySecret);
            }
            (Some(api_key), Some(api_secret)) => {
                let (api_key, api_secret) = (api_key.trim().to_owned(), api_secret.trim().to_owned());
                let key = self
                    .encryption_key
                    .as_deref()
                    .ok_or(ConfigError::MissingEncryptionKey(SecretError::BadKey))
                    .and_then(|k| EncryptionKey::from_base64(k).map_err(ConfigError::MissingEncryptionKey))?;
                let creds = ShopifyCredentials {
                    previous_api_secret: previous,
                    admin_base,
                    app_bridge_url,
                    ..ShopifyCredentials::new(api_key, api_secret)
                };
                (Mode::Production, creds, key)
            }
            (None, None) if !self.dev => return Err(ConfigError::NoShopifyCredentials),
            (None, None) => {
                if !self.http.listen.ip().is_loopback() && !self.dev_allow_remote {
                    return Err(ConfigError::DevOnRemoteAddress(self.http.listen));
                }
                let dev = load_or_create_dev_credentials(&self.data_dir)?;
                let key = match self.encryption_key.as_deref() {
                    Some(k) => EncryptionKey::from_base64(k).map_err(ConfigError::BadEncryptionKey)?,
                    None => EncryptionKey::from_base64(&dev.encryption_key).map_err(ConfigError::BadEncryptionKey)?,
                };
                let creds = ShopifyCredentials::new(dev.api_key, dev.api_secret);
                (Mode::Dev, creds, key)
            }
            _ => return Err(ConfigError::HalfShopifyCredentials),
        };
        let nonempty = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        let m = self.messaging;
        let callbacks = CallbackConfig {
            sendgrid_public_key: nonempty(m.sendgrid_webhook_public_key)
                .map(|k| crate::providers::callbacks::sendgrid::PublicKey::from_base64_der(&k))
                .transpose()?,
            postmark_basic_auth: nonempty(m.postmark_webhook_auth),
            twilio_auth_token: nonempty(m.twilio_auth_token),
        };
        let sms = match m.sms_transport.as_str() {
            "outbox" => SmsConfig::Outbox,
            "twilio" => {
                let from_number = nonempty(m.twilio_from_number);
                let messaging_service_sid = nonempty(m.twilio_messaging_service_sid);
                match (nonempty(m.twilio_account_sid), callbacks.twilio_auth_token.clone()) {
                    (Some(account_sid), Some(auth_token))
                        if from_number.is_some() || messaging_service_sid.is_some() =>
                    {
                        SmsConfig::Twilio(TwilioConfig {
                            account_sid,
                            auth_token,
                            from_number,
                            messaging_service_sid,
                            api_base: m.twilio_api_base,
                        })
                    }
                    _ => return Err(ConfigError::IncompleteTwilio),
                }
            }
            other => return Err(ConfigError::UnknownSmsTransport(other.to_owned())),
        };
        let media = MediaConfig {
            tools: crate::providers::ffmpeg::Ffmpeg { ffmpeg: m.ffmpeg_path, ffprobe: m.ffprobe_path },
            limits: Default::default(),
            import: ImportFetch {
                allow_private: m.import_allow_private,
                timeout: std::time::Duration::from_secs(m.import_timeout_seconds.max(1)),
            },
            store: match m.media_store.trim() {
                "" | "local" => MediaStore::Local,
                s => {
                    let bucket = s
                        .strip_prefix("s3://")
                        .map(|b| b.trim_end_matches('/'))
                        .filter(|b| !b.is_empty() && !b.contains('/'))
                        .ok_or_else(|| ConfigError::BadMediaStore(s.to_owned()))?;
                    MediaStore::S3(crate::providers::storage::S3Settings {
                        bucket: bucket.to_owned(),
                        region: nonempty(m.aws_region),
                        endpoint: nonempty(m.aws_endpoint_url),
                        access_key_id: nonempty(m.aws_access_key_id),
                        secret_access_key: nonempty(m.aws_secret_access_key),
                        session_token: nonempty(m.aws_session_token),
                    })
                }
            },
        };
        let capture = CaptureConfig {
            rate_per_ip_per_minute: m.capture_rate_per_ip,
            rate_per_token_per_minute: m.capture_rate_per_token,
            uploads_per_shop_per_hour: m.capture_uploads_per_shop_per_hour,
            upload_idle_timeout: std::time::Duration::from_secs(60),
            trusted_proxy_hops: if m.trust_forwarded_for { m.trusted_proxies } else { 0 },
        };
        let dispatch = DispatchConfig {
            send_lease: std::time::Duration::from_secs(m.send_lease_seconds.into()),
            drain: std::time::Duration::from_secs(m.drain_seconds.into()),
        };
        Ok(Config {
            otlp_endpoint: self.otlp_endpoint,
            capture,
            dispatch,
            media,
            sms,
            callbacks,
            mode,
            data_dir: self.data_dir,
            database_url,
            listen: self.http.listen,
            public_url: self.http.public_url,
            ui_dir: self.http.ui_dir,
            shopify,
            encryption_key,
            previous_encryption_key: self
                .previous_encryption_key
                .filter(|k| !k.trim().is_empty())
                .map(|k| EncryptionKey::from_base64(&k))
                .transpose()
                .map_err(ConfigError::BadEncryptionKey)?,
            email: EmailConfig {
                smtp_url: (m.email_transport != "outbox").then_some(m.email_transport),
                from: m.email_from,
            },
        })
    }
}

/// A SQLite URL that creates the file when missing.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

fn load_or_create_dev_credentials(data_dir: &Path) -> Result<DevCredentials, ConfigError> {
    let path = data_dir.join("dev-credentials.json");
    let io_err = |source| ConfigError::DevCredentials { path: path.clone(), source };
    if let Ok(text) = std::fs::read_to_string(&path)
        && let Ok(creds) = serde_json::from_str::<DevCredentials>(&text)
    {
        return Ok(creds);
    }
    std::fs::create_dir_all(data_dir).map_err(io_err)?;
    let creds = DevCredentials {
        api_key: format!("dev-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
        api_secret: hex::encode(rand::random::<[u8; 32]>()),
        encryption_key: EncryptionKey::generate().to_base64(),
    };
    let text = serde_json::to_string_pretty(&creds).expect("serialisable");
    write_private(&path, &text).map_err(io_err)?;
    Ok(creds)
}

/// Writes a file readable by the owner only (it holds secrets).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        raw: RawConfig,
    }

    fn parse(args: &[&str]) -> RawConfig {
        Cli::try_parse_from(std::iter::once("x").chain(args.iter().copied())).unwrap().raw
    }

    #[test]
    fn no_credentials_means_dev_mode_with_stable_generated_secrets() {
        let dir = std::env::temp_dir().join(format!("rp-cfg-{}", uuid::Uuid::new_v4()));
        let d = dir.to_str().unwrap();
        let a = parse(&["--data-dir", d, "--dev"]).resolve().unwrap();
        assert_eq!(a.mode, Mode::Dev);
        assert!(a.database_url.starts_with("sqlite://") && a.database_url.ends_with("reelproof.db?mode=rwc"));
        assert_eq!(a.listen.to_string(), "127.0.0.1:8080");
        let b = parse(&["--data-dir", d, "--dev"]).resolve().unwrap();
        assert_eq!(a.shopify.api_secret, b.shopify.api_secret, "dev secrets survive a restart");
        std::fs::remove_dir_all(dir).unwrap();
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn production_needs_both_credentials_and_an_encryption_key() {
        let key = EncryptionKey::generate().to_base64();
        let ok = parse(&["--api-key", "k", "--api-secret", SECRET, "--encryption-key", &key]).resolve().unwrap();
        assert_eq!(ok.mode, Mode::Production);
        assert!(matches!(parse(&["--api-key", "k"]).resolve(), Err(ConfigError::HalfShopifyCredentials)));
        assert!(matches!(
            parse(&["--api-key", "k", "--api-secret", SECRET]).resolve(),
            Err(ConfigError::MissingEncryptionKey(_))
        ));
        assert!(matches!(
            parse(&["--api-key", "k", "--api-secret", SECRET, "--encryption-key", "short"]).resolve(),
            Err(ConfigError::MissingEncryptionKey(_))
        ));
    }

    #[test]
    fn nothing_insecure_starts_and_dev_mode_is_only_ever_asked_for() {
        let key = EncryptionKey::generate().to_base64();
        // Lost its Shopify variables: no silent dev mode.
        assert!(matches!(parse(&[]).resolve(), Err(ConfigError::NoShopifyCredentials)));
        // Blank or short secrets would make a weak or empty HMAC key.
        assert!(matches!(
            parse(&["--api-key", "k", "--api-secret", "  ", "--encryption-key", &key]).resolve(),
            Err(ConfigError::BlankShopifyCredential)
        ));
        assert!(matches!(
            parse(&["--api-key", " ", "--api-secret", SECRET, "--encryption-key", &key]).resolve(),
            Err(ConfigError::BlankShopifyCredential)
        ));
        assert!(matches!(
            parse(&["--api-key", "k", "--api-secret", "shortsecret", "--encryption-key", &key]).resolve(),
            Err(ConfigError::ShortShopifySecret)
        ));
        assert!(matches!(
            parse(&["--api-key", "k", "--api-secret", SECRET, "--encryption-key", &key, "--dev"]).resolve(),
            Err(ConfigError::DevWithShopifyCredentials)
        ));
        // Dev mode on a public address only with a second explicit flag.
        let dir = std::env::temp_dir().join(format!("rp-cfg-{}", uuid::Uuid::new_v4()));
        let d = dir.to_str().unwrap();
        let remote = parse(&["--data-dir", d, "--dev", "--listen", "0.0.0.0:8080"]).resolve();
        assert!(matches!(remote, Err(ConfigError::DevOnRemoteAddress(_))));
        assert!(remote.unwrap_err().to_string().contains("--dev-allow-remote"));
        let allowed = parse(&["--data-dir", d, "--dev", "--listen", "0.0.0.0:8080", "--dev-allow-remote"]).resolve();
        assert_eq!(allowed.unwrap().mode, Mode::Dev);
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let creds = ShopifyCredentials {
            previous_api_secret: Some("oldsecret".into()),
            ..ShopifyCredentials::new("key", "topsecret")
        };
        let shown = format!("{creds:?}");
        assert!(!shown.contains("topsecret") && !shown.contains("oldsecret"));
    }
}
