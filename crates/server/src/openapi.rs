//! The OpenAPI document, from the handlers' `#[utoipa::path]` descriptions.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::{
    agents, audit, calls, cdrs, config, customers, events, floor, imports, ivr_flows, session,
    settings, tenants, users,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Hotline", description = "The contact center's API. Errors are `{code, message, details}` with stable codes."),
    paths(
        session::login, session::logout, session::current, session::change_password,
        session::create_token,
        tenants::list, tenants::create, tenants::get, tenants::update, tenants::numbers,
        tenants::set_numbers,
        users::list, users::create, users::get, users::update, users::reset_password,
        audit::list,
        customers::list, customers::create, customers::lookup, customers::get,
        customers::replace, customers::protected, customers::facets, customers::put_facet,
        customers::timeline, customers::duplicates, customers::merge, customers::undo_merge,
        imports::upload, imports::status, imports::check, imports::commit, imports::export,
        config::list_skills, config::create_skill, config::update_skill, config::delete_skill,
        config::list_queues, config::create_queue, config::update_queue, config::delete_queue,
        config::queue_status, config::list_calendars, config::create_calendar,
        config::update_calendar, config::delete_calendar, config::calendar_status,
        config::list_teams, config::create_team, config::update_team, config::delete_team,
        config::get_agent, config::put_agent, config::delete_agent,
        agents::floor, agents::history, agents::me, agents::login, agents::logout, agents::change,
        agents::wrap_up, floor::view, floor::live_view, floor::set_state,
        settings::get, settings::put,
        ivr_flows::list, ivr_flows::create, ivr_flows::update, ivr_flows::delete,
        ivr_flows::try_call,
        calls::place, calls::transfer, calls::consult, calls::consult_complete,
        calls::consult_cancel, calls::hold, calls::wrap_up,
        cdrs::list, cdrs::export, cdrs::mine,
        events::stream, events::log,
    ),
    modifiers(&Security),
    security(("bearer" = []), ("cookie" = [])),
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// The document served at `/api/openapi.json`.
pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}
