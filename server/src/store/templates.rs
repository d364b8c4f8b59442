//! `message_templates`: each shop's email and SMS templates, per kind and locale.

use crate::domain::templates::{DEFAULT_NAME, builtin};
use chrono::{DateTime, Utc};
use entity::{ShopId, TemplateId};
use entity::{TemplateChannel, TemplateKind, message_templates as templates};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// Writes the built-in templates for `locale` (in its language when shipped, else English) unless the shop has them; run at install, so a
/// merchant edits real rows from day one. Idempotent (unique per channel, kind, name, locale).
pub async fn insert_defaults(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    locale: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use templates::Column as C;
    let language = crate::domain::i18n::language_for(None, locale);
    for t in builtin(language) {
        let row = templates::ActiveModel {
            id: Set(entity::new_id()),
            shop_id: Set(shop_id),
            channel: Set(t.channel),
            kind: Set(t.kind),
            name: Set(DEFAULT_NAME.to_owned()),
            subject: Set(t.subject),
            body: Set(t.body),
            body_text: Set(t.body_text),
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

pub async fn get(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: TemplateId,
) -> Result<Option<templates::Model>, DbErr> {
    templates::Entity::find_by_id(id).filter(templates::Column::ShopId.eq(shop_id)).one(db).await
}

/// The template to send: the campaign's choice (`preferred`, by its name) or the shop's
/// `Default`, in the first locale of `locales` that has one; failing every locale, the chosen
/// template itself. `None` only when the shop has no template of this channel and kind at all.
pub async fn pick(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    channel: TemplateChannel,
    kind: TemplateKind,
    preferred: Option<TemplateId>,
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

/// The shop's templates, by channel, kind, name and locale.
pub async fn list(db: &impl ConnectionTrait, shop_id: ShopId) -> Result<Vec<templates::Model>, DbErr> {
    use sea_orm::QueryOrder;
    templates::Entity::find()
        .filter(templates::Column::ShopId.eq(shop_id))
        .order_by_asc(templates::Column::Channel)
        .order_by_asc(templates::Column::Kind)
        .order_by_asc(templates::Column::Name)
        .order_by_asc(templates::Column::Locale)
        .all(db)
        .await
}

/// The name of a campaign that uses the template, if any.
pub async fn used_by(db: &impl ConnectionTrait, shop_id: ShopId, id: TemplateId) -> Result<Option<String>, DbErr> {
    use entity::campaigns;
    use sea_orm::Condition;
    let c = campaigns::Entity::find()
        .filter(campaigns::Column::ShopId.eq(shop_id))
        .filter(
            Condition::any()
                .add(campaigns::Column::RequestEmailTemplateId.eq(id))
                .add(campaigns::Column::ReminderEmailTemplateId.eq(id))
                .add(campaigns::Column::RequestSmsTemplateId.eq(id))
                .add(campaigns::Column::ReminderSmsTemplateId.eq(id)),
        )
        .one(db)
        .await?;
    Ok(c.map(|c| c.name))
}

pub async fn delete(db: &impl ConnectionTrait, shop_id: ShopId, id: TemplateId) -> Result<(), DbErr> {
    templates::Entity::delete_many()
        .filter(templates::Column::Id.eq(id))
        .filter(templates::Column::ShopId.eq(shop_id))
        .exec(db)
        .await?;
    Ok(())
}
