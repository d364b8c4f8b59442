//! One module per screen.

pub mod analytics;
pub mod campaign_editor;
pub mod campaigns;
pub mod home;
pub mod inbox;
pub mod published;
pub mod requests;
pub mod settings;
pub mod submission;
pub mod template_editor;
pub mod templates;
