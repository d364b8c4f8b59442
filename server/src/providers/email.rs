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
}

#[async_trait::async_trait]
impl EmailSender for Outbox {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, SendError> {
        let (msg, id) = build(email)?;
        tokio::fs::create_dir_all(&self.dir).await.map_err(|e| SendError::Transient(e.to_string()))?;
        let file = self.dir.join(format!("{}.eml", email.idempotency_key.replace(':', "_")));
        tokio::fs::write(&file, msg.formatted()).await.map_err(|e| SendError::Transient(e.to_string()))?;
        tracing::info!(file = %file.display(), "email written to the outbox");
        Ok(id)
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

impl Smtp {
    pub fn from_url(url: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("EMAIL_TRANSPORT: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        Ok(Self { transport })
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
    async fn a_bad_address_is_permanent() {
        let dir = tempfile::tempdir().unwrap();
        let bad = OutgoingEmail { to: "not an address".into(), ..email() };
        assert!(matches!(Outbox::new(dir.path().to_owned()).send(&bad).await, Err(SendError::Permanent(_))));
    }
}
