//! Incidents over [`tickets::incident`]: kept as configuration documents (checked, written
//! with their audit row, versioned), announced to callers from their area before the IVR's
//! menu (an `incident:{key}` node put in front of the flow, so the IVR's own count of nodes
//! reached counts who heard it), shown at the screen pop, and the calls they absorbed
//! counted from the log.

use store::{Customer, TenantId};
use tickets::Incident;
use tickets::incident::{Place, affecting, node};

use crate::configure::Kind;
use crate::{App, AppError, AppResult};

/// The longest incident, in days: an announcement older than that is forgotten news.
const MAX_DAYS: i64 = 90;

impl Kind for Incident {
    fn check(&self, key: &str, _c: &crate::center::Center) -> AppResult<()> {
        crate::configure::check_code("key", key)?;
        crate::configure::check_label("title", &self.title)?;
        let len = self.message.chars().count();
        if self.message.trim().is_empty() || len > 500 || self.message.contains('\0') {
            return Err(AppError::invalid(
                "message",
                "what callers hear: 1–500 characters",
            ));
        }
        if self.regions.len() > 50 || self.address_prefixes.len() > 50 {
            return Err(AppError::invalid(
                "regions",
                "at most 50 regions and 50 address prefixes",
            ));
        }
        for (field, list) in [
            ("regions", &self.regions),
            ("address_prefixes", &self.address_prefixes),
        ] {
            for (i, s) in list.iter().enumerate() {
                let blank = s.trim().trim_matches('/').is_empty();
                if blank || s.chars().count() > 100 || s.chars().any(char::is_control) {
                    return Err(AppError::invalid(
                        format!("{field}[{i}]"),
                        "1–100 characters, no control characters",
                    ));
                }
            }
        }
        if self.regions.is_empty() && self.address_prefixes.is_empty() {
            return Err(AppError::invalid(
                "regions",
                "name the area: a region or the start of an address",
            ));
        }
        if self.expected_end_ms <= self.starts_ms {
            return Err(AppError::invalid(
                "expected_end_ms",
                "after the incident starts",
            ));
        }
        if self
            .expected_end_ms
            .checked_sub(self.starts_ms)
            .is_none_or(|span| span > MAX_DAYS * 86_400_000)
        {
            return Err(AppError::invalid(
                "expected_end_ms",
                format!("within {MAX_DAYS} days of the start"),
            ));
        }
        if self.ended_ms.is_some_and(|e| e < self.starts_ms) {
            return Err(AppError::invalid("ended_ms", "not before it started"));
        }
        Ok(())
    }

    /// Its message spoken now, so the first caller from the area hears it at once.
    fn apply(self, _key: &str, c: &mut crate::center::Center) -> AppResult<()> {
        if let Some(t) = c.telephony() {
            t.prepare_prompt(format!("tts:{}", self.message));
        }
        Ok(())
    }
}

/// What an incident did to the calls of its time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Absorbed {
    /// Callers who heard the announcement.
    pub heard: u64,
    /// Of those, who hung up in the IVR without asking for an agent: the calls it saved.
    pub absorbed: u64,
}

/// The most calls counted for one incident (the log is read for them).
const MAX_COUNTED: u32 = 100_000;

impl App {
    /// The tenant's incidents, all of them, by key.
    pub async fn incidents(&self, tenant: TenantId) -> AppResult<Vec<(String, Incident)>> {
        let items = self.config_list(tenant, "incident").await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                crate::config::parse::<Incident>(item)
                    .inspect_err(|e| tracing::warn!(tenant = tenant.0, "{e}"))
                    .ok()
                    .map(|i| (item.key.clone(), i))
            })
            .collect())
    }

    /// The incidents going on now that affect the customer (any of their addresses).
    pub async fn incidents_affecting(
        &self,
        tenant: TenantId,
        customer: &Customer,
    ) -> AppResult<Vec<(String, Incident)>> {
        let all = self.incidents(tenant).await?;
        Ok(affected(&all, self.now_ms(), customer))
    }

    /// The callers who heard the incident and the calls it absorbed, from the log.
    pub async fn incident_calls(&self, tenant: TenantId, key: &str) -> AppResult<Absorbed> {
        let item = self.config_get::<Incident>(tenant, key).await?;
        let incident: Incident = crate::config::parse(&item)?;
        let scoped = self.store().scoped(tenant);
        let from = incident.starts_ms;
        // Calls that heard it near its end finish a little later.
        let to = incident
            .ended_ms
            .unwrap_or(incident.expected_end_ms)
            .max(from)
            .saturating_add(3_600_000);
        let heard: std::collections::HashSet<String> = scoped
            .events_of_kind("ivr.node", from, to, &[("node", node(key))], MAX_COUNTED)
            .await?
            .into_iter()
            .filter_map(|e| Some(e.payload.get("call_id")?.as_str()?.to_string()))
            .collect();
        if heard.is_empty() {
            return Ok(Absorbed::default());
        }
        let absorbed = scoped
            .events_of_kind(
                "call.ended",
                from,
                to,
                &[("outcome", "ivr".into())],
                MAX_COUNTED,
            )
            .await?
            .iter()
            .filter(|e| {
                e.payload
                    .get("call_id")
                    .and_then(|c| c.as_str())
                    .is_some_and(|c| heard.contains(c))
            })
            .count();
        Ok(Absorbed {
            heard: heard.len() as u64,
            absorbed: absorbed as u64,
        })
    }
}

/// The incidents of `all` going on at `now_ms` that affect one of the customer's addresses.
pub fn affected(
    all: &[(String, Incident)],
    now_ms: i64,
    customer: &Customer,
) -> Vec<(String, Incident)> {
    let mut found: Vec<(String, Incident)> = Vec::new();
    for a in &customer.data.addresses {
        let region = [&a.province, &a.city, &a.district]
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("/");
        let place = Place {
            region: &region,
            line: &a.line,
        };
        for (k, i) in affecting(all, now_ms, place) {
            if !found.iter().any(|(f, _)| f == k) {
                found.push((k.clone(), i.clone()));
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// The flow with each incident announced before its first node, in order.
pub fn announce(flow: &mut ivr::Flow, incidents: &[(String, Incident)]) {
    for (key, i) in incidents.iter().rev() {
        let name = node(key);
        let next = std::mem::replace(&mut flow.start, name.clone());
        flow.nodes.insert(
            name,
            ivr::Node::Play {
                prompt: format!("tts:{}", i.message),
                next,
            },
        );
    }
}
