//! The handlers, one module per area. Each is registered in the route table
//! (`routes.rs`) and described for the OpenAPI document by its `#[utoipa::path]`.

pub mod agents;
pub mod audit;
pub mod calls;
pub mod cdrs;
pub mod config;
pub mod contacts;
pub mod customers;
pub mod dealers;
pub mod events;
pub mod floor;
pub mod imports;
pub mod incidents;
pub mod ivr_flows;
pub mod kb;
pub mod kb_work;
pub mod leads;
pub mod orders;
pub mod reports;
pub mod saved_reports;
pub mod session;
pub mod settings;
pub mod tenants;
pub mod users;

use serde_json::Value;
use store::AuditEntry;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

/// Writes an audit entry; a failure to audit fails the request (nothing unaudited happens).
pub async fn audit(
    state: &AppState,
    caller: &Caller,
    action: &str,
    target_kind: &str,
    target_id: impl ToString,
    detail: Value,
) -> ApiResult<()> {
    state
        .store()
        .append_audit(&AuditEntry {
            tenant: caller.user.tenant,
            at_ms: state.now_ms(),
            actor: Some(caller.user.id),
            action: action.into(),
            target_kind: target_kind.into(),
            target_id: target_id.to_string(),
            detail,
        })
        .await
        .map_err(ApiError::from)
}

/// A file's name for `Content-Disposition` as RFC 6266/5987 say: in UTF-8, percent-encoded
/// (`filename*=UTF-8''%E8%A1%A8…`), so a Chinese name survives and nothing is injected.
pub fn utf8_filename(name: &str) -> String {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("filename*=UTF-8''{encoded}")
}

/// Page sizes: 50 unless asked, at most 500.
pub fn limit(asked: Option<u32>) -> ApiResult<u32> {
    match asked {
        None => Ok(50),
        Some(n @ 1..=500) => Ok(n),
        Some(_) => Err(ApiError::invalid("limit", "1 to 500")),
    }
}

/// A WebSocket is opened only from a page of this site: a browser names the page's site in
/// `Origin`, and one that differs from the host asked is another site's page riding on the
/// user's cookies. Clients that are not browsers send no `Origin`.
pub fn same_site(headers: &axum::http::HeaderMap) -> ApiResult<()> {
    use axum::http::header::{HOST, ORIGIN};
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, host)| host.trim_end_matches('/'));
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    if origin_host.is_some() && origin_host == host {
        Ok(())
    } else {
        Err(ApiError::new(
            crate::error::Code::Forbidden,
            "a WebSocket opened from another site's page",
        ))
    }
}
