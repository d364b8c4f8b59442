//! Every migration runs up and down, unchanged, on SQLite and Postgres.

use migration::{Migrator, MigratorTrait};
use reelproof_tests::TestDb;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

const TABLES: &[&str] = &[
    "alerts",
    "api_tokens",
    "campaigns",
    "daily_analytics",
    "jobs",
    "message_templates",
    "moderation_log",
    "order_cancellations",
    "privacy_exports",
    "shops",
    "suppressions",
    "testimonial_media_assets",
    "testimonial_request_events",
    "testimonial_requests",
    "testimonial_submissions",
    "webhook_deliveries",
];

async fn our_tables(db: &DatabaseConnection) -> Vec<String> {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1",
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql.to_owned())).await.unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "name").unwrap()).filter(|n| TABLES.contains(&n.as_str())).collect()
}

async fn index_names(db: &DatabaseConnection) -> Vec<String> {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public'",
        _ => "SELECT name FROM sqlite_master WHERE type = 'index'",
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql.to_owned())).await.unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "name").unwrap()).collect()
}

#[tokio::test]
async fn all_migrations_run_up_down_and_up_again() {
    let mut test_db = TestDb::create().await;
    // One connection, as a migration is DDL in order: with the app's pool of eight SQLite
    // connections, "up again" once failed under the suite's load with "index
    // idx_requests_expiry already exists" right after "down" had dropped its table — another
    // pooled connection's view of the schema, not the migrations (alone it passes every time).
    let mut options = sea_orm::ConnectOptions::new(test_db.url().to_owned());
    options.max_connections(1).sqlx_logging(false);
    let db = sea_orm::Database::connect(options).await.unwrap();

    Migrator::up(&db, None).await.expect("up");
    assert_eq!(our_tables(&db).await, TABLES, "every table of DESIGN.md §3");
    let indexes = index_names(&db).await;
    for name in [
        "uq_requests_idempotency",
        "idx_requests_due",
        "idx_requests_reminders",
        "idx_requests_expiry",
        "idx_requests_log",
        "idx_events_request_at",
        "uq_deliveries_source_external",
        "uq_analytics_shop_campaign_day",
        "idx_jobs_claim",
        "idx_requests_customer",
    ] {
        assert!(indexes.iter().any(|i| i == name), "index {name} missing: {indexes:?}");
    }
    assert!(Migrator::get_pending_migrations(&db).await.unwrap().is_empty());

    Migrator::down(&db, None).await.expect("down");
    assert!(our_tables(&db).await.is_empty(), "down removes every table");
    assert!(!Migrator::get_pending_migrations(&db).await.unwrap().is_empty());

    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(our_tables(&db).await.len(), TABLES.len());
    db.close().await.unwrap();
    test_db.drop_now().await;
}

#[tokio::test]
async fn the_idempotency_key_refuses_a_second_request_for_the_same_product() {
    use entity::RequestStatus;
    use reelproof_tests::{TestApp, fixtures};
    use server::domain::tokens::CaptureToken;
    let app = TestApp::spawn().await;
    let db = app.db();
    let campaign = fixtures::campaign(db, app.shop_id()).await;
    fixtures::request(db, app.shop_id(), campaign.id, 5, &CaptureToken::generate().hash(), RequestStatus::Scheduled)
        .await;
    let again = fixtures::try_request(
        db,
        app.shop_id(),
        campaign.id,
        5,
        &CaptureToken::generate().hash(),
        RequestStatus::Scheduled,
    )
    .await;
    assert!(again.is_err(), "(shop, campaign, order, product, variant) is unique");
    app.finish().await;
}

#[tokio::test]
async fn deleting_a_shop_cascades_to_all_of_its_rows() {
    use entity::RequestStatus;
    use reelproof_tests::{TestApp, fixtures};
    use sea_orm::{EntityTrait, PaginatorTrait};
    use server::domain::tokens::CaptureToken;
    let app = TestApp::spawn().await;
    let db = app.db();
    let other = app.add_shop("keeper.myshopify.com").await;
    for shop in [app.shop_id(), other] {
        let campaign = fixtures::campaign(db, shop).await;
        let req =
            fixtures::request(db, shop, campaign.id, 1, &CaptureToken::generate().hash(), RequestStatus::Queued).await;
        server::store::requests::transition(
            db,
            shop,
            req.id,
            RequestStatus::Sent,
            chrono::Utc::now(),
            Default::default(),
        )
        .await
        .unwrap();
    }
    entity::shops::Entity::delete_by_id(app.shop_id()).exec(db).await.unwrap();
    assert_eq!(entity::campaigns::Entity::find().count(db).await.unwrap(), 1);
    assert_eq!(entity::testimonial_requests::Entity::find().count(db).await.unwrap(), 1);
    assert_eq!(entity::testimonial_request_events::Entity::find().count(db).await.unwrap(), 1);
    app.finish().await;
}

#[tokio::test]
async fn replicas_starting_together_on_an_unmigrated_database_migrate_it_once() {
    if !TestDb::is_postgres() {
        println!(
            "replicas migrating together: PostgreSQL only (replicas share PostgreSQL; SQLite is one process's file)"
        );
        return;
    }
    // Four processes' worth of pools, as four replicas of a new release starting at once.
    let mut test_db = TestDb::create().await;
    let mut pools = Vec::new();
    for _ in 0..4 {
        pools.push(server::db::connect(test_db.url()).await.unwrap());
    }
    let results = futures_util::future::join_all(pools.iter().map(server::db::migrate)).await;
    for r in &results {
        assert!(r.is_ok(), "every replica starts: {results:?}");
    }
    let db = &pools[0];
    assert_eq!(our_tables(db).await, TABLES);
    assert!(Migrator::get_pending_migrations(db).await.unwrap().is_empty());
    let applied = Migrator::get_applied_migrations(db).await.unwrap().len();
    assert_eq!(applied, Migrator::migrations().len(), "each migration recorded once");
    for p in pools {
        p.close().await.unwrap();
    }
    test_db.drop_now().await;
}
