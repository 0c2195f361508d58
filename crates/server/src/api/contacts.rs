//! One coordinated contact per customer (R2.4) over HTTP: the departments' topics for a
//! customer's next call (`/api/contacts/topics`), and the contact tasks — every topic, 回访
//! and center lead of a customer as one call, with the contact policy's verdict now.

use app::contact_tasks::{ContactTask, NewTopic};
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use store::{ContactTopic, CustomerId};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};

/// Something a department wants said in the center's next call to a customer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicInput {
    pub customer_id: i64,
    /// `callback`, `payment`, `invitation`, `survey` or `other`.
    pub kind: String,
    /// `service`, `sales`, `marketing` or `billing`.
    pub department: String,
    /// What to say or ask, for the agent (`水费欠缴 86 元，提醒缴费`).
    pub subject: String,
    /// Not before this instant (now when left out).
    pub not_before_ms: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopicBody {
    pub id: i64,
    /// The customer it is for (a merged record's: the record it was merged into).
    pub customer_id: i64,
    pub kind: String,
    pub department: String,
    pub subject: String,
    pub call_id: Option<String>,
    pub not_before_ms: i64,
    pub created_ms: i64,
    pub created_by: Option<i64>,
    pub done_ms: Option<i64>,
    pub done_by: Option<i64>,
    pub outcome: Option<String>,
}

impl From<ContactTopic> for TopicBody {
    fn from(t: ContactTopic) -> Self {
        TopicBody {
            id: t.id,
            customer_id: t.customer.0,
            kind: t.kind,
            department: t.department,
            subject: t.subject,
            call_id: t.call_id,
            not_before_ms: t.not_before_ms,
            created_ms: t.created_ms,
            created_by: t.created_by.map(|u| u.0),
            done_ms: t.done_ms,
            done_by: t.done_by.map(|u| u.0),
            outcome: t.outcome,
        }
    }
}

/// Add a topic for the customer's next call: it joins their contact task.
#[utoipa::path(post, path = "/api/contacts/topics", tag = "customers", request_body = TopicInput,
    responses((status = 201, body = TopicBody), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn add_topic(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<TopicInput>,
) -> ApiResult<(StatusCode, Json<TopicBody>)> {
    let tenant = caller.tenant()?;
    let id = state
        .app()
        .add_contact_topic(
            tenant,
            NewTopic {
                customer: CustomerId(body.customer_id),
                kind: body.kind,
                department: body.department,
                subject: body.subject,
                not_before_ms: body.not_before_ms,
                call_id: None,
            },
            Some(caller.user.id),
        )
        .await?;
    let topic = state
        .store()
        .scoped(tenant)
        .contact_topic(id)
        .await?
        .ok_or_else(|| crate::error::ApiError::not_found("contact topic"))?;
    Ok((StatusCode::CREATED, Json(topic.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicDone {
    /// What came of it (`已提醒，客户明天缴费`).
    #[serde(default)]
    pub outcome: String,
}

/// Mark a topic covered (or given up on), saying what came of it.
#[utoipa::path(post, path = "/api/contacts/topics/{topic_id}/done", tag = "customers",
    params(("topic_id" = i64, Path)), request_body = TopicDone,
    responses((status = 200, body = TopicBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn topic_done(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TopicDone>,
) -> ApiResult<Json<TopicBody>> {
    let topic = state
        .app()
        .close_contact_topic(caller.tenant()?, id, caller.user.id, &body.outcome)
        .await?;
    Ok(Json(topic.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TaskParams {
    /// Only this customer's task.
    pub customer_id: Option<i64>,
}

/// One thing to cover in a contact task's call.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskItemBody {
    /// `callback`, `payment`, `invitation`, `survey`, `other` (topics), `revisit` (an
    /// order's 回访) or `lead` (a lead the center works).
    pub kind: String,
    pub department: String,
    pub subject: String,
    /// The topic's, the order's or the lead's id.
    pub id: i64,
    pub since_ms: i64,
    pub not_before_ms: i64,
}

/// One call to one customer covering everything pending for them.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactTaskBody {
    pub customer_id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub items: Vec<TaskItemBody>,
    /// Whether the policy lets the center call now (and the items are due).
    pub may_call: bool,
    /// Why not now: a policy reason (`quiet_hours`, `daily_limit`, `do_not_call`…) or
    /// `scheduled` (its items are not due yet).
    pub reason: Option<String>,
    pub message: Option<String>,
    /// When it may be placed (none: not while the reason holds).
    pub due_ms: Option<i64>,
}

fn task_body(t: ContactTask, now: i64) -> ContactTaskBody {
    let (may_call, reason, message) = match t.verdict {
        leads::Verdict::Call if t.due_ms.is_some_and(|d| d > now) => (
            false,
            Some("scheduled".to_string()),
            Some("not due yet".to_string()),
        ),
        leads::Verdict::Call => (true, None, None),
        leads::Verdict::Defer { reason, .. } | leads::Verdict::Never { reason } => (
            false,
            Some(reason.as_str().to_string()),
            Some(reason.explain().to_string()),
        ),
    };
    ContactTaskBody {
        customer_id: t.customer.0,
        name: t.name,
        phone: t.phone,
        items: t
            .items
            .into_iter()
            .map(|i| TaskItemBody {
                kind: i.kind,
                department: i.department,
                subject: i.subject,
                id: i.id,
                since_ms: i.since_ms,
                not_before_ms: i.not_before_ms,
            })
            .collect(),
        may_call,
        reason,
        message,
        due_ms: t.due_ms,
    }
}

/// The contact tasks: one per customer with everything the departments want said, those
/// the policy lets the center call now first, then the deferred by when, each with why.
#[utoipa::path(get, path = "/api/contacts/tasks", tag = "customers", params(TaskParams),
    responses((status = 200, body = [ContactTaskBody]), (status = 400, body = ErrorBody)))]
pub async fn contact_tasks(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<TaskParams>,
) -> ApiResult<Json<Vec<ContactTaskBody>>> {
    let now = state.now_ms();
    let tasks = state
        .app()
        .contact_tasks(caller.tenant()?, p.customer_id.map(CustomerId))
        .await?;
    // The center's leads are for those who work leads.
    let leads = crate::perm::allows(caller.user.role, crate::perm::Perm::WorkLeads);
    Ok(Json(
        tasks
            .iter()
            .cloned()
            .filter_map(|mut t| {
                t.items.retain(|i| leads || i.kind != "lead");
                (!t.items.is_empty()).then(|| task_body(t, now))
            })
            .collect(),
    ))
}
