//! Schema migrations. Each migration must run, unchanged, on SQLite and PostgreSQL: use only
//! the portable column types of sea-query (no native enums, no Postgres-only SQL), and store
//! enums as strings. `server` runs them at start-up; `reelproof migrate` runs them alone.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_initial_schema;
mod m20261123_000002_messaging_indexes;
mod m20261129_000003_imports;
mod m20261201_000004_reconciliation;
mod m20261201_000005_rate_counters;

/// Every table the migrations create, in creation order (tests walk them all).
pub fn tables() -> impl Iterator<Item = &'static str> {
    m20261123_000001_initial_schema::TABLES
        .iter()
        .chain(m20261123_000002_messaging_indexes::TABLES)
        .chain(m20261129_000003_imports::TABLES)
        .chain(m20261201_000004_reconciliation::TABLES)
        .chain(m20261201_000005_rate_counters::TABLES)
        .copied()
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_initial_schema::Migration),
            Box::new(m20261123_000002_messaging_indexes::Migration),
            Box::new(m20261129_000003_imports::Migration),
            Box::new(m20261201_000004_reconciliation::Migration),
            Box::new(m20261201_000005_rate_counters::Migration),
        ]
    }
}
