//! Callback tasks (回访): a resolved work order's callback as a contact of the routing engine,
//! so it reaches the agents' desktops the way calls do — offered to one agent of the
//! tenant's `callback` queue, previewed on the desktop with its order, placed by the agent
//! (click-to-call: their phone rings, then the customer's), its verdict recorded on the
//! order. A tenant without that queue calls back from the order list ("to call back"): a
//! task never waits in a queue of callers. A callback not reaching the customer is tried
//! again after the tenant's gap (its attempts spread over its days, `ClosedLoop`).
//!
//! The orders are the truth: a task is queued when an order is resolved and taken out when
//! its callback is no longer owed, and a sweep every few seconds puts the engine right both
//! ways — it queues what is owed and not in (after a restart, after a missed attempt's retry
//! gap, when the agent who placed one never wrote the verdict down) and takes out what is
//! in and no longer owed. Queueing looks at the order under the tenant's order lock, so a
//! verdict being written cannot be overtaken by a stale read.

use std::sync::Arc;

use store::{OrderQuery, TenantId};
use tickets::Ticket;

use crate::center::Task;
use crate::config::{CenterSettings, ClosedLoop, Document, Queue};
use crate::orders::OrderView;
use crate::{App, AppResult};

/// The queue whose agents call customers back.
pub const CALLBACK_QUEUE: &str = "callback";

/// How often the sweep looks for callbacks owed and not queued.
const SWEEP_EVERY_S: u64 = 15;

/// The orders the sweep reads at a time.
const SWEEP_PAGE: u32 = 500;

impl App {
    /// After an order changed: its callback queued if owed now, taken out if no longer.
    pub(crate) async fn follow_callback(&self, tenant: TenantId, view: &OrderView) {
        let order = view.row.id;
        let retry = self
            .closed_loop(tenant)
            .await
            .unwrap_or_default()
            .retry_ms();
        if view.ticket.callback_due(self.now_ms(), retry) {
            match self.takes_callbacks(tenant).await {
                Ok(Some(from)) => {
                    if let Err(e) = self.queue_callback(tenant, order, &from, retry).await {
                        tracing::warn!(tenant = tenant.0, order, "callback not queued: {e}");
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(tenant = tenant.0, order, "callback not queued: {e}"),
            }
        } else if !matches!(view.ticket.order.status, tickets::Status::Resolved { .. })
            && self.running_centers().contains(&tenant)
        {
            // (A center not running has no task to take out.)
            let _ = self.center(tenant, move |c| c.drop_task(order)).await;
        }
    }

    /// The tenant's closed-loop numbers (first-contact days, callback attempts and days).
    pub async fn closed_loop(&self, tenant: TenantId) -> AppResult<ClosedLoop> {
        let item = self
            .store()
            .scoped(tenant)
            .config_item(CenterSettings::KIND, "center")
            .await?;
        Ok(item
            .and_then(|i| crate::config::parse::<CenterSettings>(&i).ok())
            .and_then(|s| s.closed_loop)
            .unwrap_or_default())
    }

    /// Whether the tenant calls back through the engine (it has the callback queue), and
    /// the number customers see then.
    async fn takes_callbacks(&self, tenant: TenantId) -> AppResult<Option<String>> {
        let scoped = self.store().scoped(tenant);
        if scoped
            .config_item(Queue::KIND, CALLBACK_QUEUE)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        Ok(Some(
            scoped
                .tenant_numbers()
                .await?
                .into_iter()
                .next()
                .unwrap_or_default(),
        ))
    }

    /// Queues the order's callback if, read now under the order lock, it is owed.
    async fn queue_callback(
        &self,
        tenant: TenantId,
        order: i64,
        from: &str,
        retry_ms: i64,
    ) -> AppResult<bool> {
        let lock = self.order_lock(tenant);
        let _one_at_a_time = lock.lock().await;
        let OrderView { ticket: t, .. } = self.order(tenant, order).await?;
        if !t.callback_due(self.now_ms(), retry_ms) {
            return Ok(false);
        }
        let scoped = self.store().scoped(tenant);
        let mut number = t.order.callers.first().cloned();
        if number.is_none()
            && let Some(id) = t.intake.customer_id
            && let Some(c) = scoped.customer(store::CustomerId(id)).await?
        {
            number = c.data.phones.first().map(|p| p.number.clone());
        }
        // Only a number that is one (the dial rules check it again when it is placed).
        let Some(number) = number.and_then(|n| phone::normalize(&n, None).ok()) else {
            tracing::info!(
                tenant = tenant.0,
                order,
                "no number to call back: left to the order list"
            );
            return Ok(false);
        };
        // Not while the contact policy says not now: the sweep offers it when it may be
        // placed (the order keeps owing it meanwhile).
        let named = t.intake.customer_id.map(store::CustomerId);
        let callees = match self.callees(tenant, named, number.as_str()).await {
            Err(crate::AppError::NotFound(_)) => {
                self.callees(tenant, None, number.as_str()).await?
            }
            other => other?,
        };
        let policy = self.contact_policy(tenant).await?;
        match self.verdict_of(tenant, &policy, &callees).await? {
            leads::Verdict::Call => {}
            v => {
                tracing::debug!(tenant = tenant.0, order, "callback deferred: {v:?}");
                return Ok(false);
            }
        }
        let task = Task {
            order,
            number: number.as_str().to_string(),
            customer: t.intake.customer_id,
            queue: CALLBACK_QUEUE.to_string(),
            priority: 0,
            from: from.to_string(),
        };
        self.center(tenant, move |c| c.callback_task(task)).await?
    }

    /// Puts the engine right with the orders: queues every callback owed and not in, takes
    /// out every task no longer owed. Returns how many were queued. One order's failure is
    /// logged and the others go on.
    pub async fn queue_callbacks(&self, tenant: TenantId) -> AppResult<usize> {
        let Some(from) = self.takes_callbacks(tenant).await? else {
            return Ok(0);
        };
        let retry = self.closed_loop(tenant).await?.retry_ms();
        let now = self.now_ms();
        // In the engine and no longer owed (the order changed while a sweep read it).
        let queued = self.center(tenant, |c| c.task_orders()).await?;
        for order in queued {
            let owed = match self.order(tenant, order).await {
                Ok(v) => matches!(v.ticket.order.status, tickets::Status::Resolved { .. }),
                Err(_) => false,
            };
            if !owed {
                self.center(tenant, move |c| c.drop_task(order)).await?;
            }
        }
        let mut added = 0;
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
                if !ticket.callback_due(now, retry) {
                    continue;
                }
                match self.queue_callback(tenant, row.id, &from, retry).await {
                    Ok(true) => added += 1,
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(
                            tenant = tenant.0,
                            order = row.id,
                            "callback not queued: {e}"
                        )
                    }
                }
            }
            if last {
                return Ok(added);
            }
        }
    }

    /// Every few seconds, for every tenant with a callback queue.
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
