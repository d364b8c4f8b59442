//! SMS delivery behind one interface. The outbox (default) writes `.sms.json` files under the
//! data dir; Twilio arrives with the rest of the messaging issue.

use super::email::SendError;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct OutgoingSms {
    pub to: String,
    pub body: String,
    pub idempotency_key: String,
}

#[async_trait::async_trait]
pub trait SmsSender: Send + Sync {
    async fn send(&self, sms: &OutgoingSms) -> Result<String, SendError>;
}

pub struct SmsOutbox {
    dir: PathBuf,
}

impl SmsOutbox {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }
}

#[async_trait::async_trait]
impl SmsSender for SmsOutbox {
    async fn send(&self, sms: &OutgoingSms) -> Result<String, SendError> {
        tokio::fs::create_dir_all(&self.dir).await.map_err(|e| SendError::Transient(e.to_string()))?;
        let id = format!("outbox-sms-{}", sms.idempotency_key.replace(':', "-"));
        let file = self.dir.join(format!("{}.sms.json", sms.idempotency_key.replace(':', "_")));
        let json = serde_json::json!({ "id": id, "to": sms.to, "body": sms.body, "segments": crate::domain::templates::sms_segments(&sms.body) });
        tokio::fs::write(&file, json.to_string()).await.map_err(|e| SendError::Transient(e.to_string()))?;
        tracing::info!(file = %file.display(), "SMS written to the outbox");
        Ok(id)
    }
}
