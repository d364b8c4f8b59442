//! What makes customers answer (issue 19): the SMS short link's code (stored hashed, like
//! capture tokens), a campaign's reward for everyone who submits and its consent text per
//! language, on each submission the
//! reward's code and whether an incentive was given (disclosed on the storefront), and the
//! funnel's star-click step.

use sea_orm_migration::prelude::*;

pub struct Migration;

/// The tables this migration creates (none: it adds columns).
pub const TABLES: &[&str] = &[];

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000006_conversion"
    }
}

/// SQLite alters one column per statement, so each is its own.
fn add(table: &'static str, column: ColumnDef) -> TableAlterStatement {
    let mut column = column;
    Table::alter().table(table).add_column(&mut column).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(add("testimonial_requests", ColumnDef::new("short_code_hash").string().null().to_owned()))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_requests_short_code_hash")
                    .table("testimonial_requests")
                    .col("short_code_hash")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager.alter_table(add("campaigns", ColumnDef::new("reward").json().null().to_owned())).await?;
        manager.alter_table(add("campaigns", ColumnDef::new("consent_texts").json().null().to_owned())).await?;
        manager
            .alter_table(add(
                "daily_analytics",
                ColumnDef::new("star_clicked").integer().not_null().default(0).to_owned(),
            ))
            .await?;
        manager
            .alter_table(add("testimonial_submissions", ColumnDef::new("reward_code").string().null().to_owned()))
            .await?;
        manager
            .alter_table(add(
                "testimonial_submissions",
                ColumnDef::new("incentivised").boolean().not_null().default(false).to_owned(),
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("idx_requests_short_code_hash").table("testimonial_requests").to_owned())
            .await?;
        for (table, column) in [
            ("testimonial_requests", "short_code_hash"),
            ("campaigns", "reward"),
            ("campaigns", "consent_texts"),
            ("daily_analytics", "star_clicked"),
            ("testimonial_submissions", "reward_code"),
            ("testimonial_submissions", "incentivised"),
        ] {
            manager.alter_table(Table::alter().table(table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
