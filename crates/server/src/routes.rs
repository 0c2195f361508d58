//! The route table: every endpoint, the permission it needs, and an example body. The
//! router is built from it, and the generated tests (tenant isolation, the role matrix,
//! bad input, the OpenAPI document covering every route) iterate over it.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use serde_json::{Value, json};

use crate::api::{
    agents, audit, calls, cdrs, config, customers, dealers, events, floor, imports, incidents,
    ivr_flows, kb, kb_work, orders, reports, saved_reports, session, settings, tenants, users,
};
use crate::error::ApiError;
use crate::perm::Perm;
use crate::{AppState, auth};

pub struct Endpoint {
    pub method: Method,
    /// axum's syntax: `/api/customers/{customer_id}`. Path parameters are named after what
    /// they identify, so the generated tests know which fixture to put there.
    pub path: &'static str,
    /// `None` for the few public endpoints (login, the OpenAPI document).
    pub perm: Option<Perm>,
    /// A valid body for endpoints that take one; `"{customer_id}"`-style strings stand for
    /// ids the tests fill in.
    pub example: Option<Value>,
    handler: MethodRouter<AppState>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

fn ep(
    method: Method,
    path: &'static str,
    perm: Option<Perm>,
    example: Option<Value>,
    handler: MethodRouter<AppState>,
) -> Endpoint {
    Endpoint {
        method,
        path,
        perm,
        example,
        handler,
    }
}

fn saved_report_example() -> Value {
    json!({
        "name": "队列日报 Daily by queue",
        "spec": {"dim": "queue", "by": "day", "range": "yesterday",
                 "metrics": ["offered", "answered", "service_level"],
                 "schedule": {"every": "day", "at": "07:00"}}
    })
}

fn customer_example() -> Value {
    json!({
        "name": "张伟",
        "phones": [{"number": "138 1234 5678", "label": "mobile"}],
        "emails": ["zhang.wei@example.com"],
        "addresses": [{"province": "浙江省", "city": "杭州市", "district": "西湖区",
                       "line": "文三路 90 号", "label": "installation"}],
        "segment": "large_account",
        "level": 4,
    })
}

pub fn table() -> Vec<Endpoint> {
    use Method as M;
    use Perm::*;
    let mut replace = customer_example();
    replace["version"] = json!(1);
    vec![
        ep(M::GET, "/api/openapi.json", None, None, get(openapi)),
        ep(
            M::POST,
            "/api/auth/login",
            None,
            Some(json!({"tenant": "water", "username": "agent", "password": "wrong-password"})),
            post(session::login),
        ),
        ep(
            M::POST,
            "/api/auth/logout",
            Some(Session),
            None,
            post(session::logout),
        ),
        ep(
            M::GET,
            "/api/auth/session",
            Some(Session),
            None,
            get(session::current),
        ),
        ep(
            M::POST,
            "/api/auth/password",
            Some(Session),
            Some(json!({"current_password": "wrong-password", "new_password": "new-password-1"})),
            post(session::change_password),
        ),
        ep(
            M::POST,
            "/api/auth/tokens",
            Some(Session),
            Some(json!({"label": "CRM sync", "days": 30})),
            post(session::create_token),
        ),
        ep(
            M::GET,
            "/api/tenants",
            Some(ManageTenants),
            None,
            get(tenants::list),
        ),
        ep(
            M::POST,
            "/api/tenants",
            Some(ManageTenants),
            Some(
                json!({"slug": "gas-96777", "name": "燃气热线", "seat_quota": 30,
                        "sip_domain": "gas.example"}),
            ),
            post(tenants::create),
        ),
        ep(
            M::GET,
            "/api/tenants/{tenant_id}",
            Some(ManageTenants),
            None,
            get(tenants::get),
        ),
        ep(
            M::PATCH,
            "/api/tenants/{tenant_id}",
            Some(ManageTenants),
            Some(json!({"seat_quota": 40})),
            patch(tenants::update),
        ),
        ep(
            M::GET,
            "/api/tenants/{tenant_id}/usage",
            Some(ManageTenants),
            None,
            get(tenants::usage),
        ),
        ep(
            M::GET,
            "/api/tenants/{tenant_id}/numbers",
            Some(ManageTenants),
            None,
            get(tenants::numbers),
        ),
        ep(
            M::PUT,
            "/api/tenants/{tenant_id}/numbers",
            Some(ManageTenants),
            Some(json!({"numbers": ["+86 571 96332", "96332"]})),
            put(tenants::set_numbers),
        ),
        ep(
            M::GET,
            "/api/users",
            Some(ManageUsers),
            None,
            get(users::list),
        ),
        ep(
            M::POST,
            "/api/users",
            Some(ManageUsers),
            Some(
                json!({"username": "new-agent", "display_name": "新座席", "role": "agent",
                        "password": "secret-password"}),
            ),
            post(users::create),
        ),
        ep(
            M::GET,
            "/api/users/{user_id}",
            Some(ManageUsers),
            None,
            get(users::get),
        ),
        ep(
            M::PATCH,
            "/api/users/{user_id}",
            Some(ManageUsers),
            Some(json!({"version": 1, "display_name": "改名"})),
            patch(users::update),
        ),
        ep(
            M::POST,
            "/api/users/{user_id}/password",
            Some(ManageUsers),
            Some(json!({"password": "another-password"})),
            post(users::reset_password),
        ),
        ep(
            M::GET,
            "/api/audit",
            Some(ViewAudit),
            None,
            get(audit::list),
        ),
        ep(
            M::GET,
            "/api/customers",
            Some(ViewCustomers),
            None,
            get(customers::list),
        ),
        ep(
            M::POST,
            "/api/customers",
            Some(EditCustomers),
            Some(customer_example()),
            post(customers::create),
        ),
        ep(
            M::POST,
            "/api/customers/imports",
            Some(ImportExport),
            None,
            post(imports::upload).layer(DefaultBodyLimit::max(20 << 20)),
        ),
        ep(
            M::GET,
            "/api/customers/imports/{import_id}",
            Some(ImportExport),
            None,
            get(imports::status),
        ),
        ep(
            M::POST,
            "/api/customers/imports/{import_id}/check",
            Some(ImportExport),
            Some(json!({"mapping": {"姓名": "name", "手机": "phone"}})),
            post(imports::check),
        ),
        ep(
            M::POST,
            "/api/customers/imports/{import_id}/commit",
            Some(ImportExport),
            Some(json!({"mapping": {"姓名": "name", "手机": "phone"}, "mode": "skip_invalid"})),
            post(imports::commit),
        ),
        ep(
            M::GET,
            "/api/customers/export",
            Some(ImportExport),
            None,
            get(imports::export),
        ),
        ep(
            M::GET,
            "/api/customers/lookup",
            Some(ViewCustomers),
            None,
            get(customers::lookup),
        ),
        ep(
            M::GET,
            "/api/customers/{customer_id}",
            Some(ViewCustomers),
            None,
            get(customers::get),
        ),
        ep(
            M::PUT,
            "/api/customers/{customer_id}",
            Some(EditCustomers),
            Some(replace),
            put(customers::replace),
        ),
        ep(
            M::GET,
            "/api/customers/{customer_id}/protected",
            Some(ViewProtected),
            None,
            get(customers::protected),
        ),
        ep(
            M::GET,
            "/api/customers/{customer_id}/facets",
            Some(ViewCustomers),
            None,
            get(customers::facets),
        ),
        ep(
            M::PUT,
            "/api/customers/{customer_id}/facets/{department}",
            Some(EditCustomers),
            Some(json!({"data": {"devices": ["水表 DN20"]}})),
            put(customers::put_facet),
        ),
        ep(
            M::GET,
            "/api/customers/{customer_id}/timeline",
            Some(ViewCustomers),
            None,
            get(customers::timeline),
        ),
        ep(
            M::GET,
            "/api/customers/{customer_id}/duplicates",
            Some(MergeCustomers),
            None,
            get(customers::duplicates),
        ),
        ep(
            M::POST,
            "/api/customers/{customer_id}/merge",
            Some(MergeCustomers),
            Some(json!({"absorbed_id": "{other_customer_id}"})),
            post(customers::merge),
        ),
        ep(
            M::POST,
            "/api/customer-merges/{merge_id}/undo",
            Some(MergeCustomers),
            None,
            post(customers::undo_merge),
        ),
        ep(
            M::GET,
            "/api/skills",
            Some(ViewConfig),
            None,
            get(config::list_skills),
        ),
        ep(
            M::POST,
            "/api/skills",
            Some(ManageConfig),
            Some(json!({"key": "leak", "name": "漏水 Leaks"})),
            post(config::create_skill),
        ),
        ep(
            M::PUT,
            "/api/skills/{skill_key}",
            Some(ManageConfig),
            Some(json!({"version": 1, "name": "报修 Repairs"})),
            put(config::update_skill),
        ),
        ep(
            M::DELETE,
            "/api/skills/{skill_key}",
            Some(ManageConfig),
            None,
            delete(config::delete_skill),
        ),
        ep(
            M::GET,
            "/api/queues",
            Some(ViewConfig),
            None,
            get(config::list_queues),
        ),
        ep(
            M::POST,
            "/api/queues",
            Some(ManageConfig),
            Some(
                json!({"key": "leak-queue", "name": "漏水专线", "skills": [{"skill": "{skill_key}", "min": 3}],
                        "strategy": "longest_idle", "wrap_up": 15, "max_wait": 300,
                        "overflow": {"to": "queue", "queue": "{queue_key}"}}),
            ),
            post(config::create_queue),
        ),
        ep(
            M::PUT,
            "/api/queues/{queue_key}",
            Some(ManageConfig),
            Some(
                json!({"version": 1, "name": "报修", "skills": [{"skill": "{skill_key}", "min": 5}],
                        "relax": [{"after": 30, "min_proficiency": 2}], "ring_timeout": 15}),
            ),
            put(config::update_queue),
        ),
        ep(
            M::DELETE,
            "/api/queues/{queue_key}",
            Some(ManageConfig),
            None,
            delete(config::delete_queue),
        ),
        ep(
            M::GET,
            "/api/queues/status",
            Some(ViewFloor),
            None,
            get(config::queue_status),
        ),
        ep(
            M::GET,
            "/api/calendars",
            Some(ViewConfig),
            None,
            get(config::list_calendars),
        ),
        ep(
            M::POST,
            "/api/calendars",
            Some(ManageConfig),
            Some(
                json!({"key": "office-hours", "name": "工作时间", "cn_statutory": true,
                        "weekly": [["08:30-12:00", "13:00-17:30"], ["08:30-12:00", "13:00-17:30"],
                                   ["08:30-12:00", "13:00-17:30"], ["08:30-12:00", "13:00-17:30"],
                                   ["08:30-12:00", "13:00-17:30"], ["09:00-12:00"], []]}),
            ),
            post(config::create_calendar),
        ),
        ep(
            M::PUT,
            "/api/calendars/{calendar_key}",
            Some(ManageConfig),
            Some(
                json!({"version": 1, "name": "全天", "weekly": [["00:00-24:00"], ["00:00-24:00"],
                        ["00:00-24:00"], ["00:00-24:00"], ["00:00-24:00"], ["00:00-24:00"], ["00:00-24:00"]]}),
            ),
            put(config::update_calendar),
        ),
        ep(
            M::DELETE,
            "/api/calendars/{calendar_key}",
            Some(ManageConfig),
            None,
            delete(config::delete_calendar),
        ),
        ep(
            M::GET,
            "/api/calendars/{calendar_key}/status",
            Some(ViewConfig),
            None,
            get(config::calendar_status),
        ),
        ep(
            M::GET,
            "/api/teams",
            Some(ViewConfig),
            None,
            get(config::list_teams),
        ),
        ep(
            M::POST,
            "/api/teams",
            Some(ManageConfig),
            Some(json!({"key": "night", "name": "夜班", "members": ["{user_id}"]})),
            post(config::create_team),
        ),
        ep(
            M::PUT,
            "/api/teams/{team_key}",
            Some(ManageConfig),
            Some(json!({"version": 1, "name": "早班", "members": ["{user_id}"]})),
            put(config::update_team),
        ),
        ep(
            M::DELETE,
            "/api/teams/{team_key}",
            Some(ManageConfig),
            None,
            delete(config::delete_team),
        ),
        ep(
            M::GET,
            "/api/agents/{user_id}/profile",
            Some(ViewConfig),
            None,
            get(config::get_agent),
        ),
        ep(
            M::PUT,
            "/api/agents/{user_id}/profile",
            Some(ManageConfig),
            Some(
                json!({"version": 1, "extension": "8001", "skills": [{"skill": "{skill_key}", "proficiency": 7}],
                        "queues": ["{queue_key}"]}),
            ),
            put(config::put_agent),
        ),
        ep(
            M::DELETE,
            "/api/agents/{user_id}/profile",
            Some(ManageConfig),
            None,
            delete(config::delete_agent),
        ),
        ep(
            M::GET,
            "/api/agents",
            Some(ViewFloor),
            None,
            get(agents::floor),
        ),
        ep(
            M::GET,
            "/api/agents/{user_id}/history",
            Some(ViewFloor),
            None,
            get(agents::history),
        ),
        ep(
            M::GET,
            "/api/me/agent",
            Some(TakeContacts),
            None,
            get(agents::me),
        ),
        ep(
            M::POST,
            "/api/me/agent/login",
            Some(TakeContacts),
            None,
            post(agents::login),
        ),
        ep(
            M::POST,
            "/api/me/agent/logout",
            Some(TakeContacts),
            None,
            post(agents::logout),
        ),
        ep(
            M::POST,
            "/api/me/agent/state",
            Some(TakeContacts),
            Some(json!({"state": "not_ready", "reason": "break"})),
            post(agents::change),
        ),
        ep(
            M::GET,
            "/api/ivr-flows",
            Some(ViewConfig),
            None,
            get(ivr_flows::list),
        ),
        ep(
            M::POST,
            "/api/ivr-flows",
            Some(ManageConfig),
            Some(
                json!({"key": "main", "name": "主菜单", "flow": {"start": "welcome", "nodes": {
                "welcome": {"type": "menu", "prompt": "tts:报修请按1", "options": {"1": "repairs"}, "fallback": "repairs"},
                "repairs": {"type": "queue", "queue": "{queue_key}"}}}}),
            ),
            post(ivr_flows::create),
        ),
        ep(
            M::PUT,
            "/api/ivr-flows/{flow_key}",
            Some(ManageConfig),
            Some(
                json!({"version": 1, "name": "主菜单", "flow": {"start": "q", "nodes": {
                "q": {"type": "queue", "queue": "{queue_key}"}}}}),
            ),
            put(ivr_flows::update),
        ),
        ep(
            M::DELETE,
            "/api/ivr-flows/{flow_key}",
            Some(ManageConfig),
            None,
            delete(ivr_flows::delete),
        ),
        ep(
            M::GET,
            "/api/ivr-flows/{flow_key}/versions",
            Some(ViewConfig),
            None,
            get(ivr_flows::versions),
        ),
        ep(
            M::GET,
            "/api/calendar-holidays",
            Some(ViewConfig),
            None,
            get(config::statutory),
        ),
        ep(
            M::POST,
            "/api/ivr-flows/{flow_key}/try",
            Some(ViewConfig),
            Some(json!({"keys": "1", "vars": {"segment": "general"}, "open": true})),
            post(ivr_flows::try_call),
        ),
        ep(
            M::POST,
            "/api/me/calls",
            Some(TakeContacts),
            Some(json!({"number": "138 1234 5678", "customer_id": "{customer_id}"})),
            post(calls::place),
        ),
        ep(
            M::POST,
            "/api/calls/{call_id}/dial",
            Some(TakeContacts),
            None,
            post(calls::dial_task),
        ),
        ep(
            M::POST,
            "/api/calls/{call_id}/transfer",
            Some(TakeContacts),
            Some(json!({"to": "{queue_key}"})),
            post(calls::transfer),
        ),
        ep(
            M::POST,
            "/api/calls/{call_id}/consult",
            Some(TakeContacts),
            Some(json!({"to": "1002"})),
            post(calls::consult),
        ),
        ep(
            M::POST,
            "/api/calls/{call_id}/consult/complete",
            Some(TakeContacts),
            None,
            post(calls::consult_complete),
        ),
        ep(
            M::POST,
            "/api/calls/{call_id}/consult/cancel",
            Some(TakeContacts),
            None,
            post(calls::consult_cancel),
        ),
        ep(
            M::POST,
            "/api/calls/{call_id}/hold",
            Some(TakeContacts),
            Some(json!({"on": true})),
            post(calls::hold),
        ),
        ep(
            M::POST,
            "/api/calls/{call_id}/wrap-up",
            Some(TakeContacts),
            Some(
                json!({"disposition": "repair", "notes": "水表漏水，已派单", "customer_id": null}),
            ),
            post(calls::wrap_up),
        ),
        ep(
            M::POST,
            "/api/me/agent/wrap-up",
            Some(TakeContacts),
            Some(json!({"action": "extend", "seconds": 30})),
            post(agents::wrap_up),
        ),
        ep(
            M::GET,
            "/api/me/cdrs",
            Some(TakeContacts),
            None,
            get(cdrs::mine),
        ),
        ep(
            M::GET,
            "/api/floor",
            Some(ViewFloor),
            None,
            get(floor::view),
        ),
        ep(
            M::GET,
            "/api/floor/live",
            Some(ViewFloor),
            None,
            get(floor::live_view),
        ),
        ep(
            M::POST,
            "/api/agents/{user_id}/state",
            Some(ManageFloor),
            Some(json!({"state": "not_ready", "reason": "away"})),
            post(floor::set_state),
        ),
        ep(
            M::GET,
            "/api/settings",
            Some(ViewSettings),
            None,
            get(settings::get),
        ),
        ep(
            M::PUT,
            "/api/settings",
            Some(ManageConfig),
            Some(json!({
                "dispositions": [{"code": "repair", "name_zh": "故障报修", "name_en": "Repair"}],
                "thresholds": [{"state": "away", "amber_seconds": 300, "red_seconds": 600}],
            })),
            put(settings::put),
        ),
        ep(
            M::GET,
            "/api/dealers/{user_id}/regions",
            Some(ViewConfig),
            None,
            get(dealers::get_regions),
        ),
        ep(
            M::PUT,
            "/api/dealers/{user_id}/regions",
            Some(ManageConfig),
            Some(
                json!({"regions": [{"province": "浙江省", "city": "杭州市", "district": "西湖区"}]}),
            ),
            put(dealers::put_regions),
        ),
        ep(
            M::GET,
            "/api/me/customers",
            Some(DealerCustomers),
            None,
            get(dealers::my_customers),
        ),
        ep(
            M::GET,
            "/api/directory",
            Some(ViewDirectory),
            None,
            get(floor::directory_view),
        ),
        ep(
            M::GET,
            "/api/order-types",
            Some(ViewOrders),
            None,
            get(config::list_order_types),
        ),
        ep(
            M::POST,
            "/api/order-types",
            Some(ManageConfig),
            Some(
                json!({"key": "praise", "name_zh": "表扬", "name_en": "Praise",
                        "callback_required": false}),
            ),
            post(config::create_order_type),
        ),
        ep(
            M::POST,
            "/api/order-types/preview",
            Some(ViewConfig),
            Some(
                json!({"limit": {"unit": "working_days", "value": 3}, "warn_percent": 80,
                        "from_ms": 1_790_762_100_000_i64}),
            ),
            post(config::sla_preview),
        ),
        ep(
            M::PUT,
            "/api/order-types/{order_type_key}",
            Some(ManageConfig),
            Some(
                json!({"version": 1, "name_zh": "报修", "name_en": "Repairs",
                        "callback_required": true,
                        "policies": [{"resolve": {"unit": "working_days", "value": 3},
                                      "warn_percent": 80}]}),
            ),
            put(config::update_order_type),
        ),
        ep(
            M::DELETE,
            "/api/order-types/{order_type_key}",
            Some(ManageConfig),
            None,
            delete(config::delete_order_type),
        ),
        ep(
            M::GET,
            "/api/handling-groups",
            Some(ViewOrders),
            None,
            get(config::list_groups),
        ),
        ep(
            M::POST,
            "/api/handling-groups",
            Some(ManageConfig),
            Some(json!({"key": "crew-2", "name": "维修二班", "kind": "crew",
                        "handles": [{"order_type": "repair", "region": "浙江省/杭州市"}]})),
            post(config::create_group),
        ),
        ep(
            M::PUT,
            "/api/handling-groups/{group_key}",
            Some(ManageConfig),
            Some(json!({"version": 1, "name": "维修一班", "kind": "crew"})),
            put(config::update_group),
        ),
        ep(
            M::DELETE,
            "/api/handling-groups/{group_key}",
            Some(ManageConfig),
            None,
            delete(config::delete_group),
        ),
        ep(
            M::GET,
            "/api/integrations",
            Some(ViewConfig),
            None,
            get(config::list_integrations),
        ),
        ep(
            M::POST,
            "/api/integrations",
            Some(ManageConfig),
            Some(json!({"key": "install", "name": "报装系统 Installation",
                        "secret": "a-shared-secret-of-at-least-32-characters"})),
            post(config::create_integration),
        ),
        ep(
            M::PUT,
            "/api/integrations/{integration_key}",
            Some(ManageConfig),
            Some(json!({"version": 1, "name": "营业系统 Billing"})),
            put(config::update_integration),
        ),
        ep(
            M::DELETE,
            "/api/integrations/{integration_key}",
            Some(ManageConfig),
            None,
            delete(config::delete_integration),
        ),
        ep(
            M::GET,
            "/api/incidents",
            Some(ViewOrders),
            None,
            get(config::list_incidents),
        ),
        ep(
            M::POST,
            "/api/incidents",
            Some(ManageIncidents),
            Some(json!({"key": "wensan-burst", "title": "文三路爆管停水",
                        "message": "文三路一带因水管爆裂停水，预计18点恢复供水。",
                        "regions": ["浙江省/杭州市/西湖区"], "address_prefixes": ["文三路"],
                        "starts_ms": 1_764_640_800_000i64, "expected_end_ms": 1_764_669_600_000i64})),
            post(config::create_incident),
        ),
        ep(
            M::GET,
            "/api/incidents/active",
            Some(ViewOrders),
            None,
            get(incidents::active),
        ),
        ep(
            M::PUT,
            "/api/incidents/{incident_key}",
            Some(ManageIncidents),
            Some(
                json!({"version": 1, "title": "文三路爆管停水", "message": "已恢复供水。",
                        "regions": ["浙江省/杭州市/西湖区"], "starts_ms": 0,
                        "expected_end_ms": 1_764_669_600_000i64, "ended_ms": 1_764_660_000_000i64}),
            ),
            put(config::update_incident),
        ),
        ep(
            M::DELETE,
            "/api/incidents/{incident_key}",
            Some(ManageIncidents),
            None,
            delete(config::delete_incident),
        ),
        ep(
            M::GET,
            "/api/incidents/{incident_key}/calls",
            Some(ViewOrders),
            None,
            get(incidents::calls),
        ),
        ep(
            M::POST,
            "/api/hooks/{tenant_slug}/orders",
            None,
            Some(json!({"external_id": "A-1029", "order_type": "repair", "title": "表井漏水"})),
            post(orders::hook),
        ),
        ep(
            M::GET,
            "/api/orders",
            Some(ViewOrders),
            None,
            get(orders::list),
        ),
        ep(
            M::POST,
            "/api/orders",
            Some(WorkOrders),
            Some(
                json!({"order_type": "{order_type_key}", "title": "表井漏水",
                        "customer_id": "{customer_id}", "caller": "+8613812345678",
                        "region": "浙江省/杭州市/西湖区"}),
            ),
            post(orders::create),
        ),
        ep(
            M::GET,
            "/api/orders/similar",
            Some(ViewOrders),
            None,
            get(orders::similar),
        ),
        ep(
            M::GET,
            "/api/orders/on-time",
            Some(ViewOrders),
            None,
            get(orders::on_time),
        ),
        ep(
            M::GET,
            "/api/orders/{order_id}",
            Some(ViewOrders),
            None,
            get(orders::get),
        ),
        ep(
            M::GET,
            "/api/orders/{order_id}/timeline",
            Some(ViewOrders),
            None,
            get(orders::timeline),
        ),
        ep(
            M::POST,
            "/api/orders/{order_id}/handle",
            Some(HandleOrders),
            Some(json!({"action": "note", "note": "已联系客户,明早上门"})),
            post(orders::handle),
        ),
        ep(
            M::POST,
            "/api/orders/{order_id}/dispatch",
            Some(ManageOrders),
            Some(json!({"group": "{group_key}"})),
            post(orders::dispatch),
        ),
        ep(
            M::POST,
            "/api/orders/{order_id}/callback",
            Some(WorkOrders),
            Some(json!({"reached": false})),
            post(orders::callback),
        ),
        ep(
            M::POST,
            "/api/orders/{order_id}/calls",
            Some(WorkOrders),
            Some(json!({"call_id": "a-repeat-call"})),
            post(orders::called_again),
        ),
        ep(
            M::POST,
            "/api/orders/{order_id}/attachments",
            Some(WorkOrders),
            None,
            post(orders::attach).layer(DefaultBodyLimit::max(tickets::attachment::MAX_BYTES + 1)),
        ),
        ep(
            M::POST,
            "/api/orders/{order_id}/attachments/recording",
            Some(AttachRecordings),
            Some(json!({"call_id": "{call_id}"})),
            post(orders::attach_recording),
        ),
        ep(
            M::GET,
            "/api/orders/{order_id}/attachments/{file_id}",
            Some(ViewOrders),
            None,
            get(orders::attachment),
        ),
        ep(
            M::POST,
            "/api/orders/{order_id}/merge",
            Some(ManageOrders),
            Some(json!({"into": "{other_order_id}"})),
            post(orders::merge),
        ),
        ep(
            M::POST,
            "/api/orders/{order_id}/override",
            Some(OverrideOrders),
            Some(json!({"reason": "客户明确拒绝回访"})),
            post(orders::close_override),
        ),
        ep(
            M::GET,
            "/api/reports/glossary",
            Some(ViewReports),
            None,
            get(reports::glossary),
        ),
        ep(
            M::GET,
            "/api/reports",
            Some(ViewReports),
            None,
            get(reports::report),
        ),
        ep(
            M::GET,
            "/api/reports/export",
            Some(ViewReports),
            None,
            get(reports::export),
        ),
        ep(
            M::GET,
            "/api/reports/ranking",
            Some(ViewReports),
            None,
            get(reports::ranking),
        ),
        ep(
            M::GET,
            "/api/reports/ranking/export",
            Some(ViewReports),
            None,
            get(reports::ranking_export),
        ),
        ep(
            M::GET,
            "/api/reports/saved",
            Some(ViewReports),
            None,
            get(saved_reports::list),
        ),
        ep(
            M::POST,
            "/api/reports/saved",
            Some(ViewReports),
            Some(saved_report_example()),
            post(saved_reports::create),
        ),
        ep(
            M::PUT,
            "/api/reports/saved/{saved_id}",
            Some(ViewReports),
            Some(saved_report_example()),
            put(saved_reports::update),
        ),
        ep(
            M::DELETE,
            "/api/reports/saved/{saved_id}",
            Some(ViewReports),
            None,
            delete(saved_reports::delete),
        ),
        ep(
            M::POST,
            "/api/reports/saved/{saved_id}/run",
            Some(ViewReports),
            None,
            post(saved_reports::run),
        ),
        ep(
            M::GET,
            "/api/reports/saved/{saved_id}/files",
            Some(ViewReports),
            None,
            get(saved_reports::files),
        ),
        ep(
            M::GET,
            "/api/reports/files/{file_id}",
            Some(ViewReports),
            None,
            get(saved_reports::download),
        ),
        ep(
            M::POST,
            "/api/reports/rebuild",
            Some(ManageConfig),
            None,
            post(reports::rebuild),
        ),
        ep(
            M::GET,
            "/api/kb/search",
            Some(SearchKnowledge),
            None,
            get(kb::search),
        ),
        ep(
            M::GET,
            "/api/kb/articles",
            Some(SearchKnowledge),
            None,
            get(kb::list),
        ),
        ep(
            M::POST,
            "/api/kb/articles",
            Some(EditKnowledge),
            Some(
                json!({ "title": "停水通知的查询", "category": "停水/计划停水",
                         "body": "可在APP首页查看停水公告。", "tags": ["停水"] }),
            ),
            post(kb::create),
        ),
        ep(
            M::GET,
            "/api/kb/articles/{article_id}",
            Some(SearchKnowledge),
            None,
            get(kb::get),
        ),
        ep(
            M::PUT,
            "/api/kb/articles/{article_id}",
            Some(EditKnowledge),
            Some(
                json!({ "title": "水表计量异常的处理", "category": "水表/计量",
                         "body": "先关闭所有用水点。", "version": 1, "status": "draft" }),
            ),
            put(kb::update),
        ),
        ep(
            M::POST,
            "/api/kb/articles/{article_id}/solved",
            Some(SearchKnowledge),
            Some(json!({ "query": "水表走得快", "call_id": "call-1" })),
            post(kb::solved),
        ),
        ep(
            M::GET,
            "/api/kb/misses",
            Some(EditKnowledge),
            None,
            get(kb::misses),
        ),
        ep(
            M::GET,
            "/api/public/{tenant_slug}/kb/search",
            None,
            None,
            get(kb::public_search),
        ),
        ep(
            M::GET,
            "/api/public/{tenant_slug}/kb/articles/{article_id}",
            None,
            None,
            get(kb::public_article),
        ),
        ep(
            M::GET,
            "/api/kb/articles/{article_id}/versions",
            Some(EditKnowledge),
            None,
            get(kb::versions),
        ),
        ep(
            M::POST,
            "/api/kb/import",
            Some(EditKnowledge),
            None,
            post(kb_work::import).layer(DefaultBodyLimit::max(20 << 20)),
        ),
        ep(
            M::POST,
            "/api/kb/images",
            Some(EditKnowledge),
            None,
            post(kb_work::add_image)
                .layer(DefaultBodyLimit::max(app::kb_files::MAX_IMAGE_BYTES + 1)),
        ),
        ep(
            M::GET,
            "/api/kb/images/{image_name}",
            Some(SearchKnowledge),
            None,
            get(kb_work::image),
        ),
        ep(
            M::GET,
            "/api/public/{tenant_slug}/kb/images/{image_name}",
            None,
            None,
            get(kb_work::public_image),
        ),
        ep(
            M::GET,
            "/api/kb/export",
            Some(EditKnowledge),
            None,
            get(kb_work::export),
        ),
        ep(
            M::GET,
            "/api/kb/settings",
            Some(EditKnowledge),
            None,
            get(kb_work::get_settings),
        ),
        ep(
            M::PUT,
            "/api/kb/settings",
            Some(PublishKnowledge),
            Some(json!({ "synonyms": [["水表", "表计", "计量表"]], "owners": [] })),
            put(kb_work::put_settings),
        ),
        ep(
            M::GET,
            "/api/kb/suggest",
            Some(SearchKnowledge),
            None,
            get(kb_work::suggest),
        ),
        ep(
            M::POST,
            "/api/kb/tasks",
            Some(SearchKnowledge),
            Some(json!({ "kind": "question", "category": "水表/计量",
                         "text": "水表井盖丢了由谁负责？" })),
            post(kb_work::ask),
        ),
        ep(
            M::GET,
            "/api/kb/tasks",
            Some(SearchKnowledge),
            None,
            get(kb_work::tasks),
        ),
        ep(
            M::POST,
            "/api/kb/tasks/{task_id}/answer",
            Some(EditKnowledge),
            Some(json!({ "answer": "井盖由物业负责，请联系物业。" })),
            post(kb_work::answer),
        ),
        ep(
            M::POST,
            "/api/kb/tasks/{task_id}/close",
            Some(EditKnowledge),
            Some(json!({})),
            post(kb_work::close),
        ),
        ep(M::GET, "/api/cdrs", Some(ViewCalls), None, get(cdrs::list)),
        ep(
            M::GET,
            "/api/calls/{call_id}/trail",
            Some(ViewCalls),
            None,
            get(cdrs::trail),
        ),
        ep(
            M::GET,
            "/api/calls/{call_id}/recording",
            Some(ListenRecordings),
            None,
            get(cdrs::recording),
        ),
        ep(
            M::GET,
            "/api/cdrs/export",
            Some(ViewCalls),
            None,
            get(cdrs::export),
        ),
        ep(
            M::GET,
            "/api/events",
            Some(ViewEvents),
            None,
            get(events::stream),
        ),
        ep(
            M::GET,
            "/api/events/log",
            Some(ViewEvents),
            None,
            get(events::log),
        ),
    ]
}

/// The application's router, built from [`table`].
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for e in table() {
        let handler = match e.perm {
            Some(perm) => e.handler.route_layer(from_fn_with_state(
                (state.clone(), perm),
                auth::authenticate,
            )),
            None => e.handler,
        };
        router = router.route(e.path, handler);
    }
    let api_not_found = || async { ApiError::not_found("route") };
    router = router
        .route("/metrics", get(crate::ops::metrics))
        .route("/healthz", get(crate::ops::health))
        .route("/readyz", get(crate::ops::ready));
    router = router.route("/api/{*rest}", axum::routing::any(api_not_found));
    router = match &state.settings().web_dir {
        Some(dir) => router.fallback_service(crate::web::service(dir)),
        None => router.fallback(api_not_found),
    };
    router
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                crate::error::Code::NotFound,
                "this route does not take that method",
            )
        })
        .with_state(state)
}

async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        crate::openapi_json(),
    )
}
