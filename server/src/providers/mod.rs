//! Outside systems behind small interfaces: object storage, email (outbox, SMTP), SMS
//! (outbox, Twilio) and the parsers and signature checks of their event callbacks.

pub mod callbacks;
pub mod email;
pub mod fetch;
pub mod ffmpeg;
pub mod sms;
pub mod storage;
pub mod twilio;
