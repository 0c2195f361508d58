//! What agents do to their own state, and team leads to theirs: sign in (within the seats
//! the tenant rents), ready, not ready for a reason, after-call work, sign out. Each is one
//! input to the tenant's engine; what it refuses is `InvalidState` with its reason.

use std::time::Duration;

use acd::{AgentId, AgentState, Reason};
use store::TenantId;

use crate::center::{Center, agent_id, ms};
use crate::{App, AppError, AppResult};

/// An agent's state as the engine and the floor know it now.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentSnapshot {
    /// `None`: the engine does not know the agent (no routing profile).
    pub state: Option<AgentState>,
    /// Since when, if seen since the center started.
    pub since_ms: Option<i64>,
    pub wrap_up_until_ms: Option<i64>,
    pub now_ms: i64,
}

impl Center {
    /// The agent's state; `None` for one the center does not route to (no routing profile,
    /// or one deleted).
    pub fn agent_state(&self, agent: AgentId) -> Option<AgentState> {
        if self.retired.contains(&agent) {
            return None;
        }
        self.acd.agent_state(agent)
    }

    pub fn agent_snapshot(&self, agent: AgentId) -> AgentSnapshot {
        AgentSnapshot {
            state: self.agent_state(agent),
            since_ms: self.floor.since(agent),
            wrap_up_until_ms: self.acd.wrap_up_until(agent).map(ms),
            now_ms: ms(self.now),
        }
    }
}

/// What a person may set an agent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Set {
    Ready,
    NotReady(Reason),
    SignedOut,
}

impl App {
    pub async fn agent_snapshot(&self, tenant: TenantId, user: i64) -> AppResult<AgentSnapshot> {
        let id = agent_id(user)?;
        self.center(tenant, move |c| c.agent_snapshot(id)).await
    }

    /// Signs the agent in to their queues (签入). The seat quota holds in the queues too,
    /// however the agent reached the center.
    pub async fn sign_in(&self, tenant: TenantId, user: i64) -> AppResult<()> {
        let id = agent_id(user)?;
        let quota = self
            .store()
            .tenant(tenant)
            .await?
            .map_or(0, |t| t.seat_quota);
        self.center(tenant, move |c| {
            if c.retired.contains(&id) {
                return Err(AppError::agent_refused(acd::AcdError::UnknownAgent(id)));
            }
            let offline = matches!(c.acd.agent_state(id), None | Some(AgentState::Offline));
            if offline && c.acd.agents_logged_in() >= quota as usize {
                return Err(AppError::Store(store::StoreError::SeatsFull { quota }));
            }
            let now = c.now;
            c.acd.handle_login(now, id).map_err(AppError::agent_refused)
        })
        .await?
    }

    /// Sets the agent ready, not ready or signed out (a contact in progress goes on until
    /// it ends); true if their state changed.
    pub async fn set_agent(&self, tenant: TenantId, user: i64, to: Set) -> AppResult<bool> {
        let id = agent_id(user)?;
        self.center(tenant, move |c| {
            let now = c.now;
            let before = c.acd.agent_state(id);
            match to {
                Set::Ready => c.acd.handle_ready(now, id),
                Set::NotReady(r) => c.acd.handle_not_ready(now, id, r),
                Set::SignedOut => c.acd.handle_logout(now, id),
            }
            .map(|()| c.acd.agent_state(id) != before)
            .map_err(AppError::agent_refused)
        })
        .await?
    }

    /// After-call work (话后处理): take `extend` longer, or be done now (`None`).
    pub async fn wrap_up(
        &self,
        tenant: TenantId,
        user: i64,
        extend: Option<Duration>,
    ) -> AppResult<()> {
        let id = agent_id(user)?;
        self.center(tenant, move |c| {
            let now = c.now;
            match extend {
                Some(d) => c.acd.handle_wrap_up_extend(now, id, d),
                None => c.acd.handle_wrap_up_end(now, id),
            }
            .map_err(AppError::agent_refused)
        })
        .await?
    }

    /// The tenant was suspended: every agent signed out of the queues (if its engine runs;
    /// none is started for this) and every phone forgotten.
    pub async fn suspended(&self, tenant: TenantId) {
        let profiles = match self.store().scoped(tenant).config_items("agent").await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(
                    tenant = tenant.0,
                    "agents not signed out on suspension: {e}"
                );
                return;
            }
        };
        let running = self.running_centers().contains(&tenant);
        for user in profiles.iter().filter_map(|p| p.key.parse::<i64>().ok()) {
            if running && let Err(e) = self.set_agent(tenant, user, Set::SignedOut).await {
                tracing::debug!(user, "not signed out on suspension: {e}");
            }
            if let Some(t) = self.telephony() {
                t.forget_user(tenant.0, user).await;
            }
        }
    }

    /// A user was deactivated: signed out of the queues, and their phones forgotten at
    /// once (the registrar refuses them from now on: inactive users have no extension).
    pub async fn deactivated(&self, tenant: TenantId, user: i64) {
        if let Err(e) = self.set_agent(tenant, user, Set::SignedOut).await {
            tracing::debug!(user, "not signed out on deactivation: {e}");
        }
        if let Some(t) = self.telephony() {
            t.forget_user(tenant.0, user).await;
        }
    }
}
