//! The job runner against the real database.

use chrono::{Duration, Utc};
use entity::{JobStatus, jobs};
use reelproof_tests::TestApp;
use sea_orm::EntityTrait;
use server::store::jobs::{NewJob, claim_next_all_shops, enqueue};

fn job<'a>(kind: &'a str, key: Option<&str>) -> NewJob<'a> {
    NewJob {
        kind,
        dedupe_key: key.map(str::to_owned),
        payload: serde_json::json!({"n": 1}),
        run_at: Utc::now() - Duration::days(1),
        max_attempts: 5,
    }
}

#[tokio::test]
async fn a_job_nobody_handles_is_buried_with_a_readable_error() {
    let app = TestApp::spawn().await;
    assert!(enqueue(app.db(), None, job("mystery", Some("k1")), Utc::now()).await.unwrap());
    assert!(!enqueue(app.db(), None, job("mystery", Some("k1")), Utc::now()).await.unwrap(), "dedupe key");
    assert_eq!(app.run_background_until_idle().await, 1);
    let all = jobs::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, JobStatus::Dead);
    assert_eq!(all[0].last_error.as_deref(), Some(r#"no handler for job kind "mystery""#));
    app.finish().await;
}

#[tokio::test]
async fn a_claim_is_exclusive_until_its_lease_runs_out() {
    let app = TestApp::spawn().await;
    let db = app.db();
    enqueue(db, None, job("k", None), Utc::now()).await.unwrap();
    let now = Utc::now();
    let first = claim_next_all_shops(db, "w1", now, now + Duration::minutes(5)).await.unwrap().expect("claimed");
    assert_eq!(first.status, JobStatus::Running);
    assert_eq!(first.attempts, 1);
    assert!(claim_next_all_shops(db, "w2", now, now + Duration::minutes(5)).await.unwrap().is_none(), "leased");
    // Worker 1 died; after its lease, worker 2 takes over.
    let later = now + Duration::minutes(6);
    let second = claim_next_all_shops(db, "w2", later, later + Duration::minutes(5)).await.unwrap().expect("reclaimed");
    assert_eq!(second.id, first.id);
    assert_eq!(second.attempts, 2);
    assert_eq!(second.locked_by.as_deref(), Some("w2"));
    server::store::jobs::complete_all_shops(db, second.id, "w2", later).await.unwrap();
    app.finish().await;
}

#[tokio::test]
async fn concurrent_workers_never_claim_the_same_job() {
    let app = TestApp::spawn().await;
    let db = app.db();
    for _ in 0..40 {
        enqueue(db, None, job("k", None), Utc::now()).await.unwrap();
    }
    let mut handles = Vec::new();
    for w in 0..4 {
        let db = db.clone();
        handles.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let now = Utc::now();
                match claim_next_all_shops(&db, &format!("w{w}"), now, now + Duration::minutes(5)).await {
                    Ok(Some(j)) => {
                        server::store::jobs::complete_all_shops(&db, j.id, &format!("w{w}"), now).await.unwrap();
                        mine.push(j.id);
                    }
                    Ok(None) => return mine,
                    // SQLite may report a busy database under contention; try again.
                    Err(e) if e.to_string().contains("locked") => continue,
                    Err(e) => panic!("{e}"),
                }
            }
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    let unique: std::collections::HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 40, "every job claimed");
    assert_eq!(unique.len(), 40, "no job claimed twice");
    app.finish().await;
}

#[tokio::test]
#[should_panic(expected = "unprocessed")]
async fn finishing_with_unprocessed_jobs_fails_the_test() {
    let app = TestApp::spawn().await;
    enqueue(app.db(), None, job("k", None), Utc::now()).await.unwrap();
    app.finish().await;
}

/// A job that never finishes on its own.
struct Stuck;

#[async_trait::async_trait]
impl server::jobs::JobHandler<server::state::AppState> for Stuck {
    fn kind(&self) -> &'static str {
        "stuck"
    }

    fn deadline(&self) -> std::time::Duration {
        std::time::Duration::from_millis(200)
    }

    async fn run(&self, _: &server::state::AppState, _: &jobs::Model) -> Result<(), server::jobs::JobFailure> {
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        Ok(())
    }
}

#[tokio::test]
async fn a_job_past_its_deadline_is_stopped_and_retried() {
    let app = TestApp::spawn().await;
    enqueue(app.db(), None, job("stuck", None), Utc::now()).await.unwrap();
    let runner = server::jobs::runner::JobRunner::new(vec![std::sync::Arc::new(Stuck)]);
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(10), runner.run_next(app.state()))
        .await
        .expect("the runner does not wait on a stuck job")
        .unwrap();
    assert_eq!(outcome, Some(server::jobs::runner::JobOutcome::Retrying));
    let row = jobs::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert_eq!(row.status, JobStatus::Pending);
    assert!(row.last_error.as_deref().is_some_and(|e| e.contains("deadline")), "{:?}", row.last_error);
    // It is tried again later; nothing else to do here.
    jobs::Entity::delete_many().exec(app.db()).await.unwrap();
    app.finish().await;
}

/// A long job that notes when the runner gives it up.
struct Long(std::sync::Arc<std::sync::atomic::AtomicBool>);

#[async_trait::async_trait]
impl server::jobs::JobHandler<server::state::AppState> for Long {
    fn kind(&self) -> &'static str {
        "long"
    }

    async fn run(&self, _: &server::state::AppState, _: &jobs::Model) -> Result<(), server::jobs::JobFailure> {
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        Ok(())
    }

    async fn abandoned(&self, _: &server::state::AppState, _: &jobs::Model) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_job_still_running_at_the_shutdowns_drain_deadline_is_stopped_and_given_back_uncounted() {
    let app = TestApp::spawn().await;
    enqueue(app.db(), None, job("long", None), Utc::now()).await.unwrap();
    let abandoned = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let runner = server::jobs::runner::JobRunner::new(vec![std::sync::Arc::new(Long(abandoned.clone()))]);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stop = server::jobs::Stop::new(stop_rx, std::time::Duration::from_millis(300));
    let run = runner.run_next_until(app.state(), &stop);
    let shutdown = async {
        // The job is running (claimed, one attempt counted) when the shutdown comes.
        reelproof_tests::wait_for("the job to run", std::time::Duration::from_secs(10), || async {
            let row = jobs::Entity::find().one(app.db()).await.unwrap()?;
            (row.status == JobStatus::Running).then_some(())
        })
        .await;
        stop_tx.send(true).unwrap();
    };
    let (outcome, ()) = tokio::time::timeout(std::time::Duration::from_secs(10), async { tokio::join!(run, shutdown) })
        .await
        .expect("the runner gives the job up at the drain deadline");
    assert_eq!(outcome.unwrap(), Some(server::jobs::runner::JobOutcome::Released));
    assert!(abandoned.load(std::sync::atomic::Ordering::SeqCst), "the handler gave back what it held");
    let row = jobs::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert_eq!(row.status, JobStatus::Pending, "due again for the next worker");
    assert_eq!(row.attempts, 0, "a run stopped by a shutdown is not an attempt");
    assert!(row.locked_by.is_none() && row.lease_until.is_none() && row.run_at <= Utc::now());
    // The next worker takes it at once.
    let now = Utc::now();
    let next = claim_next_all_shops(app.db(), "w2", now, now + Duration::minutes(5)).await.unwrap();
    assert_eq!(next.map(|j| j.attempts), Some(1));
    jobs::Entity::delete_many().exec(app.db()).await.unwrap();
    app.finish().await;
}
