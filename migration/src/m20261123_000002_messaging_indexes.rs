//! What the messaging pipeline adds: provider callbacks find a request by the message id
//! recorded on its `sent` event; each shop has one template per (channel, kind, name, locale),
//! which makes "create the defaults at install" idempotent; and `suppressions`, the customers
//! of a shop who unsubscribed (by the same hashed `customer_key` the frequency cap uses); and
//! `order_cancellations`, so an `orders/cancelled` that arrives before `orders/paid` (Shopify
//! does not guarantee order) still stops the order from being planned.

use crate::m20261123_000001_initial_schema::{index, tenant_table, ts};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string;

pub struct Migration;

/// The tables this migration creates.
pub const TABLES: &[&str] = &["suppressions", "order_cancellations"];

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000002_messaging_indexes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                tenant_table("suppressions", false)
                    .col(string("customer_key"))
                    .col(string("reason"))
                    .col(ts("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("suppressions", "uq_suppressions_shop_customer", &["shop_id", "customer_key"], true))
            .await?;
        manager
            .create_table(
                tenant_table("order_cancellations", false)
                    .col(sea_orm_migration::schema::big_integer("shopify_order_id"))
                    .col(ts("cancelled_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "order_cancellations",
                "uq_order_cancellations_shop_order",
                &["shop_id", "shopify_order_id"],
                true,
            ))
            .await?;
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
            .await?;
        manager.drop_table(Table::drop().table("order_cancellations").if_exists().to_owned()).await?;
        manager.drop_table(Table::drop().table("suppressions").if_exists().to_owned()).await
    }
}
