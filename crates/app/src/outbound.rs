//! Calls the center places — click-to-call and callbacks — go only where the tenant's dial
//! rules allow ([`crate::config::Dialing`]), and an agent places at most so many a minute:
//! a stolen session or a spoofed caller cannot make the center run up a phone bill.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use store::TenantId;

use crate::config::{CenterSettings, Dialing, Document, parse};
use crate::{App, AppError, AppResult};

/// When each agent placed their recent calls.
#[derive(Debug, Default)]
pub(crate) struct Placed(Mutex<HashMap<(TenantId, i64), VecDeque<i64>>>);

impl App {
    /// The tenant's dial rules (the defaults until set).
    pub async fn dialing(&self, tenant: TenantId) -> AppResult<Dialing> {
        let item = self
            .store()
            .scoped(tenant)
            .config_item(CenterSettings::KIND, "center")
            .await?;
        Ok(match item {
            Some(item) => parse::<CenterSettings>(&item)?.dialing.unwrap_or_default(),
            None => Dialing::default(),
        })
    }

    /// Whether the tenant may call `number` out; the error names `number` and says why.
    pub async fn may_call(&self, tenant: TenantId, number: &phone::Phone) -> AppResult<()> {
        let rules = self.dialing(tenant).await?;
        phone::dial_allowed(number, rules.international, &rules.allowed_prefixes)
            .map_err(|e| AppError::invalid("number", e.to_string()))
    }

    /// [`App::may_call`], and counts the call against the agent's calls a minute.
    pub async fn may_place(
        &self,
        tenant: TenantId,
        user: i64,
        number: &phone::Phone,
    ) -> AppResult<()> {
        let rules = self.dialing(tenant).await?;
        phone::dial_allowed(number, rules.international, &rules.allowed_prefixes)
            .map_err(|e| AppError::invalid("number", e.to_string()))?;
        let now = self.now_ms();
        let mut placed = self.0.placed.0.lock().unwrap_or_else(|e| e.into_inner());
        let recent = placed.entry((tenant, user)).or_default();
        while recent.front().is_some_and(|t| now - *t >= 60_000) {
            recent.pop_front();
        }
        if recent.len() >= rules.per_agent_per_minute as usize {
            return Err(AppError::RateLimited(format!(
                "at most {} calls a minute; try again shortly",
                rules.per_agent_per_minute
            )));
        }
        recent.push_back(now);
        Ok(())
    }
}
