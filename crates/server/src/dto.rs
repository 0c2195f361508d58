//! Wire types: what the API reads and writes, converted by hand from the store's types so
//! that a change of storage never changes the contract by accident.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::{Customer, Facet, StoredAudit, StoredEvent, Tenant, User};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The tenant's slug; leave out for a platform administrator.
    pub tenant: Option<String>,
    pub username: String,
    pub password: String,
    /// `cookie` (default) for a browser, `bearer` for an API client, which gets a token.
    #[serde(default)]
    pub mode: LoginMode,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoginMode {
    #[default]
    Cookie,
    Bearer,
}

/// Who is logged in, and what they may do.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    pub user: UserDto,
    pub tenant: Option<TenantDto>,
    pub permissions: Vec<String>,
    /// Send back in `x-csrf-token` on every change made with the session cookie.
    pub csrf_token: Option<String>,
    /// Only in the response to a `bearer` login or a token request: shown once.
    pub token: Option<String>,
    pub expires_at_ms: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// What the token is for, e.g. `CRM sync`.
    pub label: String,
    /// 1 to 365; 90 if left out.
    pub days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: i64,
    pub tenant_id: Option<i64>,
    pub username: String,
    pub display_name: String,
    /// `platform_admin`, `tenant_admin`, `supervisor`, `agent`, `quality_inspector`,
    /// `expert`, `back_office`, `dealer`.
    pub role: String,
    pub active: bool,
    pub version: i64,
    pub created_at_ms: i64,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> UserDto {
        UserDto {
            id: u.id.0,
            tenant_id: u.tenant.map(|t| t.0),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.as_str().into(),
            active: u.active,
            version: u.version,
            created_at_ms: u.created_at_ms,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// The version you read: a stale one gets 409.
    pub version: i64,
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantDto {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub seat_quota: u32,
    pub sip_domain: String,
    pub time_zone: String,
    pub locale: String,
    pub created_at_ms: i64,
    /// Suspended by the platform: its users cannot log in, its phones cannot register.
    pub suspended: bool,
    pub suspended_at_ms: Option<i64>,
}

/// What a tenant uses of what it rents.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantUsage {
    pub seat_quota: u32,
    /// Active users, and of them those with a routing profile (who take calls).
    pub users: usize,
    pub agents: usize,
    /// Agents signed in to their queues now (seats in use).
    pub signed_in: usize,
    /// Calls that ended in the last 24 hours, and their talk time in minutes.
    pub calls_24h: usize,
    pub talk_minutes_24h: i64,
}

impl From<&Tenant> for TenantDto {
    fn from(t: &Tenant) -> TenantDto {
        TenantDto {
            id: t.id.0,
            slug: t.slug.clone(),
            name: t.name.clone(),
            seat_quota: t.seat_quota,
            sip_domain: t.sip_domain.clone(),
            time_zone: t.time_zone.clone(),
            locale: t.locale.clone(),
            created_at_ms: t.created_at_ms,
            suspended: t.suspended_at_ms.is_some(),
            suspended_at_ms: t.suspended_at_ms,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenantRequest {
    pub slug: String,
    pub name: String,
    pub seat_quota: u32,
    pub sip_domain: String,
    /// IANA zone; `Asia/Shanghai` if left out.
    pub time_zone: Option<String>,
    /// `zh-CN` (default) or `en`.
    pub locale: Option<String>,
    /// The tenant's first administrator, created with it.
    pub admin: Option<FirstAdmin>,
    /// The numbers callers dial to reach it: `+86 571 96332`, `96332`, `400 820 8820`.
    pub numbers: Option<Vec<String>>,
}

/// What a platform administrator may change about a tenant; fields left out stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantPatch {
    pub name: Option<String>,
    /// Seats rented: how many agents may be logged in at once.
    pub seat_quota: Option<u32>,
    /// Suspend (its users are logged out and cannot log in, its phones cannot register, its
    /// numbers are not answered) or resume.
    pub suspended: Option<bool>,
    /// The domain its phones register to. Changed, every phone needs its SIP password set
    /// again (what is kept of a password is made with the domain).
    pub sip_domain: Option<String>,
}

/// The numbers callers dial to reach a tenant, normalised (E.164, or a service number's
/// digits).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantNumbers {
    pub numbers: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstAdmin {
    pub username: String,
    pub display_name: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneDto {
    /// As typed; stored normalised (E.164, or the digits of a short service number).
    pub number: String,
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressDto {
    #[serde(default)]
    pub province: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub line: String,
    #[serde(default)]
    pub label: String,
}

/// A customer as written by a client (create, or replace with `version`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    /// Required when replacing: the version you read.
    pub version: Option<i64>,
    pub name: String,
    #[serde(default)]
    pub phones: Vec<PhoneDto>,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub addresses: Vec<AddressDto>,
    /// `large_account` (大客户), `special` (特殊), `abnormal` (异常), `vulnerable` (弱势群体),
    /// `general` (default).
    pub segment: Option<String>,
    /// 1 to 5; 3 if left out.
    pub level: Option<u8>,
    pub qualification: Option<String>,
    /// National ID or company registration number; shown masked afterwards.
    pub id_number: Option<String>,
    #[serde(default)]
    pub blacklisted: bool,
    #[serde(default)]
    pub blacklist_reason: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerDto {
    pub id: i64,
    pub name: String,
    pub phones: Vec<PhoneDto>,
    pub emails: Vec<String>,
    pub addresses: Vec<AddressDto>,
    pub segment: String,
    pub level: u8,
    pub qualification: String,
    /// Masked (`330106********0022`); the whole number is behind `/protected`.
    pub id_number: Option<String>,
    pub blacklisted: bool,
    pub blacklist_reason: String,
    pub notes: String,
    pub merged_into: Option<i64>,
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl From<&Customer> for CustomerDto {
    fn from(c: &Customer) -> CustomerDto {
        let d = &c.data;
        CustomerDto {
            id: c.id.0,
            name: d.name.clone(),
            phones: d
                .phones
                .iter()
                .map(|p| PhoneDto {
                    number: p.number.clone(),
                    label: p.label.clone(),
                })
                .collect(),
            emails: d.emails.clone(),
            addresses: d
                .addresses
                .iter()
                .map(|a| AddressDto {
                    province: a.province.clone(),
                    city: a.city.clone(),
                    district: a.district.clone(),
                    line: a.line.clone(),
                    label: a.label.clone(),
                })
                .collect(),
            segment: d.segment.as_str().into(),
            level: d.level,
            qualification: d.qualification.clone(),
            id_number: d.id_number.as_deref().map(mask_id),
            blacklisted: d.blacklisted,
            blacklist_reason: d.blacklist_reason.clone(),
            notes: d.notes.clone(),
            merged_into: c.merged_into.map(|m| m.0),
            version: c.version,
            created_at_ms: c.created_at_ms,
            updated_at_ms: c.updated_at_ms,
        }
    }
}

/// Keeps the first six and the last four characters.
pub fn mask_id(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let n = chars.len();
    chars[..6]
        .iter()
        .chain(std::iter::repeat_n(&'*', n - 10))
        .chain(&chars[n - 4..])
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerPage {
    pub items: Vec<CustomerDto>,
    /// Pass as `after` for the next page; absent on the last.
    pub next_after: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LookupResult {
    /// The number as normalised.
    pub number: String,
    pub customers: Vec<CustomerDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FacetDto {
    /// `finance`, `legal`, `sales`, `service`.
    pub department: String,
    #[schema(value_type = Object)]
    pub data: Value,
    /// True when values were hidden because the role may not see them.
    pub masked: bool,
    pub version: i64,
    pub updated_at_ms: i64,
}

impl FacetDto {
    pub fn new(f: &Facet, mask: bool) -> FacetDto {
        FacetDto {
            department: f.department.as_str().into(),
            data: if mask {
                mask_values(&f.data)
            } else {
                f.data.clone()
            },
            masked: mask,
            version: f.version,
            updated_at_ms: f.updated_at_ms,
        }
    }
}

/// Every string and number replaced by a mask that keeps at most its last four characters.
fn mask_values(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(mask_tail(s)),
        Value::Number(n) => Value::String(mask_tail(&n.to_string())),
        Value::Array(a) => Value::Array(a.iter().map(mask_values).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), mask_values(v))).collect())
        }
        other => other.clone(),
    }
}

fn mask_tail(s: &str) -> String {
    let n = s.chars().count();
    if n <= 4 {
        return "*".repeat(n);
    }
    let tail: String = s.chars().skip(n - 4).collect();
    format!("{}{tail}", "*".repeat(n - 4))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FacetInput {
    /// Leave out to create the facet; the version you read to change it.
    pub version: Option<i64>,
    #[schema(value_type = Object)]
    pub data: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProtectedData {
    pub id_number: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub finance: Option<Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The duplicate to fold into this customer.
    pub absorbed_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MergeResult {
    /// Pass to `/api/customer-merges/{merge_id}/undo` to undo.
    pub merge_id: i64,
    pub customer: CustomerDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UndoMergeResult {
    pub kept: CustomerDto,
    pub restored: CustomerDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditDto {
    pub id: i64,
    pub at_ms: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    #[schema(value_type = Object)]
    pub detail: Value,
}

impl From<&StoredAudit> for AuditDto {
    fn from(a: &StoredAudit) -> AuditDto {
        AuditDto {
            id: a.id,
            at_ms: a.entry.at_ms,
            actor_id: a.entry.actor.map(|u| u.0),
            action: a.entry.action.clone(),
            target_kind: a.entry.target_kind.clone(),
            target_id: a.entry.target_id.clone(),
            detail: a.entry.detail.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    /// The log's order; resume after it.
    pub seq: i64,
    pub id: String,
    pub at_ms: i64,
    pub kind: String,
    #[schema(value_type = Object)]
    pub payload: Value,
}

impl From<&StoredEvent> for EventDto {
    fn from(e: &StoredEvent) -> EventDto {
        EventDto {
            seq: e.seq,
            id: e.id.clone(),
            at_ms: e.at_ms,
            kind: e.kind.clone(),
            payload: e.payload.clone(),
        }
    }
}
