//! Work orders (工单) in the running center: taken in (from a call, the API or a business
//! system's webhook) and routed to a handling group by the tenant's rules, moved along by
//! handlers, leads and agents, their time limits swept for warnings (催办) and breaches
//! (escalation). The rules are the `tickets` crate's; this module loads what they need (the
//! tenant's order types, groups and calendars), decides who may do what to an order, and
//! writes each change as one event carrying the order as it leaves it (see `store::orders`),
//! one change of a tenant's orders at a time.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use events::{OrderChanged, OrderSla, Payload};
use store::{CustomerId, NewEvent, OrderRow, Role, TenantId, User, UserId};
use tickets::{Command, Group, Intake, OrderType, Policy, Signal, Status, Step, Ticket};

use crate::config::{Calendar, Document, parse};
use crate::{App, AppError, AppResult};

/// Orders the sweep takes per tenant per round.
const SWEEP_BATCH: u32 = 500;

/// What a user asks of an order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// To a group; `None` routes by the tenant's rules. A dispatched or accepted order goes
    /// to another group (改派) with the acting lead as its reviewer.
    Dispatch {
        group: Option<String>,
    },
    Accept,
    Return {
        reason: String,
    },
    Wait {
        note: Option<String>,
    },
    Resume,
    Step {
        step: Step,
        note: Option<String>,
    },
    Resolve {
        note: Option<String>,
    },
    /// The callback (回访): `reached` false when the customer did not answer.
    Callback {
        reached: bool,
        satisfied: bool,
        score: u8,
        words: Option<String>,
    },
    Override {
        reason: String,
    },
    /// Into another open order (并单), which takes its callers.
    Merge {
        into: i64,
    },
    /// The customer called about it again.
    CalledAgain {
        call_id: String,
    },
}

/// An order as the API shows it.
#[derive(Debug, Clone)]
pub struct OrderView {
    pub row: OrderRow,
    pub ticket: Ticket,
}

/// A tenant's order types and handling groups.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    pub types: BTreeMap<String, OrderType>,
    pub groups: BTreeMap<String, Group>,
}

/// One sequence of order numbers for the center, continued from the store at first use.
#[derive(Debug, Default)]
pub(crate) struct OrderIds(tokio::sync::OnceCell<AtomicI64>);

/// A text field within `max` characters, without control characters but line breaks and
/// tabs; `required`: not blank.
pub(crate) fn text_ok(field: &str, v: &str, max: usize, required: bool) -> AppResult<()> {
    if required && v.trim().is_empty() {
        return Err(AppError::invalid(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(AppError::invalid(field, "no control characters"));
    }
    Ok(())
}

fn status_group(s: &Status) -> Option<(&str, Option<u64>)> {
    match s {
        Status::Dispatched { group } => Some((group, None)),
        Status::Accepted { group, handler }
        | Status::Waiting { group, handler }
        | Status::Resolved { group, handler } => Some((group, Some(*handler))),
        _ => None,
    }
}

impl App {
    pub(crate) fn order_lock(&self, tenant: TenantId) -> Arc<tokio::sync::Mutex<()>> {
        self.0
            .order_writes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(tenant)
            .or_default()
            .clone()
    }

    async fn next_order_id(&self) -> AppResult<i64> {
        let ids = self
            .0
            .order_ids
            .0
            .get_or_try_init(|| async {
                Ok::<_, AppError>(AtomicI64::new(self.store().max_order_id().await?))
            })
            .await?;
        Ok(ids.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// The tenant's order types and handling groups as configured (a document that does
    /// not parse is left out and logged).
    pub async fn order_setup(&self, tenant: TenantId) -> AppResult<Setup> {
        let scoped = self.store().scoped(tenant);
        let mut setup = Setup::default();
        for item in scoped.config_items(OrderType::KIND).await? {
            match parse::<OrderType>(&item) {
                Ok(t) => drop(setup.types.insert(item.key, t)),
                Err(e) => tracing::error!(tenant = tenant.0, "{e}"),
            }
        }
        for item in scoped.config_items(Group::KIND).await? {
            match parse::<Group>(&item) {
                Ok(g) => drop(setup.groups.insert(item.key, g)),
                Err(e) => tracing::error!(tenant = tenant.0, "{e}"),
            }
        }
        Ok(setup)
    }

    /// The calendar a policy counts on: its own, else the standard working week.
    pub async fn sla_calendar(
        &self,
        tenant: TenantId,
        policy: Option<&Policy>,
    ) -> AppResult<calendar::Calendar> {
        if let Some(key) = policy.and_then(|p| p.calendar.as_deref()) {
            let item = self.config_get::<Calendar>(tenant, key).await;
            match item.and_then(|i| parse::<Calendar>(&i)?.build()) {
                Ok(cal) => return Ok(cal),
                Err(e) => tracing::error!(
                    tenant = tenant.0,
                    "calendar `{key}` of an SLA policy: {e}; counting on the standard week"
                ),
            }
        }
        Ok(tickets::standard_calendar())
    }

    /// An order and its document.
    pub async fn order(&self, tenant: TenantId, id: i64) -> AppResult<OrderView> {
        let row = self
            .store()
            .scoped(tenant)
            .order(id)
            .await?
            .ok_or(AppError::NotFound("order"))?;
        let ticket = serde_json::from_value(row.data.clone()).map_err(|e| {
            AppError::Internal(format!("the stored order {id} does not parse: {e}"))
        })?;
        Ok(OrderView { row, ticket })
    }

    /// Takes in an order: checked against its type, numbered, routed to a group by the
    /// tenant's rules (or left with the center when none matches) — or, when `solved`, closed
    /// on the contact it came in on (resolved, with its callback owed when its type needs
    /// one). Nothing is written when a field is wrong.
    pub async fn create_order(
        &self,
        tenant: TenantId,
        actor: Option<&User>,
        intake: Intake,
        solved: bool,
    ) -> AppResult<OrderView> {
        let view = self.take_in(tenant, actor, intake, solved).await?;
        self.follow_callback(tenant, &view).await;
        Ok(view)
    }

    async fn take_in(
        &self,
        tenant: TenantId,
        actor: Option<&User>,
        mut intake: Intake,
        solved: bool,
    ) -> AppResult<OrderView> {
        let setup = self.order_setup(tenant).await?;
        let kind = setup
            .types
            .get(&intake.order_type)
            .ok_or_else(|| AppError::invalid("order_type", "no such order type here"))?;
        check_intake(kind, &mut intake)?;
        if let Some(c) = intake.customer_id {
            let customer = self
                .store()
                .scoped(tenant)
                .customer(CustomerId(c))
                .await?
                .ok_or_else(|| AppError::invalid("customer_id", "no such customer here"))?;
            if intake.segment.is_none() {
                intake.segment = Some(customer.data.segment.as_str().to_string());
            }
        }
        let policy = kind.policy(intake.segment.as_deref()).cloned();
        let cal = self.sla_calendar(tenant, policy.as_ref()).await?;
        let closed_loop = self.closed_loop(tenant).await?;
        let lock = self.order_lock(tenant);
        let _one_at_a_time = lock.lock().await;
        // A business system's retry takes in nothing new.
        if let Some(ext) = &intake.external_id
            && let Some(row) = self.store().scoped(tenant).order_by_external(ext).await?
        {
            return self.order(tenant, row.id).await;
        }
        let now = self.now_ms();
        let id = self.next_order_id().await?;
        let actor_id = actor.map(|u| u.id.0);
        let mut ticket = Ticket::new(
            id as u64,
            intake,
            kind.callback_required,
            policy,
            actor_id.map(|a| a as u64),
            now,
        );
        ticket.order.max_callback_attempts = closed_loop.callback_attempts.max(1);
        let mut steps: Vec<(String, Option<String>)> = vec![("create".into(), None)];
        let mut history = vec![ticket.clone()];
        if solved {
            let handler = actor_id.ok_or_else(|| {
                AppError::invalid("solved", "only a person solves an order on the call")
            })?;
            ticket
                .apply(
                    Command::Solve {
                        handler: handler as u64,
                    },
                    &cal,
                    now,
                )
                .map_err(order_refused)?;
            steps.push(("resolve".into(), None));
            history.push(ticket.clone());
        } else {
            let facts = tickets::Facts {
                order_type: &ticket.intake.order_type,
                category: &ticket.intake.category,
                region: &ticket.intake.region,
                segment: ticket.intake.segment.as_deref(),
            };
            if let Some(group) = tickets::route(&setup.groups, &facts) {
                let group = group.to_string();
                ticket
                    .apply(Command::Dispatch { group }, &cal, now)
                    .map_err(order_refused)?;
                steps.push(("dispatch".into(), None));
                history.push(ticket.clone());
            }
        }
        let mut events = Vec::new();
        let mut prev: Option<&OrderRow> = None;
        let mut rows = Vec::new();
        for (i, t) in history.iter().enumerate() {
            let row = row_of(t, i as i64 + 1, prev, &cal, now);
            rows.push(row);
            prev = rows.last();
        }
        let mut from = "open".to_string();
        for ((row, (action, note)), t) in rows.iter().zip(steps).zip(&history) {
            // Dispatch by the rules is the center's, not the agent's.
            let by = if action == "dispatch" { None } else { actor_id };
            let mut event = change_event(tenant, row, &from, by, &action, note, None, now);
            if action == "resolve" {
                judge(&mut event, t, &cal);
            }
            events.push(event);
            from = row.status.clone();
        }
        self.events()
            .append_all(events)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        self.order(tenant, id).await
    }

    /// Does `action` to order `id` as `actor`: who may is checked here (a group's members
    /// accept its orders, the handler works them, leads re-dispatch), then the order's
    /// rules; refused, nothing is written.
    pub async fn act_on_order(
        &self,
        tenant: TenantId,
        actor: &User,
        id: i64,
        action: Action,
    ) -> AppResult<OrderView> {
        let view = self.act(tenant, actor, id, action).await?;
        self.follow_callback(tenant, &view).await;
        Ok(view)
    }

    async fn act(
        &self,
        tenant: TenantId,
        actor: &User,
        id: i64,
        action: Action,
    ) -> AppResult<OrderView> {
        let setup = self.order_setup(tenant).await?;
        let lock = self.order_lock(tenant);
        let _one_at_a_time = lock.lock().await;
        let OrderView { row, mut ticket } = self.order(tenant, id).await?;
        let cal = self.sla_calendar(tenant, ticket.policy.as_ref()).await?;
        let now = self.now_ms();
        let me = actor.id.0 as u64;
        let manages = matches!(actor.role, Role::TenantAdmin | Role::Supervisor);
        let (group_key, handler) = status_group(&ticket.order.status)
            .map_or((None, None), |(g, h)| (Some(g.to_string()), h));
        let group = group_key.as_ref().and_then(|g| setup.groups.get(g));
        let leads = manages || group.is_some_and(|g| g.lead == Some(me));
        let member = leads || group.is_some_and(|g| g.members.contains(&me));
        let handles = leads || handler == Some(me);
        let not_yours = |what: &str| {
            AppError::InvalidState(format!(
                "{what}: this order is with {}",
                group.map_or("another group", |g| g.name.as_str())
            ))
        };
        // Signals due before the change are said first, so nothing is met unsaid.
        let events = self.signals(tenant, &mut ticket, &setup, &cal, now);
        let (command, name, note, score) = match action {
            Action::Dispatch { group } => {
                let group = match group {
                    Some(g) => g,
                    None => tickets::route(
                        &setup.groups,
                        &tickets::Facts {
                            order_type: &ticket.intake.order_type,
                            category: &ticket.intake.category,
                            region: &ticket.intake.region,
                            segment: ticket.intake.segment.as_deref(),
                        },
                    )
                    .ok_or_else(|| AppError::invalid("group", "no rule routes this order"))?
                    .to_string(),
                };
                if !setup.groups.contains_key(&group) {
                    return Err(AppError::invalid("group", "no such handling group here"));
                }
                if matches!(ticket.order.status, Status::Open) {
                    (Command::Dispatch { group }, "dispatch", None, None)
                } else {
                    (
                        Command::Redispatch {
                            group,
                            reviewed_by: me,
                        },
                        "redispatch",
                        None,
                        None,
                    )
                }
            }
            Action::Accept => {
                if !member {
                    return Err(not_yours("only its group's members accept it"));
                }
                (Command::Accept { handler: me }, "accept", None, None)
            }
            Action::Return { reason } => {
                text_ok("reason", &reason, 1000, true)?;
                if !(member && (handler.is_none() || handles)) {
                    return Err(not_yours("only its handler or group returns it"));
                }
                (
                    Command::Return {
                        reason: reason.clone(),
                    },
                    "return",
                    Some(reason),
                    None,
                )
            }
            Action::Wait { note } => {
                check_note(&note)?;
                if !handles {
                    return Err(not_yours("only its handler"));
                }
                (Command::Wait, "wait", note, None)
            }
            Action::Resume => {
                if !handles {
                    return Err(not_yours("only its handler"));
                }
                (Command::Resume, "resume", None, None)
            }
            Action::Resolve { note } => {
                check_note(&note)?;
                if !handles {
                    return Err(not_yours("only its handler"));
                }
                (Command::Resolve, "resolve", note, None)
            }
            Action::Step { step, note } => {
                check_note(&note)?;
                if !handles {
                    return Err(not_yours("only its handler"));
                }
                ticket.step(step, &cal, now).map_err(order_refused)?;
                let name = match step {
                    Step::OnTheWay => "on_the_way",
                    Step::OnSite => "on_site",
                    Step::Note => "note",
                };
                return self
                    .write_change(tenant, actor, &row, ticket, events, name, note, None, &cal)
                    .await;
            }
            Action::Callback {
                reached,
                satisfied,
                score,
                words,
            } => {
                check_note(&words)?;
                if reached {
                    (
                        Command::Callback { satisfied, score },
                        "callback",
                        words,
                        Some(score),
                    )
                } else {
                    (Command::CallbackMissed, "callback_missed", words, None)
                }
            }
            Action::Override { reason } => {
                text_ok("reason", &reason, 1000, true)?;
                (
                    Command::Override {
                        by: me,
                        reason: reason.clone(),
                    },
                    "override",
                    Some(reason),
                    None,
                )
            }
            Action::Merge { into } => {
                return self
                    .merge_orders(tenant, actor, row, ticket, into, events, &cal)
                    .await;
            }
            Action::CalledAgain { call_id } => {
                text_ok("call_id", &call_id, 128, true)?;
                if ticket.order.status.is_closed() {
                    return Err(AppError::InvalidState(format!(
                        "the order is {}",
                        ticket.order.status.name()
                    )));
                }
                let fcr_days = self.closed_loop(tenant).await?.fcr_days;
                ticket.called_again(&call_id, fcr_days, now);
                return self
                    .write_change(
                        tenant,
                        actor,
                        &row,
                        ticket,
                        events,
                        "repeat_call",
                        None,
                        None,
                        &cal,
                    )
                    .await;
            }
        };
        ticket.apply(command, &cal, now).map_err(order_refused)?;
        self.write_change(tenant, actor, &row, ticket, events, name, note, score, &cal)
            .await
    }

    /// Writes a change: the signals said before it, then the change itself carrying the
    /// order at its next version.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn write_change(
        &self,
        tenant: TenantId,
        actor: &User,
        row: &OrderRow,
        ticket: Ticket,
        mut events: Vec<NewEvent>,
        action: &str,
        note: Option<String>,
        score: Option<u8>,
        cal: &calendar::Calendar,
    ) -> AppResult<OrderView> {
        let now = self.now_ms();
        let next = row_of(&ticket, row.version + 1, Some(row), cal, now);
        let mut event = change_event(
            tenant,
            &next,
            &row.status,
            Some(actor.id.0),
            action,
            note,
            score,
            now,
        );
        if action == "resolve" {
            judge(&mut event, &ticket, cal);
        }
        events.push(event);
        let id = row.id;
        self.events()
            .append_all(events)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        self.order(tenant, id).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn merge_orders(
        &self,
        tenant: TenantId,
        actor: &User,
        row: OrderRow,
        mut ticket: Ticket,
        into: i64,
        mut events: Vec<NewEvent>,
        cal: &calendar::Calendar,
    ) -> AppResult<OrderView> {
        if into == row.id {
            return Err(AppError::invalid("into", "not into itself"));
        }
        let OrderView {
            row: target_row,
            ticket: mut target,
        } = self
            .order(tenant, into)
            .await
            .map_err(|_| AppError::invalid("into", "no such order here"))?;
        if target.order.status.is_closed() {
            return Err(AppError::invalid("into", "that order is closed"));
        }
        let now = self.now_ms();
        ticket
            .apply(
                Command::MergeInto {
                    target: into as u64,
                },
                cal,
                now,
            )
            .map_err(order_refused)?;
        let target_cal = self.sla_calendar(tenant, target.policy.as_ref()).await?;
        target
            .apply(
                Command::Absorb {
                    callers: ticket.order.callers.clone(),
                },
                &target_cal,
                now,
            )
            .map_err(order_refused)?;
        for c in &ticket.calls {
            if !target.calls.contains(c) {
                target.calls.push(c.clone());
            }
        }
        target.merged.push(row.id as u64);
        let merged = row_of(&ticket, row.version + 1, Some(&row), cal, now);
        events.push(change_event(
            tenant,
            &merged,
            &row.status,
            Some(actor.id.0),
            "merge",
            Some(format!("#{into}")),
            None,
            now,
        ));
        let absorbing = row_of(
            &target,
            target_row.version + 1,
            Some(&target_row),
            &target_cal,
            now,
        );
        events.push(change_event(
            tenant,
            &absorbing,
            &target_row.status,
            Some(actor.id.0),
            "absorb",
            Some(format!("#{}", row.id)),
            None,
            now,
        ));
        // Both in one batch, so one transaction: never one side of a merge without the other.
        self.events()
            .append_all(events)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        self.order(tenant, row.id).await
    }

    /// The warnings and breaches due on `ticket` by `now`, as events to whom they go.
    fn signals(
        &self,
        tenant: TenantId,
        ticket: &mut Ticket,
        setup: &Setup,
        cal: &calendar::Calendar,
        now: i64,
    ) -> Vec<NewEvent> {
        let (group, handler) = status_group(&ticket.order.status)
            .map_or((None, None), |(g, h)| (Some(g.to_string()), h));
        let lead = group
            .as_ref()
            .and_then(|g| setup.groups.get(g))
            .and_then(|g| g.lead);
        let mut out = Vec::new();
        for (which, signal) in ticket.poll(cal, now) {
            let clock = ticket.clocks.each()[which as usize].1.clone();
            let started = clock.as_ref().map_or(0, |c| c.started_ms);
            let signal_name = match signal {
                Signal::Warn => "warn",
                Signal::Breach => "breach",
                Signal::Escalate => "escalate",
            };
            // Chasing to the handler, the breach to the group's lead, the second escalation
            // to the managers (no one addressee: supervisors and administrators see it).
            let to = match signal {
                Signal::Warn => handler.or(lead),
                Signal::Breach => lead.or(handler),
                Signal::Escalate => None,
            };
            let payload = OrderSla {
                order_id: ticket.id() as i64,
                customer_id: ticket.intake.customer_id,
                limit: which.name().into(),
                signal: signal_name.into(),
                to_user_id: to.map(|u| u as i64),
                due_ms: clock.and_then(|c| {
                    let budget = c.budget_ms(cal)?;
                    let left = budget - c.used_ms(cal, now);
                    Some(now + left)
                }),
            };
            out.push(NewEvent {
                tenant,
                id: OrderSla::id(ticket.id() as i64, which.name(), started, signal_name),
                at_ms: now,
                kind: OrderSla::KIND.into(),
                payload: payload.to_value(),
                order: None,
                lead: None,
            });
        }
        out
    }

    /// Says every warning and breach due in `tenant` by now, each once: the order's new
    /// version (its clocks' flags) goes with the signals' events in one transaction, so a
    /// crash neither loses nor repeats one. Returns how many signals were said.
    pub async fn sweep_orders(&self, tenant: TenantId) -> AppResult<usize> {
        // Most seconds nothing is due: one index read, no lock.
        if self
            .store()
            .scoped(tenant)
            .orders_due(self.now_ms(), 1)
            .await?
            .is_empty()
        {
            return Ok(0);
        }
        let setup = self.order_setup(tenant).await?;
        let lock = self.order_lock(tenant);
        let _one_at_a_time = lock.lock().await;
        let now = self.now_ms();
        let due = self
            .store()
            .scoped(tenant)
            .orders_due(now, SWEEP_BATCH)
            .await?;
        let mut calendars: HashMap<Option<String>, calendar::Calendar> = HashMap::new();
        let mut said = 0;
        let mut events = Vec::new();
        for row in due {
            let mut ticket: Ticket = match serde_json::from_value(row.data.clone()) {
                Ok(t) => t,
                Err(e) => {
                    tracing::error!(tenant = tenant.0, order = row.id, "unreadable order: {e}");
                    self.store()
                        .scoped(tenant)
                        .reschedule_order(row.id, row.version, None)
                        .await?;
                    continue;
                }
            };
            let key = ticket.policy.as_ref().and_then(|p| p.calendar.clone());
            if !calendars.contains_key(&key) {
                let cal = self.sla_calendar(tenant, ticket.policy.as_ref()).await?;
                calendars.insert(key.clone(), cal);
            }
            let cal = &calendars[&key];
            let mut signals = self.signals(tenant, &mut ticket, &setup, cal, now);
            if signals.is_empty() {
                // Nothing due after all (the calendar changed): look again when it is, and
                // never lose sight of a clock that runs.
                let next = ticket.next_due(cal, now).map(|d| d.max(now + 1000));
                self.store()
                    .scoped(tenant)
                    .reschedule_order(row.id, row.version, next)
                    .await?;
                continue;
            }
            said += signals.len();
            let next = row_of(&ticket, row.version + 1, Some(&row), cal, now);
            if let Some(last) = signals.last_mut() {
                last.order = Some(Box::new(next));
            }
            events.extend(signals);
        }
        if !events.is_empty() {
            self.events()
                .append_all(events)
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
        }
        Ok(said)
    }

    /// Sweeps every tenant's orders (and leads past their dealers' deadlines) each second,
    /// until the app is dropped. One tenant's failure is logged and the others are swept.
    pub fn start_order_sweep(&self) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(&self.0);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                let app = App(inner);
                let tenants = match app.store().tenants().await {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::warn!("order sweep: {e}");
                        continue;
                    }
                };
                for t in tenants.iter().filter(|t| t.suspended_at_ms.is_none()) {
                    if let Err(e) = app.sweep_orders(t.id).await {
                        tracing::error!(tenant = t.id.0, "order sweep: {e}");
                    }
                    if let Err(e) = app.sweep_leads(t.id).await {
                        tracing::error!(tenant = t.id.0, "lead sweep: {e}");
                    }
                }
            }
        })
    }
}

fn check_note(note: &Option<String>) -> AppResult<()> {
    note.as_deref()
        .map_or(Ok(()), |n| text_ok("note", n, 2000, false))
}

fn order_refused(e: tickets::OrderError) -> AppError {
    match e {
        tickets::OrderError::Invalid { field, reason } => AppError::invalid(field, reason),
        tickets::OrderError::NotNow { status } => {
            AppError::InvalidState(format!("not possible while the order is {status}"))
        }
    }
}

/// Checks an order's intake against its type (category, custom fields) and the limits on
/// its texts; trims what people type.
fn check_intake(kind: &OrderType, i: &mut Intake) -> AppResult<()> {
    i.title = i.title.trim().to_string();
    text_ok("title", &i.title, 200, true)?;
    text_ok("description", &i.description, 5000, false)?;
    text_ok("region", &i.region, 100, false)?;
    text_ok("address", &i.address, 200, false)?;
    if let Some(c) = &i.caller {
        text_ok("caller", c, 40, false)?;
        // Kept as calls are (E.164) when it is a number, so the callback dials it and a
        // repeat call matches; a withheld or local number is kept as it came.
        i.caller = match c.trim() {
            "" => None,
            c => Some(
                phone::normalize(c, None)
                    .map_or_else(|_| c.to_string(), |p| p.as_str().to_string()),
            ),
        };
    }
    if let Some(c) = &i.call_id {
        text_ok("call_id", c, 128, true)?;
    }
    if let Some(s) = &i.segment {
        text_ok("segment", s, 40, false)?;
    }
    if let Some(e) = &i.external_id {
        // `system:id`: a key of 40 and an id of 100.
        text_ok("external_id", e, 141, true)?;
    }
    i.region = i
        .region
        .split('/')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/");
    if !kind.has_category(&i.category) {
        return Err(AppError::invalid(
            "category",
            "not a category of this order type",
        ));
    }
    for key in i.fields.keys() {
        if !kind.fields.iter().any(|f| &f.key == key) {
            return Err(AppError::invalid(
                format!("fields.{key}"),
                "not a field of this order type",
            ));
        }
    }
    for f in &kind.fields {
        let field = format!("fields.{}", f.key);
        let v = i.fields.get(&f.key).map(|v| v.trim()).unwrap_or_default();
        if v.is_empty() {
            if f.required {
                return Err(AppError::invalid(field, "required"));
            }
            i.fields.remove(&f.key);
            continue;
        }
        text_ok(&field, v, 500, false)?;
        use tickets::setup::FieldKind as K;
        let ok = match f.kind {
            K::Text => true,
            K::Number => v.parse::<f64>().is_ok_and(f64::is_finite),
            K::Choice => f.options.iter().any(|o| o == v),
            K::Date => v.len() == 10 && v.parse::<jiff::civil::Date>().is_ok(),
        };
        if !ok {
            let reason = match f.kind {
                K::Number => "a number".to_string(),
                K::Choice => format!("one of {}", f.options.join(", ")),
                _ => "a date like 2026-12-01".to_string(),
            };
            return Err(AppError::invalid(field, reason));
        }
        let v = v.to_string();
        i.fields.insert(f.key.clone(), v);
    }
    Ok(())
}

/// The order's row at `version`: a closed order keeps the group and handler it had. (Public
/// for bulk loads, `hotline bench orders`.)
pub fn row_of(
    t: &Ticket,
    version: i64,
    prev: Option<&OrderRow>,
    cal: &calendar::Calendar,
    now: i64,
) -> OrderRow {
    let (group, handler) = match status_group(&t.order.status) {
        Some((g, h)) => (
            Some(g.to_string()).filter(|g| !g.is_empty()),
            h.map(|h| UserId(h as i64)),
        ),
        None if t.order.status.is_closed() => (
            prev.and_then(|p| p.group.clone()),
            prev.and_then(|p| p.handler),
        ),
        None => (None, None),
    };
    let due_ms = t.due_ms(cal, now).or_else(|| {
        prev.and_then(|p| p.due_ms)
            .filter(|_| t.order.status.is_open())
    });
    OrderRow {
        id: t.id() as i64,
        order_type: t.intake.order_type.clone(),
        category: t.intake.category.clone(),
        priority: t.intake.priority as i64,
        status: t.order.status.name().to_string(),
        group,
        handler,
        customer: t.intake.customer_id.map(CustomerId),
        region: t.intake.region.clone(),
        title: t.intake.title.clone(),
        external_id: t.intake.external_id.clone(),
        next_due_ms: t.next_due(cal, now),
        due_ms,
        breached: t.breached(),
        created_ms: t.created_ms,
        updated_ms: now,
        version,
        data: serde_json::to_value(t).unwrap_or_default(),
    }
}

/// A resolution's event says whether it came within the order's resolve limit (维修及时),
/// for the reports.
pub fn judge(event: &mut NewEvent, ticket: &Ticket, cal: &calendar::Calendar) {
    if let Some(on_time) = ticket.on_time(cal) {
        event.payload["on_time"] = serde_json::Value::Bool(on_time);
    }
}

/// The event of a change, carrying the order's row (public for bulk loads).
#[allow(clippy::too_many_arguments)]
pub fn change_event(
    tenant: TenantId,
    row: &OrderRow,
    from: &str,
    actor: Option<i64>,
    action: &str,
    note: Option<String>,
    score: Option<u8>,
    now: i64,
) -> NewEvent {
    let payload = OrderChanged {
        order_id: row.id,
        version: row.version,
        customer_id: row.customer.map(|c| c.0),
        actor_id: actor,
        action: action.into(),
        from: from.into(),
        to: row.status.clone(),
        group: row.group.clone(),
        handler_id: row.handler.map(|u| u.0),
        note,
        score,
        on_time: None,
        journey: row.data["intake"]["journey"].as_str().map(str::to_string),
    };
    NewEvent {
        tenant,
        id: OrderChanged::id(row.id, row.version),
        at_ms: now,
        kind: OrderChanged::KIND.into(),
        payload: payload.to_value(),
        order: Some(Box::new(row.clone())),
        lead: None,
    }
}
