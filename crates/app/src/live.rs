//! The floor as the floor view and the wallboard read it: every queue's day and every
//! agent's state, taken from the tenant's engine and its [`crate::floor::Floor`] in one job
//! so the snapshot is consistent.

use tokio::sync::watch;

use crate::floor::QueueDay;

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
}

#[derive(Debug, Clone)]
pub struct LiveQueue {
    pub key: String,
    /// Open now, by its own flag and its calendar.
    pub open: bool,
    pub waiting: usize,
    /// Since when the longest-waiting call waits.
    pub oldest_ms: Option<i64>,
    pub day: QueueDay,
    /// The service-level goal (0.8) in `target_s` seconds.
    pub goal: f64,
    pub target_s: f64,
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
                    day: self.floor.day(id),
                    goal: cfg.service_level,
                    target_s: cfg.service_time.as_secs_f64(),
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
        Live {
            now_ms: crate::center::ms(self.now),
            alert: self.floor.alert.clone(),
            flow_alert: self.floor.flow_alert.clone(),
            queues,
            agents,
        }
    }
}

impl crate::App {
    /// The tenant's floor now.
    pub async fn floor_live(&self, tenant: store::TenantId) -> crate::AppResult<Live> {
        self.center(tenant, |c| c.live()).await
    }

    /// Wakes after each change of the tenant's floor.
    pub async fn floor_changes(
        &self,
        tenant: store::TenantId,
    ) -> crate::AppResult<watch::Receiver<u64>> {
        self.center(tenant, |c| c.floor.subscribe()).await
    }
}
