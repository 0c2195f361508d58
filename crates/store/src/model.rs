//! The rows, as Rust types, and the checks a row must pass before it is written.

use serde::{Deserialize, Serialize};

use crate::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TenantId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UserId(pub i64);

/// A company renting seats on the platform (托管).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    /// Short name used in URLs and logins, e.g. `water-96332`.
    pub slug: String,
    pub name: String,
    /// Agents who may be logged in at once.
    pub seat_quota: u32,
    pub sip_domain: String,
    /// IANA time zone, e.g. `Asia/Shanghai`.
    pub time_zone: String,
    /// `zh-CN` or `en`.
    pub locale: String,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTenant {
    pub slug: String,
    pub name: String,
    pub seat_quota: u32,
    pub sip_domain: String,
    pub time_zone: String,
    pub locale: String,
}

impl NewTenant {
    /// A tenant with the defaults a Chinese center expects: Asia/Shanghai, zh-CN.
    pub fn new(slug: &str, name: &str, seat_quota: u32, sip_domain: &str) -> NewTenant {
        NewTenant {
            slug: slug.into(),
            name: name.into(),
            seat_quota,
            sip_domain: sip_domain.into(),
            time_zone: "Asia/Shanghai".into(),
            locale: "zh-CN".into(),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), StoreError> {
        let slug_ok = !self.slug.is_empty()
            && self.slug.len() <= 63
            && self
                .slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        check("slug", slug_ok, "1–63 lowercase letters, digits or dashes")?;
        check("name", !self.name.trim().is_empty(), "must not be empty")?;
        check(
            "sip_domain",
            !self.sip_domain.is_empty() && !self.sip_domain.contains(char::is_whitespace),
            "must be a domain name",
        )?;
        check(
            "time_zone",
            self.time_zone.contains('/') || self.time_zone == "UTC",
            "must be an IANA time zone such as Asia/Shanghai",
        )?;
        check(
            "locale",
            matches!(self.locale.as_str(), "zh-CN" | "en"),
            "must be zh-CN or en",
        )
    }
}

/// What a user may do. Every endpoint checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the platform: creates tenants. Belongs to no tenant.
    PlatformAdmin,
    /// Configures one tenant's center.
    TenantAdmin,
    /// Team lead (班组长) and supervisors: the floor view, monitoring.
    Supervisor,
    /// Takes contacts (座席).
    Agent,
    /// Scores recordings (质检员).
    QualityInspector,
    /// Second-line expert (二线专家).
    Expert,
    /// Back-office handler (后台处理部门).
    BackOffice,
    /// Dealer (经销商): sees only their own leads.
    Dealer,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::PlatformAdmin,
        Role::TenantAdmin,
        Role::Supervisor,
        Role::Agent,
        Role::QualityInspector,
        Role::Expert,
        Role::BackOffice,
        Role::Dealer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::TenantAdmin => "tenant_admin",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
            Role::QualityInspector => "quality_inspector",
            Role::Expert => "expert",
            Role::BackOffice => "back_office",
            Role::Dealer => "dealer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    /// `None` for platform administrators.
    pub tenant: Option<TenantId>,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// A PHC string (argon2id); never the password.
    pub password_hash: String,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    pub tenant: Option<TenantId>,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
}

impl NewUser {
    pub(crate) fn validate(&self) -> Result<(), StoreError> {
        check(
            "username",
            !self.username.is_empty()
                && self.username.len() <= 64
                && !self.username.contains(char::is_whitespace),
            "1–64 characters without spaces",
        )?;
        check(
            "display_name",
            !self.display_name.trim().is_empty(),
            "must not be empty",
        )?;
        check(
            "password_hash",
            self.password_hash.starts_with('$'),
            "must be a PHC hash string, never a password",
        )?;
        check(
            "tenant",
            (self.role == Role::PlatformAdmin) == self.tenant.is_none(),
            "platform administrators belong to no tenant; every other user to one",
        )
    }
}

/// An event to append: `id` is the producer's, unique per tenant, and makes retries safe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    pub tenant: TenantId,
    pub id: String,
    pub at_ms: i64,
    /// E.g. `agent_state`, `call_answered`.
    pub kind: String,
    pub payload: serde_json::Value,
}

impl NewEvent {
    pub(crate) fn validate(&self) -> Result<(), StoreError> {
        check(
            "id",
            !self.id.is_empty() && self.id.len() <= 128,
            "1–128 characters",
        )?;
        check(
            "kind",
            !self.kind.is_empty() && self.kind.len() <= 64,
            "1–64 characters",
        )
    }
}

/// An event as the log holds it; `seq` orders the log and lets readers resume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub seq: i64,
    pub tenant: TenantId,
    pub id: String,
    pub at_ms: i64,
    pub kind: String,
    pub payload: serde_json::Value,
}

fn check(field: &'static str, ok: bool, reason: &str) -> Result<(), StoreError> {
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            field,
            reason: reason.into(),
        })
    }
}
