//! The OpenAPI document, from the handlers' `#[utoipa::path]` descriptions.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::{
    agents, audit, calls, cdrs, config, customers, dealers, events, floor, imports, incidents,
    ivr_flows, orders, session, settings, tenants, users,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Hotline", description = "The contact center's API. Errors are `{code, message, details}` with stable codes."),
    paths(
        session::login, session::logout, session::current, session::change_password,
        session::create_token,
        tenants::list, tenants::create, tenants::get, tenants::update, tenants::usage, tenants::numbers,
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
        agents::wrap_up, floor::view, floor::live_view, floor::set_state, floor::directory_view, dealers::get_regions, dealers::put_regions, dealers::my_customers,
        settings::get, settings::put,
        ivr_flows::list, ivr_flows::create, ivr_flows::update, ivr_flows::delete,
        ivr_flows::try_call, ivr_flows::versions, config::statutory,
        calls::place, calls::dial_task, calls::transfer, calls::consult, calls::consult_complete,
        calls::consult_cancel, calls::hold, calls::wrap_up,
        cdrs::list, cdrs::export, cdrs::mine,
        config::list_order_types, config::create_order_type, config::update_order_type,
        config::delete_order_type, config::sla_preview, config::list_groups, config::create_group,
        config::update_group, config::delete_group,
        orders::list, orders::create, orders::get, orders::timeline, orders::handle,
        orders::dispatch, orders::callback, orders::called_again, orders::merge,
        orders::close_override, orders::hook, orders::attach, orders::attach_recording, orders::attachment, orders::similar, orders::on_time, config::list_integrations,
        config::create_integration, config::update_integration, config::delete_integration,
        config::list_incidents, config::create_incident, config::update_incident,
        config::delete_incident, incidents::active, incidents::calls,
        crate::api::reports::glossary, crate::api::reports::report, crate::api::reports::export,
        crate::api::reports::rebuild, crate::api::reports::ranking,
        crate::api::reports::ranking_export, crate::api::saved_reports::list,
        crate::api::saved_reports::create, crate::api::saved_reports::update,
        crate::api::saved_reports::delete, crate::api::saved_reports::run,
        crate::api::saved_reports::files, crate::api::saved_reports::download,
        cdrs::trail, cdrs::recording,
        crate::api::kb::search, crate::api::kb::list, crate::api::kb::get, crate::api::kb::create,
        crate::api::kb::update, crate::api::kb::versions, crate::api::kb::solved,
        crate::api::kb::misses, crate::api::kb::public_search, crate::api::kb::public_article,
        crate::api::kb_work::import, crate::api::kb_work::export, crate::api::kb_work::get_settings,
        crate::api::kb_work::put_settings, crate::api::kb_work::suggest, crate::api::kb_work::ask,
        crate::api::kb_work::tasks, crate::api::kb_work::answer, crate::api::kb_work::close,
        crate::api::kb_work::add_image, crate::api::kb_work::image, crate::api::kb_work::public_image,
        crate::api::tenants::advance_clock,
        crate::api::contacts::contact_tasks, crate::api::contacts::add_topic,
        crate::api::contacts::topic_done,
        crate::api::leads::capture, crate::api::leads::list, crate::api::leads::get_one,
        crate::api::leads::act, crate::api::leads::my_leads, crate::api::leads::my_lead_one,
        crate::api::leads::my_act, crate::api::leads::my_notices, crate::api::leads::get_lead_settings,
        crate::api::leads::put_lead_settings, crate::api::leads::get_contact,
        crate::api::leads::put_contact, crate::api::leads::scorecard,
        crate::api::leads::scorecard_export, crate::api::leads::import,
        events::stream, events::log,
    ),
    // The event log's payloads, by kind (`call.ringing` is `CallRinging`): not in any
    // response body (events carry them as `payload`), listed so clients get their types.
    components(schemas(
        ::events::CallArrived, ::events::IvrNode, ::events::CallQueued, ::events::CallRinging,
        ::events::CallTransferred, ::events::CallbackRequested, ::events::RecordingFailed,
        ::events::Voicemail, ::events::CallAnnounced, ::events::CallConsult, ::events::CallPlaced,
        ::events::CallWrapup, ::events::CallEnded, ::events::CallSurveyed, ::events::KbSolved, ::events::Outcome, ::events::MediaCounts,
        ::events::UserLogin, ::events::UserLogout, ::events::CustomerCreated, ::events::CustomerUpdated,
        ::events::CustomerMerged, ::events::CustomerMergeUndone, ::events::CustomersImported,
        ::events::OrderChanged, ::events::OrderSla, ::events::LeadChanged,
    )),
    modifiers(&Security, &OperationIds),
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

/// Operation ids unique over the document, as OpenAPI requires and client generators
/// need: a handler's name (`list`) where no other handler has it, else prefixed with its
/// tag (`users_list`), else with its method and path.
struct OperationIds;

impl Modify for OperationIds {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use std::collections::{HashMap, HashSet};
        let mut count: HashMap<String, usize> = HashMap::new();
        for item in doc.paths.paths.values() {
            for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                .into_iter()
                .flatten()
            {
                *count
                    .entry(op.operation_id.clone().unwrap_or_default())
                    .or_default() += 1;
            }
        }
        let mut taken = HashSet::new();
        for (path, item) in doc.paths.paths.iter_mut() {
            for (method, op) in [
                ("get", &mut item.get),
                ("put", &mut item.put),
                ("post", &mut item.post),
                ("delete", &mut item.delete),
                ("patch", &mut item.patch),
            ] {
                let Some(op) = op else { continue };
                let id = op.operation_id.clone().unwrap_or_default();
                let tag = op.tags.iter().flatten().next().cloned().unwrap_or_default();
                let mut unique = if count[&id] == 1 {
                    id.clone()
                } else {
                    format!("{tag}_{id}")
                };
                if !taken.insert(unique.clone()) {
                    unique = format!("{method}{}", path.replace(['/', '{', '}', '-'], "_"));
                    taken.insert(unique.clone());
                }
                op.operation_id = Some(unique);
            }
        }
    }
}

/// The document served at `/api/openapi.json`.
pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}
