//! Work orders (工单) over HTTP: taken in by agents (from a call), the API and business
//! systems; listed for handlers, leads and the board; worked by handlers (accept, on the way,
//! on site, wait, resolve, return), re-dispatched and merged by leads, called back by agents,
//! closed without a callback only by a manager. Who may do what to one order (a group's
//! members accept its orders, its handler works it) is the runtime's rule (`app::orders`).

use std::collections::BTreeMap;

use app::orders::{Action, OrderView};
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use store::{CustomerId, OrderQuery, UserId};
use tickets::{Closure, Intake, Priority, Status, Step};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::dto::EventDto;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PriorityDto {
    Low,
    Normal,
    High,
    Urgent,
}

impl From<PriorityDto> for Priority {
    fn from(p: PriorityDto) -> Priority {
        match p {
            PriorityDto::Low => Priority::Low,
            PriorityDto::Normal => Priority::Normal,
            PriorityDto::High => Priority::High,
            PriorityDto::Urgent => Priority::Urgent,
        }
    }
}

impl From<Priority> for PriorityDto {
    fn from(p: Priority) -> PriorityDto {
        match p {
            Priority::Low => PriorityDto::Low,
            Priority::Normal => PriorityDto::Normal,
            Priority::High => PriorityDto::High,
            Priority::Urgent => PriorityDto::Urgent,
        }
    }
}

/// A new work order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderInput {
    /// An order type's key (`repair`).
    pub order_type: String,
    /// A path in the type's category tree (`leak/main`); empty for a type without one.
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub priority: Option<PriorityDto>,
    /// 1–200 characters.
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub customer_id: Option<i64>,
    /// `省/市/区`: routes repairs to the crew of the district.
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub address: String,
    /// The type's custom fields, by key.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// The caller's number, called back when it is done.
    #[serde(default)]
    pub caller: Option<String>,
    /// The call it was taken on.
    #[serde(default)]
    pub call_id: Option<String>,
    /// Solved on this contact (一次解决): resolved at once, counted as first-contact
    /// resolution.
    #[serde(default)]
    pub solved: bool,
    /// The customer's journey stage: `search`, `select`, `buy`, `receive` or `return`.
    #[serde(default)]
    pub journey: Option<String>,
}

/// One time limit of an order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockDto {
    /// `accept`, `first_action`, `resolve`.
    pub limit: String,
    pub started_ms: i64,
    /// When it runs out; none while paused or once met.
    pub due_ms: Option<i64>,
    pub met_ms: Option<i64>,
    pub paused: bool,
    pub warned: bool,
    pub breached: bool,
    /// Escalated to the managers, still not met well past the limit.
    pub escalated: bool,
}

/// A work order.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderDto {
    pub id: i64,
    pub version: i64,
    pub order_type: String,
    pub category: String,
    pub priority: PriorityDto,
    /// `open`, `dispatched`, `accepted`, `waiting`, `resolved`, `closed`, `merged`.
    pub status: String,
    /// How it closed: `satisfied`, `unreachable`, `override`, `resolved`.
    pub closure: Option<String>,
    pub group: Option<String>,
    pub handler_id: Option<i64>,
    pub handler_name: Option<String>,
    pub customer_id: Option<i64>,
    pub region: String,
    pub address: String,
    pub title: String,
    pub description: String,
    pub fields: BTreeMap<String, String>,
    /// The customer's journey stage when it was taken in.
    pub journey: Option<String>,
    /// Everyone who called about it (merged orders' callers too).
    pub callers: Vec<String>,
    pub calls: Vec<String>,
    pub callback_required: bool,
    pub callback_attempts: u32,
    /// The callback's score when satisfied.
    pub score: Option<u8>,
    pub reopened: u32,
    pub merged_into: Option<i64>,
    pub merged: Vec<i64>,
    pub first_contact: bool,
    pub created_ms: i64,
    pub created_by: Option<i64>,
    pub updated_ms: i64,
    /// When it must be resolved by.
    pub due_ms: Option<i64>,
    pub breached: bool,
    pub on_the_way_ms: Option<i64>,
    pub on_site_ms: Option<i64>,
    pub resolved_ms: Option<i64>,
    pub closed_ms: Option<i64>,
    pub clocks: Vec<ClockDto>,
    /// Photos, documents, recordings (`GET …/attachments/{id}`), oldest first.
    pub attachments: Vec<AttachmentDto>,
}

/// A file kept on an order.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentDto {
    pub id: String,
    pub name: String,
    /// Its media type (`image/jpeg`).
    pub content_type: String,
    pub size: u64,
    pub by: Option<i64>,
    pub at_ms: i64,
}

/// What turning orders into their wire form needs, each loaded once per request: the
/// calendars of their policies and the names of the people on them.
#[derive(Default)]
struct Calendars {
    calendars: std::collections::HashMap<Option<String>, calendar::Calendar>,
    names: BTreeMap<i64, String>,
}

impl Calendars {
    async fn name(
        &mut self,
        state: &AppState,
        tenant: store::TenantId,
        id: i64,
    ) -> ApiResult<Option<String>> {
        if let std::collections::btree_map::Entry::Vacant(slot) = self.names.entry(id) {
            let user = state.store().user(Some(tenant), UserId(id)).await?;
            slot.insert(user.map(|u| u.display_name).unwrap_or_default());
        }
        Ok(self.names.get(&id).filter(|n| !n.is_empty()).cloned())
    }

    async fn dto(
        &mut self,
        state: &AppState,
        tenant: store::TenantId,
        v: &OrderView,
    ) -> ApiResult<OrderDto> {
        let key = v.ticket.policy.as_ref().and_then(|p| p.calendar.clone());
        if !self.calendars.contains_key(&key) {
            let cal = state
                .app()
                .sla_calendar(tenant, v.ticket.policy.as_ref())
                .await?;
            self.calendars.insert(key.clone(), cal);
        }
        let mut dto = OrderDto::new(v, &self.calendars[&key], state.now_ms());
        if let Some(h) = dto.handler_id {
            dto.handler_name = self.name(state, tenant, h).await?;
        }
        Ok(dto)
    }
}

impl OrderDto {
    fn new(v: &OrderView, cal: &calendar::Calendar, now: i64) -> OrderDto {
        let t = &v.ticket;
        let (closure, score) = match &t.order.status {
            Status::Closed(c) => match c {
                Closure::Satisfied { score } => (Some("satisfied"), Some(*score)),
                Closure::Unreachable => (Some("unreachable"), None),
                Closure::Override { .. } => (Some("override"), None),
                Closure::Resolved => (Some("resolved"), None),
            },
            _ => (None, None),
        };
        let merged_into = match t.order.status {
            Status::Merged { into } => Some(into as i64),
            _ => None,
        };
        let clocks = t
            .clocks
            .each()
            .into_iter()
            .filter_map(|(which, c)| {
                let c = c.as_ref()?;
                Some(ClockDto {
                    limit: which.name().into(),
                    started_ms: c.started_ms,
                    due_ms: c.due_ms(cal, now),
                    met_ms: c.met_ms,
                    paused: c.is_paused(),
                    warned: c.warned,
                    breached: c.breached,
                    escalated: c.escalated,
                })
            })
            .collect();
        OrderDto {
            id: v.row.id,
            version: v.row.version,
            order_type: t.intake.order_type.clone(),
            category: t.intake.category.clone(),
            priority: t.intake.priority.into(),
            status: v.row.status.clone(),
            closure: closure.map(Into::into),
            group: v.row.group.clone(),
            handler_id: v.row.handler.map(|u| u.0),
            handler_name: None,
            customer_id: t.intake.customer_id,
            region: t.intake.region.clone(),
            journey: t.intake.journey.clone(),
            address: t.intake.address.clone(),
            title: t.intake.title.clone(),
            description: t.intake.description.clone(),
            fields: t.intake.fields.clone(),
            callers: t.order.callers.clone(),
            calls: t.calls.clone(),
            callback_required: t.order.callback_required,
            callback_attempts: t.order.callback_attempts,
            score,
            reopened: t.order.reopened,
            merged_into,
            merged: t.merged.iter().map(|m| *m as i64).collect(),
            first_contact: t.first_contact,
            created_ms: t.created_ms,
            created_by: t.created_by.map(|u| u as i64),
            updated_ms: v.row.updated_ms,
            due_ms: v.row.due_ms,
            breached: v.row.breached,
            on_the_way_ms: t.on_the_way_ms,
            on_site_ms: t.on_site_ms,
            resolved_ms: t.resolved_ms,
            closed_ms: t.closed_ms,
            clocks,
            attachments: t
                .attachments
                .iter()
                .map(|a| AttachmentDto {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    content_type: a.kind.mime().into(),
                    size: a.size,
                    by: a.by.map(|u| u as i64),
                    at_ms: a.at_ms,
                })
                .collect(),
        }
    }
}

/// A journey stage given, checked (none, or empty: not tagged).
pub(crate) fn journey_of(s: Option<String>) -> ApiResult<Option<String>> {
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(j) => leads::Journey::parse(j)
            .map(|j| Some(j.as_str().to_string()))
            .ok_or_else(|| {
                ApiError::invalid("journey", "one of search, select, buy, receive, return")
            }),
    }
}

/// Takes in a work order; routed at once to the group the tenant's rules choose.
#[utoipa::path(post, path = "/api/orders", tag = "orders", request_body = NewOrderInput,
    responses((status = 201, body = OrderDto), (status = 400, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(i): ApiJson<NewOrderInput>,
) -> ApiResult<(StatusCode, Json<OrderDto>)> {
    let tenant = caller.tenant()?;
    let intake = Intake {
        order_type: i.order_type,
        category: i.category,
        priority: i.priority.map_or(Priority::Normal, Into::into),
        title: i.title,
        description: i.description,
        customer_id: i.customer_id,
        segment: None,
        region: i.region,
        address: i.address,
        fields: i.fields,
        caller: i.caller.filter(|c| !c.trim().is_empty()),
        call_id: i.call_id.filter(|c| !c.trim().is_empty()),
        external_id: None,
        journey: journey_of(i.journey)?,
    };
    let v = state
        .app()
        .create_order(tenant, Some(&caller.user), intake, i.solved)
        .await?;
    let dto = Calendars::default().dto(&state, tenant, &v).await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderListParams {
    /// Statuses, comma-separated: `dispatched,accepted`; `active` for every status but
    /// closed and merged.
    pub status: Option<String>,
    pub order_type: Option<String>,
    pub group: Option<String>,
    pub handler_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub breached: Option<bool>,
    /// `省/市` or any start of a region.
    pub region: Option<String>,
    /// Only orders to be resolved before this time (the board's "due soon").
    pub due_before_ms: Option<i64>,
    /// Only the caller's own: handled by them, or waiting in a group they are in.
    pub mine: Option<bool>,
    /// The smallest id of the previous page.
    pub before: Option<i64>,
    pub limit: Option<u32>,
}

const STATUSES: [&str; 7] = [
    "open",
    "dispatched",
    "accepted",
    "waiting",
    "resolved",
    "closed",
    "merged",
];

/// Work orders, newest first, by any of the filters.
#[utoipa::path(get, path = "/api/orders", tag = "orders", params(OrderListParams),
    responses((status = 200, body = Vec<OrderDto>), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<OrderListParams>,
) -> ApiResult<Json<Vec<OrderDto>>> {
    let tenant = caller.tenant()?;
    let limit = super::limit(p.limit)?;
    let mut statuses = Vec::new();
    for s in p.status.iter().flat_map(|s| s.split(',')).map(str::trim) {
        match s {
            "" => {}
            "active" => statuses.extend(STATUSES[..5].iter().map(|s| s.to_string())),
            s if STATUSES.contains(&s) => statuses.push(s.to_string()),
            _ => {
                return Err(ApiError::invalid(
                    "status",
                    format!("one or more of active, {}", STATUSES.join(", ")),
                ));
            }
        }
    }
    for (field, v) in [
        ("order_type", &p.order_type),
        ("group", &p.group),
        ("region", &p.region),
    ] {
        if v.as_ref()
            .is_some_and(|v| v.len() > 200 || v.contains('\0'))
        {
            return Err(ApiError::invalid(field, "at most 200 characters, no NUL"));
        }
    }
    statuses.sort();
    statuses.dedup();
    let base = OrderQuery {
        statuses,
        order_type: p.order_type,
        group: p.group,
        handler: p.handler_id.map(UserId),
        customer: p.customer_id.map(CustomerId),
        breached: p.breached,
        region: p.region,
        due_before_ms: p.due_before_ms,
        before: p.before,
        limit,
    };
    let scoped = state.store().scoped(tenant);
    let rows = if p.mine == Some(true) {
        // Handled by me, and dispatched to a group of mine and not yet taken.
        let mut rows = scoped
            .orders(&OrderQuery {
                handler: Some(caller.user.id),
                ..base.clone()
            })
            .await?;
        let setup = state.app().order_setup(tenant).await?;
        let me = caller.user.id.0 as u64;
        for (key, g) in &setup.groups {
            // A group asked for narrows mine to it.
            if base.group.as_ref().is_some_and(|asked| asked != key) {
                continue;
            }
            if g.members.contains(&me) || g.lead == Some(me) {
                let waiting = scoped
                    .orders(&OrderQuery {
                        group: Some(key.clone()),
                        statuses: vec!["dispatched".into()],
                        ..base.clone()
                    })
                    .await?;
                rows.extend(
                    waiting
                        .into_iter()
                        .filter(|o| base.statuses.is_empty() || base.statuses.contains(&o.status)),
                );
            }
        }
        rows.sort_by_key(|o| std::cmp::Reverse(o.id));
        rows.dedup_by_key(|o| o.id);
        rows.truncate(limit as usize);
        rows
    } else {
        scoped.orders(&base).await?
    };
    let mut calendars = Calendars::default();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        match serde_json::from_value(row.data.clone()) {
            Ok(ticket) => {
                out.push(
                    calendars
                        .dto(&state, tenant, &OrderView { row, ticket })
                        .await?,
                );
            }
            Err(e) => tracing::error!(tenant = tenant.0, order = row.id, "unreadable order: {e}"),
        }
    }
    Ok(Json(out))
}

#[utoipa::path(get, path = "/api/orders/{order_id}", tag = "orders",
    params(("order_id" = i64, Path)),
    responses((status = 200, body = OrderDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OrderDto>> {
    let tenant = caller.tenant()?;
    let v = state.app().order(tenant, id).await?;
    Ok(Json(Calendars::default().dto(&state, tenant, &v).await?))
}

/// An order's history and the names of the people in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderTimeline {
    /// Oldest first: `order.changed` and `order.sla` events.
    pub events: Vec<EventDto>,
    /// Display names by user id, of everyone the events name.
    pub names: BTreeMap<i64, String>,
}

/// The order's history, oldest first: every change with who, when, from and to, and the
/// warnings and breaches of its time limits.
#[utoipa::path(get, path = "/api/orders/{order_id}/timeline", tag = "orders",
    params(("order_id" = i64, Path)),
    responses((status = 200, body = OrderTimeline), (status = 404, body = ErrorBody)))]
pub async fn timeline(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OrderTimeline>> {
    let tenant = caller.tenant()?;
    state.app().order(tenant, id).await?;
    let events: Vec<_> = state
        .store()
        .scoped(tenant)
        .order_events(id, 1000)
        .await?
        .into_iter()
        .filter(|e| super::events::visible(&caller.user, e))
        .collect();
    let mut ctx = Calendars::default();
    let mut names = BTreeMap::new();
    for e in &events {
        for f in ["actor_id", "handler_id", "to_user_id"] {
            if let Some(u) = e.payload.get(f).and_then(|v| v.as_i64())
                && let Some(n) = ctx.name(&state, tenant, u).await?
            {
                names.insert(u, n);
            }
        }
    }
    Ok(Json(OrderTimeline {
        events: events.iter().map(EventDto::from).collect(),
        names,
    }))
}

async fn act(
    state: &AppState,
    caller: &Caller,
    id: i64,
    action: Action,
) -> ApiResult<Json<OrderDto>> {
    let tenant = caller.tenant()?;
    // Another tenant's order is not found, whatever the body.
    state.app().order(tenant, id).await?;
    let v = state
        .app()
        .act_on_order(tenant, &caller.user, id, action)
        .await?;
    Ok(Json(Calendars::default().dto(state, tenant, &v).await?))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandleAction {
    Accept,
    /// Back for dispatch (退单), with the reason.
    Return,
    /// Waiting on the customer: the time limits pause.
    Wait,
    Resume,
    OnTheWay,
    OnSite,
    Note,
    /// Done (办结); a complaint or repair is then called back.
    Resolve,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandleInput {
    pub action: HandleAction,
    /// The reason of a return; the note of the others (up to 2,000 characters).
    #[serde(default)]
    pub note: Option<String>,
}

/// A handler works the order: accept (a member of its group), return, wait on the
/// customer, on the way, on site, a note, resolve (its handler).
#[utoipa::path(post, path = "/api/orders/{order_id}/handle", tag = "orders",
    params(("order_id" = i64, Path)), request_body = HandleInput,
    responses((status = 200, body = OrderDto), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn handle(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(i): ApiJson<HandleInput>,
) -> ApiResult<Json<OrderDto>> {
    let note = i.note.filter(|n| !n.trim().is_empty());
    let action = match i.action {
        HandleAction::Accept => Action::Accept,
        HandleAction::Return => Action::Return {
            reason: note.ok_or_else(|| ApiError::invalid("note", "say why it is returned"))?,
        },
        HandleAction::Wait => Action::Wait { note },
        HandleAction::Resume => Action::Resume,
        HandleAction::OnTheWay => Action::Step {
            step: Step::OnTheWay,
            note,
        },
        HandleAction::OnSite => Action::Step {
            step: Step::OnSite,
            note,
        },
        HandleAction::Note => Action::Step {
            step: Step::Note,
            note: Some(note.ok_or_else(|| ApiError::invalid("note", "must not be empty"))?),
        },
        HandleAction::Resolve => Action::Resolve { note },
    };
    act(&state, &caller, id, action).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchInput {
    /// A handling group's key; left out to route by the rules.
    #[serde(default)]
    pub group: Option<String>,
}

/// Dispatch (派单) an open order, or re-dispatch (改派) one already with a group — the
/// acting lead is its reviewer.
#[utoipa::path(post, path = "/api/orders/{order_id}/dispatch", tag = "orders",
    params(("order_id" = i64, Path)), request_body = DispatchInput,
    responses((status = 200, body = OrderDto), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn dispatch(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(i): ApiJson<DispatchInput>,
) -> ApiResult<Json<OrderDto>> {
    act(&state, &caller, id, Action::Dispatch { group: i.group }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackInput {
    /// Whether the customer was reached; not reached three times closes it as unreachable.
    pub reached: bool,
    /// The customer's verdict; unsatisfied reopens the order to its handler.
    #[serde(default)]
    pub satisfied: bool,
    /// 1–5 when reached.
    #[serde(default)]
    pub score: Option<u8>,
    /// The customer's words.
    #[serde(default)]
    pub words: Option<String>,
}

/// The callback (回访) of a resolved order: the customer's verdict, or not reached.
#[utoipa::path(post, path = "/api/orders/{order_id}/callback", tag = "orders",
    params(("order_id" = i64, Path)), request_body = CallbackInput,
    responses((status = 200, body = OrderDto), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn callback(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(i): ApiJson<CallbackInput>,
) -> ApiResult<Json<OrderDto>> {
    let score = match (i.reached, i.score) {
        (true, Some(s)) => s,
        (true, None) => return Err(ApiError::invalid("score", "1 to 5 when reached")),
        (false, _) => 0,
    };
    let action = Action::Callback {
        reached: i.reached,
        satisfied: i.satisfied,
        score,
        words: i.words.filter(|w| !w.trim().is_empty()),
    };
    act(&state, &caller, id, action).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideInput {
    pub reason: String,
}

/// A manager closes the order now, callback or not, saying why (audited).
#[utoipa::path(post, path = "/api/orders/{order_id}/override", tag = "orders",
    params(("order_id" = i64, Path)), request_body = OverrideInput,
    responses((status = 200, body = OrderDto), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close_override(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(i): ApiJson<OverrideInput>,
) -> ApiResult<Json<OrderDto>> {
    let out = act(
        &state,
        &caller,
        id,
        Action::Override {
            reason: i.reason.clone(),
        },
    )
    .await?;
    super::audit(
        &state,
        &caller,
        "order.override",
        "order",
        id,
        serde_json::json!({ "reason": i.reason }),
    )
    .await?;
    Ok(out)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    /// The open order that takes this one's callers.
    pub into: i64,
}

/// Merges the order into another (并单): its callers go with it, and all get the outcome
/// and the callback.
#[utoipa::path(post, path = "/api/orders/{order_id}/merge", tag = "orders",
    params(("order_id" = i64, Path)), request_body = MergeInput,
    responses((status = 200, body = OrderDto), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn merge(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(i): ApiJson<MergeInput>,
) -> ApiResult<Json<OrderDto>> {
    act(&state, &caller, id, Action::Merge { into: i.into }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalledAgainInput {
    pub call_id: String,
}

/// The customer called about the order again: the call joins it (a repeat within 7 days
/// of intake is not first-contact resolution).
#[utoipa::path(post, path = "/api/orders/{order_id}/calls", tag = "orders",
    params(("order_id" = i64, Path)), request_body = CalledAgainInput,
    responses((status = 200, body = OrderDto), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn called_again(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(i): ApiJson<CalledAgainInput>,
) -> ApiResult<Json<OrderDto>> {
    act(
        &state,
        &caller,
        id,
        Action::CalledAgain { call_id: i.call_id },
    )
    .await
}

/// An order a business system sends (营业 billing, 报装 installation).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HookOrderInput {
    /// The system's own id of it (1–100 characters): sent again, the same order answers.
    pub external_id: String,
    pub order_type: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub priority: Option<PriorityDto>,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The customer's number: the order is linked to the one customer with it.
    #[serde(default)]
    pub customer_phone: Option<String>,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// Every fault of a webhook's authentication: the same 401, so nothing is learnt by guessing.
fn hook_refused() -> ApiError {
    ApiError::new(
        crate::error::Code::Unauthenticated,
        "a business system's request without a valid signature",
    )
}

/// How old a signed request may be, either way (clocks drift): five minutes.
const HOOK_SKEW_MS: i64 = 5 * 60_000;

/// Checks a business system's signature: `X-Hotline-System` names an integration of the
/// tenant, `X-Hotline-Timestamp` (ms) is within five minutes, and `X-Hotline-Signature` is
/// `sha256=` and the hex HMAC-SHA256, under the integration's secret, of the timestamp, a
/// dot and the body. Every failure is the same 401, so nothing is learnt by guessing.
async fn verify_hook(
    state: &AppState,
    tenant: store::TenantId,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> ApiResult<String> {
    use hmac::{Hmac, Mac};
    let refused = hook_refused;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(refused)
    };
    let system = header("x-hotline-system")?;
    let at: i64 = header("x-hotline-timestamp")?
        .parse()
        .map_err(|_| refused())?;
    let signature = header("x-hotline-signature")?;
    if state.now_ms().abs_diff(at) > HOOK_SKEW_MS as u64 {
        return Err(refused());
    }
    let item = state
        .app()
        .config_get::<app::config::Integration>(tenant, &system)
        .await
        .map_err(|_| refused())?;
    let doc: app::config::Integration = app::config::parse(&item).map_err(|_| refused())?;
    let secret = doc.secret.ok_or_else(refused)?;
    let expected = signature
        .strip_prefix("sha256=")
        .and_then(|h| {
            (h.len() == 64)
                .then(|| {
                    (0..32)
                        .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).ok())
                        .collect::<Option<Vec<u8>>>()
                })
                .flatten()
        })
        .ok_or_else(refused)?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| refused())?;
    mac.update(at.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    // Constant time.
    mac.verify_slice(&expected).map_err(|_| refused())?;
    Ok(system)
}

/// A work order from a business system, signed with its shared secret (see the
/// integration's documentation): taken in and routed like any other, once per `external_id`.
#[utoipa::path(post, path = "/api/hooks/{tenant_slug}/orders", tag = "orders",
    params(("tenant_slug" = String, Path),
        ("x-hotline-system" = String, Header, description = "The integration's key"),
        ("x-hotline-timestamp" = i64, Header, description = "Milliseconds since 1970, within 5 minutes of now"),
        ("x-hotline-signature" = String, Header, description = "sha256=<hex HMAC-SHA256 of `timestamp.body`>")),
    request_body = HookOrderInput,
    responses((status = 201, body = OrderDto), (status = 200, body = OrderDto, description = "Sent before: the same order"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn hook(
    State(state): State<AppState>,
    axum::extract::Path(slug): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<OrderDto>)> {
    let refused = hook_refused;
    if slug.len() > 64 {
        return Err(refused());
    }
    let tenant = state
        .store()
        .tenant_by_slug(&slug)
        .await?
        .filter(|t| t.suspended_at_ms.is_none())
        .ok_or_else(refused)?;
    let system = verify_hook(&state, tenant.id, &headers, &body).await?;
    let i: HookOrderInput = crate::extract::parse_json(&body)?;
    if i.external_id.trim().is_empty() || i.external_id.chars().count() > 100 {
        return Err(ApiError::invalid("external_id", "1–100 characters"));
    }
    let external_id = format!("{system}:{}", i.external_id.trim());
    if let Some(row) = state
        .store()
        .scoped(tenant.id)
        .order_by_external(&external_id)
        .await?
    {
        let v = state.app().order(tenant.id, row.id).await?;
        let dto = Calendars::default().dto(&state, tenant.id, &v).await?;
        return Ok((StatusCode::OK, Json(dto)));
    }
    let mut customer_id = None;
    let mut caller = None;
    if let Some(p) = i.customer_phone.as_deref().filter(|p| !p.trim().is_empty()) {
        let number = phone::normalize(p, None)
            .map_err(|_| ApiError::invalid("customer_phone", "not a phone number"))?;
        let found = state
            .store()
            .scoped(tenant.id)
            .customers_by_phone(number.as_str())
            .await?;
        if let [one] = found.as_slice() {
            customer_id = Some(one.id.0);
        }
        caller = Some(number.as_str().to_string());
    }
    let intake = Intake {
        order_type: i.order_type,
        category: i.category,
        priority: i.priority.map_or(Priority::Normal, Into::into),
        title: i.title,
        description: i.description,
        customer_id,
        segment: None,
        region: i.region,
        address: i.address,
        fields: i.fields,
        caller,
        call_id: None,
        external_id: Some(external_id),
        journey: None,
    };
    let v = state
        .app()
        .create_order(tenant.id, None, intake, false)
        .await?;
    let dto = Calendars::default().dto(&state, tenant.id, &v).await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AttachParams {
    /// The file's name (`表井.jpg`): its extension must agree with what the file is.
    #[serde(default)]
    pub name: Option<String>,
}

/// Attach a file (the raw bytes as the body, up to 10 MB): a photo (JPEG, PNG, WebP), a
/// PDF, a WAV recording, a Word or Excel file. Told by its bytes, not its name.
#[utoipa::path(post, path = "/api/orders/{order_id}/attachments", tag = "orders",
    params(("order_id" = i64, Path), AttachParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = OrderDto), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn attach(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<AttachParams>,
    request: axum::extract::Request,
) -> ApiResult<(StatusCode, Json<OrderDto>)> {
    let tenant = caller.tenant()?;
    state.app().order(tenant, id).await?;
    let name = p
        .name
        .ok_or_else(|| ApiError::invalid("name", "name the file (`表井.jpg`)"))?;
    // Past the limit the body is not read: a 413 naming the file.
    let body = axum::body::to_bytes(request.into_body(), tickets::attachment::MAX_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(crate::error::Code::PayloadTooLarge, "at most 10 MB a file")
                .with_details(serde_json::json!({"field": "file"}))
        })?;
    let v = state
        .app()
        .attach_to_order(tenant, &caller.user, id, &name, body.into())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Calendars::default().dto(&state, tenant, &v).await?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachRecordingInput {
    /// One of the order's calls.
    pub call_id: String,
}

/// Keep a copy of one of the order's calls' recordings on it — for those who may hear calls
/// (and work orders); the recording is then heard by whoever may see the order.
#[utoipa::path(post, path = "/api/orders/{order_id}/attachments/recording", tag = "orders",
    params(("order_id" = i64, Path)), request_body = AttachRecordingInput,
    responses((status = 201, body = OrderDto), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn attach_recording(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(i): ApiJson<AttachRecordingInput>,
) -> ApiResult<(StatusCode, Json<OrderDto>)> {
    let tenant = caller.tenant()?;
    state.app().order(tenant, id).await?;
    if i.call_id.is_empty() || i.call_id.len() > 128 {
        return Err(ApiError::invalid(
            "call_id",
            "a call's id, 1–128 characters",
        ));
    }
    let v = state
        .app()
        .attach_recording(tenant, &caller.user, id, &i.call_id)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Calendars::default().dto(&state, tenant, &v).await?),
    ))
}

/// One of the order's files: photos and recordings shown in the page, the rest downloaded.
#[utoipa::path(get, path = "/api/orders/{order_id}/attachments/{file_id}", tag = "orders",
    params(("order_id" = i64, Path), ("file_id" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
              (status = 404, body = ErrorBody)))]
pub async fn attachment(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    axum::extract::Path((id, file)): axum::extract::Path<(i64, String)>,
) -> ApiResult<axum::response::Response> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let (a, bytes) = state.app().order_file(caller.tenant()?, id, &file).await?;
    let disposition = if a.kind.inline() {
        "inline"
    } else {
        "attachment"
    };
    Ok((
        [
            (header::CONTENT_TYPE, a.kind.mime().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; {}", super::utf8_filename(&a.name)),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SimilarParams {
    pub customer_id: Option<i64>,
    /// `省/市/区`.
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub order_type: String,
    #[serde(default)]
    pub category: String,
    /// An order to leave out (the one being looked at).
    pub exclude: Option<i64>,
}

/// An open order a new one may duplicate.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarOrder {
    /// `same_customer`, `same_address` or `same_area` (same type and category in the same
    /// region within a week).
    pub likeness: String,
    pub order: OrderDto,
}

/// Open orders a new order may duplicate (并单), likest first: the customer's own, the
/// same address, the same kind of trouble in the same region this week.
#[utoipa::path(get, path = "/api/orders/similar", tag = "orders", params(SimilarParams),
    responses((status = 200, body = Vec<SimilarOrder>), (status = 400, body = ErrorBody)))]
pub async fn similar(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<SimilarParams>,
) -> ApiResult<Json<Vec<SimilarOrder>>> {
    let tenant = caller.tenant()?;
    for (field, v, max) in [
        ("region", &p.region, 100),
        ("address", &p.address, 200),
        ("order_type", &p.order_type, 40),
        ("category", &p.category, 200),
    ] {
        if v.chars().count() > max || v.contains('\0') {
            return Err(ApiError::invalid(
                field,
                format!("at most {max} characters, no NUL"),
            ));
        }
    }
    let region = p
        .region
        .split('/')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/");
    let probe = tickets::Probe {
        customer_id: p.customer_id,
        region: &region,
        address: p.address.trim(),
        order_type: p.order_type.trim(),
        category: p.category.trim(),
    };
    let found = state
        .app()
        .similar_orders(tenant, &probe, p.exclude)
        .await?;
    let mut cals = Calendars::default();
    let mut out = Vec::with_capacity(found.len());
    for (likeness, v) in found {
        out.push(SimilarOrder {
            likeness: match likeness {
                tickets::Likeness::SameCustomer => "same_customer",
                tickets::Likeness::SameAddress => "same_address",
                tickets::Likeness::SameArea => "same_area",
            }
            .into(),
            order: cals.dto(&state, tenant, &v).await?,
        });
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OnTimeParams {
    /// `group` (the crew), `region` or `order_type`.
    pub by: String,
    pub from_ms: i64,
    pub to_ms: i64,
}

/// One row of the on-time rate.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnTimeRow {
    /// The group's, region's or type's key.
    pub key: String,
    /// Orders resolved in the period (and not reopened since).
    pub resolved: u64,
    /// Of those, resolved within their limit.
    pub on_time: u64,
    /// Of those, with no resolve limit to judge by.
    pub without_limit: u64,
    /// `on_time` over the orders with a limit; none without any.
    pub rate: Option<f64>,
}

/// The on-time rate (维修及时率) of the orders resolved in a period, by crew, region or type.
#[utoipa::path(get, path = "/api/orders/on-time", tag = "orders", params(OnTimeParams),
    responses((status = 200, body = Vec<OnTimeRow>), (status = 400, body = ErrorBody)))]
pub async fn on_time(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<OnTimeParams>,
) -> ApiResult<Json<Vec<OnTimeRow>>> {
    use app::order_views::By;
    let by = match p.by.as_str() {
        "group" => By::Group,
        "region" => By::Region,
        "order_type" => By::OrderType,
        _ => return Err(ApiError::invalid("by", "group, region or order_type")),
    };
    if p.to_ms.saturating_sub(p.from_ms) > 400 * 86_400_000 {
        return Err(ApiError::invalid("to_ms", "at most 400 days after from_ms"));
    }
    let rows = state
        .app()
        .on_time(caller.tenant()?, by, p.from_ms, p.to_ms)
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|(key, r)| {
                let judged = r.resolved - r.without_limit;
                OnTimeRow {
                    key,
                    resolved: r.resolved,
                    on_time: r.on_time,
                    without_limit: r.without_limit,
                    rate: (judged > 0).then(|| r.on_time as f64 / judged as f64),
                }
            })
            .collect(),
    ))
}
