//! The floor as the floor view and the wallboard read it: every queue and every agent's
//! state, taken from the tenant's engine and its [`crate::floor::Floor`] in one job so the
//! snapshot is consistent, and the day's counts from the reports' rollups with the calls
//! in progress counted as if they ended now ([`crate::App::floor_day`]).

use std::collections::HashMap;

use tokio::sync::watch;

/// The engine's part of the floor, taken in one job so it is consistent.
#[derive(Debug, Clone)]
pub struct Live {
    pub now_ms: i64,
    /// The engine was restarted after a failure (when, why).
    pub alert: Option<(i64, String)>,
    /// A number's IVR flow failed to load (when, the number, why).
    pub flow_alert: Option<(i64, String, String)>,
    pub queues: Vec<LiveQueue>,
    pub agents: Vec<LiveAgent>,
    /// Calls answered and not yet ended, as records ending now: today's counts include
    /// them the moment they are answered.
    pub in_progress: Vec<events::CallEnded>,
}

#[derive(Debug, Clone)]
pub struct LiveQueue {
    pub key: String,
    /// Open now, by its own flag and its calendar.
    pub open: bool,
    pub waiting: usize,
    /// Since when the longest-waiting call waits.
    pub oldest_ms: Option<i64>,
    /// The queue's service-level goal (0.8).
    pub goal: f64,
}

#[derive(Debug, Clone)]
pub struct LiveAgent {
    pub user: i64,
    pub state: Option<acd::AgentState>,
    pub since_ms: Option<i64>,
    pub wrap_up_until_ms: Option<i64>,
    /// The queues' keys.
    pub queues: Vec<String>,
    /// Whether the engine can ring the agent's phone now.
    pub reachable: bool,
}

impl crate::center::Center {
    /// The floor now: every queue's day and every agent's state.
    pub fn live(&self) -> Live {
        let queues = self
            .queue_status()
            .into_iter()
            .filter_map(|(key, open, waiting)| {
                let id = self.known_queue(&key)?;
                let cfg = self.acd.queue_config(id)?;
                Some(LiveQueue {
                    key,
                    open,
                    waiting,
                    oldest_ms: self.floor.oldest_waiting(id),
                    goal: cfg.service_level,
                })
            })
            .collect();
        let agents = self
            .acd
            .agent_ids()
            .into_iter()
            .filter(|id| !self.retired.contains(id))
            .map(|id| LiveAgent {
                user: i64::from(id.0),
                state: self.acd.agent_state(id),
                since_ms: self.floor.since(id),
                wrap_up_until_ms: self.acd.wrap_up_until(id).map(crate::center::ms),
                reachable: self.acd.reachable(id, acd::Channel::Voice).unwrap_or(false),
                queues: self
                    .acd
                    .agent_config(id)
                    .map(|cfg| {
                        cfg.queues
                            .iter()
                            .filter_map(|q| self.queue_key(*q).map(String::from))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        let now_ms = crate::center::ms(self.now);
        let in_progress = self
            .calls
            .values()
            .filter(|r| r.order.is_none())
            .filter_map(|r| r.in_progress(now_ms))
            .collect();
        Live {
            now_ms,
            alert: self.floor.alert.clone(),
            flow_alert: self.floor.flow_alert.clone(),
            queues,
            agents,
            in_progress,
        }
    }
}

impl crate::App {
    /// The tenant's floor now.
    pub async fn floor_live(&self, tenant: store::TenantId) -> crate::AppResult<Live> {
        self.center(tenant, |c| c.live()).await
    }

    /// Today's counts by queue (since midnight in the tenant's zone), from the rollups and
    /// the calls in progress, with the tenant's report definitions: what the floor view
    /// and the wallboard show.
    pub async fn floor_day(
        &self,
        tenant: store::TenantId,
        live: &Live,
    ) -> crate::AppResult<(HashMap<String, reports::Components>, reports::Settings)> {
        let zone = self.tenant_zone(tenant).await?;
        let day = reports::period_start(live.now_ms, reports::Granularity::Day, &zone, 0);
        self.fold_rollups(tenant).await?;
        let rows = self
            .store()
            .scoped(tenant)
            .rollup_rows_in(
                store::RollupLevel::Day,
                reports::Dim::Queue.as_str(),
                day,
                i64::MAX,
                None,
            )
            .await?;
        let mut by_queue: HashMap<String, reports::Components> = HashMap::new();
        for r in rows {
            by_queue
                .entry(r.key)
                .or_default()
                .merge(&reports::Components::from_slice(&r.values));
        }
        let mut now = reports::Rollup::default();
        for c in live.in_progress.iter().filter(|c| c.arrived_at_ms >= day) {
            reports::call_rows(c, &mut now);
        }
        for (k, c) in now.0 {
            if k.dim == reports::Dim::Queue {
                by_queue.entry(k.key).or_default().merge(&c);
            }
        }
        Ok((by_queue, self.report_settings(tenant).await?))
    }

    /// Wakes after each change of the tenant's floor.
    pub async fn floor_changes(
        &self,
        tenant: store::TenantId,
    ) -> crate::AppResult<watch::Receiver<u64>> {
        self.center(tenant, |c| c.floor.subscribe()).await
    }
}
