//! Dealers (经销商): the regions each serves, set by the tenant's administrator, and the
//! customers of those regions as a dealer sees them — name, numbers, the address in their
//! region and the segment; nothing a dealer does not need (no ID number, notes, facets or
//! timeline). The leads module assigns leads by the same regions.

use app::config::{DealerRegions, Region};
use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use store::{CustomerId, CustomerQuery, Role, UserId};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::dto::{AddressDto, PhoneDto};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionDto {
    pub province: String,
    /// Empty for the whole province.
    #[serde(default)]
    pub city: String,
    /// Empty for the whole city.
    #[serde(default)]
    pub district: String,
    /// The product lines the dealer sells here; every line when empty.
    #[serde(default)]
    pub product_lines: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealerRegionsInput {
    /// Required to change regions set before: the version you read.
    #[serde(default)]
    pub version: Option<i64>,
    /// Up to 50.
    pub regions: Vec<RegionDto>,
    /// 1–10 (as it was if left out; 1 at first): a dealer of weight 2 gets twice the leads
    /// of one of weight 1 in the same region.
    #[serde(default)]
    pub weight: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealerRegionsDto {
    pub user_id: i64,
    /// 0 while none are set.
    pub version: i64,
    pub regions: Vec<RegionDto>,
    pub weight: u32,
}

/// The dealer `user_id` of the caller's tenant, or 404 (400 for another role).
async fn dealer(state: &AppState, caller: &Caller, user_id: i64) -> ApiResult<store::User> {
    let user = state
        .store()
        .user(Some(caller.tenant()?), UserId(user_id))
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    if user.role != Role::Dealer {
        return Err(ApiError::invalid("user_id", "only dealers serve regions"));
    }
    Ok(user)
}

async fn regions_of(
    state: &AppState,
    caller: &Caller,
    user_id: i64,
) -> ApiResult<(i64, DealerRegions)> {
    let item = state
        .store()
        .scoped(caller.tenant()?)
        .config_item("dealer", &user_id.to_string())
        .await?;
    Ok(match item {
        Some(item) => (item.version, app::config::parse::<DealerRegions>(&item)?),
        None => (
            0,
            DealerRegions {
                regions: Vec::new(),
                weight: 1,
            },
        ),
    })
}

fn dto(user_id: i64, version: i64, d: DealerRegions) -> DealerRegionsDto {
    DealerRegionsDto {
        user_id,
        version,
        weight: d.weight,
        regions: d
            .regions
            .into_iter()
            .map(|r| RegionDto {
                province: r.province,
                city: r.city,
                district: r.district,
                product_lines: r.product_lines,
            })
            .collect(),
    }
}

/// A dealer's regions.
#[utoipa::path(get, path = "/api/dealers/{user_id}/regions", tag = "dealers",
    params(("user_id" = i64, Path)),
    responses((status = 200, body = DealerRegionsDto), (status = 404, body = ErrorBody)))]
pub async fn get_regions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(user_id): ApiPath<i64>,
) -> ApiResult<Json<DealerRegionsDto>> {
    dealer(&state, &caller, user_id).await?;
    let (version, d) = regions_of(&state, &caller, user_id).await?;
    Ok(Json(dto(user_id, version, d)))
}

/// Set the regions a dealer serves (audited, versioned).
#[utoipa::path(put, path = "/api/dealers/{user_id}/regions", tag = "dealers", request_body = DealerRegionsInput,
    params(("user_id" = i64, Path)),
    responses((status = 200, body = DealerRegionsDto), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn put_regions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(user_id): ApiPath<i64>,
    ApiJson(input): ApiJson<DealerRegionsInput>,
) -> ApiResult<Json<DealerRegionsDto>> {
    let tenant = caller.tenant()?;
    dealer(&state, &caller, user_id).await?;
    // Left out, the weight stays what it was.
    let (_, current) = regions_of(&state, &caller, user_id).await?;
    let doc = DealerRegions {
        regions: input
            .regions
            .into_iter()
            .map(|r| Region {
                province: r.province,
                city: r.city,
                district: r.district,
                product_lines: r.product_lines,
            })
            .collect(),
        weight: input.weight.unwrap_or(current.weight),
    };
    let item = state
        .app()
        .put_config(
            tenant,
            Some(caller.user.id),
            &user_id.to_string(),
            doc,
            input.version,
        )
        .await?;
    let d = app::config::parse::<DealerRegions>(&item)?;
    Ok(Json(dto(user_id, item.version, d)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MyCustomersParams {
    /// Part of a name or of a number.
    pub q: Option<String>,
    /// The `next_after` of the previous page.
    pub after: Option<i64>,
    /// 1 to 500; 50 if left out.
    pub limit: Option<u32>,
}

/// A customer as a dealer sees them.
#[derive(Debug, Serialize, ToSchema)]
pub struct DealerCustomer {
    pub id: i64,
    pub name: String,
    pub phones: Vec<PhoneDto>,
    /// The customer's addresses in the dealer's regions.
    pub addresses: Vec<AddressDto>,
    pub segment: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealerPage {
    /// The regions the dealer serves (empty: none yet, and so no customers).
    pub regions: Vec<RegionDto>,
    pub items: Vec<DealerCustomer>,
    pub next_after: Option<i64>,
}

/// The customers of the calling dealer's regions.
#[utoipa::path(get, path = "/api/me/customers", tag = "dealers", params(MyCustomersParams),
    responses((status = 200, body = DealerPage), (status = 403, body = ErrorBody)))]
pub async fn my_customers(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<MyCustomersParams>,
) -> ApiResult<Json<DealerPage>> {
    let limit = super::limit(p.limit)?;
    let (_, mine) = regions_of(&state, &caller, caller.user.id.0).await?;
    let regions = mine.regions.clone();
    if regions.is_empty() {
        return Ok(Json(DealerPage {
            regions: Vec::new(),
            items: Vec::new(),
            next_after: None,
        }));
    }
    let mut q: CustomerQuery = super::customers::filters(super::customers::Filters {
        by_id_number: false,
        q: p.q,
        segment: None,
        level: None,
        blacklisted: None,
        region: None,
        department: None,
    })?;
    q.address_any = regions.iter().map(Region::address_fragment).collect();
    q.after = p.after.map(CustomerId);
    q.limit = limit;
    let found = state.store().scoped(caller.tenant()?).customers(&q).await?;
    let next_after = (found.len() == limit as usize)
        .then(|| found.last().map(|c| c.id.0))
        .flatten();
    let inside = |a: &store::Address| {
        regions.iter().any(|r| {
            a.province == r.province
                && (r.city.is_empty() || a.city == r.city)
                && (r.district.is_empty() || a.district == r.district)
        })
    };
    let items = found
        .into_iter()
        .map(|c| DealerCustomer {
            id: c.id.0,
            name: c.data.name,
            phones: c
                .data
                .phones
                .into_iter()
                .map(|p| PhoneDto {
                    number: p.number,
                    label: p.label,
                })
                .collect(),
            addresses: c
                .data
                .addresses
                .into_iter()
                .filter(inside)
                .map(|a| AddressDto {
                    province: a.province,
                    city: a.city,
                    district: a.district,
                    line: a.line,
                    label: a.label,
                })
                .collect(),
            segment: c.data.segment.as_str().to_string(),
        })
        .collect();
    Ok(Json(DealerPage {
        regions: dto(caller.user.id.0, 0, mine).regions,
        items,
        next_after,
    }))
}
