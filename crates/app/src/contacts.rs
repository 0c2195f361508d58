//! The contact policy where calls are placed (R2.4): before the center calls a customer —
//! an agent's click, a callback, a closed-loop callback (回访), a lead the center works — the
//! tenant's policy is asked (calls a day and a week, calling hours, blacklist, the
//! customer's "do not call" and hours), and the call is written down when placed, so the
//! next check counts it. A refusal says why and from when; a manager may place a call past
//! the limits and hours with a reason, never past the blacklist or "do not call". Both are
//! audited by the edge that asked.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::civil::Time;
use leads::{Contact, Policy, Verdict};
use store::{ContactCall, ContactPrefs, CustomerId, TenantId, UserId};

use crate::{App, AppError, AppResult};

/// Seven days and one, in ms: the window a week's limit looks at, with a day's margin for
/// the local calendar.
const WEEK_MS: i64 = 8 * 86_400_000;

/// Why a call is placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// An agent dialled the customer.
    Click,
    /// A callback the caller asked for.
    Callback,
    /// A closed-loop callback (回访).
    Revisit,
    /// A lead the center works.
    Lead,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Click => "click",
            Purpose::Callback => "callback",
            Purpose::Revisit => "revisit",
            Purpose::Lead => "lead",
        }
    }
}

/// `HH:MM` as a time of day.
pub fn parse_hhmm(field: &str, s: &str) -> AppResult<Time> {
    let bad = || AppError::invalid(field, "a time like 18:30");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m) = (
        h.parse::<i8>().map_err(|_| bad())?,
        m.parse::<i8>().map_err(|_| bad())?,
    );
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

impl App {
    /// The tenant's contact policy (the defaults until set; a stored policy that no longer
    /// builds is logged and the defaults used, so calls are never placed without one).
    /// Kept per tenant once built (every placed call asks), made again when the center's
    /// settings are saved.
    pub async fn contact_policy(&self, tenant: TenantId) -> AppResult<Arc<Policy>> {
        if let Some(p) = self.policies().get(&tenant) {
            return Ok(p.clone());
        }
        let (settings, _) = self.center_settings_doc(tenant).await?;
        let policy = Arc::new(match settings.contact_policy {
            None => Policy::standard(),
            Some(p) => p.build().unwrap_or_else(|e| {
                tracing::error!(tenant = tenant.0, "contact policy: {e}; using the defaults");
                Policy::standard()
            }),
        });
        self.policies().insert(tenant, policy.clone());
        Ok(policy)
    }

    /// The center's settings were saved: the policy is built again at the next call.
    pub(crate) fn contact_policy_changed(&self, tenant: TenantId) {
        self.policies().remove(&tenant);
    }

    fn policies(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, Arc<Policy>>> {
        self.0.policies.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The customer a record stands for: itself, or the record it was merged into.
    async fn surviving(&self, tenant: TenantId, customer: CustomerId) -> AppResult<CustomerId> {
        let c = self
            .store()
            .scoped(tenant)
            .customer(customer)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        Ok(c.merged_into.unwrap_or(c.id))
    }

    /// Whom a call to `number` reaches: the customer named (its surviving record when
    /// merged) and every customer with that number — the policy holds for each.
    pub async fn callees(
        &self,
        tenant: TenantId,
        named: Option<CustomerId>,
        number: &str,
    ) -> AppResult<Vec<CustomerId>> {
        let mut ids = Vec::new();
        if let Some(c) = named {
            ids.push(self.surviving(tenant, c).await?);
        }
        for c in self
            .store()
            .scoped(tenant)
            .customers_by_phone(number)
            .await?
        {
            if !ids.contains(&c.id) {
                ids.push(c.id);
            }
        }
        Ok(ids)
    }

    /// What the policy needs to know of a customer (with the records merged into them: a
    /// "do not call" given on any counts), and when they were called in the last days — one
    /// query.
    pub async fn contact_of(
        &self,
        tenant: TenantId,
        customer: CustomerId,
    ) -> AppResult<(Contact, Vec<i64>)> {
        let f = self
            .store()
            .scoped(tenant)
            .contact_facts(customer, self.now_ms() - WEEK_MS)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        let hours = match &f.hours {
            Some((a, b)) => Some((parse_hhmm("hours", a)?, parse_hhmm("hours", b)?)),
            None => None,
        };
        Ok((
            Contact {
                blacklisted: f.blacklisted,
                do_not_call: f.do_not_call,
                hours,
            },
            f.calls_ms,
        ))
    }

    /// Whether the center may call `customer` now, and if not, why and from when.
    pub async fn contact_verdict(
        &self,
        tenant: TenantId,
        customer: CustomerId,
    ) -> AppResult<Verdict> {
        let policy = self.contact_policy(tenant).await?;
        self.verdict_of(tenant, &policy, &[customer]).await
    }

    /// The policy's answer for a call reaching all of `customers` (none: a number no
    /// customer has, held to the calling hours only): not at all if any may never be called,
    /// else not before the latest of their times.
    pub async fn verdict_of(
        &self,
        tenant: TenantId,
        policy: &Policy,
        customers: &[CustomerId],
    ) -> AppResult<Verdict> {
        let now = self.now_ms();
        if customers.is_empty() {
            return Ok(policy.check(&Contact::default(), &[], now));
        }
        let mut out = Verdict::Call;
        for c in customers {
            let (contact, placed) = self.contact_of(tenant, *c).await?;
            match (policy.check(&contact, &placed, now), out) {
                (v @ Verdict::Never { .. }, _) => return Ok(v),
                (Verdict::Call, _) => {}
                (v @ Verdict::Defer { .. }, Verdict::Call) => out = v,
                (
                    Verdict::Defer { until, reason },
                    Verdict::Defer {
                        until: was,
                        reason: r,
                    },
                ) => {
                    // The latest time; a customer's own hours stay the reason when they are
                    // one (no override passes them).
                    let hours = leads::Reason::CustomerHours;
                    let reason = if r == hours { hours } else { reason };
                    out = Verdict::Defer {
                        until: until.max(was),
                        reason,
                    };
                }
                (Verdict::Defer { .. }, Verdict::Never { .. }) => {}
            }
        }
        Ok(out)
    }

    /// Checks the policy for a call reaching `customers` (see [`App::callees`]) and, when it
    /// may be placed (or a manager overrides the limits and calling hours with
    /// `override_reason` — never a customer's "do not call", blacklist or own hours),
    /// writes it down for each before it is dialled. One check at a time per tenant, so two
    /// agents cannot both place the day's one call. Returns whether it went past the policy.
    pub async fn place_contact(
        &self,
        tenant: TenantId,
        customers: &[CustomerId],
        purpose: Purpose,
        call_id: &str,
        user: Option<UserId>,
        override_reason: Option<&str>,
    ) -> AppResult<bool> {
        let lock = self.contact_lock(tenant);
        let _one_at_a_time = lock.lock().await;
        let policy = self.contact_policy(tenant).await?;
        let verdict = self.verdict_of(tenant, &policy, customers).await?;
        let overridden = match verdict {
            Verdict::Call => false,
            Verdict::Never { reason } => {
                return Err(AppError::ContactRefused {
                    reason: reason.as_str(),
                    until_ms: None,
                    message: format!("not called: {}", reason.explain()),
                });
            }
            Verdict::Defer { until, reason } => match override_reason {
                Some(r) if !r.trim().is_empty() && reason != leads::Reason::CustomerHours => true,
                _ => {
                    return Err(AppError::ContactRefused {
                        reason: reason.as_str(),
                        until_ms: Some(until),
                        message: format!(
                            "not called now: {}; it may be called from {}",
                            reason.explain(),
                            policy.local_time(until)
                        ),
                    });
                }
            },
        };
        for customer in customers {
            self.store()
                .scoped(tenant)
                .record_contact_call(&ContactCall {
                    customer: *customer,
                    at_ms: self.now_ms(),
                    call_id: call_id.to_string(),
                    purpose: purpose.as_str().to_string(),
                    user,
                    override_reason: override_reason
                        .filter(|_| overridden)
                        .map(|r| r.trim().to_string()),
                })
                .await?;
        }
        Ok(overridden)
    }

    /// A call written down by [`App::place_contact`] was not dialled after all (the line
    /// refused it): it does not count.
    pub async fn unplace_contact(&self, tenant: TenantId, call_id: &str) -> AppResult<()> {
        self.store()
            .scoped(tenant)
            .delete_contact_calls(call_id)
            .await?;
        Ok(())
    }

    /// Saves what a customer asked of the center's calls.
    pub async fn set_contact_prefs(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        mut prefs: ContactPrefs,
        by: UserId,
    ) -> AppResult<ContactPrefs> {
        if let Some((a, b)) = &prefs.hours {
            let (from, to) = (parse_hhmm("hours_from", a)?, parse_hhmm("hours_to", b)?);
            if from >= to {
                return Err(AppError::invalid("hours_to", "later than hours_from"));
            }
        }
        crate::orders::text_ok("note", &prefs.note, 500, false)?;
        self.store()
            .scoped(tenant)
            .customer(customer)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        prefs.updated_ms = self.now_ms();
        prefs.updated_by = Some(by);
        self.store()
            .scoped(tenant)
            .set_contact_prefs(customer, &prefs)
            .await?;
        Ok(prefs)
    }

    fn contact_lock(&self, tenant: TenantId) -> Arc<tokio::sync::Mutex<()>> {
        self.0
            .contact_writes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(tenant)
            .or_default()
            .clone()
    }
}
