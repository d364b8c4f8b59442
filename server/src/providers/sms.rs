//! SMS delivery behind one interface: the outbox (default; `.sms.json` files under the data
//! dir) and Twilio's REST API (`providers::twilio`).

use super::email::SendError;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct OutgoingSms {
    pub to: String,
    pub body: String,
    pub idempotency_key: String,
    /// Where the provider reports delivery (Twilio's `StatusCallback`); names the request.
    pub status_callback: Option<String>,
}

#[async_trait::async_trait]
pub trait SmsSender: Send + Sync {
    async fn send(&self, sms: &OutgoingSms) -> Result<String, SendError>;

    /// See `EmailSender::accepted`.
    async fn accepted(&self, _idempotency_key: &str) -> Option<String> {
        None
    }
}

pub struct SmsOutbox {
    dir: PathBuf,
}

impl SmsOutbox {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn file(&self, idempotency_key: &str) -> PathBuf {
        self.dir.join(format!("{}.sms.json", idempotency_key.replace(':', "_")))
    }
}

#[async_trait::async_trait]
impl SmsSender for SmsOutbox {
    async fn send(&self, sms: &OutgoingSms) -> Result<String, SendError> {
        tokio::fs::create_dir_all(&self.dir).await.map_err(|e| SendError::Transient(e.to_string()))?;
        let id = format!("outbox-sms-{}", sms.idempotency_key.replace(':', "-"));
        let file = self.file(&sms.idempotency_key);
        let json = serde_json::json!({ "id": id, "to": sms.to, "body": sms.body, "segments": crate::domain::templates::sms_segments(&sms.body) });
        let partial = file.with_extension("partial");
        tokio::fs::write(&partial, json.to_string()).await.map_err(|e| SendError::Transient(e.to_string()))?;
        tokio::fs::rename(&partial, &file).await.map_err(|e| SendError::Transient(e.to_string()))?;
        tracing::info!(file = %file.display(), "SMS written to the outbox");
        Ok(id)
    }

    async fn accepted(&self, idempotency_key: &str) -> Option<String> {
        let text = tokio::fs::read_to_string(self.file(idempotency_key)).await.ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        v.get("id").and_then(|id| id.as_str()).map(str::to_owned)
    }
}
