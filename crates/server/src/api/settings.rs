//! The center's settings for the desktop and the floor: wrap-up (disposition) codes an agent
//! picks after a call, and the thresholds at which time in a state turns amber and red on
//! the floor view. One document per tenant; the defaults hold until an administrator saves.

use app::config as doc;
use app::config::{Document, parse};
use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use store::TenantId;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Disposition {
    /// Short and stable: `repair`, `billing`.
    pub code: String,
    /// 中文名称.
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// An agent state (`after_call_work`, `talking`, `hold`, `reserved`, `ready`) or a
    /// not-ready reason (`break`, `meal`, `training`, `meeting`, `away`, `missed`).
    pub state: String,
    pub amber_seconds: u32,
    pub red_seconds: u32,
}

/// Where calls the center places (click-to-call, callbacks) may go, and how fast.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Dialing {
    /// Numbers abroad may be called.
    pub international: bool,
    /// When any: only numbers starting with one of these, in E.164 (`+861`, `+86571`).
    pub allowed_prefixes: Vec<String>,
    /// Calls one agent may place in a minute (1–120).
    pub per_agent_per_minute: u32,
}

/// The closed loop of work orders (闭环).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClosedLoop {
    /// A repeat contact about an order within this many days of intake breaks its
    /// first-contact resolution (0–90; 7 by default).
    pub fcr_days: u32,
    /// Callbacks not reaching the customer before the order closes as unreachable (1–10;
    /// 3 by default).
    pub callback_attempts: u32,
    /// Over how many days the attempts are spread (0–30; 2 by default; never closer than
    /// two hours).
    pub callback_days: u32,
}

/// The service-level formula (T = the service-level time).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SlFormula {
    /// (answered in T + abandoned in T) ÷ (answered + abandoned).
    AnsweredOrAbandonedInT,
    /// answered in T ÷ answered.
    AnsweredOnly,
    /// answered in T ÷ (answered + abandoned).
    AnsweredInTOverAll,
    /// answered in T ÷ (answered + abandoned after T).
    AbandonedAfterT,
}

/// How reports define service level and abandons, and what the star ranking weighs;
/// applied to past data too.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    pub service_level_formula: SlFormula,
    /// T in seconds: 5, 10, 15, 20, 25, 30, 40, 45, 60, 90, 120, 180 or 300 (20 by default).
    pub service_level_s: u32,
    /// Abandons within this many seconds are short (same choices; 5 by default).
    pub short_abandon_s: u32,
    /// Leave short abandons out of the abandon rate and the service level (default yes).
    pub exclude_short_abandons: bool,
    /// Count flow-outs (overflow, callback, voicemail) in the service level's denominator.
    pub count_flow_outs: bool,
    /// The star ranking's metrics and weights (1–12 glossary metrics, 0–100 each); the
    /// defaults (answered 40, talk time 20, satisfaction 20, FCR 20) when left out.
    #[serde(default)]
    pub ranking: Option<Vec<super::reports::RankWeight>>,
}

impl SlFormula {
    fn from_doc(f: reports::SlFormula) -> SlFormula {
        match f {
            reports::SlFormula::AnsweredOrAbandonedInT => SlFormula::AnsweredOrAbandonedInT,
            reports::SlFormula::AnsweredOnly => SlFormula::AnsweredOnly,
            reports::SlFormula::AnsweredInTOverAll => SlFormula::AnsweredInTOverAll,
            reports::SlFormula::AbandonedAfterT => SlFormula::AbandonedAfterT,
        }
    }

    fn into_doc(self) -> reports::SlFormula {
        match self {
            SlFormula::AnsweredOrAbandonedInT => reports::SlFormula::AnsweredOrAbandonedInT,
            SlFormula::AnsweredOnly => reports::SlFormula::AnsweredOnly,
            SlFormula::AnsweredInTOverAll => reports::SlFormula::AnsweredInTOverAll,
            SlFormula::AbandonedAfterT => reports::SlFormula::AbandonedAfterT,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CenterSettings {
    pub dispositions: Vec<Disposition>,
    pub thresholds: Vec<Threshold>,
    /// Dial rules; left out when saving, the ones set before are kept. Service numbers
    /// (110, 12345) are never called out.
    #[serde(default)]
    pub dialing: Option<Dialing>,
    /// Left out when saving, the numbers set before are kept.
    #[serde(default)]
    pub closed_loop: Option<ClosedLoop>,
    /// How reports count (指标口径); left out when saving, the choices made before are kept.
    #[serde(default)]
    pub reports: Option<ReportSettings>,
    /// Set by the server; give it back unchanged when saving (409 if someone saved since).
    #[serde(default)]
    pub version: Option<i64>,
}

impl CenterSettings {
    fn from_doc(d: doc::CenterSettings, version: Option<i64>) -> CenterSettings {
        CenterSettings {
            dispositions: d
                .dispositions
                .into_iter()
                .map(|d| Disposition {
                    code: d.code,
                    name_zh: d.name_zh,
                    name_en: d.name_en,
                })
                .collect(),
            thresholds: d
                .thresholds
                .into_iter()
                .map(|t| Threshold {
                    state: t.state,
                    amber_seconds: t.amber_seconds,
                    red_seconds: t.red_seconds,
                })
                .collect(),
            dialing: Some({
                let d = d.dialing.unwrap_or_default();
                Dialing {
                    international: d.international,
                    allowed_prefixes: d.allowed_prefixes,
                    per_agent_per_minute: d.per_agent_per_minute,
                }
            }),
            closed_loop: Some({
                let l = d.closed_loop.unwrap_or_default();
                ClosedLoop {
                    fcr_days: l.fcr_days,
                    callback_attempts: l.callback_attempts,
                    callback_days: l.callback_days,
                }
            }),
            reports: Some({
                let r = d.reports.unwrap_or_default();
                ReportSettings {
                    service_level_formula: SlFormula::from_doc(r.service_level_formula),
                    service_level_s: r.service_level_s,
                    short_abandon_s: r.short_abandon_s,
                    exclude_short_abandons: r.exclude_short_abandons,
                    count_flow_outs: r.count_flow_outs,
                    ranking: Some(
                        r.ranking
                            .unwrap_or_else(reports::default_weights)
                            .into_iter()
                            .map(|w| super::reports::RankWeight {
                                metric: w.metric,
                                weight: w.weight,
                            })
                            .collect(),
                    ),
                }
            }),
            version,
        }
    }

    fn into_doc(self) -> doc::CenterSettings {
        doc::CenterSettings {
            dispositions: self
                .dispositions
                .into_iter()
                .map(|d| doc::Disposition {
                    code: d.code,
                    name_zh: d.name_zh,
                    name_en: d.name_en,
                })
                .collect(),
            thresholds: self
                .thresholds
                .into_iter()
                .map(|t| doc::Threshold {
                    state: t.state,
                    amber_seconds: t.amber_seconds,
                    red_seconds: t.red_seconds,
                })
                .collect(),
            dialing: self.dialing.map(|d| doc::Dialing {
                international: d.international,
                allowed_prefixes: d.allowed_prefixes,
                per_agent_per_minute: d.per_agent_per_minute,
            }),
            closed_loop: self.closed_loop.map(|l| doc::ClosedLoop {
                fcr_days: l.fcr_days,
                callback_attempts: l.callback_attempts,
                callback_days: l.callback_days,
            }),
            reports: self.reports.map(|r| doc::ReportSettings {
                service_level_formula: r.service_level_formula.into_doc(),
                service_level_s: r.service_level_s,
                short_abandon_s: r.short_abandon_s,
                exclude_short_abandons: r.exclude_short_abandons,
                count_flow_outs: r.count_flow_outs,
                ranking: r.ranking.map(|w| {
                    w.into_iter()
                        .map(|w| reports::Weight {
                            metric: w.metric,
                            weight: w.weight,
                        })
                        .collect()
                }),
            }),
            // Kept from before: the knowledge base saves its own (`/api/kb/settings`).
            knowledge: None,
            // Kept from before: saved with `/api/leads/settings`.
            leads: None,
            contact_policy: None,
        }
    }
}

/// The tenant's settings, or the defaults.
pub async fn center_settings(state: &AppState, tenant: TenantId) -> ApiResult<CenterSettings> {
    match state
        .store()
        .scoped(tenant)
        .config_item(doc::CenterSettings::KIND, "center")
        .await?
    {
        Some(item) => Ok(CenterSettings::from_doc(parse(&item)?, Some(item.version))),
        None => Ok(CenterSettings::from_doc(
            doc::CenterSettings::defaults(),
            None,
        )),
    }
}

/// Wrap-up codes and the floor's thresholds.
#[utoipa::path(get, path = "/api/settings", tag = "settings",
    responses((status = 200, body = CenterSettings), (status = 403, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<CenterSettings>> {
    Ok(Json(center_settings(&state, caller.tenant()?).await?))
}

/// Replace the settings (audited). `version` as read, or left out the first time.
#[utoipa::path(put, path = "/api/settings", tag = "settings", request_body = CenterSettings,
    responses((status = 200, body = CenterSettings), (status = 400, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<CenterSettings>,
) -> ApiResult<Json<CenterSettings>> {
    let tenant = caller.tenant()?;
    let version = body.version;
    let item = state
        .app()
        .put_config(
            tenant,
            Some(caller.user.id),
            "center",
            body.into_doc(),
            version,
        )
        .await?;
    Ok(Json(CenterSettings::from_doc(
        parse(&item)?,
        Some(item.version),
    )))
}
