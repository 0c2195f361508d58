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
    /// When the platform suspended it; `None` while it is active.
    pub suspended_at_ms: Option<i64>,
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

/// A tenant's name: 1 to 100 characters.
pub(crate) fn check_tenant_name(name: &str) -> Result<(), StoreError> {
    check("name", !name.trim().is_empty(), "must not be empty")?;
    check(
        "name",
        name.chars().count() <= 100 && !name.chars().any(char::is_control),
        "at most 100 characters",
    )
}

/// A SIP domain: a host name, up to 253 visible ASCII characters.
pub(crate) fn check_sip_domain(domain: &str) -> Result<(), StoreError> {
    check(
        "sip_domain",
        !domain.is_empty() && domain.len() <= 253 && domain.bytes().all(|b| b.is_ascii_graphic()),
        "must be a domain name",
    )
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

    /// The checks the store makes before writing; callers may make them first.
    pub fn validate(&self) -> Result<(), StoreError> {
        let slug_ok = !self.slug.is_empty()
            && self.slug.len() <= 63
            && self
                .slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        check("slug", slug_ok, "1–63 lowercase letters, digits or dashes")?;
        check_tenant_name(&self.name)?;
        check_sip_domain(&self.sip_domain)?;
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
    /// A deactivated user cannot log in; their history stays.
    pub active: bool,
    pub version: i64,
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
    /// The checks the store makes before writing; callers may make them first.
    pub fn validate(&self) -> Result<(), StoreError> {
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
    /// The work order as this event leaves it, written with the event in one transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Box<crate::OrderRow>>,
    /// The sales lead as this event leaves it, written with the event in one transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<Box<crate::LeadRow>>,
}

impl NewEvent {
    pub(crate) fn validate(&self) -> Result<(), StoreError> {
        self.validate_order()?;
        self.validate_lead()?;
        check(
            "id",
            !self.id.is_empty() && self.id.len() <= 128,
            "1–128 characters",
        )?;
        check(
            "kind",
            !self.kind.is_empty() && self.kind.len() <= 64,
            "1–64 characters",
        )?;
        // PostgreSQL's jsonb holds no U+0000: such an event could never be written, and
        // retrying it would stall every event behind it.
        check(
            "payload",
            !has_nul(&self.payload) && !self.id.contains('\0') && !self.kind.contains('\0'),
            "no NUL characters (U+0000)",
        )
    }
}

pub(crate) fn has_nul(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, x)| k.contains('\0') || has_nul(x)),
        _ => false,
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

pub(crate) fn check(field: &'static str, ok: bool, reason: &str) -> Result<(), StoreError> {
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            field,
            reason: reason.into(),
        })
    }
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// How a session was opened: a browser's cookie (which needs the CSRF token on every change)
/// or an API client's bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    Cookie,
    Bearer,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Cookie => "cookie",
            SessionKind::Bearer => "bearer",
        }
    }
}

/// A session or API token. The store keeps only the hash of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user: UserId,
    pub tenant: Option<TenantId>,
    pub kind: SessionKind,
    pub csrf: String,
    pub label: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// `None` for platform-level actions.
    pub tenant: Option<TenantId>,
    pub at_ms: i64,
    pub actor: Option<UserId>,
    /// E.g. `user.create`, `customer.view_protected`.
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAudit {
    pub id: i64,
    #[serde(flatten)]
    pub entry: AuditEntry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CustomerId(pub i64);

/// Customer segments (客户细分) that decide routing priority and care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    /// 大客户
    LargeAccount,
    /// 特殊客户
    Special,
    /// 异常客户
    Abnormal,
    /// 弱势群体
    Vulnerable,
    #[default]
    General,
}

impl Segment {
    pub const ALL: [Segment; 5] = [
        Segment::LargeAccount,
        Segment::Special,
        Segment::Abnormal,
        Segment::Vulnerable,
        Segment::General,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Segment::LargeAccount => "large_account",
            Segment::Special => "special",
            Segment::Abnormal => "abnormal",
            Segment::Vulnerable => "vulnerable",
            Segment::General => "general",
        }
    }

    pub fn parse(s: &str) -> Option<Segment> {
        Segment::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Its Chinese name, as sheets and reports show it.
    pub fn zh(self) -> &'static str {
        match self {
            Segment::LargeAccount => "大客户",
            Segment::Special => "特殊客户",
            Segment::Abnormal => "异常客户",
            Segment::Vulnerable => "弱势群体",
            Segment::General => "普通",
        }
    }
}

/// A telephone number of a customer's, already in normal form (see the `phone` crate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPhone {
    pub number: String,
    /// E.g. `mobile`, `home`, `office`.
    #[serde(default)]
    pub label: String,
}

/// An address; dealers are assigned by region (province / city / district).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    #[serde(default)]
    pub province: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub line: String,
    /// E.g. `home`, `installation`, `billing`.
    #[serde(default)]
    pub label: String,
}

/// What a customer is, as written by the people who serve them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerData {
    pub name: String,
    pub phones: Vec<CustomerPhone>,
    pub emails: Vec<String>,
    pub addresses: Vec<Address>,
    pub segment: Segment,
    /// 1 (lowest) to 5.
    pub level: u8,
    /// E.g. `verified`, `pending`, `none`.
    pub qualification: String,
    /// National ID or company registration number: protected personal data.
    pub id_number: Option<String>,
    pub blacklisted: bool,
    pub blacklist_reason: String,
    pub notes: String,
}

impl CustomerData {
    /// The checks the store makes before writing; callers may make them first.
    pub fn validate(&self) -> Result<(), StoreError> {
        check("name", !self.name.trim().is_empty(), "must not be empty")?;
        check(
            "name",
            self.name.chars().count() <= 200,
            "at most 200 characters",
        )?;
        check(
            "phones",
            self.phones.iter().all(|p| !p.number.is_empty()),
            "numbers must not be empty",
        )?;
        check(
            "emails",
            self.emails.iter().all(|e| e.contains('@')),
            "must be e-mail addresses",
        )?;
        check("level", (1..=5).contains(&self.level), "must be 1 to 5")?;
        check(
            "blacklist_reason",
            !self.blacklisted || !self.blacklist_reason.trim().is_empty(),
            "a blacklisted customer needs a reason",
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    pub tenant: TenantId,
    #[serde(flatten)]
    pub data: CustomerData,
    /// Set when this record was merged into another; it then stays only for the audit trail
    /// and for undoing the merge.
    pub merged_into: Option<CustomerId>,
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// The departments that contribute a facet of a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Department {
    /// Bank details: protected.
    Finance,
    /// Contracts.
    Legal,
    /// Purchases.
    Sales,
    /// Devices and installation addresses.
    Service,
}

impl Department {
    pub const ALL: [Department; 4] = [
        Department::Finance,
        Department::Legal,
        Department::Sales,
        Department::Service,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Department::Finance => "finance",
            Department::Legal => "legal",
            Department::Sales => "sales",
            Department::Service => "service",
        }
    }

    pub fn parse(s: &str) -> Option<Department> {
        Department::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facet {
    pub department: Department,
    pub data: serde_json::Value,
    pub version: i64,
    pub updated_at_ms: i64,
}
