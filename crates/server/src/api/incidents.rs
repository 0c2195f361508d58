//! Incidents as the front line sees them: what is going on now (the desktop's banner, and
//! which of it concerns the caller on the line), and the calls an incident absorbed.
//! Posting, extending and ending them is the configuration mechanism (`config.rs`).

use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ActiveQuery {
    /// The caller on the line: which incidents affect them.
    pub customer_id: Option<i64>,
}

/// An incident going on now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActiveIncident {
    pub key: String,
    pub title: String,
    pub message: String,
    pub regions: Vec<String>,
    pub address_prefixes: Vec<String>,
    pub starts_ms: i64,
    pub expected_end_ms: i64,
    /// One of the customer's addresses is in its area (with `customer_id`).
    pub affects_customer: bool,
}

/// What an incident did to the calls of its time.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentCalls {
    /// Callers who heard the announcement before the menu.
    pub heard: u64,
    /// Of those, the ones who hung up in the IVR without asking for an agent.
    pub absorbed: u64,
}

/// The incidents going on now, those affecting the customer first.
#[utoipa::path(get, path = "/api/incidents/active", tag = "orders", params(ActiveQuery),
    responses((status = 200, body = Vec<ActiveIncident>), (status = 400, body = ErrorBody)))]
pub async fn active(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ActiveQuery>,
) -> ApiResult<Json<Vec<ActiveIncident>>> {
    let tenant = caller.tenant()?;
    let app = state.app();
    let now = app.now_ms();
    let all = app.incidents(tenant).await?;
    let affected = match q.customer_id {
        Some(id) => {
            let customer = state
                .store()
                .scoped(tenant)
                .customer(store::CustomerId(id))
                .await?
                .ok_or_else(|| ApiError::invalid("customer_id", "no such customer"))?;
            app::incidents::affected(&all, now, &customer)
                .into_iter()
                .map(|(k, _)| k)
                .collect()
        }
        None => Vec::new(),
    };
    let mut list: Vec<ActiveIncident> = all
        .into_iter()
        .filter(|(_, i)| i.active(now))
        .map(|(key, i)| ActiveIncident {
            affects_customer: affected.contains(&key),
            key,
            title: i.title,
            message: i.message,
            regions: i.regions,
            address_prefixes: i.address_prefixes,
            starts_ms: i.starts_ms,
            expected_end_ms: i.expected_end_ms,
        })
        .collect();
    list.sort_by(|a, b| {
        b.affects_customer
            .cmp(&a.affects_customer)
            .then(a.key.cmp(&b.key))
    });
    Ok(Json(list))
}

/// The callers who heard the incident and the calls it absorbed, from the event log.
#[utoipa::path(get, path = "/api/incidents/{incident_key}/calls", tag = "orders",
    params(("incident_key" = String, Path)),
    responses((status = 200, body = IncidentCalls), (status = 404, body = ErrorBody)))]
pub async fn calls(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(key): Path<String>,
) -> ApiResult<Json<IncidentCalls>> {
    let a = state.app().incident_calls(caller.tenant()?, &key).await?;
    Ok(Json(IncidentCalls {
        heard: a.heard,
        absorbed: a.absorbed,
    }))
}
