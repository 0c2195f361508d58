//! The API's one error type and its table of stable codes.
//!
//! Every error reaches the client as `{code, message, details}` with the status the code
//! maps to. Codes are stable (clients and the web UI translate them); messages are English
//! for people reading logs and curl output. Internal errors say nothing internal to the
//! client: the cause is logged here and the client gets `internal`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use store::StoreError;
use utoipa::ToSchema;

/// The stable error codes and their statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// A field of the request is wrong; `details.field` names it.
    InvalidInput,
    /// No session or token, or it has ended.
    Unauthenticated,
    /// Wrong user name or password (never says which).
    BadCredentials,
    /// Too many failed logins: the account is locked for a while.
    AccountLocked,
    /// Too many requests from one client.
    RateLimited,
    /// A cookie session's change without the CSRF token.
    CsrfFailed,
    /// The user's role does not allow this.
    Forbidden,
    /// Every seat the tenant rents is taken.
    SeatsFull,
    /// The platform has suspended the user's tenant.
    TenantSuspended,
    /// Nothing with this id here (also for other tenants' ids).
    NotFound,
    /// Something with this name already exists.
    AlreadyExists,
    /// Someone changed it first; `details.current_version` says to what.
    VersionConflict,
    /// Not possible in the state things are in (setting ready before signing in).
    InvalidState,
    PayloadTooLarge,
    UnsupportedMediaType,
    /// Our fault.
    Internal,
}

impl Code {
    pub const ALL: [Code; 16] = [
        Code::InvalidInput,
        Code::Unauthenticated,
        Code::BadCredentials,
        Code::AccountLocked,
        Code::RateLimited,
        Code::CsrfFailed,
        Code::Forbidden,
        Code::SeatsFull,
        Code::TenantSuspended,
        Code::NotFound,
        Code::AlreadyExists,
        Code::VersionConflict,
        Code::InvalidState,
        Code::PayloadTooLarge,
        Code::UnsupportedMediaType,
        Code::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidInput => "invalid_input",
            Code::Unauthenticated => "unauthenticated",
            Code::BadCredentials => "bad_credentials",
            Code::AccountLocked => "account_locked",
            Code::RateLimited => "rate_limited",
            Code::CsrfFailed => "csrf_failed",
            Code::Forbidden => "forbidden",
            Code::SeatsFull => "seats_full",
            Code::TenantSuspended => "tenant_suspended",
            Code::NotFound => "not_found",
            Code::AlreadyExists => "already_exists",
            Code::VersionConflict => "version_conflict",
            Code::InvalidState => "invalid_state",
            Code::PayloadTooLarge => "payload_too_large",
            Code::UnsupportedMediaType => "unsupported_media_type",
            Code::Internal => "internal",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Code::InvalidInput => StatusCode::BAD_REQUEST,
            Code::Unauthenticated | Code::BadCredentials => StatusCode::UNAUTHORIZED,
            Code::AccountLocked | Code::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Code::CsrfFailed | Code::Forbidden | Code::SeatsFull | Code::TenantSuspended => {
                StatusCode::FORBIDDEN
            }
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::AlreadyExists | Code::VersionConflict | Code::InvalidState => {
                StatusCode::CONFLICT
            }
            Code::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Code::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An error as the client sees it.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
    pub details: Value,
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable: `invalid_input`, `unauthenticated`, `bad_credentials`, `account_locked`,
    /// `rate_limited`, `csrf_failed`, `forbidden`, `seats_full`, `tenant_suspended`, `not_found`,
    /// `already_exists`, `version_conflict`, `invalid_state`, `payload_too_large`, `unsupported_media_type`,
    /// `internal`.
    pub code: String,
    pub message: String,
    /// E.g. `{"field": "name", "reason": "must not be empty"}`.
    #[schema(value_type = Object)]
    pub details: Value,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            details: json!({}),
        }
    }

    pub fn with_details(mut self, details: Value) -> ApiError {
        self.details = details;
        self
    }

    /// Bad input in `field`.
    pub fn invalid(field: &str, reason: impl Into<String>) -> ApiError {
        let reason = reason.into();
        ApiError::new(
            Code::InvalidInput,
            format!("`{field}` is invalid: {reason}"),
        )
        .with_details(json!({ "field": field, "reason": reason }))
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(Code::NotFound, format!("{what} not found"))
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(Code::Forbidden, "your role does not allow this")
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            Code::Unauthenticated,
            "log in first (or your session has ended)",
        )
    }

    /// Our fault: logs `cause`, tells the client nothing about it.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {cause}");
        ApiError::new(
            Code::Internal,
            "something went wrong on our side; it has been logged",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Invalid { field, reason } => ApiError::invalid(field, reason),
            StoreError::NotFound { what } => ApiError::not_found(what),
            StoreError::Conflict { what } => {
                ApiError::new(Code::AlreadyExists, format!("{what} already exists"))
            }
            StoreError::Stale { what, current } => ApiError::new(
                Code::VersionConflict,
                format!(
                    "{what} was changed by someone else (now version {current}); reload and \
                     apply your change again"
                ),
            )
            .with_details(json!({ "current_version": current })),
            StoreError::SeatsFull { quota } => ApiError::new(
                Code::SeatsFull,
                format!(
                    "all {quota} seats of this center are in use; ask an administrator to free \
                     a seat or to rent more"
                ),
            )
            .with_details(json!({ "quota": quota })),
            e @ (StoreError::Database(_) | StoreError::Migration(_)) => ApiError::internal(e),
        }
    }
}

impl From<app::AppError> for ApiError {
    fn from(e: app::AppError) -> ApiError {
        match e {
            app::AppError::Invalid { field, reason } => ApiError::invalid(&field, reason),
            app::AppError::NotFound(what) => ApiError::not_found(what),
            app::AppError::InvalidState(why) => ApiError::new(Code::InvalidState, why),
            app::AppError::InUse { kind, key, what } => {
                let details = json!({ "reason": "in_use", "by_kind": kind, "by_key": key });
                let text = app::AppError::InUse { kind, key, what }.to_string();
                ApiError::new(Code::InvalidState, text).with_details(details)
            }
            app::AppError::RateLimited(why) => ApiError::new(Code::RateLimited, why),
            app::AppError::ContactRefused {
                reason,
                until_ms,
                message,
            } => {
                let mut e = ApiError::new(Code::InvalidState, message);
                e.details = serde_json::json!({"contact_policy": reason, "until_ms": until_ms});
                e
            }
            app::AppError::Store(e) => ApiError::from(e),
            app::AppError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code.as_str().into(),
            message: self.message,
            details: self.details,
        };
        (self.code.status(), Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
