//! `message_templates`: email/SMS templates rendered with minijinja.

use crate::enums::*;
use crate::ids::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "message_templates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: TemplateId,
    pub shop_id: ShopId,
    pub channel: TemplateChannel,
    pub kind: TemplateKind,
    pub name: String,
    /// Email subject; unused for SMS.
    pub subject: Option<String>,
    /// HTML body for email, the message text for SMS.
    pub body: String,
    /// Plain-text alternative for email.
    pub body_text: Option<String>,
    pub locale: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
