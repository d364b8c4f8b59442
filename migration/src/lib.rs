//! Schema migrations. Each migration must run, unchanged, on SQLite and PostgreSQL: use only
//! the portable column types of sea-query (no native enums), and store enums as strings.
//! Postgres-only SQL is allowed for what only Postgres has (the trigram search index), guarded
//! by the backend, with the schema the same on both otherwise. `server` runs them at start-up; `reelproof migrate` runs them alone.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_initial_schema;
mod m20261123_000002_messaging_indexes;
mod m20261129_000003_imports;
mod m20261201_000004_reconciliation;
mod m20261201_000005_rate_counters;
mod m20261202_000006_conversion;
mod m20261202_000007_scale_indexes;
mod m20261202_000008_poster_sizes;

/// Every table the migrations create, in creation order (tests walk them all).
pub fn tables() -> impl Iterator<Item = &'static str> {
    m20261123_000001_initial_schema::TABLES
        .iter()
        .chain(m20261123_000002_messaging_indexes::TABLES)
        .chain(m20261129_000003_imports::TABLES)
        .chain(m20261201_000004_reconciliation::TABLES)
        .chain(m20261201_000005_rate_counters::TABLES)
        .chain(m20261202_000006_conversion::TABLES)
        .chain(m20261202_000007_scale_indexes::TABLES)
        .chain(m20261202_000008_poster_sizes::TABLES)
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
            Box::new(m20261202_000006_conversion::Migration),
            Box::new(m20261202_000007_scale_indexes::Migration),
            Box::new(m20261202_000008_poster_sizes::Migration),
        ]
    }
}
