//! Imported testimonials: a media asset may come from a URL the merchant gave (CSV import),
//! fetched by the media worker before processing. The URL is kept for the compliance record and
//! so that a reprocess can fetch it again.
//!
//! The storefront's cache version: every change of what a shop's storefront shows bumps
//! `shops.storefront_version` in the same transaction, and the storefront API's ETags carry it,
//! so an unpublished testimonial is gone from the very next response.

use sea_orm_migration::prelude::*;

pub struct Migration;

/// The tables this migration creates (none: it adds a column).
pub const TABLES: &[&str] = &[];

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000003_imports"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("testimonial_media_assets")
                    .add_column(ColumnDef::new("source_url").text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("shops")
                    .add_column(ColumnDef::new("storefront_version").big_integer().not_null().default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("shops").drop_column("storefront_version").to_owned()).await?;
        manager.alter_table(Table::alter().table("testimonial_media_assets").drop_column("source_url").to_owned()).await
    }
}
