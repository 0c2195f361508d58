//! Live calls from the agent's desktop: placing a call (click-to-call: the agent's phone
//! rings first, then the customer is dialled), passing a connected call on to a queue
//! or an extension (blind transfer, as a REFER from the phone would), and consulting an
//! expert before passing it on (attended transfer).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::extract::ApiJson;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceCall {
    /// The customer's number (mainland numbers as dialled, or E.164).
    pub number: String,
    /// The customer called, if known (for their timeline). A number of a known customer
    /// is that customer's whether or not this says so: the contact policy applies.
    pub customer_id: Option<i64>,
    /// Team leads and administrators: place it although the contact policy's limits or
    /// calling hours say not now, for this reason (audited). Never past the blacklist or a
    /// customer's "do not call".
    #[serde(default)]
    pub override_reason: Option<String>,
}

/// The contact policy (R2.4) for a call to `number`: every customer it reaches (the one
/// named, its surviving record when merged, and all with that number) must be callable now;
/// a number no customer has is held to the calling hours. Refused with the reason and from
/// when, audited; a team lead's override audited too. Returns the customer the call is
/// for: the one named (its surviving record), else the number's first.
pub(crate) async fn check_contact(
    state: &AppState,
    caller: &Caller,
    customer: Option<i64>,
    number: &str,
    purpose: app::contacts::Purpose,
    call_id: &str,
    override_reason: Option<&str>,
) -> ApiResult<Option<i64>> {
    let tenant = caller.tenant()?;
    if override_reason.is_some()
        && !matches!(
            caller.user.role,
            store::Role::Supervisor | store::Role::TenantAdmin
        )
    {
        return Err(ApiError::invalid(
            "override_reason",
            "only team leads and administrators may override the contact policy",
        ));
    }
    if let Some(r) = override_reason
        && (r.trim().is_empty() || r.chars().count() > 200 || r.chars().any(char::is_control))
    {
        return Err(ApiError::invalid("override_reason", "1–200 characters"));
    }
    let callees = match state
        .app()
        .callees(tenant, customer.map(store::CustomerId), number)
        .await
    {
        Err(app::AppError::NotFound(_)) => {
            return Err(ApiError::invalid("customer_id", "no such customer"));
        }
        other => other?,
    };
    let target = callees
        .first()
        .map_or_else(|| number.to_string(), |c| c.0.to_string());
    let placed = state
        .app()
        .place_contact(
            tenant,
            &callees,
            purpose,
            call_id,
            Some(caller.user.id),
            override_reason,
        )
        .await;
    let ids: Vec<i64> = callees.iter().map(|c| c.0).collect();
    match placed {
        Ok(false) => {}
        Ok(true) => {
            super::audit(
                state,
                caller,
                "call.override",
                "customer",
                &target,
                serde_json::json!({"call_id": call_id, "purpose": purpose.as_str(),
                                   "customers": ids, "reason": override_reason}),
            )
            .await?;
        }
        Err(app::AppError::ContactRefused {
            reason,
            until_ms,
            message,
        }) => {
            super::audit(
                state,
                caller,
                "call.refused",
                "customer",
                &target,
                serde_json::json!({"purpose": purpose.as_str(), "customers": ids,
                                   "reason": reason, "until_ms": until_ms}),
            )
            .await?;
            return Err(app::AppError::ContactRefused {
                reason,
                until_ms,
                message,
            }
            .into());
        }
        Err(e) => return Err(e.into()),
    }
    // The named customer's surviving record, else the number's first.
    Ok(ids.first().copied())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Placed {
    pub call_id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferTo {
    /// A queue's key (e.g. `complaint`) or an agent's extension (e.g. `1002`).
    pub to: String,
}

fn telephony(state: &AppState) -> ApiResult<std::sync::Arc<telephony::Telephony>> {
    state.telephony().cloned().ok_or_else(|| {
        ApiError::new(
            Code::InvalidState,
            "telephony is not running (the server was started with --no-sip)",
        )
    })
}

/// Place a call: your phone rings; when you answer, the customer is dialled.
#[utoipa::path(post, path = "/api/me/calls", tag = "calls", request_body = PlaceCall,
    responses((status = 202, body = Placed), (status = 400, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn place(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<PlaceCall>,
) -> ApiResult<(StatusCode, Json<Placed>)> {
    let tenant = caller.tenant()?;
    let number = phone::normalize(&body.number, None)
        .map_err(|e| ApiError::invalid("number", e.to_string()))?;
    // The tenant's dial rules and the agent's calls a minute (toll fraud).
    state
        .app()
        .may_place(tenant, caller.user.id.0, &number)
        .await?;
    let user = caller.user.id.0;
    let call_id = format!("out-{}", crate::auth::new_secret()[..16].to_lowercase());
    // The contact policy: the call is written down before it is dialled (two agents cannot
    // both place the day's one call), and forgotten if it is not placed after all.
    let customer_id = check_contact(
        &state,
        &caller,
        body.customer_id,
        number.as_str(),
        app::contacts::Purpose::Click,
        &call_id,
        body.override_reason.as_deref(),
    )
    .await?;
    let t = match telephony(&state) {
        Ok(t) => t,
        Err(e) => {
            state.app().unplace_contact(tenant, &call_id).await?;
            return Err(e);
        }
    };
    let from = state
        .store()
        .scoped(tenant)
        .tenant_numbers()
        .await?
        .into_iter()
        .next()
        .unwrap_or_default();
    let dial = telephony::Dial {
        tenant: tenant.0,
        call_id: call_id.clone(),
        agent: user,
        number: number.as_str().to_string(),
        from,
        customer: customer_id,
    };
    // The audit row first: no call is placed that it does not name.
    super::audit(
        &state,
        &caller,
        "call.place",
        "call",
        &call_id,
        serde_json::json!({"number": number.as_str(), "customer_id": customer_id}),
    )
    .await?;
    // While on this call the agent's phone is busy: no queue call is offered to it.
    state
        .center(tenant, move |c| c.set_engaged(user, true))
        .await?;
    if let Err(e) = t.dial(dial) {
        state
            .center(tenant, move |c| c.set_engaged(user, false))
            .await?;
        state.app().unplace_contact(tenant, &call_id).await?;
        return Err(ApiError::new(Code::InvalidState, e));
    }
    state
        .app()
        .record(
            tenant,
            events::CallPlaced::id(&call_id),
            &events::CallPlaced {
                call_id: call_id.clone(),
                user_id: user,
                number: number.as_str().to_string(),
                customer_id,
            },
        )
        .await;
    Ok((StatusCode::ACCEPTED, Json(Placed { call_id })))
}

/// Place the callback task (回访) offered to you: your phone rings; when you answer, the
/// customer is dialled. Then record the verdict on the order.
#[utoipa::path(post, path = "/api/calls/{call_id}/dial", tag = "calls",
    params(("call_id" = String, Path)),
    responses((status = 202, body = Placed), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn dial_task(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(call_id): Path<String>,
) -> ApiResult<(StatusCode, Json<Placed>)> {
    let tenant = caller.tenant()?;
    let user = caller.user.id.0;
    let key = call_id.clone();
    let (dial, order) = state
        .center(tenant, move |c| c.place_task(&key, user))
        .await??;
    // Still owed? (A verdict written elsewhere a moment ago takes the task out.)
    let owed = state
        .app()
        .order(tenant, order)
        .await
        .is_ok_and(|v| matches!(v.ticket.order.status, tickets::Status::Resolved { .. }));
    if !owed {
        state.center(tenant, move |c| c.drop_task(order)).await?;
        return Err(ApiError::new(
            Code::InvalidState,
            "this order's callback is no longer owed",
        ));
    }
    state
        .app()
        .may_place(
            tenant,
            user,
            &phone::normalize(&dial.number, None)
                .map_err(|e| ApiError::invalid("number", e.to_string()))?,
        )
        .await?;
    let t = telephony(&state)?;
    // The closed loop's callback is a call to the customer like any other.
    if let Err(e) = check_contact(
        &state,
        &caller,
        dial.customer,
        &dial.number,
        app::contacts::Purpose::Revisit,
        &call_id,
        None,
    )
    .await
    {
        // Not now: it stays owed, offered again later.
        let _ = state.center(tenant, move |c| c.drop_task(order)).await;
        return Err(e);
    }
    super::audit(
        &state,
        &caller,
        "call.callback",
        "call",
        &call_id,
        serde_json::json!({"number": dial.number, "customer_id": dial.customer}),
    )
    .await?;
    if let Err(e) = t.dial(dial) {
        state.app().unplace_contact(tenant, &call_id).await?;
        return Err(ApiError::new(Code::InvalidState, e));
    }
    Ok((StatusCode::ACCEPTED, Json(Placed { call_id })))
}

/// Pass a connected call on to a queue or an extension (blind transfer). You are let go
/// and the caller hears music until the next agent answers.
#[utoipa::path(post, path = "/api/calls/{call_id}/transfer", tag = "calls",
    params(("call_id" = String, Path, description = "The call's id")),
    request_body = TransferTo,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn transfer(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(call_id): Path<String>,
    ApiJson(body): ApiJson<TransferTo>,
) -> ApiResult<StatusCode> {
    let tenant = caller.tenant()?;
    let t = live_call(&state, tenant, &call_id)?;
    let store = state.store();
    let known = store
        .scoped(tenant)
        .config_item("queue", &body.to)
        .await?
        .is_some()
        || app::switchboard::agent_by_extension(state.app(), tenant, &body.to)
            .await
            .is_some();
    if !known {
        return Err(ApiError::invalid(
            "to",
            format!("`{}` is neither a queue nor an extension", body.to),
        ));
    }
    t.transfer(tenant.0, &call_id, Some(caller.user.id.0), &body.to)
        .await
        .map_err(|e| ApiError::new(Code::InvalidState, e))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsultWith {
    /// The extension of the expert to consult (e.g. `1002`).
    pub to: String,
}

/// The live call of the caller's tenant with this id, and telephony.
fn live_call(
    state: &AppState,
    tenant: store::TenantId,
    call_id: &str,
) -> ApiResult<std::sync::Arc<telephony::Telephony>> {
    match state.telephony() {
        Some(t) if t.is_live(tenant.0, call_id) => Ok(t.clone()),
        _ => Err(ApiError::not_found("call")),
    }
}

/// Consult an expert (an extension) on your connected call: the caller hears music while
/// the expert's phone rings and you talk with them. Then complete (the expert takes the
/// call) or cancel (back to the caller). Hanging up your phone while consulting completes.
#[utoipa::path(post, path = "/api/calls/{call_id}/consult", tag = "calls",
    params(("call_id" = String, Path, description = "The call's id")),
    request_body = ConsultWith,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn consult(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(call_id): Path<String>,
    ApiJson(body): ApiJson<ConsultWith>,
) -> ApiResult<StatusCode> {
    let tenant = caller.tenant()?;
    let t = live_call(&state, tenant, &call_id)?;
    if app::switchboard::agent_by_extension(state.app(), tenant, &body.to)
        .await
        .is_none()
    {
        return Err(ApiError::invalid(
            "to",
            format!("`{}` is not an extension", body.to),
        ));
    }
    t.consult(tenant.0, &call_id, Some(caller.user.id.0), &body.to)
        .await
        .map_err(|e| ApiError::new(Code::InvalidState, e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Complete the consultation: the expert takes the call and you are let go (attended
/// transfer). The expert must have answered.
#[utoipa::path(post, path = "/api/calls/{call_id}/consult/complete", tag = "calls",
    params(("call_id" = String, Path, description = "The call's id")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn consult_complete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(call_id): Path<String>,
) -> ApiResult<StatusCode> {
    end_consult(&state, &caller, &call_id, true).await
}

/// Cancel the consultation: the expert is let go and you are back with the caller.
#[utoipa::path(post, path = "/api/calls/{call_id}/consult/cancel", tag = "calls",
    params(("call_id" = String, Path, description = "The call's id")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn consult_cancel(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(call_id): Path<String>,
) -> ApiResult<StatusCode> {
    end_consult(&state, &caller, &call_id, false).await
}

async fn end_consult(
    state: &AppState,
    caller: &Caller,
    call_id: &str,
    completed: bool,
) -> ApiResult<StatusCode> {
    let tenant = caller.tenant()?;
    let t = live_call(state, tenant, call_id)?;
    t.end_consult(tenant.0, call_id, Some(caller.user.id.0), completed)
        .await
        .map_err(|e| ApiError::new(Code::InvalidState, e))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldCall {
    /// True to hold the caller (they hear music), false to take them back.
    pub on: bool,
}

/// Hold your connected caller, or take them back (as the phone's hold key does).
#[utoipa::path(post, path = "/api/calls/{call_id}/hold", tag = "calls",
    params(("call_id" = String, Path, description = "The call's id")), request_body = HoldCall,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn hold(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(call_id): Path<String>,
    ApiJson(body): ApiJson<HoldCall>,
) -> ApiResult<StatusCode> {
    let tenant = caller.tenant()?;
    let t = live_call(&state, tenant, &call_id)?;
    t.hold(tenant.0, &call_id, Some(caller.user.id.0), body.on)
        .await
        .map_err(|e| ApiError::new(Code::InvalidState, e))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WrapUpCall {
    /// One of the center's wrap-up codes (`GET /api/settings`).
    pub disposition: String,
    /// What was said and done; up to 2,000 characters.
    #[serde(default)]
    pub notes: String,
    /// The customer the call was about, if the agent picked or created one.
    pub customer_id: Option<i64>,
    /// The customer's journey stage: `search`, `select`, `buy`, `receive` or `return`.
    #[serde(default)]
    pub journey: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WrappedUp {
    pub call_id: String,
    pub disposition: String,
    pub at_ms: i64,
}

/// Save the wrap-up of a call your phone rang for: its code, notes and customer, as a
/// `call.wrapup` event (on the customer's timeline). Saving again corrects it; the latest
/// counts.
#[utoipa::path(post, path = "/api/calls/{call_id}/wrap-up", tag = "calls",
    params(("call_id" = String, Path)), request_body = WrapUpCall,
    responses((status = 201, body = WrappedUp), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn wrap_up(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(call_id): Path<String>,
    ApiJson(body): ApiJson<WrapUpCall>,
) -> ApiResult<(StatusCode, Json<WrappedUp>)> {
    let tenant = caller.tenant()?;
    let me = caller.user.id.0;
    let settings = super::settings::center_settings(&state, tenant).await?;
    if !settings
        .dispositions
        .iter()
        .any(|d| d.code == body.disposition)
    {
        return Err(ApiError::invalid(
            "disposition",
            "not one of the center's wrap-up codes",
        ));
    }
    if body.notes.chars().count() > 2000 {
        return Err(ApiError::invalid("notes", "at most 2,000 characters"));
    }
    let journey = super::orders::journey_of(body.journey.clone())?;
    if let Some(id) = body.customer_id
        && state
            .store()
            .scoped(tenant)
            .customer(store::CustomerId(id))
            .await?
            .is_none()
    {
        return Err(ApiError::invalid("customer_id", "no such customer"));
    }
    // Only a call this agent's phone rang for (the screen pop names them).
    state.events().flush().await.map_err(ApiError::internal)?;
    let rang = state
        .store()
        .scoped(tenant)
        .events_of_kind(
            <events::CallRinging as events::Payload>::KIND,
            state.now_ms() - 7 * 86_400_000,
            state.now_ms() + 1,
            &[("call_id", call_id.clone()), ("user_id", me.to_string())],
            1,
        )
        .await?;
    if rang.is_empty() {
        return Err(ApiError::not_found("call"));
    }
    let at_ms = state.now_ms();
    state
        .app()
        .record(
            tenant,
            events::CallWrapup::id(&call_id, me, at_ms),
            &events::CallWrapup {
                call_id: call_id.clone(),
                user_id: me,
                agent: caller.user.display_name.clone(),
                disposition: body.disposition.clone(),
                notes: body.notes.clone(),
                customer_id: body.customer_id,
                journey,
            },
        )
        .await;
    Ok((
        StatusCode::CREATED,
        Json(WrappedUp {
            call_id,
            disposition: body.disposition,
            at_ms,
        }),
    ))
}
