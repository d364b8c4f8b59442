//! Indexes the messaging pipeline needs: provider callbacks find a request by the message id
//! recorded on its `sent` event, and each shop has one template per (channel, kind, name,
//! locale), which makes "create the defaults at install" idempotent.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000002_messaging_indexes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_request_events_provider_message_id")
                    .table("testimonial_request_events")
                    .col("provider_message_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_message_templates_shop_channel_kind_name_locale")
                    .table("message_templates")
                    .col("shop_id")
                    .col("channel")
                    .col("kind")
                    .col("name")
                    .col("locale")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("uq_message_templates_shop_channel_kind_name_locale")
                    .table("message_templates")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_request_events_provider_message_id")
                    .table("testimonial_request_events")
                    .to_owned(),
            )
            .await
    }
}
