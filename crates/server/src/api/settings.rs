//! The center's settings for the desktop and the floor: wrap-up (disposition) codes an agent
//! picks after a call, and the thresholds at which time in a state turns amber and red on
//! the floor view. One document per tenant; the defaults hold until an administrator saves.

use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::TenantId;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
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

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CenterSettings {
    pub dispositions: Vec<Disposition>,
    pub thresholds: Vec<Threshold>,
    /// Set by the server; give it back unchanged when saving (409 if someone saved since).
    #[serde(default)]
    pub version: Option<i64>,
}

const STATES: [&str; 11] = [
    "after_call_work",
    "talking",
    "hold",
    "reserved",
    "ready",
    "break",
    "meal",
    "training",
    "meeting",
    "away",
    "missed",
];

fn defaults() -> CenterSettings {
    let d = |code: &str, zh: &str, en: &str| Disposition {
        code: code.into(),
        name_zh: zh.into(),
        name_en: en.into(),
    };
    let t = |state: &str, amber: u32, red: u32| Threshold {
        state: state.into(),
        amber_seconds: amber,
        red_seconds: red,
    };
    CenterSettings {
        dispositions: vec![
            d("inquiry", "业务咨询", "Inquiry"),
            d("repair", "故障报修", "Repair request"),
            d("billing", "缴费查询", "Billing"),
            d("complaint", "投诉", "Complaint"),
            d("suggestion", "建议", "Suggestion"),
            d("outage", "停水通知", "Outage notice"),
            d("wrong_number", "打错电话", "Wrong number"),
            d("other", "其他", "Other"),
        ],
        thresholds: vec![
            t("after_call_work", 60, 120),
            t("talking", 600, 900),
            t("hold", 60, 180),
            t("ready", 600, 1800),
            t("break", 900, 1200),
            t("meal", 1800, 2700),
            t("training", 3600, 7200),
            t("meeting", 3600, 7200),
            t("away", 300, 600),
            t("missed", 60, 180),
        ],
        version: None,
    }
}

/// The tenant's settings, or the defaults.
pub async fn center_settings(state: &AppState, tenant: TenantId) -> ApiResult<CenterSettings> {
    match state
        .store()
        .config_item(tenant, "settings", "center")
        .await?
    {
        Some(item) => {
            let mut s: CenterSettings = serde_json::from_value(item.data)
                .map_err(|e| ApiError::internal(format!("stored settings: {e}")))?;
            s.version = Some(item.version);
            Ok(s)
        }
        None => Ok(defaults()),
    }
}

fn check(s: &CenterSettings) -> ApiResult<()> {
    if s.dispositions.is_empty() {
        return Err(ApiError::invalid("dispositions", "at least one code"));
    }
    for (i, d) in s.dispositions.iter().enumerate() {
        let field = |f: &str| format!("dispositions[{i}].{f}");
        let ok = !d.code.is_empty()
            && d.code.len() <= 32
            && d.code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(ApiError::invalid(
                &field("code"),
                "1–32 lowercase letters, digits or `_`",
            ));
        }
        if s.dispositions[..i].iter().any(|o| o.code == d.code) {
            return Err(ApiError::invalid(&field("code"), "used twice"));
        }
        if d.name_zh.trim().is_empty() || d.name_zh.chars().count() > 40 {
            return Err(ApiError::invalid(&field("name_zh"), "1–40 characters"));
        }
        if d.name_en.trim().is_empty() || d.name_en.chars().count() > 60 {
            return Err(ApiError::invalid(&field("name_en"), "1–60 characters"));
        }
    }
    for (i, t) in s.thresholds.iter().enumerate() {
        let field = |f: &str| format!("thresholds[{i}].{f}");
        if !STATES.contains(&t.state.as_str()) {
            return Err(ApiError::invalid(
                &field("state"),
                format!("one of {}", STATES.join(", ")),
            ));
        }
        if s.thresholds[..i].iter().any(|o| o.state == t.state) {
            return Err(ApiError::invalid(&field("state"), "used twice"));
        }
        if t.amber_seconds == 0 || t.amber_seconds >= t.red_seconds {
            return Err(ApiError::invalid(
                &field("red_seconds"),
                "amber must be above 0 and below red",
            ));
        }
    }
    Ok(())
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
    check(&body)?;
    let mut data = json!(body);
    if let Some(o) = data.as_object_mut() {
        o.remove("version");
    }
    let item = state
        .store()
        .put_config(
            tenant,
            "settings",
            "center",
            &data,
            body.version,
            state.now_ms(),
        )
        .await?;
    super::audit(
        &state,
        &caller,
        "settings.update",
        "settings",
        "center",
        data,
    )
    .await?;
    let mut out = body;
    out.version = Some(item.version);
    Ok(Json(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_pass_their_own_check() {
        check(&defaults()).unwrap();
    }

    #[test]
    fn a_bad_threshold_names_its_field() {
        let mut s = defaults();
        s.thresholds[1].red_seconds = s.thresholds[1].amber_seconds;
        let e = check(&s).unwrap_err();
        assert_eq!(e.details["field"], "thresholds[1].red_seconds", "{e:?}");
        let mut s = defaults();
        s.dispositions[2].code = "repair".into();
        let e = check(&s).unwrap_err();
        assert_eq!(e.details["field"], "dispositions[2].code");
    }
}
