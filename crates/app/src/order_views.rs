//! What is read across work orders rather than of one: the open orders a new one may
//! duplicate (并单 suggested at intake), and the on-time rate (维修及时率) of the orders
//! resolved in a period, by handling group (crew), region and type.

use std::collections::BTreeMap;

use store::{CustomerId, OrderQuery, TenantId};
use tickets::{Likeness, Probe, Ticket};

use crate::orders::OrderView;
use crate::{App, AppError, AppResult};

/// Open orders of the same kind in the same region within this long are suggested.
pub const SIMILAR_WINDOW_MS: i64 = 7 * 86_400_000;

/// Statuses an order can still be merged in.
const MERGEABLE: [&str; 4] = ["open", "dispatched", "accepted", "waiting"];

/// The most orders resolved in a period a report reads.
pub const MAX_RESOLVED: u32 = 50_000;

/// Which way the on-time rate is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Group,
    Region,
    OrderType,
}

/// One row of the on-time rate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnTime {
    pub resolved: u64,
    pub on_time: u64,
    /// Resolved without a limit to be on time to.
    pub without_limit: u64,
}

impl App {
    /// The open orders a new order about `p` may duplicate, likest first, then newest.
    pub async fn similar_orders(
        &self,
        tenant: TenantId,
        p: &Probe<'_>,
        exclude: Option<i64>,
    ) -> AppResult<Vec<(Likeness, OrderView)>> {
        let scoped = self.store().scoped(tenant);
        let statuses: Vec<String> = MERGEABLE.iter().map(|s| s.to_string()).collect();
        let mut rows = Vec::new();
        if let Some(c) = p.customer_id {
            rows.extend(
                scoped
                    .orders(&OrderQuery {
                        statuses: statuses.clone(),
                        customer: Some(CustomerId(c)),
                        limit: 20,
                        ..OrderQuery::default()
                    })
                    .await?,
            );
        }
        if !p.region.is_empty() {
            // The same kind of trouble nearby, and the same address whatever its kind.
            if !p.order_type.is_empty() {
                rows.extend(
                    scoped
                        .orders(&OrderQuery {
                            statuses: statuses.clone(),
                            region: Some(p.region.to_string()),
                            order_type: Some(p.order_type.to_string()),
                            limit: 100,
                            ..OrderQuery::default()
                        })
                        .await?,
                );
            }
            if !p.address.is_empty() {
                rows.extend(
                    scoped
                        .orders(&OrderQuery {
                            statuses,
                            region: Some(p.region.to_string()),
                            limit: 100,
                            ..OrderQuery::default()
                        })
                        .await?,
                );
            }
        }
        let now = self.now_ms();
        let mut found: Vec<(Likeness, OrderView)> = Vec::new();
        for row in rows {
            if Some(row.id) == exclude || found.iter().any(|(_, v)| v.row.id == row.id) {
                continue;
            }
            let Ok(ticket) = serde_json::from_value::<Ticket>(row.data.clone()) else {
                continue;
            };
            if let Some(l) = ticket.likeness(p, now, SIMILAR_WINDOW_MS) {
                found.push((l, OrderView { row, ticket }));
            }
        }
        found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.row.id.cmp(&a.1.row.id)));
        found.truncate(10);
        Ok(found)
    }

    /// The orders resolved in `[from_ms, to_ms)` and how many on time, by `by`; each order
    /// counted once (at its last resolution in the period), judged by its resolve limit on
    /// its own calendar.
    pub async fn on_time(
        &self,
        tenant: TenantId,
        by: By,
        from_ms: i64,
        to_ms: i64,
    ) -> AppResult<BTreeMap<String, OnTime>> {
        if to_ms <= from_ms {
            return Err(AppError::invalid("to_ms", "after from_ms"));
        }
        let scoped = self.store().scoped(tenant);
        let resolves = scoped
            .events_of_kind(
                "order.changed",
                from_ms,
                to_ms,
                &[("action", "resolve".into())],
                MAX_RESOLVED,
            )
            .await?;
        let mut ids: Vec<i64> = resolves
            .iter()
            .filter_map(|e| e.payload.get("order_id")?.as_i64())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let rows = scoped.orders_by_ids(&ids).await?;
        let mut calendars = std::collections::HashMap::new();
        let mut out: BTreeMap<String, OnTime> = BTreeMap::new();
        for row in rows {
            let Ok(ticket) = serde_json::from_value::<Ticket>(row.data.clone()) else {
                continue;
            };
            if ticket.resolved_ms.is_none() {
                // Reopened since: not done.
                continue;
            }
            let key = match by {
                By::Group => row.group.clone().unwrap_or_default(),
                By::Region => ticket.intake.region.clone(),
                By::OrderType => ticket.intake.order_type.clone(),
            };
            let cal_key = ticket.policy.as_ref().and_then(|p| p.calendar.clone());
            if !calendars.contains_key(&cal_key) {
                let cal = self.sla_calendar(tenant, ticket.policy.as_ref()).await?;
                calendars.insert(cal_key.clone(), cal);
            }
            let row = out.entry(key).or_default();
            row.resolved += 1;
            match ticket.on_time(&calendars[&cal_key]) {
                Some(true) => row.on_time += 1,
                Some(false) => {}
                None => row.without_limit += 1,
            }
        }
        Ok(out)
    }
}
