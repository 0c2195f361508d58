//! One view of every customer (统一的客户信息): records, the screen-pop lookup by caller
//! number, department facets, protected data behind an audited door, duplicates and merges.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;
use store::{
    Address, CustomerData, CustomerId, CustomerPhone, CustomerQuery, Department, Segment, TenantId,
};
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::Caller;
use crate::dto::{
    CustomerDto, CustomerInput, CustomerPage, EventDto, FacetDto, FacetInput, LookupResult,
    MergeRequest, MergeResult, ProtectedData, UndoMergeResult,
};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::perm::{Perm, allows};

/// Checks and normalises a client's customer.
pub fn to_data(input: &CustomerInput) -> ApiResult<CustomerData> {
    let mut phones: Vec<CustomerPhone> = Vec::with_capacity(input.phones.len());
    for (i, p) in input.phones.iter().enumerate() {
        let number = phone::normalize(&p.number, None)
            .map_err(|e| ApiError::invalid(&format!("phones[{i}].number"), e.to_string()))?;
        if !phones.iter().any(|q| q.number == number.as_str()) {
            phones.push(CustomerPhone {
                number: number.as_str().into(),
                label: p.label.clone(),
            });
        }
    }
    for (i, e) in input.emails.iter().enumerate() {
        let ok = e.len() <= 254
            && e.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !e.contains(char::is_whitespace)
            });
        if !ok {
            return Err(ApiError::invalid(
                &format!("emails[{i}]"),
                "not an e-mail address",
            ));
        }
    }
    let segment = match input.segment.as_deref() {
        None => Segment::General,
        Some(s) => Segment::parse(s).ok_or_else(|| {
            ApiError::invalid(
                "segment",
                "one of large_account, special, abnormal, vulnerable, general",
            )
        })?,
    };
    if let Some(id) = &input.id_number
        && !(id.len() <= 32 && !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(ApiError::invalid("id_number", "1 to 32 letters and digits"));
    }
    let data = CustomerData {
        name: input.name.trim().into(),
        phones,
        emails: input.emails.clone(),
        addresses: input
            .addresses
            .iter()
            .map(|a| Address {
                province: a.province.clone(),
                city: a.city.clone(),
                district: a.district.clone(),
                line: a.line.clone(),
                label: a.label.clone(),
            })
            .collect(),
        segment,
        level: input.level.unwrap_or(3),
        qualification: input.qualification.clone().unwrap_or_else(|| "none".into()),
        id_number: input.id_number.clone(),
        blacklisted: input.blacklisted,
        blacklist_reason: input.blacklist_reason.clone(),
        notes: input.notes.clone(),
    };
    data.validate()?;
    Ok(data)
}

async fn find(state: &AppState, tenant: TenantId, id: i64) -> ApiResult<store::Customer> {
    state
        .store()
        .scoped(tenant)
        .customer(CustomerId(id))
        .await?
        .ok_or_else(|| ApiError::not_found("customer"))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Part of a name or a number, a whole number in any written form (`138 5710 0000`,
    /// `+86-138-5710-0000`), or a whole ID number.
    pub q: Option<String>,
    pub segment: Option<String>,
    /// 1–5.
    pub level: Option<u8>,
    pub blacklisted: Option<bool>,
    /// Part of an address: a province, city or district.
    pub region: Option<String>,
    /// Only customers this department holds a facet of.
    pub department: Option<String>,
    /// The `next_after` of the previous page.
    pub after: Option<i64>,
    /// 1 to 500; 50 if left out.
    pub limit: Option<u32>,
}

/// What a list or an export is filtered by.
pub(super) struct Filters {
    /// Whether a whole ID number may be searched for: only by those who may see ID numbers
    /// (a match would confirm one to anyone else).
    pub by_id_number: bool,
    pub q: Option<String>,
    pub segment: Option<String>,
    pub level: Option<u8>,
    pub blacklisted: Option<bool>,
    pub region: Option<String>,
    pub department: Option<String>,
}

/// The query for the filters, each checked; paging left to the caller.
pub(super) fn filters(p: Filters) -> ApiResult<CustomerQuery> {
    let segment = p
        .segment
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| Segment::parse(s).ok_or_else(|| ApiError::invalid("segment", "unknown segment")))
        .transpose()?;
    let bounded = |field: &str, v: Option<String>| -> ApiResult<Option<String>> {
        let v = v.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        match v {
            Some(t) if t.chars().count() > 100 => {
                Err(ApiError::invalid(field, "at most 100 characters"))
            }
            other => Ok(other),
        }
    };
    let text = bounded("q", p.q)?;
    if p.level.is_some_and(|l| !(1..=5).contains(&l)) {
        return Err(ApiError::invalid("level", "1 to 5"));
    }
    let number = text.as_deref().and_then(whole_number);
    let id_number = text
        .as_deref()
        .filter(|t| p.by_id_number && looks_like_id_number(t))
        .map(str::to_string);
    // A whole number or ID number is looked up on its index alone; anything else is part of a
    // name or of a number. Separators people write numbers with are not in stored numbers.
    let text = text
        .filter(|_| number.is_none() && id_number.is_none())
        .map(|t| {
            if t.chars().all(|c| c.is_ascii_digit() || " -+()".contains(c)) {
                t.chars().filter(char::is_ascii_digit).collect()
            } else {
                t
            }
        });
    Ok(CustomerQuery {
        number,
        id_number,
        text,
        segment,
        level: p.level,
        blacklisted: p.blacklisted,
        region: bounded("region", p.region)?,
        department: bounded("department", p.department)?,
        address_any: Vec::new(),
        after: None,
        limit: 50,
        include_merged: false,
    })
}

/// A whole phone number in any written form, as stored; none for a name or a part.
fn whole_number(q: &str) -> Option<String> {
    let digits = q.chars().filter(char::is_ascii_digit).count();
    let phoneish = q
        .chars()
        .all(|c| c.is_ascii_digit() || " -+()（）".contains(c));
    (phoneish && digits >= 7)
        .then(|| phone::normalize(q, None).ok())
        .flatten()
        .map(|p| p.as_str().to_string())
}

/// A resident ID number's shape: 15 digits, or 17 and a digit or X.
fn looks_like_id_number(q: &str) -> bool {
    let b = q.as_bytes();
    (b.len() == 15 && b.iter().all(u8::is_ascii_digit))
        || (b.len() == 18
            && b[..17].iter().all(u8::is_ascii_digit)
            && (b[17].is_ascii_digit() || b[17] == b'x' || b[17] == b'X'))
}

#[utoipa::path(get, path = "/api/customers", tag = "customers", params(ListParams),
    responses((status = 200, body = CustomerPage), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<CustomerPage>> {
    let limit = super::limit(p.limit)?;
    let by_id_number = crate::perm::allows(caller.user.role, crate::perm::Perm::ViewProtected);
    let mut q = filters(Filters {
        by_id_number,
        q: p.q,
        segment: p.segment,
        level: p.level,
        blacklisted: p.blacklisted,
        region: p.region,
        department: p.department,
    })?;
    q.after = p.after.map(CustomerId);
    q.limit = limit;
    let items = state.store().scoped(caller.tenant()?).customers(&q).await?;
    // Looking a customer up by ID number is looking at protected data: audited.
    if q.id_number.is_some() {
        super::audit(
            &state,
            &caller,
            "customer.search_id_number",
            "customers",
            "*",
            serde_json::json!({ "found": items.iter().map(|c| c.id.0).collect::<Vec<_>>() }),
        )
        .await?;
    }
    let next_after = (items.len() == limit as usize)
        .then(|| items.last().map(|c| c.id.0))
        .flatten();
    Ok(Json(CustomerPage {
        items: items.iter().map(CustomerDto::from).collect(),
        next_after,
    }))
}

#[utoipa::path(post, path = "/api/customers", tag = "customers", request_body = CustomerInput,
    responses((status = 201, body = CustomerDto), (status = 400, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<CustomerInput>,
) -> ApiResult<(StatusCode, Json<CustomerDto>)> {
    if input.version.is_some() {
        return Err(ApiError::invalid("version", "leave out when creating"));
    }
    let tenant = caller.tenant()?;
    let data = to_data(&input)?;
    let c = state
        .store()
        .scoped(tenant)
        .create_customer(&data, state.now_ms())
        .await?;
    state
        .app()
        .record(
            tenant,
            events::CustomerCreated::id(c.id.0),
            &events::CustomerCreated {
                customer_id: c.id.0,
                actor_id: caller.user.id.0,
            },
        )
        .await;
    Ok((StatusCode::CREATED, Json(CustomerDto::from(&c))))
}

#[utoipa::path(get, path = "/api/customers/{customer_id}", tag = "customers",
    params(("customer_id" = i64, Path)),
    responses((status = 200, body = CustomerDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CustomerDto>> {
    Ok(Json(CustomerDto::from(
        &find(&state, caller.tenant()?, id).await?,
    )))
}

/// Replace a customer; send the `version` you read (409 if someone changed it since).
#[utoipa::path(put, path = "/api/customers/{customer_id}", tag = "customers",
    params(("customer_id" = i64, Path)), request_body = CustomerInput,
    responses((status = 200, body = CustomerDto), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn replace(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<CustomerInput>,
) -> ApiResult<Json<CustomerDto>> {
    let tenant = caller.tenant()?;
    let current = find(&state, tenant, id).await?;
    let version = input
        .version
        .ok_or_else(|| ApiError::invalid("version", "send the version you read"))?;
    let mut input = input;
    // The ID number comes back masked, as it was shown: that means "unchanged".
    if input.id_number.as_deref().is_some_and(|n| n.contains('*')) {
        input.id_number = current.data.id_number.clone();
    }
    let data = to_data(&input)?;
    let c = state
        .store()
        .scoped(tenant)
        .update_customer(CustomerId(id), version, &data, state.now_ms())
        .await?;
    state
        .app()
        .record(
            tenant,
            events::CustomerUpdated::id(c.id.0, c.version),
            &events::CustomerUpdated {
                customer_id: c.id.0,
                version: c.version,
                actor_id: caller.user.id.0,
            },
        )
        .await;
    Ok(Json(CustomerDto::from(&c)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LookupParams {
    /// The caller's number in any common form: `138 1234 5678`, `+86…`, `010-…`.
    pub number: String,
}

/// The screen pop: who is calling from this number.
#[utoipa::path(get, path = "/api/customers/lookup", tag = "customers", params(LookupParams),
    responses((status = 200, body = LookupResult), (status = 400, body = ErrorBody)))]
pub async fn lookup(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<LookupParams>,
) -> ApiResult<Json<LookupResult>> {
    let number = phone::normalize(&p.number, None)
        .map_err(|e| ApiError::invalid("number", e.to_string()))?;
    let found = state
        .store()
        .scoped(caller.tenant()?)
        .customers_by_phone(number.as_str())
        .await?;
    Ok(Json(LookupResult {
        number: number.as_str().into(),
        customers: found.iter().map(CustomerDto::from).collect(),
    }))
}

/// The whole ID number and the finance facet, unmasked. Every call is in the audit log.
#[utoipa::path(get, path = "/api/customers/{customer_id}/protected", tag = "customers",
    params(("customer_id" = i64, Path)),
    responses((status = 200, body = ProtectedData), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn protected(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ProtectedData>> {
    let tenant = caller.tenant()?;
    let c = find(&state, tenant, id).await?;
    let finance = state
        .store()
        .scoped(tenant)
        .facets(c.id)
        .await?
        .into_iter()
        .find(|f| f.department == Department::Finance)
        .map(|f| f.data);
    super::audit(
        &state,
        &caller,
        "customer.view_protected",
        "customer",
        id,
        json!({ "fields": ["id_number", "finance"] }),
    )
    .await?;
    Ok(Json(ProtectedData {
        id_number: c.data.id_number,
        finance,
    }))
}

#[utoipa::path(get, path = "/api/customers/{customer_id}/facets", tag = "customers",
    params(("customer_id" = i64, Path)),
    responses((status = 200, body = Vec<FacetDto>), (status = 404, body = ErrorBody)))]
pub async fn facets(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<FacetDto>>> {
    let tenant = caller.tenant()?;
    let c = find(&state, tenant, id).await?;
    let see_all = allows(caller.user.role, Perm::ViewProtected);
    let facets = state.store().scoped(tenant).facets(c.id).await?;
    Ok(Json(
        facets
            .iter()
            .map(|f| FacetDto::new(f, f.department == Department::Finance && !see_all))
            .collect(),
    ))
}

/// Set what a department knows of a customer. Finance needs the protected-data permission.
#[utoipa::path(put, path = "/api/customers/{customer_id}/facets/{department}", tag = "customers",
    params(("customer_id" = i64, Path), ("department" = String, Path, description = "finance, legal, sales or service")),
    request_body = FacetInput,
    responses((status = 200, body = FacetDto), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn put_facet(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath((id, department)): ApiPath<(i64, String)>,
    ApiJson(input): ApiJson<FacetInput>,
) -> ApiResult<Json<FacetDto>> {
    let tenant = caller.tenant()?;
    let c = find(&state, tenant, id).await?;
    let department = Department::parse(&department)
        .ok_or_else(|| ApiError::invalid("department", "one of finance, legal, sales, service"))?;
    if department == Department::Finance && !allows(caller.user.role, Perm::ViewProtected) {
        return Err(ApiError::forbidden());
    }
    if !input.data.is_object() {
        return Err(ApiError::invalid("data", "must be a JSON object"));
    }
    let f = state
        .store()
        .scoped(tenant)
        .put_facet(c.id, department, &input.data, input.version, state.now_ms())
        .await?;
    if department == Department::Finance {
        super::audit(
            &state,
            &caller,
            "customer.facet_update",
            "customer",
            id,
            json!({ "department": "finance", "version": f.version }),
        )
        .await?;
    }
    Ok(Json(FacetDto::new(&f, false)))
}

/// Records that look like the same person: a shared number or ID number.
#[utoipa::path(get, path = "/api/customers/{customer_id}/duplicates", tag = "customers",
    params(("customer_id" = i64, Path)),
    responses((status = 200, body = Vec<CustomerDto>), (status = 404, body = ErrorBody)))]
pub async fn duplicates(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<CustomerDto>>> {
    let tenant = caller.tenant()?;
    let c = find(&state, tenant, id).await?;
    let d = state.store().scoped(tenant).duplicates_of(c.id).await?;
    Ok(Json(d.iter().map(CustomerDto::from).collect()))
}

/// Fold a duplicate into this customer; can be undone.
#[utoipa::path(post, path = "/api/customers/{customer_id}/merge", tag = "customers",
    params(("customer_id" = i64, Path)), request_body = MergeRequest,
    responses((status = 200, body = MergeResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn merge(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<MergeRequest>,
) -> ApiResult<Json<MergeResult>> {
    let tenant = caller.tenant()?;
    find(&state, tenant, id).await?;
    let (merge_id, kept) = state
        .store()
        .scoped(tenant)
        .merge_customers(
            CustomerId(id),
            CustomerId(req.absorbed_id),
            Some(caller.user.id),
            state.now_ms(),
        )
        .await?;
    super::audit(
        &state,
        &caller,
        "customer.merge",
        "customer",
        id,
        json!({ "absorbed_id": req.absorbed_id, "merge_id": merge_id }),
    )
    .await?;
    state
        .app()
        .record(
            tenant,
            events::CustomerMerged::id(merge_id),
            &events::CustomerMerged {
                customer_id: id,
                absorbed_id: req.absorbed_id,
                actor_id: caller.user.id.0,
            },
        )
        .await;
    Ok(Json(MergeResult {
        merge_id,
        customer: CustomerDto::from(&kept),
    }))
}

#[utoipa::path(post, path = "/api/customer-merges/{merge_id}/undo", tag = "customers",
    params(("merge_id" = i64, Path)),
    responses((status = 200, body = UndoMergeResult), (status = 404, body = ErrorBody)))]
pub async fn undo_merge(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(merge_id): ApiPath<i64>,
) -> ApiResult<Json<UndoMergeResult>> {
    let tenant = caller.tenant()?;
    let (kept, restored) = state
        .store()
        .scoped(tenant)
        .undo_merge(merge_id, state.now_ms())
        .await?;
    super::audit(
        &state,
        &caller,
        "customer.merge_undo",
        "customer",
        kept.id.0,
        json!({ "merge_id": merge_id, "restored_id": restored.id.0 }),
    )
    .await?;
    state
        .app()
        .record(
            tenant,
            events::CustomerMergeUndone::id(merge_id),
            &events::CustomerMergeUndone {
                customer_id: kept.id.0,
                restored_id: restored.id.0,
                actor_id: caller.user.id.0,
            },
        )
        .await;
    Ok(Json(UndoMergeResult {
        kept: CustomerDto::from(&kept),
        restored: CustomerDto::from(&restored),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TimelineParams {
    /// The last `seq` of the previous page.
    pub before: Option<i64>,
    pub limit: Option<u32>,
}

/// Everything that happened with this customer, newest first: calls (with their recording),
/// tickets, leads and messages as those arrive, and the record's own history — including that
/// of records merged into it.
#[utoipa::path(get, path = "/api/customers/{customer_id}/timeline", tag = "customers",
    params(("customer_id" = i64, Path), TimelineParams),
    responses((status = 200, body = Vec<EventDto>), (status = 404, body = ErrorBody)))]
pub async fn timeline(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<TimelineParams>,
) -> ApiResult<Json<Vec<EventDto>>> {
    let tenant = caller.tenant()?;
    let c = find(&state, tenant, id).await?;
    let limit = super::limit(p.limit)?;
    let mut ids = vec![c.id];
    ids.extend(state.store().scoped(tenant).merged_into(c.id).await?);
    state.events().flush().await.map_err(ApiError::internal)?;
    let events = state
        .store()
        .scoped(tenant)
        .customer_events(&ids, p.before, limit)
        .await?;
    Ok(Json(
        events
            .iter()
            .filter(|e| super::events::visible(&caller.user, e))
            .map(EventDto::from)
            .collect(),
    ))
}
