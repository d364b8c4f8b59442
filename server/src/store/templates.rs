//! `message_templates`: each shop's email and SMS templates, per kind and locale.

use crate::domain::templates::{DEFAULT_NAME, builtin};
use chrono::{DateTime, Utc};
use entity::{TemplateChannel, TemplateKind, message_templates as templates};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

/// Writes the built-in templates for `locale` unless the shop has them; run at install, so a
/// merchant edits real rows from day one. Idempotent (unique per channel, kind, name, locale).
pub async fn insert_defaults(
    db: &impl ConnectionTrait,
    shop_id: Uuid,
    locale: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use templates::Column as C;
    for t in builtin() {
        let row = templates::ActiveModel {
            id: Set(entity::new_id()),
            shop_id: Set(shop_id),
            channel: Set(t.channel),
            kind: Set(t.kind),
            name: Set(DEFAULT_NAME.to_owned()),
            subject: Set(t.subject.map(Into::into)),
            body: Set(t.body.to_owned()),
            body_text: Set(t.body_text.map(Into::into)),
            locale: Set(locale.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
        };
        templates::Entity::insert(row)
            .on_conflict_do_nothing_on([C::ShopId, C::Channel, C::Kind, C::Name, C::Locale])
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

pub async fn get(db: &impl ConnectionTrait, shop_id: Uuid, id: Uuid) -> Result<Option<templates::Model>, DbErr> {
    templates::Entity::find_by_id(id).filter(templates::Column::ShopId.eq(shop_id)).one(db).await
}

/// The template to send: the campaign's choice (`preferred`, by its name) or the shop's
/// `Default`, in the first locale of `locales` that has one; failing every locale, the chosen
/// template itself. `None` only when the shop has no template of this channel and kind at all.
pub async fn pick(
    db: &impl ConnectionTrait,
    shop_id: Uuid,
    channel: TemplateChannel,
    kind: TemplateKind,
    preferred: Option<Uuid>,
    locales: &[String],
) -> Result<Option<templates::Model>, DbErr> {
    let chosen = match preferred {
        Some(id) => get(db, shop_id, id).await?.filter(|t| t.channel == channel && t.kind == kind),
        None => None,
    };
    let name = chosen.as_ref().map_or(DEFAULT_NAME, |t| t.name.as_str());
    let candidates = templates::Entity::find()
        .filter(templates::Column::ShopId.eq(shop_id))
        .filter(templates::Column::Channel.eq(channel.as_str()))
        .filter(templates::Column::Kind.eq(kind.as_str()))
        .filter(templates::Column::Name.eq(name))
        .all(db)
        .await?;
    let by_locale = locales.iter().find_map(|l| candidates.iter().find(|t| t.locale.eq_ignore_ascii_case(l)));
    Ok(by_locale.cloned().or(chosen).or_else(|| candidates.into_iter().next()))
}
