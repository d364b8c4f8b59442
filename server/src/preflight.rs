//! Configuration checking: `reelproof check-config`, and `serve` before it starts.
//!
//! [`RawConfig::resolve`](crate::config::RawConfig::resolve) already refuses what cannot be
//! parsed. This goes further: the shape of values that parse but cannot be right (a client id
//! that is not one, an `http://` public URL in production) and whether the outside systems
//! answer (the database, the bucket, the SMTP server, ffmpeg). Every setting is listed with
//! what the server would run with, secrets masked, so an operator can read a deployment's
//! configuration without reading its environment.
//!
//! Architecture Invariant: nothing here changes anything. The database is pinged, the bucket
//! listed, the SMTP server greeted; no row, object or message is written.

use crate::config::{Config, MediaStore, Mode, SmsConfig};
use std::fmt;
use std::time::Duration;

/// How long each outside system may take to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// One setting: its name as an operator sets it, what the server runs with, and the verdict.
#[derive(Debug, Clone)]
pub struct Item {
    pub setting: &'static str,
    pub shown: String,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// Works, but an operator should know (a sentence).
    Note(String),
    /// The server must not start with this (a sentence).
    Error(String),
}

impl Verdict {
    /// A note when `when` holds (typically: in production), fine otherwise.
    fn note_if(when: bool, note: &str) -> Self {
        if when { Verdict::Note(note.to_owned()) } else { Verdict::Ok }
    }
}

/// Everything checked, in the order an operator reads a deployment.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub items: Vec<Item>,
}

impl Report {
    /// The sentences of every error.
    pub fn errors(&self) -> Vec<String> {
        self.items
            .iter()
            .filter_map(|i| match &i.verdict {
                Verdict::Error(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }

    fn push(&mut self, setting: &'static str, shown: impl Into<String>, verdict: Verdict) {
        self.items.push(Item { setting, shown: shown.into(), verdict });
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.items.iter().map(|i| i.setting.len()).max().unwrap_or(0);
        for i in &self.items {
            let verdict = match &i.verdict {
                Verdict::Ok => String::new(),
                Verdict::Note(n) => format!("  (note: {n})"),
                Verdict::Error(e) => format!("  ERROR: {e}"),
            };
            writeln!(f, "{:width$}  {}{verdict}", i.setting, i.shown)?;
        }
        Ok(())
    }
}

/// What the process will run: the media worker needs ffmpeg, a web-only process does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub runs_media: bool,
}

/// Checks every setting of `config` and probes the outside systems it names.
pub async fn check(config: &Config, scope: Scope) -> Report {
    let mut r = Report::default();
    let prod = config.mode == Mode::Production;
    r.push("mode", format!("{:?}", config.mode).to_lowercase(), Verdict::Ok);
    r.push("REELPROOF_LISTEN", config.listen.to_string(), Verdict::Ok);
    public_url(&mut r, config, prod);
    r.push("REELPROOF_DATA_DIR", config.data_dir.display().to_string(), Verdict::Ok);
    let ui = config.ui_dir.join("app/index.html");
    r.push(
        "REELPROOF_UI_DIR",
        config.ui_dir.display().to_string(),
        if ui.exists() {
            Verdict::Ok
        } else {
            Verdict::Note(format!("{} is missing: the admin and capture pages are not built", ui.display()))
        },
    );
    database(&mut r, &config.database_url).await;
    shopify(&mut r, config, prod);
    r.push("REELPROOF_ENCRYPTION_KEY", format!("set (key id {})", config.encryption_key.id()), Verdict::Ok);
    if let Some(k) = &config.previous_encryption_key {
        r.push(
            "REELPROOF_ENCRYPTION_KEY_PREVIOUS",
            format!("set (key id {}): still read during a rotation", k.id()),
            Verdict::Ok,
        );
    }
    email(&mut r, config).await;
    sms(&mut r, config);
    storage(&mut r, config).await;
    ffmpeg(&mut r, config, scope, prod).await;
    let cb = &config.callbacks;
    let set = |on: bool| if on { "set: its callback endpoint is on" } else { "unset: no callback endpoint" };
    r.push("SENDGRID_WEBHOOK_PUBLIC_KEY", set(cb.sendgrid_public_key.is_some()), Verdict::Ok);
    r.push("POSTMARK_WEBHOOK_AUTH", set(cb.postmark_basic_auth.is_some()), Verdict::Ok);
    r.push("TWILIO_AUTH_TOKEN", set(cb.twilio_auth_token.is_some()), Verdict::Ok);
    let import = &config.media.import;
    r.push(
        "REELPROOF_IMPORT_ALLOW_PRIVATE",
        import.allow_private.to_string(),
        Verdict::note_if(
            import.allow_private && prod,
            "CSV imports may fetch from this server's own network: for tests and local use only",
        ),
    );
    r.push("IMPORT_FETCH_TIMEOUT_SECONDS", import.timeout.as_secs().to_string(), Verdict::Ok);
    let c = &config.capture;
    r.push(
        "CAPTURE_RATE_PER_IP / _PER_TOKEN",
        format!("{} / {} per minute", c.rate_per_ip_per_minute, c.rate_per_token_per_minute),
        Verdict::Ok,
    );
    r.push("CAPTURE_UPLOADS_PER_SHOP_PER_HOUR", c.uploads_per_shop_per_hour.to_string(), Verdict::Ok);
    r.push(
        "REELPROOF_TRUST_FORWARDED_FOR",
        match c.trusted_proxy_hops {
            0 => "no: the client IP is the peer's address".to_owned(),
            n => format!("yes, {n} proxy hop(s)"),
        },
        Verdict::Ok,
    );
    r.push("REELPROOF_SEND_LEASE_SECONDS", config.dispatch.send_lease.as_secs().to_string(), Verdict::Ok);
    r.push("REELPROOF_DRAIN_SECONDS", config.dispatch.drain.as_secs().to_string(), Verdict::Ok);
    r.push(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        config.otlp_endpoint.as_ref().map_or_else(|| "unset: no trace export".to_owned(), |u| u.to_string()),
        Verdict::Ok,
    );
    r
}

fn public_url(r: &mut Report, config: &Config, prod: bool) {
    let Some(url) = &config.public_url else {
        let verdict =
            Verdict::note_if(prod, "unset: links use http://<listen>, which customers cannot reach in production");
        return r.push("REELPROOF_PUBLIC_URL", format!("unset (http://{})", config.listen), verdict);
    };
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let verdict = if prod && url.scheme() != "https" && !local {
        Verdict::Error(format!(
            "REELPROOF_PUBLIC_URL must be https:// in production ({url} is not): Shopify loads the admin and sends webhooks over HTTPS only, and capture links carry tokens"
        ))
    } else {
        Verdict::Ok
    };
    r.push("REELPROOF_PUBLIC_URL", url.to_string(), verdict);
}

async fn database(r: &mut Report, url: &str) {
    let shown = mask_url(url);
    let probe = async {
        let db = crate::db::connect(url).await.map_err(|e| e.to_string())?;
        db.ping().await.map_err(|e| e.to_string())?;
        let pending = crate::db::pending_migrations(&db).await.map_err(|e| e.to_string())?;
        db.close().await.ok();
        Ok::<usize, String>(pending)
    };
    let verdict = match probe_within(probe).await {
        Ok(0) => Verdict::Ok,
        Ok(n) => Verdict::Note(format!("{n} migration(s) pending: `reelproof migrate` applies them (serve does too)")),
        Err(e) => Verdict::Error(format!("DATABASE_URL: cannot use the database at {shown}: {e}")),
    };
    r.push("DATABASE_URL", shown, verdict);
}

fn shopify(r: &mut Report, config: &Config, prod: bool) {
    let s = &config.shopify;
    let key_ok = s.api_key.len() == 32 && s.api_key.bytes().all(|b| b.is_ascii_hexdigit());
    let verdict = if prod && !key_ok {
        Verdict::Error(
            "SHOPIFY_API_KEY is not a Shopify client id (32 hexadecimal characters, from the app's Client credentials in the Dev Dashboard)"
                .into(),
        )
    } else {
        Verdict::Ok
    };
    r.push("SHOPIFY_API_KEY", s.api_key.clone(), verdict);
    let secret_ok = !s.api_secret.chars().any(char::is_whitespace);
    let verdict = if secret_ok {
        Verdict::Ok
    } else {
        Verdict::Error("SHOPIFY_API_SECRET contains whitespace: it was pasted with a line break or a space".into())
    };
    r.push("SHOPIFY_API_SECRET", mask_secret(&s.api_secret), verdict);
    if let Some(p) = &s.previous_api_secret {
        r.push("SHOPIFY_API_SECRET_PREVIOUS", format!("{}: accepted during a rotation", mask_secret(p)), Verdict::Ok);
    }
    if let Some(base) = &s.admin_base {
        let note = "every shop's Admin API is reached at this base instead of Shopify (tests and fakes)";
        r.push("SHOPIFY_ADMIN_BASE", base.to_string(), Verdict::note_if(prod, note));
    }
    if let Some(url) = &s.app_bridge_url {
        let note = "App Bridge is not loaded from Shopify's CDN, which production apps must use";
        r.push("SHOPIFY_APP_BRIDGE_URL", url.to_string(), Verdict::note_if(prod, note));
    }
}

async fn email(r: &mut Report, config: &Config) {
    let from = match config.email.from.parse::<lettre::message::Mailbox>() {
        Ok(_) => Verdict::Ok,
        Err(e) => Verdict::Error(format!("EMAIL_FROM {:?} is not an email address: {e}", config.email.from)),
    };
    r.push("EMAIL_FROM", config.email.from.clone(), from);
    let Some(url) = &config.email.smtp_url else {
        let outbox = config.data_dir.join("outbox");
        return r.push(
            "EMAIL_TRANSPORT",
            format!("outbox: files under {}", outbox.display()),
            Verdict::note_if(
                config.mode == Mode::Production,
                "no email leaves this server: set EMAIL_TRANSPORT to an SMTP URL",
            ),
        );
    };
    let shown = mask_url(url);
    let verdict = match crate::providers::email::Smtp::from_url(url) {
        Err(e) => Verdict::Error(e),
        Ok(smtp) => match probe_within(smtp.check()).await {
            Ok(()) => Verdict::Ok,
            Err(e) => Verdict::Error(format!("EMAIL_TRANSPORT: cannot use the SMTP server at {shown}: {e}")),
        },
    };
    r.push("EMAIL_TRANSPORT", shown, verdict);
}

fn sms(r: &mut Report, config: &Config) {
    match &config.sms {
        SmsConfig::Outbox => r.push("SMS_TRANSPORT", "outbox", Verdict::Ok),
        SmsConfig::Twilio(t) => {
            let sid_ok = |s: &str, prefix: &str| {
                s.len() == 34 && s.starts_with(prefix) && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
            };
            let verdict = if !sid_ok(&t.account_sid, "AC") {
                Verdict::Error(
                    "TWILIO_ACCOUNT_SID is not an account SID (AC followed by 32 hexadecimal characters)".into(),
                )
            } else if t.messaging_service_sid.as_deref().is_some_and(|s| !sid_ok(s, "MG")) {
                Verdict::Error(
                    "TWILIO_MESSAGING_SERVICE_SID is not a messaging service SID (MG followed by 32 hexadecimal characters)"
                        .into(),
                )
            } else if t.from_number.as_deref().is_some_and(|n| !is_e164(n)) {
                Verdict::Error("TWILIO_FROM_NUMBER is not an E.164 number (+ and 8 to 15 digits)".into())
            } else {
                Verdict::Ok
            };
            let sender = t.from_number.clone().or_else(|| t.messaging_service_sid.clone()).unwrap_or_default();
            r.push(
                "SMS_TRANSPORT",
                format!("twilio, account {}, from {sender}, token {}", t.account_sid, mask_secret(&t.auth_token)),
                verdict,
            );
        }
    }
}

fn is_e164(n: &str) -> bool {
    n.strip_prefix('+')
        .is_some_and(|d| (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0'))
}

async fn storage(r: &mut Report, config: &Config) {
    let (shown, probe) = match &config.media.store {
        MediaStore::Local => {
            let dir = config.data_dir.join("media");
            let shown = format!("local: {}", dir.display());
            let probe =
                local_writable(&dir).await.map_err(|e| format!("MEDIA_STORE: {} is not writable: {e}", dir.display()));
            (shown, probe)
        }
        MediaStore::S3(s3) => {
            let key = s3.access_key_id.as_deref().map_or_else(|| "from the environment chain".to_owned(), mask_secret);
            let shown = format!(
                "s3://{} (endpoint {}, region {}, access key {key})",
                s3.bucket,
                s3.endpoint.as_deref().unwrap_or("AWS"),
                s3.region.as_deref().unwrap_or("default")
            );
            let probe = async {
                let store = crate::providers::storage::Storage::s3(s3).map_err(|e| e.to_string())?;
                store.list("reelproof-check-config/").await.map(|_| ()).map_err(|e| e.to_string())
            };
            let probe = probe_within(probe)
                .await
                .map_err(|e| format!("MEDIA_STORE: cannot use the bucket s3://{}: {e}", s3.bucket));
            (shown, probe)
        }
    };
    r.push("MEDIA_STORE", shown, probe.map_or_else(Verdict::Error, |()| Verdict::Ok));
}

/// Runs a probe of an outside system, giving up after [`PROBE_TIMEOUT`].
async fn probe_within<T>(probe: impl std::future::Future<Output = Result<T, String>>) -> Result<T, String> {
    tokio::time::timeout(PROBE_TIMEOUT, probe)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())))
}

/// Writes and removes a probe file: what the media store and uploads will do.
async fn local_writable(dir: &std::path::Path) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let probe = dir.join(format!(".check-config-{}", uuid::Uuid::new_v4().simple()));
    tokio::fs::write(&probe, b"probe").await?;
    tokio::fs::remove_file(&probe).await
}

async fn ffmpeg(r: &mut Report, config: &Config, scope: Scope, prod: bool) {
    let tools = &config.media.tools;
    let shown = format!("{} and {}", tools.ffmpeg.display(), tools.ffprobe.display());
    let verdict = match tools.versions().await {
        Ok(v) => return r.push("FFMPEG_PATH / FFPROBE_PATH", format!("{shown}: {v}"), Verdict::Ok),
        Err(e) if !scope.runs_media => Verdict::Note(format!("{e}; this process runs no media work (--role web)")),
        Err(e) if !prod => Verdict::Note(format!("{e}; videos will fail to process until it is installed")),
        Err(e) => Verdict::Error(format!(
            "FFMPEG_PATH / FFPROBE_PATH: {e}; the media worker cannot process videos (install ffmpeg, or run this process with --role web)"
        )),
    };
    r.push("FFMPEG_PATH / FFPROBE_PATH", shown, verdict);
}

/// A URL with its password replaced (database and SMTP URLs carry one).
pub fn mask_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(not a URL)".to_owned(),
    }
}

/// A secret shown only by its length and last two characters: enough to tell two apart.
pub fn mask_secret(s: &str) -> String {
    let n = s.chars().count();
    if n < 12 {
        return format!("**** ({n} characters)");
    }
    let tail: String = s.chars().skip(n - 2).collect();
    format!("****{tail} ({n} characters)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_hide_passwords_and_secrets() {
        assert_eq!(mask_url("postgres://app:hunter2@db:5432/rp"), "postgres://app:****@db:5432/rp");
        assert_eq!(mask_url("smtp://mail:25"), "smtp://mail:25");
        let shown = mask_secret("shpss_0123456789abcdef0123456789abcdef");
        assert!(!shown.contains("0123") && shown.ends_with("ef (38 characters)"), "{shown}");
        assert_eq!(mask_secret("short"), "**** (5 characters)");
    }

    #[test]
    fn e164_numbers() {
        assert!(is_e164("+14155550100"));
        assert!(!is_e164("4155550100") && !is_e164("+0123456789") && !is_e164("+1 415 555"));
    }
}
