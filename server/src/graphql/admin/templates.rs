//! Message templates in the admin API: list, create, update, delete, and a preview rendered
//! with sample data. Every save is validated (syntax, known variables, the capture link).

use super::ctx;
use crate::graphql::error::{ErrorCode, ToApiError, api_error, internal};
use crate::services::templates::{self, TemplateInput as ServiceInput, TemplateSaveError};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

mirror_enum!(TemplateChannelGql as "TemplateChannel" <=> TemplateChannel { Email, Sms });
mirror_enum!(TemplateKindGql as "TemplateKind" <=> TemplateKind { Request, Reminder });

#[derive(SimpleObject)]
pub struct Template {
    pub id: ID,
    pub channel: TemplateChannelGql,
    pub kind: TemplateKindGql,
    pub name: String,
    pub locale: String,
    pub subject: Option<String>,
    /// HTML for email; the message for SMS.
    pub body: String,
    pub body_text: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// For SMS: segments the sample message takes (saves only).
    pub sms_segments: Option<i32>,
}

impl Template {
    fn of(m: entity::message_templates::Model, sms_segments: Option<u32>) -> Self {
        Self {
            id: ID(m.id.to_string()),
            channel: m.channel.into(),
            kind: m.kind.into(),
            name: m.name,
            locale: m.locale,
            subject: m.subject,
            body: m.body,
            body_text: m.body_text,
            updated_at: m.updated_at,
            sms_segments: sms_segments.map(|n| n as i32),
        }
    }
}

#[derive(InputObject)]
pub struct TemplateInput {
    pub channel: TemplateChannelGql,
    pub kind: TemplateKindGql,
    pub name: String,
    pub locale: String,
    pub subject: Option<String>,
    pub body: String,
    pub body_text: Option<String>,
}

impl From<TemplateInput> for ServiceInput {
    fn from(i: TemplateInput) -> Self {
        Self {
            channel: i.channel.into(),
            kind: i.kind.into(),
            name: i.name,
            locale: i.locale,
            subject: i.subject,
            body: i.body,
            body_text: i.body_text,
        }
    }
}

#[derive(SimpleObject)]
pub struct TemplatePreview {
    pub subject: Option<String>,
    /// The HTML body (email) or the message (SMS).
    pub body: String,
    pub body_text: Option<String>,
    pub sms_segments: Option<i32>,
}

impl ToApiError for TemplateSaveError {
    fn to_api_error(self) -> async_graphql::Error {
        match self {
            Self::NotFound => api_error(ErrorCode::NotFound, "template not found"),
            Self::Database(e) => internal(e),
            // The field at fault, so the editor shows each message next to its field.
            Self::Invalid(e) => crate::graphql::error::field_errors(
                format!("the template has an error: {e}"),
                [(e.part, e.message.as_str())],
            ),
            Self::MissingSubject => crate::graphql::error::field_errors(
                "an email template needs a subject",
                [("subject", "an email needs a subject")],
            ),
            Self::MissingName => {
                crate::graphql::error::field_errors("name must not be empty", [("name", "must not be empty")])
            }
            Self::MissingLocale => {
                crate::graphql::error::field_errors("locale must not be empty", [("locale", "must not be empty")])
            }
            other => api_error(ErrorCode::Validation, other.to_string()),
        }
    }
}

fn parse_id(id: &ID) -> Result<entity::TemplateId> {
    crate::graphql::error::parse_id(id, "template")
}

#[derive(Default)]
pub struct TemplateQuery;

#[Object]
impl TemplateQuery {
    async fn templates(&self, context: &Context<'_>) -> Result<Vec<Template>> {
        let (p, state) = ctx(context)?;
        let rows = templates::list(state.db(), p.shop_id).await.map_err(internal)?;
        Ok(rows.into_iter().map(|m| Template::of(m, None)).collect())
    }

    /// Renders a template with sample data, without saving it; errors are the save's errors.
    async fn preview_template(&self, input: TemplateInput) -> Result<TemplatePreview> {
        let p = templates::preview(&input.into()).map_err(ToApiError::to_api_error)?;
        Ok(TemplatePreview {
            subject: p.rendered.subject,
            body: p.rendered.body,
            body_text: p.rendered.body_text,
            sms_segments: p.sms_segments.map(|n| n as i32),
        })
    }
}

#[derive(Default)]
pub struct TemplateMutation;

#[Object]
impl TemplateMutation {
    async fn create_template(&self, context: &Context<'_>, input: TemplateInput) -> Result<Template> {
        let (p, state) = ctx(context)?;
        let s = templates::create(state.db(), p.shop_id, input.into(), state.now())
            .await
            .map_err(ToApiError::to_api_error)?;
        Ok(Template::of(s.template, s.sms_segments))
    }

    /// Replaces name, locale, subject and bodies (the channel and kind stay as they are).
    async fn update_template(&self, context: &Context<'_>, id: ID, input: TemplateInput) -> Result<Template> {
        let (p, state) = ctx(context)?;
        let s = templates::update(state.db(), p.shop_id, parse_id(&id)?, input.into(), state.now())
            .await
            .map_err(ToApiError::to_api_error)?;
        Ok(Template::of(s.template, s.sms_segments))
    }

    /// Deletes a template that no campaign uses.
    async fn delete_template(&self, context: &Context<'_>, id: ID) -> Result<ID> {
        let (p, state) = ctx(context)?;
        templates::delete(state.db(), p.shop_id, parse_id(&id)?).await.map_err(ToApiError::to_api_error)?;
        Ok(id)
    }
}
