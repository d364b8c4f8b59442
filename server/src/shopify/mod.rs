//! The platform's protocols: session tokens now; webhook verification, OAuth, the Admin API
//! client and the app proxy signature as their issues land.

pub mod admin_api;
pub mod app_proxy;
pub mod payloads;
pub mod session_token;
pub mod webhooks;
