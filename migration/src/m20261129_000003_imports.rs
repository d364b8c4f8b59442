//! Imported testimonials: a media asset may come from a URL the merchant gave (CSV import),
//! fetched by the media worker before processing. The URL is kept for the compliance record and
//! so that a reprocess can fetch it again.

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
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("testimonial_media_assets").drop_column("source_url").to_owned()).await
    }
}
