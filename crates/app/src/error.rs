//! The running center's errors, split into the caller's fault and ours; the HTTP edge maps
//! each to its table of codes.

use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A field of the request is wrong.
    #[error("`{field}` is invalid: {reason}")]
    Invalid { field: String, reason: String },
    /// Nothing with this id here (also for other tenants' ids).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Not possible in the state things are in (signing in without a routing profile,
    /// deleting a queue agents still take calls from).
    #[error("{0}")]
    InvalidState(String),
    /// Still referred to: the document of `kind` (`queue`, `agent`, `ivr_flow`) keyed `key`
    /// uses what was to be deleted.
    #[error("the {} `{key}` uses this {what}; change it first", kind.replace('_', " "))]
    InUse {
        kind: &'static str,
        key: String,
        what: &'static str,
    },
    /// The store refused or failed (a stale version, a duplicate, the seat quota, or ours).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Too many of these too fast (calls placed by one agent): try again later.
    #[error("{0}")]
    RateLimited(String),
    /// The contact policy does not let the center call this customer now (R2.4): why, and
    /// the first instant it may (none: not while this holds).
    #[error("{message}")]
    ContactRefused {
        reason: &'static str,
        until_ms: Option<i64>,
        message: String,
    },
    /// Ours: the center's task is gone (shutting down) or something that cannot happen did.
    #[error("{0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> AppError {
        AppError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// What the routing engine refused in a configuration: the field it names.
    pub fn engine_refused(e: acd::AcdError) -> AppError {
        match e {
            acd::AcdError::InvalidConfig { field, reason } => AppError::invalid(field, reason),
            other => AppError::invalid("body", other.to_string()),
        }
    }

    /// What the routing engine refused an agent's action: the state does not allow it.
    pub fn agent_refused(e: acd::AcdError) -> AppError {
        match e {
            acd::AcdError::UnknownAgent(_) => AppError::InvalidState(
                "you have no routing profile yet; ask an administrator to give you skills and \
                 queues"
                    .into(),
            ),
            other => AppError::InvalidState(other.to_string()),
        }
    }
}
