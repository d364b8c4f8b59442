//! Indexes for a shop with a year of data (issue 16, `bench/scale`): the admin's lists read
//! newest first by id (UUIDv7, time-ordered), so each list gets `(shop_id, …, id)`; the
//! requests log's "has a failed event" filter reads events by shop and type; its search looks
//! up an exact email and, on PostgreSQL, matches order names and customer names anywhere in
//! the text through a trigram index on the one expression the query uses
//! (`store::requests::SEARCH_TEXT`). SQLite has no trigram index: there the search reads the
//! shop's rows, which an embedded single-shop install can afford.

use sea_orm_migration::prelude::*;

pub struct Migration;

/// The tables this migration creates (none: it adds indexes).
pub const TABLES: &[&str] = &[];

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000007_scale_indexes"
    }
}

const INDEXES: &[(&str, &str, &[&str])] = &[
    ("idx_requests_shop_id", "testimonial_requests", &["shop_id", "id"]),
    ("idx_requests_shop_email", "testimonial_requests", &["shop_id", "customer_email"]),
    ("idx_events_shop_type", "testimonial_request_events", &["shop_id", "event_type", "request_id"]),
    ("idx_submissions_shop_status_id", "testimonial_submissions", &["shop_id", "status", "id"]),
    ("idx_submissions_shop_id", "testimonial_submissions", &["shop_id", "id"]),
];

/// Must equal `store::requests::SEARCH_TEXT`, or the planner cannot use the index.
const SEARCH_TEXT: &str = "lower(coalesce(order_name, '') || ' ' || coalesce(customer_first_name, '') || ' ' || coalesce(customer_last_name, ''))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, cols) in INDEXES {
            let mut i = Index::create();
            i.name(*name).table(*table);
            for c in *cols {
                i.col(*c);
            }
            manager.create_index(i.to_owned()).await?;
        }
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let db = manager.get_connection();
            // pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
            db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm").await?;
            db.execute_unprepared(&format!(
                "CREATE INDEX idx_requests_search ON testimonial_requests USING gin (({SEARCH_TEXT}) gin_trgm_ops)"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            manager.get_connection().execute_unprepared("DROP INDEX IF EXISTS idx_requests_search").await?;
        }
        for (name, table, _) in INDEXES {
            manager.drop_index(Index::drop().name(*name).table(*table).to_owned()).await?;
        }
        Ok(())
    }
}
