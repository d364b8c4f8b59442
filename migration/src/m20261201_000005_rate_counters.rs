//! Rate counters that every replica sees: one row per (bucket, fixed window), bumped by an
//! upsert. Buckets are hashes (never an IP address or a shop id in clear), and rows older than
//! an hour are pruned by the scheduler's round.

use sea_orm_migration::prelude::*;

pub struct Migration;

/// The tables this migration creates.
pub const TABLES: &[&str] = &["rate_counters"];

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000005_rate_counters"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("rate_counters")
                    .col(ColumnDef::new("bucket").string().not_null())
                    .col(ColumnDef::new("window_start").big_integer().not_null())
                    .col(ColumnDef::new("hits").integer().not_null())
                    .primary_key(Index::create().col("bucket").col("window_start"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("rate_counters").to_owned()).await
    }
}
