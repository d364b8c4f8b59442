//! The requests log in the admin API (spec 004 §9): filtered requests with their timelines
//! (newest first, last event on each), and the merchant's actions on one request.

use super::ctx;
use crate::graphql::error::{ErrorCode, ToApiError, api_error, internal};
use crate::services::requests_log::{self, ActionError};
use crate::services::requests_log::{LogFilter, TransitionError};
use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, ID, InputObject, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{testimonial_request_events as events, testimonial_requests as requests};

mirror_enum!(RequestStatusGql as "RequestStatus" <=> RequestStatus {
    Scheduled, Queued, Sent, Clicked, Submitted, Expired, Failed
});
mirror_enum!(RequestEventTypeGql as "RequestEventType" <=> RequestEventType {
    Scheduled, Queued, Sent, Delivered, Opened, Clicked, Submitted, Failed, Retrying, ReminderSent, Expired
});

#[derive(InputObject, Default)]
pub struct RequestFilter {
    pub statuses: Option<Vec<RequestStatusGql>>,
    pub campaign_id: Option<ID>,
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub to: Option<DateTime<Utc>>,
    /// Only requests whose timeline holds this event (e.g. `FAILED`).
    pub event_type: Option<RequestEventTypeGql>,
    /// An order name or number, or a customer's name or email.
    pub search: Option<String>,
}

#[derive(SimpleObject, Clone)]
pub struct RequestEvent {
    pub r#type: RequestEventTypeGql,
    pub at: DateTime<Utc>,
    pub provider_message_id: Option<String>,
    /// Redacted details (provider status, engagement class, who acted…).
    pub payload: Option<Json<serde_json::Value>>,
}

impl From<&events::Model> for RequestEvent {
    fn from(e: &events::Model) -> Self {
        Self {
            r#type: e.event_type.into(),
            at: e.event_at,
            provider_message_id: e.provider_message_id.clone(),
            payload: e.payload.clone().map(Json),
        }
    }
}

pub struct Request {
    row: requests::Model,
    timeline: Vec<events::Model>,
}

#[Object]
impl Request {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }
    async fn status(&self) -> RequestStatusGql {
        self.row.status.into()
    }
    async fn campaign_id(&self) -> ID {
        ID(self.row.campaign_id.to_string())
    }
    async fn order_name(&self) -> Option<&str> {
        self.row.order_name.as_deref()
    }
    async fn order_id(&self) -> ID {
        ID(self.row.shopify_order_id.to_string())
    }
    async fn product_id(&self) -> ID {
        ID(self.row.product_id.to_string())
    }
    async fn product_title(&self) -> &str {
        &self.row.product_title
    }
    async fn customer_first_name(&self) -> Option<&str> {
        self.row.customer_first_name.as_deref()
    }
    /// `EMAIL`, `SMS` or `BOTH`.
    async fn channel(&self) -> String {
        self.row.channel.as_str().to_ascii_uppercase()
    }
    async fn scheduled_for(&self) -> DateTime<Utc> {
        self.row.scheduled_for
    }
    async fn first_sent_at(&self) -> Option<DateTime<Utc>> {
        self.row.first_sent_at
    }
    async fn expires_at(&self) -> DateTime<Utc> {
        self.row.expires_at
    }
    async fn attempts(&self) -> i32 {
        self.row.attempts
    }
    async fn reminder_count(&self) -> i32 {
        self.row.reminder_count
    }
    async fn last_error(&self) -> Option<&str> {
        self.row.last_error.as_deref()
    }
    /// Why it expired (`merchant_cancelled`, `order_cancelled`, `token_expired`…).
    async fn expire_reason(&self) -> Option<&str> {
        self.row.expire_reason.map(|r| r.as_str())
    }
    /// The latest event's time (spec 004 §7.1).
    async fn last_event_at(&self) -> Option<DateTime<Utc>> {
        self.timeline.first().map(|e| e.event_at)
    }
    async fn last_event_type(&self) -> Option<RequestEventTypeGql> {
        self.timeline.first().map(|e| e.event_type.into())
    }
    /// Every event, newest first.
    async fn timeline(&self) -> Vec<RequestEvent> {
        self.timeline.iter().map(RequestEvent::from).collect()
    }
}

fn parse_id<T: std::str::FromStr>(id: &ID, what: &str) -> Result<T> {
    crate::graphql::error::parse_id(id, what)
}

impl ToApiError for ActionError {
    fn to_api_error(self) -> async_graphql::Error {
        match self {
            Self::Transition(TransitionError::NotFound) => api_error(ErrorCode::NotFound, "request not found"),
            Self::Transition(TransitionError::Invalid(e)) => api_error(ErrorCode::InvalidTransition, e.to_string()),
            Self::NotScheduled(_) | Self::NotOpen(_) => api_error(ErrorCode::InvalidTransition, self.to_string()),
            Self::BadDays => api_error(ErrorCode::Validation, self.to_string()),
            Self::Transition(TransitionError::Conflict) => {
                api_error(ErrorCode::Conflict, "the request changed meanwhile; reload and try again")
            }
            other => internal(other),
        }
    }
}

#[derive(Default)]
pub struct RequestQuery;

#[Object]
impl RequestQuery {
    /// The requests log: newest first, filtered, each with its timeline.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn requests(
        &self,
        context: &Context<'_>,
        filter: Option<RequestFilter>,
        #[graphql(validator(minimum = 1, maximum = 100))] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Request, EmptyFields, EmptyFields>> {
        let (p, state) = ctx(context)?;
        let f = filter.unwrap_or_default();
        let filter = LogFilter {
            statuses: f.statuses.unwrap_or_default().into_iter().map(Into::into).collect(),
            campaign_id: f.campaign_id.as_ref().map(|c| parse_id(c, "campaign")).transpose()?,
            from: f.from,
            to: f.to,
            event_type: f.event_type.map(Into::into),
            search: f.search,
        };
        let after = after
            .map(|a| {
                a.parse::<entity::RequestId>().map_err(|_| api_error(ErrorCode::Validation, "`after` is not a cursor"))
            })
            .transpose()?;
        let (rows, more) =
            requests_log::page(state, p.shop_id, &filter, after, first.unwrap_or(20) as u64).await.map_err(internal)?;
        let mut c = Connection::new(after.is_some(), more);
        c.edges
            .extend(rows.into_iter().map(|(row, timeline)| Edge::new(row.id.to_string(), Request { row, timeline })));
        Ok(c)
    }

    async fn request(&self, context: &Context<'_>, id: ID) -> Result<Request> {
        let (p, state) = ctx(context)?;
        let (row, timeline) = requests_log::get(state, p.shop_id, parse_id(&id, "request")?)
            .await
            .map_err(internal)?
            .ok_or_else(|| api_error(ErrorCode::NotFound, "request not found"))?;
        Ok(Request { row, timeline })
    }
}

#[derive(Default)]
pub struct RequestMutation;

async fn reload(context: &Context<'_>, row: requests::Model) -> Result<Request> {
    let (p, state) = ctx(context)?;
    let timeline = requests_log::timelines(state, p.shop_id, &[row.id]).await.map_err(internal)?;
    Ok(Request { row, timeline })
}

#[Object]
impl RequestMutation {
    /// A scheduled request goes out at the next scheduler round instead of its planned time.
    async fn send_request_now(&self, context: &Context<'_>, id: ID) -> Result<Request> {
        let (p, state) = ctx(context)?;
        let row = requests_log::send_now(state, p.shop_id, &p.actor, parse_id(&id, "request")?)
            .await
            .map_err(ToApiError::to_api_error)?;
        reload(context, row).await
    }
    /// Moves an open request later by `days` (1–60): a scheduled one goes out later; a sent one's
    /// link lasts longer and its reminders wait.
    async fn postpone_request(&self, context: &Context<'_>, id: ID, days: i32) -> Result<Request> {
        let (p, state) = ctx(context)?;
        let row = requests_log::postpone(state, p.shop_id, &p.actor, parse_id(&id, "request")?, days.into())
            .await
            .map_err(ToApiError::to_api_error)?;
        reload(context, row).await
    }

    /// Stops an open request: nothing more is sent and its link stops working.
    async fn cancel_request(&self, context: &Context<'_>, id: ID) -> Result<Request> {
        let (p, state) = ctx(context)?;
        let row = requests_log::cancel(state, p.shop_id, &p.actor, parse_id(&id, "request")?)
            .await
            .map_err(ToApiError::to_api_error)?;
        reload(context, row).await
    }
    /// Sends a failed request again (after fixing the address or the provider).
    async fn resend_request(&self, context: &Context<'_>, id: ID) -> Result<Request> {
        let (p, state) = ctx(context)?;
        let row = requests_log::resend(state, p.shop_id, &p.actor, parse_id(&id, "request")?)
            .await
            .map_err(ToApiError::to_api_error)?;
        reload(context, row).await
    }
}

#[derive(Default)]
pub struct RequestSubscription;

#[async_graphql::Subscription]
impl RequestSubscription {
    /// One request's timeline as it grows: the events so far (oldest first), then each new one
    /// (sent, delivered, opened, clicked, reminders, failures…) within about a second.
    async fn request_events(
        &self,
        context: &Context<'_>,
        request_id: ID,
    ) -> Result<impl futures_util::Stream<Item = RequestEvent> + use<>> {
        let (p, state) = ctx(context)?;
        let not_found = || api_error(ErrorCode::NotFound, "request not found");
        let id: entity::RequestId = request_id.parse().map_err(|_| not_found())?;
        let events = requests_log::follow(state, p.shop_id, id).await.map_err(internal)?.ok_or_else(not_found)?;
        Ok(futures_util::StreamExt::map(events, |e| RequestEvent::from(&e)))
    }
}
