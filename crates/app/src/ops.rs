//! What an operator watches: the running center's numbers for `/metrics`, and whether it
//! is ready to take work.

use std::collections::BTreeMap;

use crate::App;

/// One tenant's engine, now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CenterNumbers {
    /// Callers waiting in its queues.
    pub waiting: usize,
    /// Agents by state (`ready`, `talking`…), offline ones left out.
    pub agents: BTreeMap<String, usize>,
}

/// The whole center, now.
#[derive(Debug, Clone, Default)]
pub struct Numbers {
    /// By tenant slug, for the engines running.
    pub centers: BTreeMap<String, CenterNumbers>,
    /// Events queued for the log's writer, not yet committed.
    pub log_queued: usize,
    /// Events set aside (dead letters) since start.
    pub log_set_aside: u64,
    /// Stored events that did not parse, since start.
    pub unreadable_events: u64,
    /// Engines restarted after a failure, since start.
    pub center_restarts: u64,
    pub telephony: Option<telephony::Stats>,
}

impl App {
    /// The center's numbers now (each running engine answers in turn).
    pub async fn numbers(&self) -> Numbers {
        let mut n = Numbers {
            log_queued: self.events().queued(),
            log_set_aside: self.events().rejected(),
            unreadable_events: self.unreadable_events(),
            center_restarts: self.center_restarts(),
            telephony: self.telephony().map(|t| t.stats()),
            ..Numbers::default()
        };
        for tenant in self.running_centers() {
            let Ok(Some(t)) = self.store().tenant(tenant).await else {
                continue;
            };
            let numbers = self
                .center(tenant, |c| {
                    let mut agents = BTreeMap::new();
                    for id in c.acd.agent_ids() {
                        if let Some(state) = c.agent_state(id)
                            && state != acd::AgentState::Offline
                        {
                            let name = serde_json::to_value(state)
                                .ok()
                                .and_then(|v| v.as_str().map(String::from))
                                .unwrap_or_else(|| format!("{state:?}").to_lowercase());
                            *agents.entry(name).or_insert(0) += 1;
                        }
                    }
                    let waiting = c.queue_status().iter().map(|(_, _, w)| w).sum();
                    CenterNumbers { waiting, agents }
                })
                .await;
            if let Ok(numbers) = numbers {
                n.centers.insert(t.slug, numbers);
            }
        }
        n
    }

    /// Whether the center can take work: the database answers and the log's writer runs.
    pub async fn ready(&self) -> Result<(), String> {
        if self.events().is_closed() {
            return Err("the event log's writer has stopped".into());
        }
        match tokio::time::timeout(std::time::Duration::from_secs(2), self.store().ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("the database: {e}")),
            Err(_) => Err("the database did not answer within 2 s".into()),
        }
    }
}
