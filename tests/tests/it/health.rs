use reelproof_tests::TestApp;

#[tokio::test]
async fn healthz_and_readyz_answer_when_the_database_is_current() {
    let app = TestApp::spawn().await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["migrations"], "current");
    app.finish().await;
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_metrics_count_requests() {
    let app = TestApp::spawn().await;
    let resp = app.get("/healthz").await;
    let id = resp.headers().get("x-request-id").expect("request id header").to_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    // A caller's own id is kept, so logs can be joined across systems.
    let resp = app.client.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(resp.headers()["x-request-id"], "abc-123");

    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status(), 200);
    assert!(metrics.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains(r#"reelproof_http_requests_total{method="GET",route="/healthz",status="200"}"#),
        "metrics:\n{text}"
    );
    assert!(text.contains("reelproof_http_request_duration_seconds_bucket"));
    app.finish().await;
}

#[tokio::test]
async fn unknown_paths_are_404_not_500() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/nope").await.status(), 404);
    assert_eq!(app.get("/widget/../../etc/passwd").await.status(), 404);
    app.finish().await;
}

#[tokio::test]
async fn no_statement_can_hold_a_postgres_connection_for_long() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn().await;
    let db = app.db();
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // Every pooled connection carries the timeout, not just the first.
        for _ in 0..3 {
            let row = db
                .query_one_raw(Statement::from_string(db.get_database_backend(), "SHOW statement_timeout"))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(row.try_get_by_index::<String>(0).unwrap(), server::db::STATEMENT_TIMEOUT);
            // And plans for its own values: a generic plan made for an average shop scans the
            // largest shop's rows (`bench/scale`).
            let row = db
                .query_one_raw(Statement::from_string(db.get_database_backend(), "SHOW plan_cache_mode"))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "force_custom_plan");
        }
    }
    app.finish().await;
}

#[tokio::test]
async fn a_write_transaction_reuses_plans_for_its_inserts_only_and_the_connection_keeps_its_setting() {
    use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
    let app = TestApp::spawn().await;
    let db = app.db();
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        // SQLite has no plan cache to set; the calls change nothing and must not fail.
        let txn = db.begin().await.unwrap();
        server::store::reuse_plans(&txn).await.unwrap();
        server::store::plan_for_values(&txn).await.unwrap();
        txn.commit().await.unwrap();
        app.finish().await;
        return;
    }
    async fn mode(db: &impl ConnectionTrait) -> String {
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), "SHOW plan_cache_mode"))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<String>(0).unwrap()
    }
    let txn = db.begin().await.unwrap();
    assert_eq!(mode(&txn).await, "force_custom_plan", "reads are planned for their values");
    server::store::reuse_plans(&txn).await.unwrap();
    assert_eq!(mode(&txn).await, "auto", "inserts and their foreign-key checks may reuse plans");
    server::store::plan_for_values(&txn).await.unwrap();
    assert_eq!(mode(&txn).await, "force_custom_plan", "reads after the inserts are planned for their values again");
    server::store::reuse_plans(&txn).await.unwrap();
    txn.commit().await.unwrap();
    // The pooled connection that ran it is back to its own setting: try every one.
    for _ in 0..6 {
        assert_eq!(mode(db).await, "force_custom_plan");
    }
    app.finish().await;
}

#[tokio::test]
async fn admin_work_holds_at_most_half_the_pool_so_webhooks_are_never_starved() {
    use std::time::Duration;
    let app = TestApp::spawn().await;
    super::campaigns::active(&app, serde_json::json!({})).await;
    // Every admin permit is taken, as by slow exports or an integrator's loop.
    let permits = app.state().admin_permits().clone();
    let all = permits.available_permits();
    assert_eq!(all, server::db::admin_concurrency(&app.state().config().database_url));
    let held = permits.clone().acquire_many_owned(all as u32).await.unwrap();
    // A webhook still goes through at once…
    let order = reelproof_tests::fixtures::order(5_001, &[(11, 101)], Some("ada@example.com"));
    let r = tokio::time::timeout(Duration::from_secs(5), app.webhook("orders/paid", &order)).await;
    assert_eq!(r.expect("the webhook was not held up").status(), 200);
    // …while an admin operation waits for a permit, and runs as soon as one is free.
    {
        let query = app.graphql("{ shop { domain } }", serde_json::json!({}));
        tokio::pin!(query);
        assert!(tokio::time::timeout(Duration::from_millis(300), &mut query).await.is_err(), "it waited");
        drop(held);
        let body = query.await;
        assert_eq!(body["data"]["shop"]["domain"], reelproof_tests::TEST_SHOP, "{body}");
    }
    app.finish().await;
}
