//! Callback tasks (回访): a resolved work order's callback as a contact of the routing engine,
//! so it reaches the agents' desktops the way calls do — offered to one agent of the
//! `callback` queue (else the tenant's first queue), previewed on the desktop with its order,
//! placed by the agent (click-to-call: their phone rings, then the customer's), its verdict
//! recorded on the order.
//!
//! The orders are the truth: a task is queued when an order is resolved and taken out when
//! its callback is no longer owed, and a sweep every few seconds queues what is owed and not
//! in the engine — after a restart, after a missed attempt's retry gap, or when the agent who
//! placed one never wrote the verdict down.

use std::sync::Arc;

use store::{OrderQuery, TenantId};
use tickets::Ticket;

use crate::center::Task;
use crate::orders::OrderView;
use crate::{App, AppResult};

/// The queue whose agents call customers back, when the tenant has one.
pub const CALLBACK_QUEUE: &str = "callback";

/// After a callback that did not reach the customer, the next attempt waits this long.
pub const RETRY_MS: i64 = 2 * 3_600_000;

/// How often the sweep looks for callbacks owed and not queued.
const SWEEP_EVERY_S: u64 = 15;

/// The orders the sweep reads at a time.
const SWEEP_PAGE: u32 = 500;

impl App {
    /// After an order changed: its callback queued if owed now, taken out if no longer.
    pub(crate) async fn follow_callback(&self, tenant: TenantId, view: &OrderView) {
        let order = view.row.id;
        if view.ticket.callback_due(self.now_ms(), RETRY_MS) {
            if let Err(e) = self.queue_callback(tenant, order, &view.ticket).await {
                tracing::warn!(tenant = tenant.0, order, "callback not queued: {e}");
            }
        } else if !matches!(view.ticket.order.status, tickets::Status::Resolved { .. })
            && self.running_centers().contains(&tenant)
        {
            // (A center not running has no task to take out.)
            let _ = self.center(tenant, move |c| c.drop_task(order)).await;
        }
    }

    async fn queue_callback(&self, tenant: TenantId, order: i64, t: &Ticket) -> AppResult<bool> {
        let scoped = self.store().scoped(tenant);
        let mut number = t.order.callers.first().cloned();
        if number.is_none()
            && let Some(id) = t.intake.customer_id
            && let Some(c) = scoped.customer(store::CustomerId(id)).await?
        {
            number = c.data.phones.first().map(|p| p.number.clone());
        }
        let Some(number) = number else {
            tracing::info!(
                tenant = tenant.0,
                order,
                "no number to call back: left to the order list"
            );
            return Ok(false);
        };
        let from = scoped
            .tenant_numbers()
            .await?
            .into_iter()
            .next()
            .unwrap_or_default();
        let task = Task {
            order,
            number,
            customer: t.intake.customer_id,
            queue: CALLBACK_QUEUE.to_string(),
            priority: 0,
            from,
        };
        self.center(tenant, move |c| c.callback_task(task)).await?
    }

    /// Queues every callback owed and not in the engine; returns how many were queued.
    pub async fn queue_callbacks(&self, tenant: TenantId) -> AppResult<usize> {
        let now = self.now_ms();
        let mut queued = 0;
        let mut before = None;
        loop {
            let rows = self
                .store()
                .scoped(tenant)
                .orders(&OrderQuery {
                    statuses: vec!["resolved".into()],
                    before,
                    limit: SWEEP_PAGE,
                    ..OrderQuery::default()
                })
                .await?;
            let last = rows.len() < SWEEP_PAGE as usize;
            before = rows.last().map(|r| r.id);
            for row in rows {
                let Ok(ticket) = serde_json::from_value::<Ticket>(row.data.clone()) else {
                    continue;
                };
                if ticket.callback_due(now, RETRY_MS)
                    && self.queue_callback(tenant, row.id, &ticket).await?
                {
                    queued += 1;
                }
            }
            if last {
                return Ok(queued);
            }
        }
    }

    /// Every few seconds, for every tenant with callbacks owed.
    pub fn start_callback_sweep(&self) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(&self.0);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(SWEEP_EVERY_S));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                let app = App(inner);
                let Ok(tenants) = app.store().tenants().await else {
                    continue;
                };
                for t in tenants.iter().filter(|t| t.suspended_at_ms.is_none()) {
                    if let Err(e) = app.queue_callbacks(t.id).await {
                        tracing::warn!(tenant = t.id.0, "callback sweep: {e}");
                    }
                }
            }
        })
    }
}
