//! The `testimonial_requests` aggregate: lookups and the one status-transition function.

use crate::domain::request_state::{self, InvalidRequestTransition};
use crate::domain::tokens::TokenHash;
use crate::store::request_events;
use chrono::{DateTime, Utc};
use entity::{CampaignId, RequestId, ShopId};
use entity::{ExpireReason, RequestEventType, RequestStatus, testimonial_requests as requests};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};

#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    #[error(transparent)]
    Invalid(#[from] InvalidRequestTransition),
    #[error("request not found")]
    NotFound,
    /// Another writer changed the status between our read and our write; the caller may
    /// re-read and decide again.
    #[error("request status changed concurrently")]
    Conflict,
    #[error(transparent)]
    Database(#[from] DbErr),
}

fn event_error(e: request_events::AppendError) -> TransitionError {
    match e {
        request_events::AppendError::NotFound => TransitionError::NotFound,
        request_events::AppendError::Database(e) => TransitionError::Database(e),
    }
}

/// For callers that have just read or written the request in the same transaction, a missing
/// request cannot happen; should it anyway, it surfaces as a database error.
fn db_error(e: request_events::AppendError) -> DbErr {
    match e {
        request_events::AppendError::NotFound => DbErr::RecordNotFound("testimonial request".into()),
        request_events::AppendError::Database(e) => e,
    }
}

/// What goes with a status change besides the status itself.
#[derive(Debug, Clone, Default)]
pub struct ChangeDetails {
    pub expire_reason: Option<ExpireReason>,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    /// Redacted event payload (see `request_events::append`).
    pub payload: Option<serde_json::Value>,
    /// For a retry (`queued → queued`): when to try again.
    pub retry_at: Option<DateTime<Utc>>,
    /// For `sent`: when the first reminder is due (`None`: no reminders).
    pub next_reminder_at: Option<DateTime<Utc>>,
    /// The fencing token of the claim this change comes from (the row's `attempts` when it was
    /// claimed): a worker whose claim was taken over by another cannot overwrite the newer
    /// outcome.
    pub fence: Option<i32>,
}

/// Stores a new capture-link hash (the old link's key is gone; see `messaging::capture_token`).
pub async fn replace_token_hash(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: RequestId,
    hash: &TokenHash,
) -> Result<(), DbErr> {
    set_text(db, shop_id, id, requests::Column::TokenHash, hash.as_str()).await
}

/// Records the SMS short link's code (its hash) for the request.
pub async fn set_short_code_hash(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: RequestId,
    hash: &TokenHash,
) -> Result<(), DbErr> {
    set_text(db, shop_id, id, requests::Column::ShortCodeHash, hash.as_str()).await
}

/// Remembers the product's picture (read from Shopify at the first send) for later messages,
/// for the shop's requests of that product a round is sending.
pub async fn set_product_image_url(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    ids: &[RequestId],
    url: &str,
) -> Result<(), DbErr> {
    requests::Entity::update_many()
        .col_expr(requests::Column::ProductImageUrl, url.into())
        .filter(requests::Column::Id.is_in(ids.iter().copied()))
        .filter(requests::Column::ShopId.eq(shop_id))
        .exec(db)
        .await?;
    Ok(())
}

/// One text column of one request of the shop: for the columns no state rule guards.
async fn set_text(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: RequestId,
    column: requests::Column,
    value: &str,
) -> Result<(), DbErr> {
    requests::Entity::update_many()
        .col_expr(column, value.into())
        .filter(requests::Column::Id.eq(id))
        .filter(requests::Column::ShopId.eq(shop_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The request an SMS short link names, by its code's hash. Across shops: the code is the
/// only thing the customer has.
pub async fn find_by_short_code_hash_all_shops(
    db: &impl ConnectionTrait,
    hash: &TokenHash,
) -> Result<Option<requests::Model>, DbErr> {
    requests::Entity::find().filter(requests::Column::ShortCodeHash.eq(hash.as_str())).one(db).await
}

/// The capture link's lookup: by token hash. Global by nature (the token names the tenant),
/// hence the name.
pub async fn find_by_token_hash_all_shops(
    db: &impl ConnectionTrait,
    hash: &TokenHash,
) -> Result<Option<requests::Model>, DbErr> {
    requests::Entity::find().filter(requests::Column::TokenHash.eq(hash.as_str())).one(db).await
}

pub async fn get(db: &impl ConnectionTrait, shop_id: ShopId, id: RequestId) -> Result<Option<requests::Model>, DbErr> {
    requests::Entity::find_by_id(id).filter(requests::Column::ShopId.eq(shop_id)).one(db).await
}

/// The one way a request's status changes: checks the state machine, writes the new status
/// with a compare-and-set on the old one, stamps the matching timestamp and appends the event —
/// all in one transaction.
pub async fn transition<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    shop_id: ShopId,
    request_id: RequestId,
    to: RequestStatus,
    now: DateTime<Utc>,
    details: ChangeDetails,
) -> Result<requests::Model, TransitionError> {
    // Read and decide outside the transaction, then write with a compare-and-set: the first
    // statement of the transaction is a write, so SQLite takes its write lock up front instead
    // of failing a read-to-write upgrade, and a racing writer is detected by the CAS.
    let current = get(db, shop_id, request_id).await?.ok_or(TransitionError::NotFound)?;
    let from = current.status;
    let event = request_state::transition(from, to)?;
    if details.fence.is_some_and(|f| f != current.attempts) {
        return Err(TransitionError::Conflict);
    }

    let mut row = current.clone().into_active_model();
    row.status = Set(to);
    row.updated_at = Set(now);
    match to {
        RequestStatus::Sent => {
            if current.first_sent_at.is_none() {
                row.first_sent_at = Set(Some(now));
            }
            row.last_sent_at = Set(Some(now));
            row.lease_until = Set(None);
            row.last_error = Set(None);
            row.next_reminder_at = Set(details.next_reminder_at);
        }
        RequestStatus::Clicked => row.clicked_at = Set(Some(now)),
        RequestStatus::Submitted => {
            row.submitted_at = Set(Some(now));
            row.next_reminder_at = Set(None);
        }
        RequestStatus::Expired => {
            row.expired_at = Set(Some(now));
            row.expire_reason = Set(details.expire_reason.or(Some(ExpireReason::TokenExpired)));
            row.next_reminder_at = Set(None);
        }
        RequestStatus::Failed => {
            row.lease_until = Set(None);
            row.next_reminder_at = Set(None);
        }
        RequestStatus::Scheduled => {
            // A resend starts a fresh attempt cycle.
            row.attempts = Set(0);
            row.scheduled_for = Set(now);
            row.next_attempt_at = Set(Some(now));
        }
        RequestStatus::Queued => {
            // A transient failure: release the claim and come back at `retry_at`.
            row.lease_until = Set(None);
            row.next_attempt_at = Set(details.retry_at.or(Some(now)));
        }
    }
    if let Some(id) = &details.provider_message_id {
        row.provider_message_id = Set(Some(id.clone()));
    }
    if let Some(err) = &details.last_error {
        row.last_error = Set(Some(err.chars().take(2000).collect()));
    }
    let txn = db.begin().await?;
    let mut update = requests::Entity::update_many()
        .set(row)
        .filter(requests::Column::Id.eq(request_id))
        .filter(requests::Column::ShopId.eq(shop_id))
        .filter(requests::Column::Status.eq(from.as_str()));
    if let Some(fence) = details.fence {
        update = update.filter(requests::Column::Attempts.eq(fence));
    }
    let updated = update.exec(&txn).await?;
    if updated.rows_affected != 1 {
        return Err(TransitionError::Conflict);
    }
    let e = request_events::NewEvent {
        provider_message_id: details.provider_message_id,
        payload: details.payload,
        ..request_events::NewEvent::new(event, now)
    };
    request_events::append(&txn, shop_id, request_id, e).await.map_err(event_error)?;
    let after = get(&txn, shop_id, request_id).await?.ok_or(TransitionError::NotFound)?;
    txn.commit().await?;
    Ok(after)
}

/// Right before a wave of sends: confirms each claim is still this worker's (`(shop, request,
/// fence)`, the fence being the row's `attempts` when claimed) and holds it for `until` — a
/// wave, one short lease, one statement. Returns the requests still this worker's; the others'
/// claims ran out and another worker took them: they must not be sent.
pub async fn renew_claims(
    db: &impl ConnectionTrait,
    claims: &[(ShopId, RequestId, i32)],
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<std::collections::HashSet<RequestId>, DbErr> {
    use sea_orm::Value;
    if claims.is_empty() {
        return Ok(Default::default());
    }
    let mut values: Vec<Value> = vec![Some(until).into(), now.into()];
    for (shop_id, id, fence) in claims {
        values.extend([(*shop_id).into(), (*id).into(), (*fence).into()]);
    }
    let sql = format!(
        "UPDATE testimonial_requests SET lease_until = $1 FROM (VALUES {}) AS v \
         WHERE testimonial_requests.shop_id = v.column1 AND testimonial_requests.id = v.column2 \
           AND testimonial_requests.attempts = v.column3 \
           AND testimonial_requests.status = 'queued' AND testimonial_requests.lease_until > $2 \
         RETURNING id",
        values_list(claims.len(), 3, 3)
    );
    returned_ids(db, sql, values).await
}

/// A send that was accepted, ready to be recorded by [`record_sent_all_shops`].
pub struct SentRecord {
    pub shop_id: ShopId,
    pub id: RequestId,
    /// The claim's fence (the row's `attempts` when claimed), as [`ChangeDetails::fence`].
    pub fence: i32,
    pub provider_message_id: String,
    pub next_reminder_at: Option<DateTime<Utc>>,
    /// The `sent` event's payload.
    pub payload: serde_json::Value,
    /// Events of the request's other channel (`both`): its own `sent` or `failed`.
    pub more_events: Vec<request_events::NewEvent>,
}

/// [`transition`] to `sent` for a wave of accepted sends: the state machine is asked once
/// (`queued → sent`), each row is written with a compare-and-set on its status and its fence,
/// and the events of the rows written go in with them — one transaction, three statements,
/// whatever the wave's size. A send is most of its cost in round trips and commits, and this
/// was a transaction of five round trips per message. Returns the requests recorded; one
/// missing was changed by another writer meanwhile (its claim was taken over) and keeps the
/// newer outcome.
pub async fn record_sent_all_shops<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    sent: Vec<SentRecord>,
) -> Result<Vec<RequestId>, TransitionError> {
    use sea_orm::Value;
    if sent.is_empty() {
        return Ok(Vec::new());
    }
    let event = request_state::transition(RequestStatus::Queued, RequestStatus::Sent)?;
    let mut values: Vec<Value> = vec![now.into()];
    for s in &sent {
        values.extend([
            s.shop_id.into(),
            s.id.into(),
            s.fence.into(),
            s.next_reminder_at.into(),
            Some(s.provider_message_id.clone()).into(),
        ]);
    }
    let sql = format!(
        "UPDATE testimonial_requests SET status = 'sent', first_sent_at = COALESCE(first_sent_at, $1), \
         last_sent_at = $1, lease_until = NULL, last_error = NULL, updated_at = $1, \
         next_reminder_at = v.column4, provider_message_id = v.column5 \
         FROM (VALUES {}) AS v \
         WHERE testimonial_requests.shop_id = v.column1 AND testimonial_requests.id = v.column2 \
           AND testimonial_requests.attempts = v.column3 AND testimonial_requests.status = 'queued' \
         RETURNING id",
        values_list(sent.len(), 5, 2)
    );
    let txn = db.begin().await?;
    let written = returned_ids(&txn, sql, values).await?;
    super::reuse_plans(&txn).await?;
    let mut events = Vec::with_capacity(sent.len());
    let mut recorded = Vec::with_capacity(written.len());
    for s in sent.into_iter().filter(|s| written.contains(&s.id)) {
        events.push((
            s.shop_id,
            s.id,
            request_events::NewEvent {
                provider_message_id: Some(s.provider_message_id),
                payload: Some(s.payload),
                ..request_events::NewEvent::new(event, now)
            },
        ));
        events.extend(s.more_events.into_iter().map(|e| (s.shop_id, s.id, e)));
        recorded.push(s.id);
    }
    request_events::append_owned(&txn, events).await?;
    txn.commit().await?;
    Ok(recorded)
}

/// Runs a batch statement that ends in `RETURNING id` and collects the ids it returned.
async fn returned_ids(
    db: &impl ConnectionTrait,
    sql: String,
    values: Vec<sea_orm::Value>,
) -> Result<std::collections::HashSet<RequestId>, DbErr> {
    let statement = sea_orm::Statement::from_sql_and_values(db.get_database_backend(), sql, values);
    let rows = db.query_all_raw(statement).await?;
    rows.iter().map(|row| row.try_get::<RequestId>("", "id")).collect()
}

/// `($2, $3), ($4, $5), …`: the placeholders of a `VALUES` list of `rows` rows of `cols`
/// columns, numbered from `first`. PostgreSQL and SQLite both name such a list's columns
/// `column1`, `column2`, …, which the batch statements above join on.
fn values_list(rows: usize, cols: usize, first: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(first + r * cols + c).to_string());
        }
        out.push(')');
    }
    out
}

/// A planned request ready to be written (the planner's output plus order context).
pub struct NewRequest<'a> {
    pub campaign_id: CampaignId,
    pub order: &'a crate::domain::planner::OrderFacts,
    pub planned: &'a crate::domain::planner::PlannedRequest,
    pub customer_key: Option<String>,
}

/// Inserts an order's planned requests, each unless its idempotency key `(shop, campaign,
/// order, product, variant)` exists, and appends each new one's `scheduled` event. Returns how
/// many rows were created — a replayed or concurrent webhook creates none and changes nothing.
///
/// Two statements for the whole order, whatever its size: one multi-row insert that skips the
/// keys already there and returns the ids it wrote, and one insert of their events. Webhook
/// intake's cost is mostly round trips, and this was two per line item plus an ownership check.
pub async fn insert_planned(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    news: Vec<NewRequest<'_>>,
    now: DateTime<Utc>,
    token_hash: impl Fn(RequestId) -> TokenHash,
) -> Result<u32, DbErr> {
    if news.is_empty() {
        return Ok(0);
    }
    let mut scheduled_for = std::collections::HashMap::with_capacity(news.len());
    let rows: Vec<requests::ActiveModel> = news
        .into_iter()
        .map(|new| {
            let id = entity::new_id();
            scheduled_for.insert(id, new.planned.scheduled_for);
            planned_row(id, shop_id, new, &token_hash(id), now)
        })
        .collect();
    use requests::Column as C;
    // Intake reads before this and, with several campaigns, after it: only the inserts and
    // their foreign-key checks may reuse generic plans.
    super::reuse_plans(db).await?;
    let inserted = requests::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([C::ShopId, C::CampaignId, C::ShopifyOrderId, C::ProductId, C::VariantId])
        .exec_with_returning_keys(db)
        .await?;
    let ids = match inserted {
        sea_orm::TryInsertResult::Inserted(ids) => ids,
        sea_orm::TryInsertResult::Conflicted | sea_orm::TryInsertResult::Empty => {
            super::plan_for_values(db).await?;
            return Ok(0);
        }
    };
    let events = ids.iter().filter_map(|id| {
        let at = scheduled_for.get(id)?;
        Some((
            *id,
            request_events::NewEvent {
                payload: Some(serde_json::json!({ "scheduled_for": at })),
                ..request_events::NewEvent::new(entity::RequestEventType::Scheduled, now)
            },
        ))
    });
    request_events::append_owned(db, events.map(|(id, e)| (shop_id, id, e)).collect()).await?;
    super::plan_for_values(db).await?;
    Ok(u32::try_from(ids.len()).unwrap_or(u32::MAX))
}

fn planned_row(
    id: RequestId,
    shop_id: ShopId,
    new: NewRequest<'_>,
    token_hash: &TokenHash,
    now: DateTime<Utc>,
) -> requests::ActiveModel {
    let p = new.planned;
    let c = &new.order.customer;
    requests::ActiveModel {
        id: Set(id),
        shop_id: Set(shop_id),
        campaign_id: Set(new.campaign_id),
        shopify_order_id: Set(new.order.order_id),
        order_name: Set(new.order.order_name.clone()),
        line_item_id: Set(p.line_item_id),
        product_id: Set(p.product_id),
        variant_id: Set(p.variant_id.map(|v| v.to_string()).unwrap_or_default()),
        product_title: Set(p.product_title.clone()),
        product_image_url: Set(None),
        shopify_customer_id: Set(c.id),
        customer_key: Set(new.customer_key),
        customer_first_name: Set(c.first_name.clone()),
        customer_last_name: Set(c.last_name.clone()),
        customer_email: Set(c.email.clone()),
        customer_phone: Set(c.phone.clone()),
        locale: Set(c.locale.clone()),
        channel: Set(p.channel),
        token_hash: Set(token_hash.as_str().to_owned()),
        short_code_hash: Set(None),
        status: Set(RequestStatus::Scheduled),
        scheduled_for: Set(p.scheduled_for),
        next_attempt_at: Set(Some(p.scheduled_for)),
        attempts: Set(0),
        lease_until: Set(None),
        first_sent_at: Set(None),
        last_sent_at: Set(None),
        clicked_at: Set(None),
        submitted_at: Set(None),
        expires_at: Set(p.expires_at),
        expired_at: Set(None),
        expire_reason: Set(None),
        reminder_count: Set(0),
        next_reminder_at: Set(None),
        postpone_count: Set(0),
        last_error: Set(None),
        provider_message_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// What planning an order needs to know beyond the order itself.
#[derive(Debug, Default)]
pub struct PlanningContext {
    /// A cancellation of this order was recorded (Shopify does not order its deliveries).
    pub cancelled: bool,
    pub history: crate::domain::planner::CustomerHistory,
}

/// Whether `order_id` was cancelled, and what this shop already asked the customer behind
/// `customer_key`: whether they unsubscribed, every product ever, and how many requests in the
/// 30 days before `now`. One statement, because webhook intake pays for every round trip: the
/// two yes/no facts on every row of the customer's requests, joined to one row so that a
/// customer without requests (or no customer) still gets them.
pub async fn planning_context(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    order_id: i64,
    customer_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<PlanningContext, DbErr> {
    use entity::{order_cancellations as cancellations, suppressions};
    use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, JoinType, Query};
    let cancelled = Query::select()
        .expr(Expr::val(1))
        .from(cancellations::Entity)
        .and_where(cancellations::Column::ShopId.eq(shop_id))
        .and_where(cancellations::Column::ShopifyOrderId.eq(order_id))
        .to_owned();
    // Without a customer there is nobody to have unsubscribed, and no history.
    let (unsubscribed, theirs) = match customer_key {
        Some(key) => (
            Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from(suppressions::Entity)
                    .and_where(suppressions::Column::ShopId.eq(shop_id))
                    .and_where(suppressions::Column::CustomerKey.eq(key))
                    .to_owned(),
            ),
            Condition::all()
                .add(Expr::col((requests::Entity, requests::Column::ShopId)).eq(shop_id))
                .add(Expr::col((requests::Entity, requests::Column::CustomerKey)).eq(key)),
        ),
        None => (Expr::val(false), Condition::all().add(Expr::val(false))),
    };
    let one = Alias::new("one");
    let query = Query::select()
        .expr_as(Expr::exists(cancelled), "cancelled")
        .expr_as(unsubscribed, "unsubscribed")
        .expr_as(Expr::col((requests::Entity, requests::Column::ProductId)), "product_id")
        .expr_as(Expr::col((requests::Entity, requests::Column::CreatedAt)), "created_at")
        .from_subquery(Query::select().expr_as(Expr::val(1), "x").to_owned(), one)
        .join(JoinType::LeftJoin, requests::Entity, theirs)
        .to_owned();
    let rows = db.query_all(&query).await?;
    let mut context = PlanningContext::default();
    let since = now - chrono::Duration::days(30);
    for row in &rows {
        context.cancelled = row.try_get("", "cancelled")?;
        context.history.unsubscribed = row.try_get("", "unsubscribed")?;
        let asked: Option<(i64, DateTime<Utc>)> =
            row.try_get::<Option<i64>>("", "product_id")?.zip(row.try_get::<Option<DateTime<Utc>>>("", "created_at")?);
        if let Some((product, at)) = asked {
            context.history.asked_products.insert(product);
            if at > since {
                context.history.requests_last_30d = context.history.requests_last_30d.saturating_add(1);
            }
        }
    }
    Ok(context)
}

/// A customer's requests that can still be expired (an unsubscribe ends them all).
pub async fn open_for_customer(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    customer_key: &str,
) -> Result<Vec<requests::Model>, DbErr> {
    requests::Entity::find()
        .filter(requests::Column::ShopId.eq(shop_id))
        .filter(requests::Column::CustomerKey.eq(customer_key))
        .filter(requests::Column::Status.is_in(OPEN.iter().map(|s| s.as_str())))
        .all(db)
        .await
}

/// Requests of an order (optionally only some line items) that have not been submitted and can
/// still be expired.
pub async fn open_for_order(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    order_id: i64,
    line_items: Option<&[i64]>,
) -> Result<Vec<requests::Model>, DbErr> {
    let mut q = requests::Entity::find()
        .filter(requests::Column::ShopId.eq(shop_id))
        .filter(requests::Column::ShopifyOrderId.eq(order_id))
        .filter(requests::Column::Status.is_in(OPEN.iter().map(|s| s.as_str())));
    if let Some(ids) = line_items {
        q = q.filter(requests::Column::LineItemId.is_in(ids.iter().copied()));
    }
    q.all(db).await
}

/// Statuses a request can still be expired from (not yet submitted, failed or expired).
pub const OPEN: [RequestStatus; 4] =
    [RequestStatus::Scheduled, RequestStatus::Queued, RequestStatus::Sent, RequestStatus::Clicked];

/// Requests of a campaign that were never sent (scheduled or queued).
pub async fn unsent_for_campaign(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    campaign_id: CampaignId,
) -> Result<Vec<requests::Model>, DbErr> {
    requests::Entity::find()
        .filter(requests::Column::ShopId.eq(shop_id))
        .filter(requests::Column::CampaignId.eq(campaign_id))
        .filter(requests::Column::Status.is_in([RequestStatus::Scheduled.as_str(), RequestStatus::Queued.as_str()]))
        .all(db)
        .await
}

/// Claims due requests of any shop for sending (global by design: one sender pool serves every
/// shop). Fresh ones move `scheduled → queued` with their `queued` event — the batch form of
/// [`transition`]; queued ones whose retry time has come (or whose sender died, lease expired)
/// are re-claimed. Each claim takes a lease and counts an attempt. On Postgres the selection is
/// `FOR UPDATE SKIP LOCKED`, so concurrent senders never claim the same row.
pub async fn claim_due_all_shops<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<requests::Model>, DbErr> {
    use sea_orm::{DbBackend, Statement, Value};
    let backend = db.get_database_backend();
    let lock = if backend == DbBackend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
    let claim = |condition: &str| {
        format!(
            "UPDATE testimonial_requests SET status = 'queued', lease_until = $1, attempts = attempts + 1, updated_at = $2 \
             WHERE id IN (SELECT id FROM testimonial_requests WHERE {condition} \
                          ORDER BY next_attempt_at LIMIT $3 {lock}) \
             RETURNING *"
        )
    };
    let values = || -> Vec<Value> { vec![lease_until.into(), now.into(), (limit as i64).into()] };
    let txn = db.begin().await?;
    let fresh = requests::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            backend,
            claim("status = 'scheduled' AND next_attempt_at <= $2"),
            values(),
        ))
        .all(&txn)
        .await?;
    let room = limit.saturating_sub(fresh.len() as u64);
    let mut retries = Vec::new();
    if room > 0 {
        let mut v = values();
        v[2] = (room as i64).into();
        retries = requests::Entity::find()
            .from_raw_sql(Statement::from_sql_and_values(
                backend,
                claim("status = 'queued' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until < $2)"),
                v,
            ))
            .all(&txn)
            .await?;
    }
    let event = request_state::transition(RequestStatus::Scheduled, RequestStatus::Queued)
        .expect("scheduled -> queued is in the table");
    if !fresh.is_empty() {
        // The claims above are planned for their values; the events' key checks need not be.
        super::reuse_plans(&txn).await?;
        let queued = fresh.iter().map(|r| (r.shop_id, r.id, request_events::NewEvent::new(event, now))).collect();
        request_events::append_owned(&txn, queued).await?;
    }
    txn.commit().await?;
    Ok(fresh.into_iter().chain(retries).collect())
}

/// Puts a claimed request back without counting the attempt (the shop is paused or
/// uninstalled): not a status change, so no event.
pub async fn defer(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: RequestId,
    until: DateTime<Utc>,
) -> Result<(), DbErr> {
    requests::Entity::update_many()
        .col_expr(requests::Column::NextAttemptAt, Some(until).into())
        .col_expr(requests::Column::LeaseUntil, Option::<DateTime<Utc>>::None.into())
        .col_expr(requests::Column::Attempts, {
            use sea_orm::sea_query::ExprTrait;
            sea_orm::sea_query::Expr::col(requests::Column::Attempts).sub(1)
        })
        .filter(requests::Column::Id.eq(id))
        .filter(requests::Column::ShopId.eq(shop_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Open requests whose token expired, across shops (the expiry sweeper).
pub async fn overdue_all_shops(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<requests::Model>, DbErr> {
    use sea_orm::QuerySelect;
    requests::Entity::find()
        .filter(requests::Column::Status.is_in(OPEN.iter().map(|s| s.as_str())))
        .filter(requests::Column::ExpiresAt.lte(now))
        .limit(limit)
        .all(db)
        .await
}

/// A request by id alone — for callers that hold an id from outside (a provider callback, a
/// signed tracking link) and learn the tenant from the row. Global by nature, hence the name.
pub async fn find_all_shops(db: &impl ConnectionTrait, id: RequestId) -> Result<Option<requests::Model>, DbErr> {
    requests::Entity::find_by_id(id).one(db).await
}

/// The request a provider message id was recorded for (on its `sent` or `reminder_sent`
/// event, so both messages of channel `both` and every reminder are found). Global by nature.
pub async fn find_by_message_id_all_shops(
    db: &impl ConnectionTrait,
    message_id: &str,
) -> Result<Option<requests::Model>, DbErr> {
    use entity::testimonial_request_events as events;
    let event = events::Entity::find()
        .filter(events::Column::ProviderMessageId.eq(message_id))
        .filter(events::Column::EventType.is_in(["sent", "reminder_sent"]))
        .one(db)
        .await?;
    match event {
        Some(e) => get(db, e.shop_id, e.request_id).await,
        None => Ok(None),
    }
}

/// Claims requests whose reminder is due, across shops: a lease, no status change. Same
/// `SKIP LOCKED` discipline as [`claim_due_all_shops`].
pub async fn claim_reminders_due_all_shops<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<requests::Model>, DbErr> {
    use sea_orm::{DbBackend, Statement};
    let backend = db.get_database_backend();
    let lock = if backend == DbBackend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE testimonial_requests SET lease_until = $1 \
         WHERE id IN (SELECT id FROM testimonial_requests \
                      WHERE status IN ('sent', 'clicked') AND next_reminder_at <= $2 \
                        AND (lease_until IS NULL OR lease_until < $2) \
                      ORDER BY next_reminder_at LIMIT $3 {lock}) \
         RETURNING *"
    );
    let txn = db.begin().await?;
    let rows = requests::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            backend,
            sql,
            vec![lease_until.into(), now.into(), (limit as i64).into()],
        ))
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(rows)
}

/// Gives back claims a stopping worker will not use (shutdown came before their turn): each
/// row whose claim is still the one it took — the same lease, and for a send the same attempt
/// count — loses its lease, so the next worker takes it at once. A send's claim also gives back
/// the attempt it counted (nothing was tried); the fence stays sound because a released row
/// has no lease for a stale holder to renew. Returns how many were given back.
pub async fn release_claims_all_shops<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    claims: &[requests::Model],
    kind: ClaimKind,
) -> Result<u64, DbErr> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let txn = db.begin().await?;
    let mut released = 0;
    for r in claims {
        let Some(lease) = r.lease_until else { continue };
        let mut update = requests::Entity::update_many()
            .col_expr(requests::Column::LeaseUntil, Option::<DateTime<Utc>>::None.into())
            .filter(requests::Column::Id.eq(r.id))
            .filter(requests::Column::ShopId.eq(r.shop_id))
            .filter(requests::Column::LeaseUntil.eq(lease));
        if kind == ClaimKind::Send {
            update = update
                .col_expr(requests::Column::Attempts, Expr::col(requests::Column::Attempts).sub(1))
                .filter(requests::Column::Status.eq(RequestStatus::Queued.as_str()))
                .filter(requests::Column::Attempts.eq(r.attempts));
        }
        released += update.exec(&txn).await?.rows_affected;
    }
    txn.commit().await?;
    Ok(released)
}

/// Which claim [`release_claims_all_shops`] gives back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimKind {
    /// A due send's ([`claim_due_all_shops`]).
    Send,
    /// A reminder's ([`claim_reminders_due_all_shops`]).
    Reminder,
}

/// Sets when the next reminder is due (`None`: never again) and releases the claim. Not a
/// status change, so no event.
pub async fn set_next_reminder(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: RequestId,
    at: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    requests::Entity::update_many()
        .col_expr(requests::Column::NextReminderAt, at.into())
        .col_expr(requests::Column::LeaseUntil, Option::<DateTime<Utc>>::None.into())
        .filter(requests::Column::Id.eq(id))
        .filter(requests::Column::ShopId.eq(shop_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A reminder went out: counts it, sets the next one and appends `reminder_sent`, in one
/// transaction, with a compare-and-set on the count and the status so a reminder raced by a
/// submission or another sender is never recorded twice. Returns whether it was recorded.
#[allow(clippy::too_many_arguments)]
pub async fn record_reminder<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    shop_id: ShopId,
    id: RequestId,
    expected_count: i32,
    next_reminder_at: Option<DateTime<Utc>>,
    provider_message_id: Option<String>,
    payload: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let update = requests::Entity::update_many()
        .col_expr(requests::Column::ReminderCount, (expected_count + 1).into())
        .col_expr(requests::Column::NextReminderAt, next_reminder_at.into())
        .col_expr(requests::Column::LastSentAt, Some(now).into())
        .col_expr(requests::Column::LeaseUntil, Option::<DateTime<Utc>>::None.into())
        .filter(requests::Column::ReminderCount.eq(expected_count));
    let e = request_events::NewEvent {
        provider_message_id,
        payload: Some(payload),
        ..request_events::NewEvent::new(entity::RequestEventType::ReminderSent, now)
    };
    update_open_with_event(db, shop_id, id, update, e).await
}

/// The non-status changes of a `sent`/`clicked` request (a reminder, a postponement): the
/// caller's update, which carries its own compare-and-set condition, and its event, in one
/// transaction. Returns whether the row matched and was changed.
async fn update_open_with_event<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    shop_id: ShopId,
    id: RequestId,
    update: sea_orm::UpdateMany<requests::Entity>,
    event: request_events::NewEvent,
) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    let updated = update
        .col_expr(requests::Column::UpdatedAt, event.at.into())
        .filter(requests::Column::Id.eq(id))
        .filter(requests::Column::ShopId.eq(shop_id))
        .filter(requests::Column::Status.is_in([RequestStatus::Sent.as_str(), RequestStatus::Clicked.as_str()]))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(false);
    }
    request_events::append(&txn, shop_id, id, event).await.map_err(db_error)?;
    txn.commit().await?;
    Ok(true)
}

/// The customer said the product has not arrived: the link's expiry and the reminders move by
/// the postpone days. Compare-and-set on the postpone count, event in the same transaction
/// (a `scheduled` event: the request is rescheduled, its status unchanged).
#[allow(clippy::too_many_arguments)]
pub async fn postpone<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    shop_id: ShopId,
    id: RequestId,
    expected_count: i32,
    expires_at: DateTime<Utc>,
    next_reminder_at: Option<DateTime<Utc>>,
    payload: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let update = requests::Entity::update_many()
        .col_expr(requests::Column::PostponeCount, (expected_count + 1).into())
        .col_expr(requests::Column::ExpiresAt, expires_at.into())
        .col_expr(requests::Column::NextReminderAt, next_reminder_at.into())
        .filter(requests::Column::PostponeCount.eq(expected_count));
    let e = request_events::NewEvent {
        payload: Some(payload),
        ..request_events::NewEvent::new(entity::RequestEventType::Scheduled, now)
    };
    update_open_with_event(db, shop_id, id, update, e).await
}

/// The requests log's filter (spec 004 §9.3). Every field narrows; none set lists everything.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub statuses: Vec<RequestStatus>,
    pub campaign_id: Option<CampaignId>,
    /// Created at or after / before.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only requests whose timeline holds an event of this type (e.g. `failed`).
    pub event_type: Option<RequestEventType>,
    /// An order name or number, or a customer's name or email.
    pub search: Option<String>,
}

/// What the requests log's search matches anywhere in, case-insensitively: the order's name and
/// the customer's names. Postgres has a trigram index on exactly this expression (migration 7).
pub const SEARCH_TEXT: &str = "lower(coalesce(order_name, '') || ' ' || coalesce(customer_first_name, '') || ' ' || coalesce(customer_last_name, ''))";

/// A page of the requests log, newest first; `before` is the last id of the previous page.
pub async fn log_page(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    filter: &LogFilter,
    before: Option<RequestId>,
    limit: u64,
) -> Result<Vec<requests::Model>, DbErr> {
    log_query(shop_id, filter, before, limit).all(db).await
}

/// The query behind [`log_page`] (the scale benchmark prints its plan).
pub fn log_query(
    shop_id: ShopId,
    filter: &LogFilter,
    before: Option<RequestId>,
    limit: u64,
) -> sea_orm::Select<requests::Entity> {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    use sea_orm::{Condition, QueryOrder, QuerySelect};
    let mut q = requests::Entity::find().filter(requests::Column::ShopId.eq(shop_id));
    if !filter.statuses.is_empty() {
        q = q.filter(requests::Column::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
    }
    if let Some(c) = filter.campaign_id {
        q = q.filter(requests::Column::CampaignId.eq(c));
    }
    if let Some(f) = filter.from {
        q = q.filter(requests::Column::CreatedAt.gte(f));
    }
    if let Some(t) = filter.to {
        q = q.filter(requests::Column::CreatedAt.lt(t));
    }
    if let Some(t) = filter.event_type {
        let with_event = Query::select()
            .column(entity::testimonial_request_events::Column::RequestId)
            .from(entity::testimonial_request_events::Entity)
            .and_where(Expr::col(entity::testimonial_request_events::Column::ShopId).eq(shop_id))
            .and_where(Expr::col(entity::testimonial_request_events::Column::EventType).eq(t.as_str()))
            .to_owned();
        q = q.filter(requests::Column::Id.in_subquery(with_event));
    }
    if let Some(s) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let like = format!("%{}%", s.to_lowercase().replace(['%', '_'], ""));
        let mut any = Condition::any()
            .add(Expr::cust(SEARCH_TEXT).like(like))
            .add(requests::Column::CustomerEmail.eq(s.to_lowercase()));
        if let Ok(n) = s.trim_start_matches('#').parse::<i64>() {
            any = any.add(requests::Column::ShopifyOrderId.eq(n));
        }
        q = q.filter(any);
    }
    if let Some(b) = before {
        q = q.filter(requests::Column::Id.lt(b));
    }
    q.order_by_desc(requests::Column::Id).limit(limit)
}

/// A scheduled request becomes due now (the merchant's "send now").
pub async fn make_due(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: RequestId,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    requests::Entity::update_many()
        .col_expr(requests::Column::ScheduledFor, Some(now).into())
        .col_expr(requests::Column::NextAttemptAt, Some(now).into())
        .col_expr(requests::Column::UpdatedAt, now.into())
        .filter(requests::Column::Id.eq(id))
        .filter(requests::Column::ShopId.eq(shop_id))
        .filter(requests::Column::Status.eq(RequestStatus::Scheduled.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// The merchant moves an open request later: a scheduled one's send time (and expiry), a sent
/// one's expiry and next reminder. Compare-and-set on the status read; the `scheduled` event
/// (its payload says who and by how much) in the same transaction. `false`: it changed meanwhile.
pub async fn postpone_by_merchant<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    shop_id: ShopId,
    current: &requests::Model,
    by: chrono::Duration,
    payload: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut update = requests::Entity::update_many()
        .col_expr(requests::Column::ExpiresAt, (current.expires_at + by).into())
        .col_expr(requests::Column::UpdatedAt, now.into());
    if current.status == RequestStatus::Scheduled {
        let at = current.scheduled_for.max(now) + by;
        update = update
            .col_expr(requests::Column::ScheduledFor, at.into())
            .col_expr(requests::Column::NextAttemptAt, Some(at).into());
    } else {
        update = update.col_expr(requests::Column::NextReminderAt, current.next_reminder_at.map(|r| r + by).into());
    }
    let txn = db.begin().await?;
    let updated = update
        .filter(requests::Column::Id.eq(current.id))
        .filter(requests::Column::ShopId.eq(shop_id))
        .filter(requests::Column::Status.eq(current.status.as_str()))
        .filter(requests::Column::UpdatedAt.eq(current.updated_at))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(false);
    }
    let e = request_events::NewEvent {
        payload: Some(payload),
        ..request_events::NewEvent::new(RequestEventType::Scheduled, now)
    };
    request_events::append(&txn, shop_id, current.id, e).await.map_err(db_error)?;
    txn.commit().await?;
    Ok(true)
}

/// Several of the shop's requests by id, in one query.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    ids: &[RequestId],
) -> Result<Vec<requests::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    requests::Entity::find()
        .filter(requests::Column::ShopId.eq(shop_id))
        .filter(requests::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

/// How many requests are due and not sent, across shops, and since when the oldest has been
/// due: the dispatch backlog an operator watches.
pub async fn due_backlog_all_shops(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<(u64, Option<DateTime<Utc>>), DbErr> {
    let due = || {
        requests::Entity::find()
            .filter(requests::Column::Status.is_in([RequestStatus::Scheduled.as_str(), RequestStatus::Queued.as_str()]))
            .filter(requests::Column::NextAttemptAt.lte(now))
    };
    let count = due().count(db).await?;
    let oldest = if count == 0 {
        None
    } else {
        due().order_by_asc(requests::Column::NextAttemptAt).one(db).await?.and_then(|r| r.next_attempt_at)
    };
    Ok((count, oldest))
}
