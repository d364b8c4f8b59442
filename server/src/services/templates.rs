//! Saving a shop's message templates. A template is validated when saved — syntax, every
//! variable known, a trial render with and without the optional variables, the capture link
//! present — so a broken template is the merchant's clear error now, never a failed send later.

use crate::domain::templates::{self, MessageVars, TemplateError, TemplateSource};
use chrono::{DateTime, Utc};
use entity::{ShopId, TemplateId};
use entity::{TemplateChannel, TemplateKind, message_templates};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbErr};

/// A template as the merchant submits it.
#[derive(Debug, Clone)]
pub struct TemplateInput {
    pub channel: TemplateChannel,
    pub kind: TemplateKind,
    pub name: String,
    pub locale: String,
    pub subject: Option<String>,
    pub body: String,
    pub body_text: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateSaveError {
    #[error("template {0}")]
    Invalid(#[from] TemplateError),
    #[error("an email template needs a subject")]
    MissingSubject,
    #[error("name must not be empty")]
    MissingName,
    #[error("locale must not be empty")]
    MissingLocale,
    #[error("a template with this channel, kind, name and locale already exists")]
    Duplicate,
    #[error("template not found")]
    NotFound,
    #[error("campaign {0:?} uses this template; choose another template there first")]
    InUse(String),
    #[error(transparent)]
    Database(DbErr),
}

/// The saved template and, for SMS, how many segments the sample message takes (the link is a
/// single unbroken word, so carriers keep it clickable; segments only cost money).
#[derive(Debug, Clone)]
pub struct Saved {
    pub template: message_templates::Model,
    pub sms_segments: Option<u32>,
}

/// What a template renders to with sample data (the editor's preview).
#[derive(Debug, Clone)]
pub struct Preview {
    pub rendered: templates::Rendered,
    pub sms_segments: Option<u32>,
}

/// The save-time checks, shared by create, update and preview.
fn check(input: &TemplateInput) -> Result<(TemplateSource, Preview), TemplateSaveError> {
    if input.name.trim().is_empty() {
        return Err(TemplateSaveError::MissingName);
    }
    if input.locale.trim().is_empty() {
        return Err(TemplateSaveError::MissingLocale);
    }
    let email = input.channel == TemplateChannel::Email;
    if email && input.subject.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return Err(TemplateSaveError::MissingSubject);
    }
    let src = TemplateSource {
        subject: if email { input.subject.clone() } else { None },
        body: input.body.clone(),
        body_text: if email { input.body_text.clone() } else { None },
    };
    templates::validate(&src, email)?;
    let rendered = templates::render(&src, &MessageVars::sample(), email)?;
    let sms_segments = (!email).then(|| templates::sms_segments(&rendered.body));
    Ok((src, Preview { rendered, sms_segments }))
}

/// Renders a template with sample data without saving it.
pub fn preview(input: &TemplateInput) -> Result<Preview, TemplateSaveError> {
    check(input).map(|(_, p)| p)
}

pub async fn list(db: &DatabaseConnection, shop_id: ShopId) -> Result<Vec<message_templates::Model>, DbErr> {
    crate::store::templates::list(db, shop_id).await
}

/// Replaces a template's content (channel and kind stay: campaigns rely on them).
pub async fn update(
    db: &DatabaseConnection,
    shop_id: ShopId,
    id: TemplateId,
    input: TemplateInput,
    now: DateTime<Utc>,
) -> Result<Saved, TemplateSaveError> {
    let current = crate::store::templates::get(db, shop_id, id)
        .await
        .map_err(TemplateSaveError::Database)?
        .ok_or(TemplateSaveError::NotFound)?;
    let input = TemplateInput { channel: current.channel, kind: current.kind, ..input };
    let (src, preview) = check(&input)?;
    let mut row: message_templates::ActiveModel = current.into();
    row.name = Set(input.name.trim().to_owned());
    row.locale = Set(input.locale.trim().to_owned());
    row.subject = Set(src.subject);
    row.body = Set(src.body);
    row.body_text = Set(src.body_text);
    row.updated_at = Set(now);
    let template = row.update(db).await.map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => TemplateSaveError::Duplicate,
        _ => TemplateSaveError::Database(e),
    })?;
    Ok(Saved { template, sms_segments: preview.sms_segments })
}

/// Deletes a template no campaign uses.
pub async fn delete(db: &DatabaseConnection, shop_id: ShopId, id: TemplateId) -> Result<(), TemplateSaveError> {
    crate::store::templates::get(db, shop_id, id)
        .await
        .map_err(TemplateSaveError::Database)?
        .ok_or(TemplateSaveError::NotFound)?;
    if let Some(name) = crate::store::templates::used_by(db, shop_id, id).await.map_err(TemplateSaveError::Database)? {
        return Err(TemplateSaveError::InUse(name));
    }
    crate::store::templates::delete(db, shop_id, id).await.map_err(TemplateSaveError::Database)
}

pub async fn create(
    db: &DatabaseConnection,
    shop_id: ShopId,
    input: TemplateInput,
    now: DateTime<Utc>,
) -> Result<Saved, TemplateSaveError> {
    let (src, preview) = check(&input)?;
    let sms_segments = preview.sms_segments;
    let row = message_templates::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        channel: Set(input.channel),
        kind: Set(input.kind),
        name: Set(input.name.trim().to_owned()),
        subject: Set(src.subject),
        body: Set(src.body),
        body_text: Set(src.body_text),
        locale: Set(input.locale.trim().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let template = row.insert(db).await.map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => TemplateSaveError::Duplicate,
        _ => TemplateSaveError::Database(e),
    })?;
    Ok(Saved { template, sms_segments })
}
