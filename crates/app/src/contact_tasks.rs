//! One coordinated contact per customer (R2.4, seed 004): what every department wants said
//! to a customer — a callback promised, a due payment, an invitation, a satisfaction
//! question (the topics), the closed-loop callbacks (回访) their resolved orders owe, the
//! leads the center works itself — gathered as one task per customer, so an agent covers
//! them all in one call. Each task carries the contact policy's verdict now: what it
//! defers shows when and why, and stays in the list until it is done (never dropped).
//!
//! The topics are the store's; the 回访 and the leads are read from their own rows, so the
//! task list never disagrees with the order or the lead it names.

use std::collections::HashMap;
use std::sync::Arc;

use leads::{Pending, Verdict};
use store::{ContactTopic, CustomerId, LeadQuery, OrderQuery, TenantId, UserId};
use tickets::Ticket;

use crate::{App, AppError, AppResult};

/// What a topic may be about.
pub const TOPIC_KINDS: [&str; 5] = ["callback", "payment", "invitation", "survey", "other"];

/// Who may want it.
pub const DEPARTMENTS: [&str; 4] = ["service", "sales", "marketing", "billing"];

/// The most tasks a list gathers (the most overdue first); the rest wait for the next read.
pub const MAX_TASKS: usize = 200;

/// Open topics, resolved orders and center leads read at most per list.
const MAX_ROWS: u32 = 2_000;

/// How long the whole list, once gathered, is given again as it was (a topic added or
/// closed gathers it anew).
const LIST_KEPT_MS: i64 = 10_000;

/// Each tenant's whole list of contact tasks as last gathered, and when.
pub(crate) type TaskLists = HashMap<TenantId, (i64, Arc<Vec<ContactTask>>)>;

/// A topic to add.
#[derive(Debug, Clone)]
pub struct NewTopic {
    pub customer: CustomerId,
    pub kind: String,
    pub department: String,
    pub subject: String,
    /// Not before this instant (now when left out).
    pub not_before_ms: Option<i64>,
    /// The call a caller asked to be called back on.
    pub call_id: Option<String>,
}

/// One thing to cover in the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskItem {
    /// A topic's kind, or `revisit` (an order's 回访), or `lead` (a lead the center works).
    pub kind: String,
    pub department: String,
    pub subject: String,
    /// The topic's, the order's or the lead's id.
    pub id: i64,
    /// Since when it is owed.
    pub since_ms: i64,
    pub not_before_ms: i64,
}

/// One call to one customer covering everything pending for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactTask {
    /// The surviving record (topics of records merged into it are its own).
    pub customer: CustomerId,
    pub name: String,
    pub phone: Option<String>,
    pub items: Vec<TaskItem>,
    /// The policy's verdict now.
    pub verdict: Verdict,
    /// When the call may be placed: its earliest item's time, or later as the policy says
    /// (`None`: not while the verdict's reason holds).
    pub due_ms: Option<i64>,
}

impl App {
    /// Adds a topic for the customer's next call; its id. The customer must be the
    /// tenant's; a merged record's topics go to the record it was merged into.
    pub async fn add_contact_topic(
        &self,
        tenant: TenantId,
        t: NewTopic,
        by: Option<UserId>,
    ) -> AppResult<i64> {
        if !TOPIC_KINDS.contains(&t.kind.as_str()) {
            return Err(AppError::invalid(
                "kind",
                "one of callback, payment, invitation, survey, other",
            ));
        }
        if !DEPARTMENTS.contains(&t.department.as_str()) {
            return Err(AppError::invalid(
                "department",
                "one of service, sales, marketing, billing",
            ));
        }
        crate::orders::text_ok("subject", &t.subject, 500, true)?;
        let now = self.now_ms();
        let not_before = t.not_before_ms.unwrap_or(now);
        if not_before < now - 366 * 86_400_000 || not_before > now + 366 * 86_400_000 {
            return Err(AppError::invalid("not_before_ms", "within a year of now"));
        }
        let scoped = self.store().scoped(tenant);
        let c = scoped
            .customer(t.customer)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        let row = ContactTopic {
            id: 0,
            customer: c.merged_into.unwrap_or(c.id),
            kind: t.kind,
            department: t.department,
            subject: t.subject.trim().to_string(),
            call_id: t.call_id,
            not_before_ms: not_before,
            created_ms: now,
            created_by: by,
            done_ms: None,
            done_by: None,
            outcome: None,
        };
        let id = scoped.add_contact_topic(&row).await?;
        self.tasks_changed(tenant);
        Ok(id)
    }

    /// Marks a topic covered (or given up on) with what came of it; the topic as it is now.
    pub async fn close_contact_topic(
        &self,
        tenant: TenantId,
        id: i64,
        by: UserId,
        outcome: &str,
    ) -> AppResult<ContactTopic> {
        crate::orders::text_ok("outcome", outcome, 500, false)?;
        let scoped = self.store().scoped(tenant);
        let closed = scoped
            .close_contact_topic(id, Some(by), outcome.trim(), self.now_ms())
            .await?;
        let topic = scoped
            .contact_topic(id)
            .await?
            .ok_or(AppError::NotFound("contact topic"))?;
        if !closed {
            return Err(AppError::InvalidState(
                "this topic was closed already".into(),
            ));
        }
        self.tasks_changed(tenant);
        Ok(topic)
    }

    /// The contact tasks now, of `customer` only when given: one per customer, the ones the
    /// policy lets the center place first (the longest owed first), then the deferred by
    /// when they may be placed, then those it may not call at all. The whole list is kept
    /// a few seconds per tenant: every idle desktop asks for it.
    pub async fn contact_tasks(
        &self,
        tenant: TenantId,
        customer: Option<CustomerId>,
    ) -> AppResult<Arc<Vec<ContactTask>>> {
        let now = self.now_ms();
        if customer.is_some() {
            return Ok(Arc::new(self.gather_tasks(tenant, customer).await?));
        }
        if let Some((at, list)) = self.task_lists().get(&tenant)
            && (*at..*at + LIST_KEPT_MS).contains(&now)
        {
            return Ok(list.clone());
        }
        let list = Arc::new(self.gather_tasks(tenant, None).await?);
        self.task_lists().insert(tenant, (now, list.clone()));
        Ok(list)
    }

    fn task_lists(&self) -> std::sync::MutexGuard<'_, TaskLists> {
        self.0
            .contact_tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// A topic was added or closed: the whole list is gathered anew.
    fn tasks_changed(&self, tenant: TenantId) {
        self.task_lists().remove(&tenant);
    }

    async fn gather_tasks(
        &self,
        tenant: TenantId,
        customer: Option<CustomerId>,
    ) -> AppResult<Vec<ContactTask>> {
        let now = self.now_ms();
        let scoped = self.store().scoped(tenant);
        // One customer's: their record and the records merged into it, each read by id.
        let scopes = match customer {
            None => vec![None],
            Some(c) => {
                let c = scoped
                    .customer(c)
                    .await?
                    .ok_or(AppError::NotFound("customer"))?;
                let survivor = c.merged_into.unwrap_or(c.id);
                let mut v = vec![Some(survivor)];
                v.extend(scoped.merged_into(survivor).await?.into_iter().map(Some));
                v
            }
        };
        let retry = self.closed_loop(tenant).await?.retry_ms();
        let mut items: Vec<(CustomerId, TaskItem)> = Vec::new();
        for who in scopes {
            self.pending_of(tenant, who, retry, &mut items).await?;
        }

        // Each record as the customer it stands for, with what the policy needs of them —
        // read for the longest owed records first, as many as a list shows and as many
        // again (a record merged into another adds to its task).
        let mut first_due: HashMap<CustomerId, i64> = HashMap::new();
        for (c, item) in &items {
            let due = first_due.entry(*c).or_insert(i64::MAX);
            *due = (*due).min(item.not_before_ms);
        }
        let mut records: Vec<(i64, CustomerId)> =
            first_due.into_iter().map(|(c, due)| (due, c)).collect();
        records.sort_unstable();
        records.truncate(2 * MAX_TASKS);
        let policy = self.contact_policy(tenant).await?;
        let mut survivor: HashMap<CustomerId, CustomerId> = HashMap::new();
        let mut facts: HashMap<CustomerId, store::ContactFacts> = HashMap::new();
        for (_, c) in records {
            // A record deleted since: nobody to call.
            if let Some(f) = scoped.contact_facts(c, now - 8 * 86_400_000).await? {
                survivor.insert(c, f.customer);
                facts.insert(f.customer, f);
            }
        }
        let pending: Vec<Pending> = items
            .iter()
            .enumerate()
            .filter_map(|(i, (c, item))| {
                let who = survivor.get(c)?;
                Some(Pending {
                    id: i as u64,
                    customer: who.0 as u64,
                    topic: item.subject.clone(),
                    department: item.department.clone(),
                    not_before: item.not_before_ms,
                })
            })
            .collect();
        let mut tasks = Vec::new();
        for task in leads::policy::merge(&pending) {
            let who = CustomerId(task.customer as i64);
            let f = &facts[&who];
            let hours = match &f.hours {
                Some((a, b)) => match (
                    crate::contacts::parse_hhmm("hours", a),
                    crate::contacts::parse_hhmm("hours", b),
                ) {
                    (Ok(a), Ok(b)) => Some((a, b)),
                    // One customer's unreadable hours never hide everyone's tasks.
                    _ => {
                        tracing::warn!(tenant = tenant.0, customer = who.0, "unreadable hours");
                        continue;
                    }
                },
                None => None,
            };
            let contact = leads::Contact {
                blacklisted: f.blacklisted,
                do_not_call: f.do_not_call,
                hours,
            };
            let at = task.not_before.max(now);
            let verdict = policy.check(&contact, &f.calls_ms, at);
            let due_ms = match verdict {
                Verdict::Call => Some(task.not_before),
                Verdict::Defer { until, .. } => Some(until),
                Verdict::Never { .. } => None,
            };
            let record = scoped.customer(who).await?;
            tasks.push(ContactTask {
                customer: who,
                name: record
                    .as_ref()
                    .map(|r| r.data.name.clone())
                    .unwrap_or_default(),
                phone: record.and_then(|r| r.data.phones.first().map(|p| p.number.clone())),
                items: task
                    .items
                    .iter()
                    .map(|&i| items[i as usize].1.clone())
                    .collect(),
                verdict,
                due_ms,
            });
        }
        tasks.sort_by_key(|t| (t.due_ms.is_none(), t.due_ms.map(|d| d.max(now)), t.customer));
        tasks.truncate(MAX_TASKS);
        Ok(tasks)
    }
}

impl App {
    /// What is pending for `customer`'s record (every record's when `None`): its open
    /// topics, the 回访 its resolved orders owe (a missed one again after the retry gap),
    /// the leads the center works for it (a dealer's are theirs to call).
    async fn pending_of(
        &self,
        tenant: TenantId,
        customer: Option<CustomerId>,
        retry_ms: i64,
        items: &mut Vec<(CustomerId, TaskItem)>,
    ) -> AppResult<()> {
        let scoped = self.store().scoped(tenant);
        for t in scoped.open_contact_topics(customer, MAX_ROWS).await? {
            items.push((
                t.customer,
                TaskItem {
                    kind: t.kind,
                    department: t.department,
                    subject: t.subject,
                    id: t.id,
                    since_ms: t.created_ms,
                    not_before_ms: t.not_before_ms,
                },
            ));
        }
        let orders = scoped
            .orders(&OrderQuery {
                statuses: vec!["resolved".into()],
                customer,
                limit: MAX_ROWS,
                ..OrderQuery::default()
            })
            .await?;
        for row in orders {
            let Ok(t) = serde_json::from_value::<Ticket>(row.data) else {
                continue;
            };
            let Some(c) = t.intake.customer_id else {
                continue;
            };
            let since = t.resolved_ms.unwrap_or(row.updated_ms);
            items.push((
                CustomerId(c),
                TaskItem {
                    kind: "revisit".into(),
                    department: "service".into(),
                    subject: t.intake.title.clone(),
                    id: row.id,
                    since_ms: since,
                    not_before_ms: t.callback_missed_ms.map_or(since, |m| m + retry_ms),
                },
            ));
        }
        let leads = scoped
            .leads(&LeadQuery {
                statuses: vec!["open".into(), "center_working".into()],
                center_only: true,
                customer,
                limit: MAX_ROWS,
                ..LeadQuery::default()
            })
            .await?;
        for row in leads {
            let Some(c) = row.customer else { continue };
            items.push((
                c,
                TaskItem {
                    kind: "lead".into(),
                    department: "sales".into(),
                    subject: row.product_line.clone(),
                    id: row.id,
                    since_ms: row.created_ms,
                    not_before_ms: row.created_ms,
                },
            ));
        }
        Ok(())
    }
}

impl App {
    /// A callback the caller asked for that the contact policy does not let the center
    /// place now: kept as a `callback` topic of the customer (a record made for a number no
    /// customer has), due when the policy lets it be placed, so an agent places it with
    /// whatever else is pending for them. Returns the topic's id.
    pub(crate) async fn defer_callback(
        &self,
        tenant: TenantId,
        dial: &telephony::Dial,
        queue: &str,
        until_ms: Option<i64>,
    ) -> AppResult<i64> {
        let scoped = self.store().scoped(tenant);
        let named = match dial.customer {
            Some(c) => scoped.customer(CustomerId(c)).await?,
            None => None,
        };
        let customer = match named {
            Some(c) => c.merged_into.unwrap_or(c.id),
            None => match scoped.customers_by_phone(&dial.number).await?.first() {
                Some(c) => c.id,
                None => {
                    let data = store::CustomerData {
                        name: dial.number.clone(),
                        phones: vec![store::CustomerPhone {
                            number: dial.number.clone(),
                            label: String::new(),
                        }],
                        qualification: "none".into(),
                        level: 1,
                        notes: "来电排队时要求回电 (asked for a callback while queued)".into(),
                        ..store::CustomerData::default()
                    };
                    scoped.create_customer(&data, self.now_ms()).await?.id
                }
            },
        };
        let now = self.now_ms();
        let row = ContactTopic {
            id: 0,
            customer,
            kind: "callback".into(),
            department: "service".into(),
            subject: format!("来电要求回电 · {queue}"),
            call_id: Some(dial.call_id.clone()),
            not_before_ms: until_ms.unwrap_or(now),
            created_ms: now,
            created_by: None,
            done_ms: None,
            done_by: None,
            outcome: None,
        };
        let id = scoped.add_contact_topic(&row).await?;
        self.tasks_changed(tenant);
        Ok(id)
    }
}

impl App {
    /// Whether a callback the caller asked for may be placed now (then it is written down
    /// as placed). When the contact policy defers or refuses it, it becomes the customer's
    /// `callback` topic (once: offered again after a restart, the topic written before is
    /// the one), audited as `call.deferred`. A failure to ask the policy is logged and the
    /// callback placed (the caller asked for it); a customer who may never be called is not
    /// called even when the topic could not be written.
    pub(crate) async fn callback_allowed(
        &self,
        tenant: TenantId,
        dial: &telephony::Dial,
        queue: &str,
    ) -> bool {
        let named = dial.customer.map(CustomerId);
        let callees = match self.callees(tenant, named, &dial.number).await {
            Err(AppError::NotFound(_)) => self.callees(tenant, None, &dial.number).await,
            other => other,
        };
        let placed = match callees {
            Ok(callees) => {
                self.place_contact(
                    tenant,
                    &callees,
                    crate::contacts::Purpose::Callback,
                    &dial.call_id,
                    Some(UserId(dial.agent)),
                    None,
                )
                .await
            }
            Err(e) => Err(e),
        };
        let kept = self
            .store()
            .scoped(tenant)
            .open_topic_of_call(&dial.call_id)
            .await
            .ok()
            .flatten();
        let (reason, until_ms) = match placed {
            Ok(_) => {
                // Deferred before a restart and allowed now: the topic is this call.
                if let Some(t) = kept {
                    let closed = self
                        .store()
                        .scoped(tenant)
                        .close_contact_topic(t.id, None, "placed", self.now_ms())
                        .await;
                    if let Err(e) = closed {
                        tracing::warn!(call_id = dial.call_id, "callback topic left open: {e}");
                    }
                }
                return true;
            }
            Err(AppError::ContactRefused {
                reason, until_ms, ..
            }) => (reason, until_ms),
            Err(e) => {
                tracing::warn!(
                    tenant = tenant.0,
                    call_id = dial.call_id,
                    "contact policy: {e}"
                );
                return true;
            }
        };
        let topic = match kept {
            Some(t) => Ok(t.id),
            None => self.defer_callback(tenant, dial, queue, until_ms).await,
        };
        let topic = match topic {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::error!(
                    tenant = tenant.0,
                    call_id = dial.call_id,
                    "callback not kept: {e}"
                );
                None
            }
        };
        let audit = store::AuditEntry {
            tenant: Some(tenant),
            at_ms: self.now_ms(),
            actor: None,
            action: "call.deferred".into(),
            target_kind: "call".into(),
            target_id: dial.call_id.clone(),
            detail: serde_json::json!({
                "number": dial.number, "purpose": "callback", "reason": reason,
                "until_ms": until_ms, "topic_id": topic,
            }),
        };
        if let Err(e) = self.store().append_audit(&audit).await {
            tracing::error!(
                call_id = dial.call_id,
                "deferred callback's audit row not written: {e}"
            );
        }
        topic.is_none() && until_ms.is_some()
    }
}
