//! Sales leads (销售线索) over HTTP: the center's side (capture on a call, list, work the
//! center's own, give to dealers and take back, settings and the contact policy) under
//! `/api/leads`, and a dealer's side under `/api/me/leads` — only their own leads, only what
//! a dealer needs of the customer, only their own part of a lead's timeline. A customer's
//! contact preferences and whether the policy lets the center call them now.

use app::config::{ContactPolicy, LeadSettings};
use app::leads::{LeadAction, LeadInput, LeadView};
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use events::Payload;
use leads::Journey;
use leads::lead::FollowUp;
use serde::{Deserialize, Serialize};
use store::{CustomerId, LeadQuery, Role, UserId};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadInputBody {
    /// The customer it is about: their name, number and region fill what is left out.
    pub customer_id: Option<i64>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
    /// One of the tenant's product lines when it has a list (`/api/leads/settings`).
    pub product_line: String,
    #[serde(default)]
    pub interest: String,
    #[serde(default)]
    pub budget: String,
    /// When they mean to buy.
    #[serde(default)]
    pub timing: String,
    /// `省/市/区`; the customer's first address's when left out.
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub notes: String,
    /// `search`, `select`, `buy`, `receive` or `return` (`search` when left out).
    pub journey: Option<String>,
    /// The call it was captured on.
    pub call_id: Option<String>,
    /// A sending system's id (`expo2026:A-17`): sent again, the same lead comes back.
    pub external_id: Option<String>,
}

fn journey(field: &str, s: &str) -> ApiResult<Journey> {
    Journey::parse(s)
        .ok_or_else(|| ApiError::invalid(field, "one of search, select, buy, receive, return"))
}

impl LeadInputBody {
    fn into_input(self) -> ApiResult<LeadInput> {
        Ok(LeadInput {
            customer_id: self.customer_id,
            name: self.name,
            phone: self.phone,
            product_line: self.product_line,
            interest: self.interest,
            budget: self.budget,
            timing: self.timing,
            region: self.region,
            address: self.address,
            notes: self.notes,
            journey: self
                .journey
                .as_deref()
                .map(|j| journey("journey", j))
                .transpose()?,
            call_id: self.call_id,
            external_id: self.external_id,
        })
    }
}

/// A lead as the center sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadBody {
    pub id: i64,
    pub version: i64,
    /// `open`, `offered`, `working`, `center_working`, `won`, `lost`.
    pub status: String,
    /// The dealer who has it or closed it; none while with the center.
    pub dealer_id: Option<i64>,
    pub dealer_name: Option<String>,
    /// The center user working it (`center_working`).
    pub worker_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub name: String,
    pub phone: String,
    pub product_line: String,
    pub interest: String,
    pub budget: String,
    pub timing: String,
    pub region: String,
    pub address: String,
    pub notes: String,
    pub journey: String,
    /// `call`, `import`, `api`.
    pub source: String,
    pub external_id: Option<String>,
    pub call_id: Option<String>,
    /// The agent credited when it is won.
    pub captured_by: Option<i64>,
    pub captured_by_name: Option<String>,
    /// The dealer's deadline: to accept (`offered`), to follow up (`working`).
    pub due_ms: Option<i64>,
    /// A win's amount in fen (分).
    pub amount: Option<i64>,
    pub lost_reason: Option<String>,
    /// Dealers who gave it back or had it taken back.
    pub tried: Vec<i64>,
    /// The territory whose dealer got it last (`浙江省/杭州市`).
    pub territory: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// A lead as its dealer sees it: what they need to win the customer, nothing of the
/// center's (who captured it, the call, other dealers).
#[derive(Debug, Serialize, ToSchema)]
pub struct DealerLeadBody {
    pub id: i64,
    pub version: i64,
    /// `offered` (accept it by `due_ms`), `working` (follow up by `due_ms`), `won`, `lost`.
    pub status: String,
    pub name: String,
    pub phone: String,
    pub product_line: String,
    pub interest: String,
    pub budget: String,
    pub timing: String,
    pub region: String,
    pub address: String,
    pub notes: String,
    pub journey: String,
    pub due_ms: Option<i64>,
    pub amount: Option<i64>,
    pub lost_reason: Option<String>,
    /// When it was offered to you.
    pub offered_ms: Option<i64>,
}

/// One move on a lead's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadEntry {
    pub at_ms: i64,
    /// `capture`, `assign`, `accept`, `follow_up`, `win`, `lose`, `return`, `reclaim`,
    /// `take`, `journey`.
    pub action: String,
    pub from: String,
    pub to: String,
    /// The follow-up's kind and words, a reason, the territory of an assignment.
    pub note: Option<String>,
    pub amount: Option<i64>,
    /// A dealer's step by its deadline, or not.
    pub on_time: Option<bool>,
    /// Who did it (none: the center by rule); not shown to dealers.
    pub actor_id: Option<i64>,
    /// The dealers before and after; a dealer sees only themselves.
    pub from_dealer: Option<i64>,
    pub to_dealer: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeadDetail {
    pub lead: LeadBody,
    pub timeline: Vec<LeadEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealerLeadDetail {
    pub lead: DealerLeadBody,
    pub timeline: Vec<LeadEntry>,
}

fn lost_reason(v: &LeadView) -> Option<String> {
    match &v.doc.lead.status {
        leads::Status::Lost { reason, .. } => Some(reason.clone()),
        _ => None,
    }
}

async fn bodies(
    state: &AppState,
    tenant: store::TenantId,
    views: Vec<LeadView>,
) -> ApiResult<Vec<LeadBody>> {
    // Names of the users named, each read once for the page.
    let mut names: std::collections::HashMap<i64, Option<String>> = Default::default();
    let mut out = Vec::with_capacity(views.len());
    for v in views {
        let mut name_of = async |id: Option<i64>| -> ApiResult<Option<String>> {
            let Some(id) = id else { return Ok(None) };
            if let Some(n) = names.get(&id) {
                return Ok(n.clone());
            }
            let n = state
                .store()
                .user(Some(tenant), UserId(id))
                .await?
                .map(|u| u.display_name);
            names.insert(id, n.clone());
            Ok(n)
        };
        let dealer_id = v.row.dealer.map(|u| u.0);
        let dealer_name = name_of(dealer_id).await?;
        let captured_by_name = name_of(v.doc.captured_by).await?;
        out.push(LeadBody {
            id: v.doc.id,
            version: v.row.version,
            status: v.row.status.clone(),
            dealer_id,
            dealer_name,
            worker_id: match v.doc.lead.status {
                leads::Status::CenterWorking { user, .. } => Some(user as i64),
                _ => None,
            },
            customer_id: v.doc.customer_id,
            lost_reason: lost_reason(&v),
            name: v.doc.name,
            phone: v.doc.phone,
            product_line: v.doc.product_line,
            interest: v.doc.interest,
            budget: v.doc.budget,
            timing: v.doc.timing,
            region: v.doc.region,
            address: v.doc.address,
            notes: v.doc.notes,
            journey: v.doc.lead.journey.as_str().to_string(),
            source: v.doc.source,
            external_id: v.doc.external_id,
            call_id: v.doc.call_id,
            captured_by: v.doc.captured_by,
            captured_by_name,
            due_ms: v.row.due_ms,
            amount: v.row.amount,
            tried: v.doc.lead.tried.iter().map(|d| *d as i64).collect(),
            territory: v.doc.territory,
            created_ms: v.doc.created_ms,
            updated_ms: v.row.updated_ms,
        });
    }
    Ok(out)
}

fn dealer_body(v: LeadView) -> DealerLeadBody {
    DealerLeadBody {
        id: v.doc.id,
        version: v.row.version,
        status: v.row.status.clone(),
        lost_reason: lost_reason(&v),
        name: v.doc.name,
        phone: v.doc.phone,
        product_line: v.doc.product_line,
        interest: v.doc.interest,
        budget: v.doc.budget,
        timing: v.doc.timing,
        region: v.doc.region,
        address: v.doc.address,
        notes: v.doc.notes,
        journey: v.doc.lead.journey.as_str().to_string(),
        due_ms: v.row.due_ms,
        amount: v.row.amount,
        offered_ms: v.doc.lead.offered_ms,
    }
}

/// The lead's timeline; for a dealer only the moves to, from or by them, without who did
/// them at the center or which other dealer had it.
async fn timeline(
    state: &AppState,
    tenant: store::TenantId,
    id: i64,
    dealer: Option<i64>,
) -> ApiResult<Vec<LeadEntry>> {
    let events = state.store().scoped(tenant).lead_events(id, 500).await?;
    let mut out = Vec::new();
    for e in events {
        let Ok(events::Event::LeadChanged(c)) = events::Event::parse(&e.kind, &e.payload) else {
            continue;
        };
        let mut entry = LeadEntry {
            at_ms: e.at_ms,
            action: c.action,
            from: c.from,
            to: c.to,
            note: c.note,
            amount: c.amount,
            on_time: c.on_time,
            actor_id: c.actor_id,
            from_dealer: c.from_dealer,
            to_dealer: c.to_dealer,
        };
        if let Some(me) = dealer {
            // A dealer's own moves only, without who did them at the center or which other
            // dealer had the lead.
            if c.from_dealer != Some(me) && c.to_dealer != Some(me) {
                continue;
            }
            entry.actor_id = None;
            entry.from_dealer = c.from_dealer.filter(|d| *d == me);
            entry.to_dealer = c.to_dealer.filter(|d| *d == me);
        }
        out.push(entry);
    }
    Ok(out)
}

/// Capture a lead: given at once to the dealer of the customer's region by the dealers'
/// territories, or left with the center when no dealer serves it.
#[utoipa::path(post, path = "/api/leads", tag = "leads", request_body = LeadInputBody,
    responses((status = 201, body = LeadBody), (status = 400, body = ErrorBody)))]
pub async fn capture(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<LeadInputBody>,
) -> ApiResult<(StatusCode, Json<LeadBody>)> {
    let tenant = caller.tenant()?;
    let source = if body.call_id.is_some() {
        "call"
    } else {
        "api"
    };
    let input = body.into_input()?;
    let view = state
        .app()
        .capture_lead(tenant, Some(&caller.user), source, input)
        .await?;
    let mut b = bodies(&state, tenant, vec![view]).await?;
    Ok((StatusCode::CREATED, Json(b.remove(0))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LeadParams {
    /// Statuses, comma-separated (`offered,working`).
    pub status: Option<String>,
    pub dealer_id: Option<i64>,
    /// Only those with the center (no dealer).
    pub center_only: Option<bool>,
    pub customer_id: Option<i64>,
    /// Only those the caller captured.
    pub mine: Option<bool>,
    pub product_line: Option<String>,
    pub journey: Option<String>,
    /// A region or its beginning (`浙江省/杭州市`).
    pub region: Option<String>,
    /// Leads with ids before this one (the last of the page before).
    pub before: Option<i64>,
    /// 1 to 500 (50 when left out).
    pub limit: Option<u32>,
}

fn statuses(s: Option<&str>) -> ApiResult<Vec<String>> {
    const ALL: [&str; 6] = [
        "open",
        "offered",
        "working",
        "center_working",
        "won",
        "lost",
    ];
    let mut out = Vec::new();
    for part in s
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        if !ALL.contains(&part) {
            return Err(ApiError::invalid(
                "status",
                format!("each one of {}", ALL.join(", ")),
            ));
        }
        out.push(part.to_string());
    }
    Ok(out)
}

async fn views(
    state: &AppState,
    tenant: store::TenantId,
    q: &LeadQuery,
) -> ApiResult<Vec<LeadView>> {
    let rows = state.store().scoped(tenant).leads(q).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        match serde_json::from_value(row.data.clone()) {
            Ok(doc) => out.push(LeadView { row, doc }),
            Err(e) => tracing::error!(tenant = tenant.0, lead = row.id, "unreadable lead: {e}"),
        }
    }
    Ok(out)
}

/// The center's leads, newest first.
#[utoipa::path(get, path = "/api/leads", tag = "leads", params(LeadParams),
    responses((status = 200, body = [LeadBody]), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<LeadParams>,
) -> ApiResult<Json<Vec<LeadBody>>> {
    let tenant = caller.tenant()?;
    let q = LeadQuery {
        statuses: statuses(p.status.as_deref())?,
        dealer: p.dealer_id.map(UserId),
        center_only: p.center_only == Some(true),
        customer: p.customer_id.map(CustomerId),
        captured_by: (p.mine == Some(true)).then_some(caller.user.id),
        product_line: p.product_line.filter(|s| !s.is_empty()),
        journey: p
            .journey
            .filter(|s| !s.is_empty())
            .map(|j| journey("journey", &j).map(|j| j.as_str().to_string()))
            .transpose()?,
        region: p.region.filter(|s| !s.is_empty()),
        before: p.before,
        limit: super::limit(p.limit)?,
    };
    let v = views(&state, tenant, &q).await?;
    Ok(Json(bodies(&state, tenant, v).await?))
}

/// A lead and its timeline.
#[utoipa::path(get, path = "/api/leads/{lead_id}", tag = "leads",
    params(("lead_id" = i64, Path)),
    responses((status = 200, body = LeadDetail), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<LeadDetail>> {
    let tenant = caller.tenant()?;
    let view = state.app().lead(tenant, id).await?;
    let lead = bodies(&state, tenant, vec![view]).await?.remove(0);
    let timeline = timeline(&state, tenant, id, None).await?;
    Ok(Json(LeadDetail { lead, timeline }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadActionBody {
    /// The center: `assign` (team leads, administrators; to `dealer_id`, or by the
    /// territories when left out), `reclaim` (team leads, administrators; with `reason`),
    /// `take`, and on a lead it works `follow_up`, `win`, `lose`, `journey`. A dealer:
    /// `accept`, `follow_up`, `win`, `lose`, `return` (with `reason`), `journey`.
    pub action: String,
    pub dealer_id: Option<i64>,
    /// A follow-up's kind: `call`, `visit` or `quote`.
    pub kind: Option<String>,
    pub note: Option<String>,
    /// Why it was lost, given back or taken back.
    pub reason: Option<String>,
    /// A win's amount in fen (分), more than 0.
    pub amount: Option<i64>,
    /// `search`, `select`, `buy`, `receive` or `return`.
    pub journey: Option<String>,
}

fn action_of(b: LeadActionBody, dealer: bool, manager: bool) -> ApiResult<LeadAction> {
    let reason = |b: &LeadActionBody| b.reason.clone().unwrap_or_default();
    let center_only = ["assign", "reclaim", "take"];
    let dealer_only = ["accept", "return"];
    if dealer && center_only.contains(&b.action.as_str())
        || !dealer && dealer_only.contains(&b.action.as_str())
    {
        return Err(ApiError::invalid("action", "not an action of yours"));
    }
    if matches!(b.action.as_str(), "assign" | "reclaim") && !manager {
        return Err(ApiError::forbidden());
    }
    Ok(match b.action.as_str() {
        "assign" => LeadAction::Assign {
            dealer: b.dealer_id,
        },
        "accept" => LeadAction::Accept,
        "follow_up" => LeadAction::FollowUp {
            kind: match b.kind.as_deref() {
                Some("call") | None => FollowUp::Call,
                Some("visit") => FollowUp::Visit,
                Some("quote") => FollowUp::Quote,
                Some(_) => return Err(ApiError::invalid("kind", "call, visit or quote")),
            },
            note: b.note.unwrap_or_default(),
        },
        "win" => LeadAction::Win {
            amount: b
                .amount
                .ok_or_else(|| ApiError::invalid("amount", "required to win a lead"))?,
            note: b.note.unwrap_or_default(),
        },
        "lose" => LeadAction::Lose { reason: reason(&b) },
        "return" => LeadAction::Return { reason: reason(&b) },
        "reclaim" => LeadAction::Reclaim { reason: reason(&b) },
        "take" => LeadAction::Take,
        "journey" => LeadAction::Journey {
            journey: journey(
                "journey",
                b.journey
                    .as_deref()
                    .ok_or_else(|| ApiError::invalid("journey", "required"))?,
            )?,
        },
        _ => {
            return Err(ApiError::invalid(
                "action",
                "assign, accept, follow_up, win, lose, return, reclaim, take or journey",
            ));
        }
    })
}

/// Act on a lead for the center.
#[utoipa::path(post, path = "/api/leads/{lead_id}/actions", tag = "leads",
    params(("lead_id" = i64, Path)), request_body = LeadActionBody,
    responses((status = 200, body = LeadBody), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<LeadActionBody>,
) -> ApiResult<Json<LeadBody>> {
    let tenant = caller.tenant()?;
    let manager = crate::perm::allows(caller.user.role, crate::perm::Perm::ManageLeads);
    let action = action_of(body, false, manager)?;
    let view = state
        .app()
        .act_on_lead(tenant, &caller.user, id, action)
        .await?;
    Ok(Json(bodies(&state, tenant, vec![view]).await?.remove(0)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MyLeadParams {
    /// Statuses, comma-separated (`offered,working`).
    pub status: Option<String>,
    pub before: Option<i64>,
    /// 1 to 500 (50 when left out).
    pub limit: Option<u32>,
}

fn dealer_id(caller: &Caller) -> ApiResult<UserId> {
    if caller.user.role != Role::Dealer {
        return Err(ApiError::forbidden());
    }
    Ok(caller.user.id)
}

/// The calling dealer's leads, newest first: those offered to them, those they work, those
/// they closed.
#[utoipa::path(get, path = "/api/me/leads", tag = "leads", params(MyLeadParams),
    responses((status = 200, body = [DealerLeadBody]), (status = 400, body = ErrorBody)))]
pub async fn my_leads(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<MyLeadParams>,
) -> ApiResult<Json<Vec<DealerLeadBody>>> {
    let tenant = caller.tenant()?;
    let q = LeadQuery {
        statuses: statuses(p.status.as_deref())?,
        dealer: Some(dealer_id(&caller)?),
        before: p.before,
        limit: super::limit(p.limit)?,
        ..LeadQuery::default()
    };
    let v = views(&state, tenant, &q).await?;
    Ok(Json(v.into_iter().map(dealer_body).collect()))
}

/// The dealer's lead `lead_id` (not found unless it is theirs).
async fn my_lead(state: &AppState, caller: &Caller, id: i64) -> ApiResult<LeadView> {
    let me = dealer_id(caller)?;
    let view = state.app().lead(caller.tenant()?, id).await?;
    if view.row.dealer != Some(me) {
        return Err(ApiError::not_found("lead"));
    }
    Ok(view)
}

/// One of the dealer's leads and their part of its timeline.
#[utoipa::path(get, path = "/api/me/leads/{lead_id}", tag = "leads",
    params(("lead_id" = i64, Path)),
    responses((status = 200, body = DealerLeadDetail), (status = 404, body = ErrorBody)))]
pub async fn my_lead_one(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DealerLeadDetail>> {
    let view = my_lead(&state, &caller, id).await?;
    let timeline = timeline(&state, caller.tenant()?, id, Some(caller.user.id.0)).await?;
    Ok(Json(DealerLeadDetail {
        lead: dealer_body(view),
        timeline,
    }))
}

/// Act on one of your leads: accept, follow up, win, lose, give back.
#[utoipa::path(post, path = "/api/me/leads/{lead_id}/actions", tag = "leads",
    params(("lead_id" = i64, Path)), request_body = LeadActionBody,
    responses((status = 200, body = DealerLeadBody), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn my_act(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<LeadActionBody>,
) -> ApiResult<Json<DealerLeadBody>> {
    my_lead(&state, &caller, id).await?;
    let action = action_of(body, true, false)?;
    let view = state
        .app()
        .act_on_lead(caller.tenant()?, &caller.user, id, action)
        .await?;
    // Given back: no longer the dealer's to see.
    if view.row.dealer != Some(caller.user.id) {
        let mut b = dealer_body(view);
        b.status = "returned".into();
        b.due_ms = None;
        return Ok(Json(b));
    }
    Ok(Json(dealer_body(view)))
}

/// A lead taken back from the dealer (their deadline passed): what it was, not who has it
/// now.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadNotice {
    pub lead_id: i64,
    pub at_ms: i64,
    /// `reclaim`.
    pub action: String,
    /// Why: `not accepted in time`, `not followed up in time`, a manager's reason.
    pub note: Option<String>,
    pub product_line: String,
    pub region: String,
}

/// Leads taken back from the calling dealer in the last 30 days, newest first.
#[utoipa::path(get, path = "/api/me/leads/notices", tag = "leads",
    responses((status = 200, body = [LeadNotice])))]
pub async fn my_notices(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Vec<LeadNotice>>> {
    let me = dealer_id(&caller)?;
    let now = state.now_ms();
    let events = state
        .store()
        .scoped(caller.tenant()?)
        .events_of_kind(
            events::LeadChanged::KIND,
            now - 30 * 86_400_000,
            now + 1,
            &[
                ("from_dealer", me.0.to_string()),
                ("action", "reclaim".into()),
            ],
            100,
        )
        .await?;
    Ok(Json(
        events
            .into_iter()
            .filter_map(|e| match events::Event::parse(&e.kind, &e.payload) {
                Ok(events::Event::LeadChanged(c)) => Some(LeadNotice {
                    lead_id: c.lead_id,
                    at_ms: e.at_ms,
                    action: c.action,
                    note: c.note,
                    product_line: c.product_line,
                    region: c.region,
                }),
                _ => None,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadSettingsBody {
    /// Working hours a dealer has to accept a lead (1–240; 8 by default).
    pub accept_hours: u32,
    /// Working days a dealer has for each follow-up (1–60; 3 by default).
    pub follow_up_days: u32,
    /// The product lines agents pick from (none: typed freely).
    #[serde(default)]
    pub product_lines: Vec<String>,
    /// The calendar (its key) deadlines count on; the standard working week when none.
    #[serde(default)]
    pub calendar: Option<String>,
    /// A lead given or taken back goes to the region's next dealer by rule.
    pub reassign: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPolicyBody {
    /// Calls to one customer a day (1–10; 1 by default).
    pub per_day: u32,
    /// Calls to one customer in seven days (a day's to 30; 3 by default).
    pub per_week: u32,
    /// When calls may be placed, as a calendar (`time_zone`, `weekly` hours Monday first,
    /// `cn_statutory`, `holidays`, `workdays`); every day 08:00–21:00 Beijing time but
    /// statutory holidays when left out.
    #[schema(value_type = Option<Object>)]
    #[serde(default)]
    pub hours: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadSettingsDoc {
    /// The center settings' version: send the one you read (none before the first save).
    #[serde(default)]
    pub version: Option<i64>,
    pub leads: LeadSettingsBody,
    pub contact_policy: ContactPolicyBody,
}

/// A dealer and the regions they serve (`浙江省/杭州市`).
#[derive(Debug, Serialize, ToSchema)]
pub struct DealerSummary {
    pub id: i64,
    pub name: String,
    pub regions: Vec<String>,
    pub weight: u32,
}

/// The settings as read: the document to send back changed, and the tenant's dealers.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadSettingsView {
    /// The center settings' version (none before the first save).
    pub version: Option<i64>,
    pub leads: LeadSettingsBody,
    pub contact_policy: ContactPolicyBody,
    /// The tenant's active dealers, for assigning by hand.
    pub dealers: Vec<DealerSummary>,
}

async fn settings_view(state: &AppState, tenant: store::TenantId) -> ApiResult<LeadSettingsView> {
    let (l, p, version) = state.app().lead_and_contact_settings(tenant).await?;
    let scoped = state.store().scoped(tenant);
    let mut dealers = Vec::new();
    for u in scoped.users().await? {
        if u.role != Role::Dealer || !u.active {
            continue;
        }
        let doc = match scoped.config_item("dealer", &u.id.0.to_string()).await? {
            Some(item) => app::config::parse::<app::config::DealerRegions>(&item).ok(),
            None => None,
        };
        dealers.push(DealerSummary {
            id: u.id.0,
            name: u.display_name,
            weight: doc.as_ref().map_or(1, |d| d.weight),
            regions: doc
                .map(|d| {
                    d.regions
                        .iter()
                        .map(|r| {
                            let path = [&r.province, &r.city, &r.district]
                                .into_iter()
                                .filter(|s| !s.is_empty())
                                .map(String::as_str)
                                .collect::<Vec<_>>()
                                .join("/");
                            if r.product_lines.is_empty() {
                                path
                            } else {
                                format!("{path}（{}）", r.product_lines.join("、"))
                            }
                        })
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    let doc = settings_doc(l, p, version);
    Ok(LeadSettingsView {
        version: doc.version,
        leads: doc.leads,
        contact_policy: doc.contact_policy,
        dealers,
    })
}

/// Leads' settings and the contact policy, with the tenant's dealers.
#[utoipa::path(get, path = "/api/leads/settings", tag = "leads",
    responses((status = 200, body = LeadSettingsView)))]
pub async fn get_lead_settings(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<LeadSettingsView>> {
    Ok(Json(settings_view(&state, caller.tenant()?).await?))
}

fn settings_doc(l: LeadSettings, p: ContactPolicy, version: Option<i64>) -> LeadSettingsDoc {
    LeadSettingsDoc {
        version,
        leads: LeadSettingsBody {
            accept_hours: l.accept_hours,
            follow_up_days: l.follow_up_days,
            product_lines: l.product_lines,
            calendar: l.calendar,
            reassign: l.reassign,
        },
        contact_policy: ContactPolicyBody {
            per_day: p.per_day,
            per_week: p.per_week,
            hours: p.hours.map(|h| serde_json::to_value(h).unwrap_or_default()),
        },
    }
}

/// Save leads' settings and the contact policy (versioned with the center's settings,
/// audited).
#[utoipa::path(put, path = "/api/leads/settings", tag = "leads", request_body = LeadSettingsDoc,
    responses((status = 200, body = LeadSettingsView), (status = 400, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn put_lead_settings(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<LeadSettingsDoc>,
) -> ApiResult<Json<LeadSettingsView>> {
    let tenant = caller.tenant()?;
    let hours = body
        .contact_policy
        .hours
        .map(|h| {
            serde_json::from_value::<calendar::CalendarSpec>(h)
                .map_err(|e| ApiError::invalid("contact_policy.hours", e.to_string()))
        })
        .transpose()?;
    let l = LeadSettings {
        accept_hours: body.leads.accept_hours,
        follow_up_days: body.leads.follow_up_days,
        product_lines: body
            .leads
            .product_lines
            .into_iter()
            .map(|s| s.trim().to_string())
            .collect(),
        calendar: body.leads.calendar.filter(|c| !c.is_empty()),
        reassign: body.leads.reassign,
    };
    let p = ContactPolicy {
        per_day: body.contact_policy.per_day,
        per_week: body.contact_policy.per_week,
        hours,
    };
    state
        .app()
        .save_lead_settings(tenant, caller.user.id, l, p, body.version)
        .await?;
    Ok(Json(settings_view(&state, tenant).await?))
}

/// What a customer asked of the center's calls, and whether the policy lets the center call
/// them now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactBody {
    pub do_not_call: bool,
    /// Local `HH:MM`, both or neither.
    pub hours_from: Option<String>,
    pub hours_to: Option<String>,
    pub note: String,
    pub updated_ms: Option<i64>,
    /// Whether a call may be placed now.
    pub may_call: bool,
    /// Why not: `blacklisted`, `do_not_call`, `quiet_hours`, `customer_hours`,
    /// `daily_limit`, `weekly_limit`.
    pub reason: Option<String>,
    /// From when it may (none: not while the reason holds).
    pub until_ms: Option<i64>,
    pub message: Option<String>,
    /// When the center called them in the last seven days.
    pub calls_ms: Vec<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub do_not_call: bool,
    /// Local `HH:MM`; both or neither.
    pub hours_from: Option<String>,
    pub hours_to: Option<String>,
    #[serde(default)]
    pub note: String,
}

async fn contact_body(
    state: &AppState,
    tenant: store::TenantId,
    customer: CustomerId,
) -> ApiResult<ContactBody> {
    let prefs = state.store().scoped(tenant).contact_prefs(customer).await?;
    let verdict = state.app().contact_verdict(tenant, customer).await?;
    let now = state.now_ms();
    let calls_ms = state
        .store()
        .scoped(tenant)
        .contact_calls_since(customer, now - 7 * 86_400_000)
        .await?;
    let (may_call, reason, until_ms) = match verdict {
        leads::Verdict::Call => (true, None, None),
        leads::Verdict::Defer { until, reason } => (false, Some(reason), Some(until)),
        leads::Verdict::Never { reason } => (false, Some(reason), None),
    };
    let p = prefs.unwrap_or_default();
    let (hours_from, hours_to) = p.hours.map_or((None, None), |(a, b)| (Some(a), Some(b)));
    Ok(ContactBody {
        do_not_call: p.do_not_call,
        hours_from,
        hours_to,
        note: p.note,
        updated_ms: (p.updated_ms > 0).then_some(p.updated_ms),
        may_call,
        reason: reason.map(|r| r.as_str().to_string()),
        until_ms,
        message: reason.map(|r| r.explain().to_string()),
        calls_ms,
    })
}

/// A customer's contact preferences and the policy's verdict for a call now.
#[utoipa::path(get, path = "/api/customers/{customer_id}/contact", tag = "customers",
    params(("customer_id" = i64, Path)),
    responses((status = 200, body = ContactBody), (status = 404, body = ErrorBody)))]
pub async fn get_contact(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ContactBody>> {
    Ok(Json(
        contact_body(&state, caller.tenant()?, CustomerId(id)).await?,
    ))
}

/// Save what a customer asked of the center's calls (audited).
#[utoipa::path(put, path = "/api/customers/{customer_id}/contact", tag = "customers",
    params(("customer_id" = i64, Path)), request_body = ContactInput,
    responses((status = 200, body = ContactBody), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn put_contact(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ContactInput>,
) -> ApiResult<Json<ContactBody>> {
    let tenant = caller.tenant()?;
    let hours = match (body.hours_from, body.hours_to) {
        (None, None) => None,
        (Some(a), Some(b)) => Some((a.trim().to_string(), b.trim().to_string())),
        (Some(_), None) => return Err(ApiError::invalid("hours_to", "with hours_from")),
        (None, Some(_)) => return Err(ApiError::invalid("hours_from", "with hours_to")),
    };
    let before = state
        .store()
        .scoped(tenant)
        .contact_prefs(CustomerId(id))
        .await?
        .unwrap_or_default();
    // Anyone may note that a customer asked not to be called; only a team lead or an
    // administrator may take that back (the customer said so, and the reason is the note).
    if before.do_not_call
        && !body.do_not_call
        && !matches!(caller.user.role, Role::Supervisor | Role::TenantAdmin)
    {
        return Err(ApiError::invalid(
            "do_not_call",
            "only team leads and administrators may clear it",
        ));
    }
    if before.do_not_call && !body.do_not_call && body.note.trim().is_empty() {
        return Err(ApiError::invalid(
            "note",
            "say why the customer may be called again",
        ));
    }
    let prefs = store::ContactPrefs {
        do_not_call: body.do_not_call,
        hours,
        note: body.note.trim().to_string(),
        updated_ms: 0,
        updated_by: None,
    };
    let saved = state
        .app()
        .set_contact_prefs(tenant, CustomerId(id), prefs, caller.user.id)
        .await?;
    super::audit(
        &state,
        &caller,
        "customer.contact",
        "customer",
        id,
        serde_json::json!({
            "before": {"do_not_call": before.do_not_call, "hours": before.hours, "note": before.note},
            "after": {"do_not_call": saved.do_not_call, "hours": saved.hours, "note": saved.note},
        }),
    )
    .await?;
    Ok(Json(contact_body(&state, tenant, CustomerId(id)).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MonthParams {
    /// `2026-12`, in the tenant's time zone.
    pub month: String,
    /// For the export: `dealers` (the default), `regions`, `agents` (绩效) or `wins`
    /// (内部核算, every lead won with its dealer and amount).
    pub sheet: Option<String>,
    /// For the export: `xlsx` (the default) or `csv`.
    pub format: Option<String>,
}

/// A dealer's (or a region's) month.
#[derive(Debug, Serialize, ToSchema)]
pub struct TallyBody {
    /// The dealer (none for a region's row).
    pub dealer_id: Option<i64>,
    /// The dealer's name, or the region (`浙江省/杭州市`).
    pub name: String,
    pub offered: u64,
    pub accepted: u64,
    /// Mean time from offer to acceptance, ms.
    pub mean_accept_ms: Option<i64>,
    /// The dealer's steps (accept, follow-up, win, lose) by their deadline ÷ all timed steps
    /// (those taken back by the sweep count as late).
    pub on_time_rate: Option<f64>,
    pub follow_ups: u64,
    pub won: u64,
    /// In fen.
    pub won_amount: i64,
    pub lost: u64,
    pub returned: u64,
    pub reclaimed: u64,
    /// Won ÷ offered.
    pub conversion: Option<f64>,
    /// Taken back ÷ offered.
    pub reclaimed_share: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreditBody {
    pub user_id: i64,
    pub name: String,
    pub captured: u64,
    pub won: u64,
    /// In fen.
    pub won_amount: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WinBody {
    pub lead_id: i64,
    pub at_ms: i64,
    pub dealer_id: Option<i64>,
    /// The dealer's name, or 中心 when the center won it.
    pub dealer: String,
    pub region: String,
    pub product_line: String,
    pub amount: i64,
    pub captured_by: Option<i64>,
    pub captured_by_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScorecardBody {
    pub month: String,
    pub from_ms: i64,
    pub to_ms: i64,
    pub dealers: Vec<TallyBody>,
    pub regions: Vec<TallyBody>,
    pub agents: Vec<CreditBody>,
    pub wins: Vec<WinBody>,
}

fn tally(dealer_id: Option<i64>, name: String, t: &leads::scorecard::Tally) -> TallyBody {
    TallyBody {
        dealer_id,
        name,
        offered: t.offered,
        accepted: t.accepted,
        mean_accept_ms: t.mean_accept_ms(),
        on_time_rate: t.on_time_rate(),
        follow_ups: t.follow_ups,
        won: t.won,
        won_amount: t.won_amount,
        lost: t.lost,
        returned: t.returned,
        reclaimed: t.reclaimed,
        conversion: t.conversion(),
        reclaimed_share: t.reclaimed_share(),
    }
}

async fn scorecard_body(
    state: &AppState,
    caller: &Caller,
    month: &str,
) -> ApiResult<ScorecardBody> {
    let tenant = caller.tenant()?;
    let m = state.app().lead_month(tenant, month).await?;
    let names: std::collections::HashMap<i64, String> = state
        .store()
        .scoped(tenant)
        .users()
        .await?
        .into_iter()
        .map(|u| (u.id.0, u.display_name))
        .collect();
    let name = |id: i64| names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
    Ok(ScorecardBody {
        month: month.to_string(),
        from_ms: m.from_ms,
        to_ms: m.to_ms,
        dealers: m
            .card
            .dealers
            .iter()
            .map(|(d, t)| tally(Some(*d), name(*d), t))
            .collect(),
        regions: m
            .card
            .regions
            .iter()
            .map(|(r, t)| tally(None, r.clone(), t))
            .collect(),
        agents: m
            .card
            .agents
            .iter()
            .map(|(a, c)| CreditBody {
                user_id: *a,
                name: name(*a),
                captured: c.captured,
                won: c.won,
                won_amount: c.won_amount,
            })
            .collect(),
        wins: m
            .wins
            .into_iter()
            .map(|w| WinBody {
                lead_id: w.lead_id,
                at_ms: w.at_ms,
                dealer_id: w.dealer,
                dealer: w.dealer.map_or_else(|| "中心".to_string(), name),
                region: w.region,
                product_line: w.product_line,
                amount: w.amount,
                captured_by: w.captured_by,
                captured_by_name: w.captured_by.map(name).unwrap_or_default(),
            })
            .collect(),
    })
}

/// The dealers' scorecard (per dealer and per region), the agents' credit (绩效) and the
/// month's wins (内部核算).
#[utoipa::path(get, path = "/api/leads/scorecard", tag = "leads", params(MonthParams),
    responses((status = 200, body = ScorecardBody), (status = 400, body = ErrorBody)))]
pub async fn scorecard(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<MonthParams>,
) -> ApiResult<Json<ScorecardBody>> {
    Ok(Json(scorecard_body(&state, &caller, &p.month).await?))
}

fn pct(x: Option<f64>) -> String {
    x.map(|x| format!("{:.1}%", x * 100.0)).unwrap_or_default()
}

fn fen(x: i64) -> String {
    format!("{}.{:02}", x / 100, (x % 100).abs())
}

/// One sheet of the month as a spreadsheet to open in Excel.
#[utoipa::path(get, path = "/api/leads/scorecard/export", tag = "leads", params(MonthParams),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
              (status = 400, body = ErrorBody)))]
pub async fn scorecard_export(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<MonthParams>,
) -> ApiResult<axum::response::Response> {
    let format = super::reports::sheet_format(p.format.as_deref())?;
    let which = p.sheet.as_deref().unwrap_or("dealers");
    if !["dealers", "regions", "agents", "wins"].contains(&which) {
        return Err(ApiError::invalid(
            "sheet",
            "dealers, regions, agents or wins",
        ));
    }
    let b = scorecard_body(&state, &caller, &p.month).await?;
    let zone = state.app().tenant_zone(caller.tenant()?).await?;
    let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let tally_rows = |rows: &[TallyBody]| {
        rows.iter()
            .map(|t| {
                vec![
                    t.name.clone(),
                    t.offered.to_string(),
                    t.accepted.to_string(),
                    t.mean_accept_ms
                        .map(|ms| format!("{:.1}", ms as f64 / 3_600_000.0))
                        .unwrap_or_default(),
                    pct(t.on_time_rate),
                    t.follow_ups.to_string(),
                    t.won.to_string(),
                    fen(t.won_amount),
                    t.lost.to_string(),
                    t.returned.to_string(),
                    t.reclaimed.to_string(),
                    pct(t.conversion),
                    pct(t.reclaimed_share),
                ]
            })
            .collect::<Vec<_>>()
    };
    let tally_headers = |first: &str| {
        h(&[
            first,
            "分配 Offered",
            "接收 Accepted",
            "平均接收时长(小时) Mean hours to accept",
            "按时率 On time",
            "跟进 Follow-ups",
            "成交 Won",
            "成交金额(元) Amount won",
            "战败 Lost",
            "退回 Given back",
            "回收 Taken back",
            "转化率 Conversion",
            "回收率 Taken back share",
        ])
    };
    let table = match which {
        "dealers" => sheets::Table {
            headers: tally_headers("经销商 Dealer"),
            rows: tally_rows(&b.dealers),
        },
        "regions" => sheets::Table {
            headers: tally_headers("地区 Region"),
            rows: tally_rows(&b.regions),
        },
        "agents" => sheets::Table {
            headers: h(&[
                "座席 Agent",
                "登记线索 Captured",
                "成交 Won",
                "成交金额(元) Amount won",
            ]),
            rows: b
                .agents
                .iter()
                .map(|a| {
                    vec![
                        a.name.clone(),
                        a.captured.to_string(),
                        a.won.to_string(),
                        fen(a.won_amount),
                    ]
                })
                .collect(),
        },
        _ => sheets::Table {
            headers: h(&[
                "线索号 Lead",
                "成交时间 Won at",
                "经销商 Dealer",
                "地区 Region",
                "产品线 Product line",
                "金额(元) Amount",
                "登记座席 Captured by",
            ]),
            rows: b
                .wins
                .iter()
                .map(|w| {
                    vec![
                        w.lead_id.to_string(),
                        jiff::Timestamp::from_millisecond(w.at_ms)
                            .map(|t| {
                                t.to_zoned(zone.clone())
                                    .strftime("%Y-%m-%d %H:%M")
                                    .to_string()
                            })
                            .unwrap_or_default(),
                        w.dealer.clone(),
                        w.region.clone(),
                        w.product_line.clone(),
                        fen(w.amount),
                        w.captured_by_name.clone(),
                    ]
                })
                .collect(),
        },
    };
    super::reports::sheet(
        &state,
        &caller,
        &table,
        (format, &format!("leads-{which}-{}", b.month)),
        ("leads", which),
        serde_json::json!({"month": b.month}),
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LeadImportParams {
    /// `true` takes the leads in if no row has an error; otherwise the rows are only checked.
    pub commit: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeadImportBody {
    pub rows: usize,
    pub errors: Vec<super::kb_work::RowErrorBody>,
    /// Rows whose `external_id` is already a lead (left as they are).
    pub existing: usize,
    /// Leads taken in (or that would be).
    pub created: usize,
    /// Of those, offered to a dealer.
    pub offered: usize,
    /// Columns not read.
    pub ignored: Vec<String>,
    pub committed: bool,
}

/// Import leads from a CSV (UTF-8 or GBK) or XLSX sheet (the request's body): columns 姓名,
/// 手机, 产品线, 意向, 预算, 购买时间, 地区 (or 省, 市, 区), 地址, 备注, 阶段, 外部编号 — or
/// their English names. Checked row by row; taken in all or nothing, each given to its
/// region's dealer, credited to the importer.
#[utoipa::path(post, path = "/api/leads/import", tag = "leads", params(LeadImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = LeadImportBody), (status = 400, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<LeadImportParams>,
    body: axum::body::Bytes,
) -> ApiResult<Json<LeadImportBody>> {
    let tenant = caller.tenant()?;
    let commit = p.commit.unwrap_or(false);
    let r = state
        .app()
        .import_leads(tenant, &caller.user, body.to_vec(), commit)
        .await?;
    let errors: Vec<super::kb_work::RowErrorBody> = r
        .errors
        .iter()
        .take(500)
        .map(|e| super::kb_work::RowErrorBody {
            row: e.row,
            field: e.field.clone(),
            reason: e.reason.clone(),
        })
        .collect();
    if commit && !r.errors.is_empty() {
        let n = r.errors.len();
        let reason = format!("{n} errors in the rows; nothing was written");
        return Err(
            ApiError::invalid("file", reason.clone()).with_details(serde_json::json!({
                "field": "file", "reason": reason, "errors": errors,
            })),
        );
    }
    if r.committed
        && let Err(e) = super::audit(
            &state,
            &caller,
            "leads.import",
            "leads",
            r.created,
            serde_json::json!({"created": r.created, "offered": r.offered}),
        )
        .await
    {
        tracing::error!("import of {} leads not audited: {e:?}", r.created);
    }
    Ok(Json(LeadImportBody {
        rows: r.rows,
        errors,
        existing: r.existing,
        created: r.created,
        offered: r.offered,
        ignored: r.ignored,
        committed: r.committed,
    }))
}
