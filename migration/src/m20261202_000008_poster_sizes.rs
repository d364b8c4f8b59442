//! Posters in the sizes the storefront block shows (issue 16, goal 5): besides the full-size
//! `poster.jpg`, the media worker writes `poster-{width}.webp` and `poster-{width}.jpg` beside
//! it for a few widths; `poster_widths` lists the widths written (`"240,480,720"`), so assets
//! processed before this keep working with their one poster.

use sea_orm_migration::prelude::*;

pub struct Migration;

/// The tables this migration creates (none: it adds a column).
pub const TABLES: &[&str] = &[];

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000008_poster_sizes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut column = ColumnDef::new("poster_widths").string().null().to_owned();
        manager.alter_table(Table::alter().table("testimonial_media_assets").add_column(&mut column).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("testimonial_media_assets").drop_column("poster_widths").to_owned())
            .await
    }
}
