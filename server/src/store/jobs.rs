//! The `jobs` table: enqueue, claim with a lease, finish.
//!
//! Claims are one `UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED) RETURNING *` on
//! Postgres, so any number of workers on any number of replicas can poll the same table and
//! each job is handed to exactly one of them. SQLite has a single writer, so the same statement
//! without the lock clause is already exclusive. A `running` job whose lease ran out (its worker
//! crashed) is claimable again.

use chrono::{DateTime, Utc};
use entity::{JobId, ShopId};
use entity::{JobStatus, jobs};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Statement, TryInsertResult, Value,
};

pub struct NewJob<'a> {
    pub kind: &'a str,
    /// Jobs with the same key are enqueued once (until the table is cleaned).
    pub dedupe_key: Option<String>,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
    pub max_attempts: i32,
}

/// Enqueues a job; returns false when a job with the same dedupe key already exists.
/// `shop_id` is the tenant the job works for (`None` for the rare job of no shop).
pub async fn enqueue(
    db: &impl ConnectionTrait,
    shop_id: Option<ShopId>,
    job: NewJob<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let row = jobs::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        kind: Set(job.kind.to_owned()),
        dedupe_key: Set(job.dedupe_key),
        payload: Set(job.payload),
        status: Set(JobStatus::Pending),
        attempts: Set(0),
        max_attempts: Set(job.max_attempts),
        run_at: Set(job.run_at),
        lease_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let result = jobs::Entity::insert(row)
        .on_conflict_do_nothing_on([jobs::Column::DedupeKey])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(result, TryInsertResult::Inserted(n) if n > 0))
}

/// Claims the oldest due job of any shop (global by design: one worker pool serves all).
pub async fn claim_next_all_shops(
    db: &impl ConnectionTrait,
    worker: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<jobs::Model>, DbErr> {
    let backend = db.get_database_backend();
    let lock = if backend == DbBackend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = $1, locked_by = $2, updated_at = $3 \
         WHERE id = (SELECT id FROM jobs \
                     WHERE (status = 'pending' AND run_at <= $3) OR (status = 'running' AND lease_until < $3) \
                     ORDER BY run_at LIMIT 1 {lock}) \
         RETURNING *"
    );
    let values: Vec<Value> = vec![lease_until.into(), worker.into(), now.into()];
    jobs::Entity::find().from_raw_sql(Statement::from_sql_and_values(backend, sql, values)).one(db).await
}

/// Marks a claimed job finished (only if this worker still holds it).
pub async fn complete_all_shops(
    db: &impl ConnectionTrait,
    id: JobId,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    finish(db, id, worker, JobStatus::Done, None, None, now).await
}

/// Gives a claimed job back untouched (a shutdown stopped its run): due at once, the attempt
/// not counted, only if this worker still holds it.
pub async fn release_all_shops(
    db: &impl ConnectionTrait,
    id: JobId,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, JobStatus::Pending.as_str().into())
        .col_expr(jobs::Column::LeaseUntil, Option::<DateTime<Utc>>::None.into())
        .col_expr(jobs::Column::LockedBy, Option::<String>::None.into())
        .col_expr(jobs::Column::Attempts, {
            use sea_orm::sea_query::ExprTrait;
            sea_orm::sea_query::Expr::col(jobs::Column::Attempts).sub(1)
        })
        .col_expr(jobs::Column::RunAt, now.into())
        .col_expr(jobs::Column::UpdatedAt, now.into())
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::LockedBy.eq(worker))
        .exec(db)
        .await?;
    Ok(())
}

/// Schedules another attempt at `retry_at`, or buries the job (`dead`) when `retry_at` is None.
pub async fn fail_all_shops(
    db: &impl ConnectionTrait,
    id: JobId,
    worker: &str,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let status = if retry_at.is_some() { JobStatus::Pending } else { JobStatus::Dead };
    finish(db, id, worker, status, Some(error), retry_at, now).await
}

async fn finish(
    db: &impl ConnectionTrait,
    id: JobId,
    worker: &str,
    status: JobStatus,
    error: Option<&str>,
    run_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut update = jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, status.as_str().into())
        .col_expr(jobs::Column::LeaseUntil, Option::<DateTime<Utc>>::None.into())
        .col_expr(jobs::Column::LockedBy, Option::<String>::None.into())
        .col_expr(jobs::Column::UpdatedAt, now.into());
    if let Some(e) = error {
        // Errors can be long (stderr of a tool); keep the row small.
        update = update.col_expr(jobs::Column::LastError, e.chars().take(2000).collect::<String>().into());
    }
    if let Some(at) = run_at {
        update = update.col_expr(jobs::Column::RunAt, at.into());
    }
    update.filter(jobs::Column::Id.eq(id)).filter(jobs::Column::LockedBy.eq(worker)).exec(db).await?;
    Ok(())
}

/// Jobs that are waiting or running, across all shops (tests assert none are left behind).
pub async fn count_unfinished_all_shops(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    jobs::Entity::find()
        .filter(jobs::Column::Status.is_in([JobStatus::Pending.as_str(), JobStatus::Running.as_str()]))
        .count(db)
        .await
}

/// Pending jobs of one kind for one shop.
pub async fn pending_of_kind(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    kind: &str,
) -> Result<Vec<jobs::Model>, DbErr> {
    jobs::Entity::find()
        .filter(jobs::Column::ShopId.eq(shop_id))
        .filter(jobs::Column::Kind.eq(kind))
        .filter(jobs::Column::Status.eq(JobStatus::Pending.as_str()))
        .all(db)
        .await
}

/// Marks a pending job done without running it (its work was done another way).
pub async fn retire_pending(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: JobId,
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, JobStatus::Done.as_str().into())
        .col_expr(jobs::Column::LastError, why.into())
        .col_expr(jobs::Column::UpdatedAt, now.into())
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::ShopId.eq(shop_id))
        .filter(jobs::Column::Status.eq(JobStatus::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete(db: &impl ConnectionTrait, shop_id: ShopId, id: JobId) -> Result<(), DbErr> {
    jobs::Entity::delete_many()
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::ShopId.eq(shop_id))
        .exec(db)
        .await?;
    Ok(())
}

/// How many jobs are due and not running, across shops, and since when the oldest has been
/// due; and how many are buried (dead).
pub async fn backlog_all_shops(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<(u64, Option<DateTime<Utc>>, u64), DbErr> {
    let due = || {
        jobs::Entity::find()
            .filter(jobs::Column::Status.eq(JobStatus::Pending.as_str()))
            .filter(jobs::Column::RunAt.lte(now))
    };
    let count = due().count(db).await?;
    let oldest =
        if count == 0 { None } else { due().order_by_asc(jobs::Column::RunAt).one(db).await?.map(|j| j.run_at) };
    let dead = jobs::Entity::find().filter(jobs::Column::Status.eq(JobStatus::Dead.as_str())).count(db).await?;
    Ok((count, oldest, dead))
}
