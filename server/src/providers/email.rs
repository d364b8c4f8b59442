//! Email delivery behind one interface: the outbox (default: `.eml` files under the data dir,
//! link logged without its token) and SMTP through lettre's pooled async transport.

use lettre::message::{Mailbox, MultiPart, SinglePart, header};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

/// One email to send.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub from: String,
    pub reply_to: Option<String>,
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// Stable per request and slot (`request_id:slot`), used as the Message-ID so a resend after
    /// a crash can be recognised downstream.
    pub idempotency_key: String,
    /// Echoed back by SendGrid (`X-SMTPAPI` unique args) and Postmark (`X-PM-Metadata-…`) in
    /// their event callbacks, so an event finds its request even when relayed over SMTP.
    pub request_id: Option<entity::RequestId>,
    /// One-click unsubscribe (RFC 8058): `List-Unsubscribe` + `List-Unsubscribe-Post`, which
    /// Gmail and Yahoo require of bulk senders.
    pub unsubscribe_url: Option<String>,
}

/// How a send failed: retrying helps, or it never will.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("temporary: {0}")]
    Transient(String),
    #[error("permanent: {0}")]
    Permanent(String),
}

#[async_trait::async_trait]
pub trait EmailSender: Send + Sync {
    /// Sends and returns the provider's message id.
    async fn send(&self, email: &OutgoingEmail) -> Result<String, SendError>;
    fn name(&self) -> &'static str;

    /// Whether the message with this idempotency key was already accepted, and its id. After a
    /// crash between the provider call and recording it, this prevents a second send. Providers
    /// that cannot be asked (plain SMTP) answer `None`.
    async fn accepted(&self, _idempotency_key: &str) -> Option<String> {
        None
    }
}

fn build(email: &OutgoingEmail) -> Result<(Message, String), SendError> {
    let parse = |what: &str, v: &str| -> Result<Mailbox, SendError> {
        v.parse().map_err(|e| SendError::Permanent(format!("invalid {what} address: {e}")))
    };
    let domain = email.from.rsplit('@').next().unwrap_or("reelproof").trim_end_matches('>').to_owned();
    let message_id = format!("<{}@{}>", email.idempotency_key.replace(':', "."), domain);
    let mut b = Message::builder()
        .from(parse("from", &email.from)?)
        .to(parse("to", &email.to)?)
        .subject(email.subject.clone())
        .message_id(Some(message_id.clone()));
    if let Some(r) = &email.reply_to {
        b = b.reply_to(parse("reply-to", r)?);
    }
    if let Some(url) = &email.unsubscribe_url {
        use lettre::message::header::{HeaderName, HeaderValue};
        b = b
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{url}>")))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    if let Some(id) = email.request_id {
        use lettre::message::header::{HeaderName, HeaderValue};
        let smtpapi = serde_json::json!({ "unique_args": { "reelproof_request_id": id.to_string() } }).to_string();
        b = b.raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("X-SMTPAPI"), smtpapi)).raw_header(
            HeaderValue::new(HeaderName::new_from_ascii_str("X-PM-Metadata-reelproof_request_id"), id.to_string()),
        );
    }
    let body = MultiPart::alternative()
        .singlepart(SinglePart::builder().header(header::ContentType::TEXT_PLAIN).body(email.text.clone()))
        .singlepart(SinglePart::builder().header(header::ContentType::TEXT_HTML).body(email.html.clone()));
    let msg = b.multipart(body).map_err(|e| SendError::Permanent(format!("cannot build message: {e}")))?;
    Ok((msg, message_id))
}

/// Writes each message as an `.eml` file; the default, so a newcomer sees mail without a server.
pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn file(&self, idempotency_key: &str) -> PathBuf {
        self.dir.join(format!("{}.eml", idempotency_key.replace(':', "_")))
    }
}

#[async_trait::async_trait]
impl EmailSender for Outbox {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, SendError> {
        let (msg, id) = build(email)?;
        tokio::fs::create_dir_all(&self.dir).await.map_err(|e| SendError::Transient(e.to_string()))?;
        let file = self.file(&email.idempotency_key);
        // Written under a temporary name and renamed, so a crash never leaves half a message
        // that `accepted` would take for a sent one.
        let partial = file.with_extension("eml.partial");
        tokio::fs::write(&partial, msg.formatted()).await.map_err(|e| SendError::Transient(e.to_string()))?;
        tokio::fs::rename(&partial, &file).await.map_err(|e| SendError::Transient(e.to_string()))?;
        tracing::info!(file = %file.display(), "email written to the outbox");
        Ok(id)
    }

    async fn accepted(&self, idempotency_key: &str) -> Option<String> {
        let text = tokio::fs::read_to_string(self.file(idempotency_key)).await.ok()?;
        text.lines().find_map(|l| l.strip_prefix("Message-ID: ")).map(|id| id.trim().to_owned())
    }

    fn name(&self) -> &'static str {
        "outbox"
    }
}

/// SMTP through a pooled lettre transport (`smtp://user:pass@host:port`, `smtps://…`,
/// `?tls=required|opportunistic` as lettre reads them).
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

/// Connections the SMTP pool keeps open: as many as the scheduler sends at once, so a wave
/// reuses its connections instead of opening (and QUITting) the ones above lettre's default
/// of ten on every message.
pub const SMTP_POOL_SIZE: u32 = 16;

impl Smtp {
    pub fn from_url(url: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("EMAIL_TRANSPORT: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(SMTP_POOL_SIZE))
            .build();
        Ok(Self { transport })
    }

    /// Connects and greets the server (EHLO, STARTTLS and AUTH as the URL asks), sending
    /// nothing: what `check-config` asks of the SMTP server.
    pub async fn check(&self) -> Result<(), String> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err("the server did not accept the connection".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}

#[async_trait::async_trait]
impl EmailSender for Smtp {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, SendError> {
        let (msg, id) = build(email)?;
        match self.transport.send(msg).await {
            Ok(_) => Ok(id),
            // 5xx: the server refuses this message for good (bad mailbox, policy).
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            // 4xx, timeouts, refused connections: try again later.
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }

    fn name(&self) -> &'static str {
        "smtp"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> OutgoingEmail {
        OutgoingEmail {
            from: "Acme <shop@acme.example>".into(),
            reply_to: None,
            to: "ada@example.com".into(),
            subject: "Hello".into(),
            html: "<p>Hi</p>".into(),
            text: "Hi".into(),
            idempotency_key: "0190:1".into(),
            request_id: None,
            unsubscribe_url: None,
        }
    }

    #[tokio::test]
    async fn the_outbox_writes_a_real_mime_message() {
        let dir = tempfile::tempdir().unwrap();
        let id = Outbox::new(dir.path().to_owned()).send(&email()).await.unwrap();
        assert_eq!(id, "<0190.1@acme.example>");
        let eml = std::fs::read_to_string(dir.path().join("0190_1.eml")).unwrap();
        assert!(eml.contains("To: ada@example.com"));
        assert!(eml.contains("Message-ID: <0190.1@acme.example>"));
        assert!(eml.contains("multipart/alternative"));
    }

    #[tokio::test]
    async fn the_outbox_knows_what_it_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path().to_owned());
        assert_eq!(outbox.accepted("0190:1").await, None);
        let id = outbox.send(&email()).await.unwrap();
        assert_eq!(outbox.accepted("0190:1").await, Some(id));
    }

    #[tokio::test]
    async fn a_bad_address_is_permanent() {
        let dir = tempfile::tempdir().unwrap();
        let bad = OutgoingEmail { to: "not an address".into(), ..email() };
        assert!(matches!(Outbox::new(dir.path().to_owned()).send(&bad).await, Err(SendError::Permanent(_))));
    }
}
