//! For operators and their tools, outside the API: `/metrics` (Prometheus text format),
//! `/healthz` (the process answers) and `/readyz` (it can take work: the database answers
//! and the event log's writer runs).
//!
//! `/metrics` tells how busy every tenant is: it answers the loopback address (unless behind
//! a TLS proxy, where everyone seems to come from there), or anyone with the
//! `--metrics-token` as a bearer token, and nobody else.

use std::fmt::Write as _;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// `GET /healthz`: the process is up.
pub async fn health() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: 200 when the center can take work, 503 saying why not.
pub async fn ready(State(state): State<AppState>) -> Response {
    match state.app().ready().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {why}\n"),
        )
            .into_response(),
    }
}

/// Whether the request may read the metrics.
fn allowed(state: &AppState, req: &Request) -> bool {
    if let Some(token) = &state.settings().metrics_token {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        // Compared as hashes: no timing tells how much of the token was right.
        if given.is_some_and(|g| crate::auth::token_hash(g) == crate::auth::token_hash(token)) {
            return true;
        }
    }
    // Behind a TLS proxy every request comes from the loopback address: only the token.
    !state.settings().secure_cookies
        && req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .is_some_and(|c| c.0.ip().is_loopback())
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>, req: Request) -> Response {
    if !allowed(&state, &req) {
        return (
            StatusCode::FORBIDDEN,
            "metrics are served to the loopback address, or with the metrics token\n",
        )
            .into_response();
    }
    let n = state.app().numbers().await;
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, f64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let one = |v: f64| vec![(String::new(), v)];
    let t = n.telephony.unwrap_or(telephony::Stats {
        calls: 0,
        recordings: 0,
        registered: 0,
        auth_failures: 0,
        auth_barred: 0,
        rtp_strangers: 0,
    });
    metric(
        "hotline_calls_in_progress",
        "gauge",
        "Calls live in telephony.",
        &one(t.calls as f64),
    );
    let waiting: Vec<(String, f64)> = n
        .centers
        .iter()
        .map(|(tenant, c)| {
            (
                format!("{{tenant=\"{}\"}}", label(tenant)),
                c.waiting as f64,
            )
        })
        .collect();
    metric(
        "hotline_calls_waiting",
        "gauge",
        "Callers waiting in a tenant's queues.",
        &waiting,
    );
    let agents: Vec<(String, f64)> = n
        .centers
        .iter()
        .flat_map(|(tenant, c)| {
            c.agents.iter().map(move |(state, count)| {
                (
                    format!(
                        "{{tenant=\"{}\",state=\"{}\"}}",
                        label(tenant),
                        label(state)
                    ),
                    *count as f64,
                )
            })
        })
        .collect();
    metric(
        "hotline_agents",
        "gauge",
        "Signed-in agents by state.",
        &agents,
    );
    metric(
        "hotline_recordings_in_progress",
        "gauge",
        "Recordings being written.",
        &one(t.recordings as f64),
    );
    metric(
        "hotline_phones_registered",
        "gauge",
        "Phones registered.",
        &one(t.registered as f64),
    );
    metric(
        "hotline_event_log_queued",
        "gauge",
        "Writes waiting for the event log's writer (its lag).",
        &one(n.log_queued as f64),
    );
    metric(
        "hotline_event_log_set_aside_total",
        "counter",
        "Events the log could not take, kept in dead_letters.",
        &one(n.log_set_aside as f64),
    );
    metric(
        "hotline_events_unreadable_total",
        "counter",
        "Stored events that did not parse as their kind.",
        &one(n.unreadable_events as f64),
    );
    metric(
        "hotline_center_restarts_total",
        "counter",
        "Routing engines restarted from the log after a failure.",
        &one(n.center_restarts as f64),
    );
    metric(
        "hotline_sip_auth_failures_total",
        "counter",
        "REGISTERs refused for bad credentials or an unknown extension.",
        &one(t.auth_failures as f64),
    );
    metric(
        "hotline_sip_register_barred_total",
        "counter",
        "REGISTERs refused unread from a barred address or to a barred extension.",
        &one(t.auth_barred as f64),
    );
    metric(
        "hotline_rtp_stranger_packets_total",
        "counter",
        "RTP packets dropped for coming from an address the call does not listen to.",
        &one(t.rtp_strangers as f64),
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// A label value as the text format wants it.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
