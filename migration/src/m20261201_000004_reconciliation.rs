//! Reconciliation of missed webhooks: each shop's watermark, the moment up to which its orders
//! have been read back through the Admin API and replayed through intake. Set to the install
//! time (no look-back unless the merchant asks for one).

use sea_orm_migration::prelude::*;

pub struct Migration;

/// The tables this migration creates (none: it adds a column).
pub const TABLES: &[&str] = &[];

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000004_reconciliation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("shops")
                    .add_column(ColumnDef::new("orders_reconciled_at").timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("shops").drop_column("orders_reconciled_at").to_owned()).await
    }
}
