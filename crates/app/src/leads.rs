//! Sales leads (销售线索) in the running center, over the `leads` rules: captured in a call's
//! context (or imported, or sent by a system), given to the dealer of the customer's region
//! by the dealers' territories, followed up by deadlines counted on the tenant's calendar,
//! taken back (回收) by the sweep when one passes and given to the next dealer, credited to
//! the agent who captured it when won. Every change is one `lead.changed` event carrying the
//! lead's row (`store::leads`), so the lead's and the customer's timelines show every move
//! and the scorecards are folds of the log. One change of a tenant's leads at a time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use events::{LeadChanged, Payload};
use leads::lead::FollowUp;
use leads::{Actor, Command, Journey, Lead, LeadError, Limits, Move, Owner, Place, Rule, Rules};
use serde::{Deserialize, Serialize};
use store::{CustomerId, LeadRow, NewEvent, Role, TenantId, User, UserId};

use crate::config::{Calendar, CenterSettings, DealerRegions, Document, LeadSettings, parse};
use crate::orders::text_ok;
use crate::{App, AppError, AppResult};

/// Leads the sweep takes back per tenant per round.
const SWEEP_BATCH: u32 = 500;

/// One sequence of lead numbers for the center, continued from the store at first use.
#[derive(Debug, Default)]
pub(crate) struct LeadIds(tokio::sync::OnceCell<AtomicI64>);

/// Each tenant's dealers' territories, made from their regions at first use and made again
/// after a dealer's regions change (a generation per tenant, so a build that raced a change
/// is not kept); with how many leads each dealer has been given in each territory since, so
/// weighted round robin shares each territory's leads by weight.
#[derive(Debug, Default)]
pub(crate) struct Territories(Mutex<HashMap<TenantId, Slot>>);

#[derive(Debug, Default)]
struct Slot {
    generation: u64,
    shares: Option<Arc<Shares>>,
}

#[derive(Debug)]
pub(crate) struct Shares {
    rules: Rules,
    /// (territory, dealer) → leads given.
    given: Mutex<HashMap<(String, u64), u64>>,
}

/// A lead as captured: who, what, where.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct LeadInput {
    /// The customer it is about; their name, number and region fill what is left out.
    pub customer_id: Option<i64>,
    pub name: String,
    pub phone: String,
    pub product_line: String,
    /// What they are interested in (型号, 用途).
    pub interest: String,
    pub budget: String,
    /// When they mean to buy.
    pub timing: String,
    /// `省/市/区`; the customer's first address's when left out.
    pub region: String,
    pub address: String,
    pub notes: String,
    pub journey: Option<Journey>,
    /// The call it was captured on.
    pub call_id: Option<String>,
    /// A sending system's id (`expo2026:A-17`): the same lead is taken in once.
    pub external_id: Option<String>,
}

/// A lead as kept (the row's `data`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadDoc {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub name: String,
    pub phone: String,
    pub product_line: String,
    pub interest: String,
    pub budget: String,
    pub timing: String,
    pub region: String,
    pub address: String,
    pub notes: String,
    /// `call`, `import`, `api`.
    pub source: String,
    pub external_id: Option<String>,
    pub call_id: Option<String>,
    /// The agent credited when it is won.
    pub captured_by: Option<i64>,
    pub created_ms: i64,
    /// The territory whose dealer it was given to last (`浙江省/杭州市`).
    #[serde(default)]
    pub territory: Option<String>,
    #[serde(flatten)]
    pub lead: Lead,
}

/// A lead as the API shows it.
#[derive(Debug, Clone)]
pub struct LeadView {
    pub row: LeadRow,
    pub doc: LeadDoc,
}

/// What a user asks of a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadAction {
    /// To a dealer; `None`: by the territories.
    Assign {
        dealer: Option<i64>,
    },
    Accept,
    FollowUp {
        kind: FollowUp,
        note: String,
    },
    /// Amount in fen.
    Win {
        amount: i64,
        note: String,
    },
    Lose {
        reason: String,
    },
    /// The dealer gives it back.
    Return {
        reason: String,
    },
    /// A manager takes it back from the dealer.
    Reclaim {
        reason: String,
    },
    /// A center user takes it to work it.
    Take,
    /// Where the customer is now on their way.
    Journey {
        journey: Journey,
    },
}

fn refused(e: LeadError) -> AppError {
    match e {
        LeadError::NotNow { status } => {
            AppError::InvalidState(format!("not possible while the lead is {status}"))
        }
        // A dealer's command on a lead not theirs is caught before (404); a center user's
        // on a dealer's lead is a state problem, not a secret.
        LeadError::NotYours { action } => {
            AppError::InvalidState(format!("this lead is not yours to {action}"))
        }
        LeadError::Invalid { field, reason } => AppError::invalid(field, reason),
    }
}

/// `浙江省/杭州市/西湖区` as a place.
fn place(region: &str) -> Place<'_> {
    let mut parts = region.split('/');
    Place {
        province: parts.next().unwrap_or(""),
        city: parts.next().unwrap_or(""),
        district: parts.next().unwrap_or(""),
    }
}

fn dealer_of(owner: Owner) -> Option<i64> {
    match owner {
        Owner::Dealer(d) => Some(d as i64),
        Owner::Center => None,
    }
}

/// The lead's row at `version` (public for bulk loads, `hotline bench leads`).
pub fn row_of(doc: &LeadDoc, version: i64, now: i64) -> LeadRow {
    LeadRow {
        id: doc.id,
        status: doc.lead.status.name().to_string(),
        dealer: dealer_of(doc.lead.owner()).map(UserId),
        customer: doc.customer_id.map(CustomerId),
        captured_by: doc.captured_by.map(UserId),
        product_line: doc.product_line.clone(),
        region: doc.region.clone(),
        journey: doc.lead.journey.as_str().to_string(),
        source: doc.source.clone(),
        external_id: doc.external_id.clone(),
        due_ms: doc.lead.status.due(),
        amount: match doc.lead.status {
            leads::Status::Won { amount, .. } => Some(amount),
            _ => None,
        },
        created_ms: doc.created_ms,
        updated_ms: now,
        version,
        data: serde_json::to_value(doc).unwrap_or_default(),
    }
}

/// The event of a move, carrying the lead's row (public for bulk loads).
pub fn change_event(
    tenant: TenantId,
    doc: &LeadDoc,
    row: &LeadRow,
    mv: &Move,
    actor: Option<i64>,
    note: Option<String>,
    now: i64,
) -> NewEvent {
    let payload = LeadChanged {
        lead_id: doc.id,
        version: row.version,
        customer_id: doc.customer_id,
        actor_id: actor,
        action: mv.action.clone(),
        from: mv.was.clone(),
        to: mv.now.clone(),
        from_dealer: dealer_of(mv.from),
        to_dealer: dealer_of(mv.to),
        captured_by: doc.captured_by,
        product_line: doc.product_line.clone(),
        region: doc.region.clone(),
        note: note.filter(|n| !n.is_empty()),
        amount: row.amount.filter(|_| mv.action == "win"),
        on_time: mv.on_time,
        waited_ms: mv.waited_ms,
        journey: Some(row.journey.clone()),
    };
    NewEvent {
        tenant,
        id: LeadChanged::id(doc.id, row.version),
        at_ms: now,
        kind: LeadChanged::KIND.into(),
        payload: payload.to_value(),
        order: None,
        lead: Some(Box::new(row.clone())),
    }
}

/// The pending events of one change: each move one version more.
struct Change<'a> {
    tenant: TenantId,
    doc: &'a mut LeadDoc,
    version: i64,
    events: Vec<NewEvent>,
    now: i64,
}

impl Change<'_> {
    fn push(&mut self, mv: &Move, actor: Option<i64>, note: Option<String>) {
        self.version += 1;
        let row = row_of(self.doc, self.version, self.now);
        self.events.push(change_event(
            self.tenant,
            self.doc,
            &row,
            mv,
            actor,
            note,
            self.now,
        ));
    }
}

impl App {
    pub(crate) fn lead_lock(&self, tenant: TenantId) -> Arc<tokio::sync::Mutex<()>> {
        self.0
            .lead_writes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(tenant)
            .or_default()
            .clone()
    }

    pub(crate) async fn next_lead_id(&self) -> AppResult<i64> {
        let ids = self
            .0
            .lead_ids
            .0
            .get_or_try_init(|| async {
                Ok::<_, AppError>(AtomicI64::new(self.store().max_lead_id().await?))
            })
            .await?;
        Ok(ids.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// The center's settings document (the defaults until saved) and its version.
    pub(crate) async fn center_settings_doc(
        &self,
        tenant: TenantId,
    ) -> AppResult<(CenterSettings, Option<i64>)> {
        let item = self
            .store()
            .scoped(tenant)
            .config_item(CenterSettings::KIND, "center")
            .await?;
        Ok(match item {
            Some(item) => (parse::<CenterSettings>(&item)?, Some(item.version)),
            None => (CenterSettings::defaults(), None),
        })
    }

    /// Leads' settings (the defaults until saved).
    pub async fn lead_settings(&self, tenant: TenantId) -> AppResult<LeadSettings> {
        Ok(self
            .center_settings_doc(tenant)
            .await?
            .0
            .leads
            .unwrap_or_default())
    }

    /// The calendar leads' deadlines count on: the settings' own, else the standard week.
    pub async fn lead_calendar(
        &self,
        tenant: TenantId,
        settings: &LeadSettings,
    ) -> calendar::Calendar {
        if let Some(key) = settings.calendar.as_deref() {
            let item = self.config_get::<Calendar>(tenant, key).await;
            match item.and_then(|i| parse::<Calendar>(&i)?.build()) {
                Ok(cal) => return cal,
                Err(e) => tracing::error!(
                    tenant = tenant.0,
                    "calendar `{key}` of the leads' settings: {e}; counting on the standard week"
                ),
            }
        }
        tickets::standard_calendar()
    }

    /// A dealer's regions changed: the territories are made again at next use.
    pub(crate) fn territories_changed(&self, tenant: TenantId) {
        let mut all = self
            .0
            .territories
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let slot = all.entry(tenant).or_default();
        slot.generation += 1;
        slot.shares = None;
    }

    async fn territories(&self, tenant: TenantId) -> AppResult<Arc<Shares>> {
        let generation = {
            let mut all = self
                .0
                .territories
                .0
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let slot = all.entry(tenant).or_default();
            if let Some(s) = &slot.shares {
                return Ok(s.clone());
            }
            slot.generation
        };
        let scoped = self.store().scoped(tenant);
        let mut rules = Vec::new();
        for item in scoped.config_items(DealerRegions::KIND).await? {
            let Ok(dealer) = item.key.parse::<u64>() else {
                continue;
            };
            match parse::<DealerRegions>(&item) {
                Ok(d) => rules.extend(d.regions.into_iter().map(|r| Rule {
                    dealer,
                    territory: leads::Territory::new(&r.province, &r.city, &r.district),
                    product_lines: r.product_lines,
                    weight: d.weight,
                })),
                Err(e) => tracing::error!(tenant = tenant.0, "{e}"),
            }
        }
        let shares = Arc::new(Shares {
            rules: Rules::new(rules),
            given: Mutex::new(HashMap::new()),
        });
        let mut all = self
            .0
            .territories
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let slot = all.entry(tenant).or_default();
        // Regions changed while this was read: use it for this lead, keep it not.
        if slot.generation == generation {
            slot.shares = Some(shares.clone());
        }
        Ok(shares)
    }

    /// Offers the lead to the next dealer of its territory by rule (leaving out those who
    /// had it, and dealers no longer active): the move, or `None` when no dealer serves it.
    async fn assign_by_rule(
        &self,
        tenant: TenantId,
        doc: &mut LeadDoc,
        limits: Limits,
        cal: &calendar::Calendar,
        now: i64,
    ) -> AppResult<Option<Move>> {
        let shares = self.territories(tenant).await?;
        let mut exclude = doc.lead.tried.clone();
        // A few dealers who left may still be named in regions; past that, the center.
        for _ in 0..20 {
            let Some((territory, candidates)) =
                shares
                    .rules
                    .candidates(&place(&doc.region), &doc.product_line, &exclude)
            else {
                return Ok(None);
            };
            let key = territory.path();
            let dealer = {
                let given = shares.given.lock().unwrap_or_else(|e| e.into_inner());
                leads::choose(&candidates, |d| {
                    given.get(&(key.clone(), d)).copied().unwrap_or(0)
                })
            };
            let Some(dealer) = dealer else {
                return Ok(None);
            };
            let user = self
                .store()
                .user(Some(tenant), UserId(dealer as i64))
                .await?;
            if !user.is_some_and(|u| u.active && u.role == Role::Dealer) {
                exclude.push(dealer);
                continue;
            }
            let accept_by = limits.accept_by(cal, now);
            let mv = doc
                .lead
                .apply(Actor::Sweep, Command::Assign { dealer, accept_by }, now)
                .map_err(refused)?;
            *shares
                .given
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry((key.clone(), dealer))
                .or_default() += 1;
            doc.territory = Some(key);
            return Ok(Some(mv));
        }
        Ok(None)
    }

    /// Checks a lead's input and fills what the customer's record gives.
    pub(crate) async fn checked_lead(
        &self,
        tenant: TenantId,
        settings: &LeadSettings,
        mut i: LeadInput,
    ) -> AppResult<LeadInput> {
        for (field, v, max, required) in [
            ("name", &i.name, 100, false),
            ("phone", &i.phone, 40, false),
            ("product_line", &i.product_line, 40, true),
            ("interest", &i.interest, 500, false),
            ("budget", &i.budget, 100, false),
            ("timing", &i.timing, 100, false),
            ("region", &i.region, 80, false),
            ("address", &i.address, 200, false),
            ("notes", &i.notes, 2000, false),
        ] {
            text_ok(field, v, max, required)?;
        }
        i.product_line = i.product_line.trim().to_string();
        if !settings.product_lines.is_empty() && !settings.product_lines.contains(&i.product_line) {
            return Err(AppError::invalid(
                "product_line",
                format!("one of {}", settings.product_lines.join(", ")),
            ));
        }
        if let Some(c) = &i.call_id {
            text_ok("call_id", c, 128, true)?;
        }
        if let Some(e) = &i.external_id {
            text_ok("external_id", e, 141, true)?;
        }
        if let Some(id) = i.customer_id {
            let c = self
                .store()
                .scoped(tenant)
                .customer(CustomerId(id))
                .await?
                .filter(|c| c.merged_into.is_none())
                .ok_or_else(|| AppError::invalid("customer_id", "no such customer"))?;
            if i.name.trim().is_empty() {
                i.name = c.data.name.clone();
            }
            if i.phone.trim().is_empty()
                && let Some(p) = c.data.phones.first()
            {
                i.phone = p.number.clone();
            }
            if i.region.trim().is_empty()
                && let Some(a) = c.data.addresses.iter().find(|a| !a.province.is_empty())
            {
                i.region = [&a.province, &a.city, &a.district]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join("/");
                if i.address.trim().is_empty() {
                    i.address = a.line.clone();
                }
            }
        }
        if i.name.trim().is_empty() && i.phone.trim().is_empty() {
            return Err(AppError::invalid(
                "phone",
                "a customer, or a name or number to reach them by",
            ));
        }
        if !i.phone.trim().is_empty() {
            i.phone = phone::normalize(i.phone.trim(), None)
                .map_err(|e| AppError::invalid("phone", e.to_string()))?
                .as_str()
                .to_string();
        }
        let parts: Vec<&str> = i
            .region
            .split('/')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if parts.len() > 3 || parts.iter().any(|p| p.chars().count() > 20) {
            return Err(AppError::invalid(
                "region",
                "province/city/district, each at most 20 characters",
            ));
        }
        i.region = parts.join("/");
        i.name = i.name.trim().to_string();
        Ok(i)
    }

    /// Takes in a lead and gives it to the dealer of its territory by rule (or leaves it
    /// with the center when none serves it), in one transaction. `actor` is credited when
    /// it is won. A lead sent again under the same `external_id` is the one taken in before.
    pub async fn capture_lead(
        &self,
        tenant: TenantId,
        actor: Option<&User>,
        source: &str,
        input: LeadInput,
    ) -> AppResult<LeadView> {
        let settings = self.lead_settings(tenant).await?;
        let i = self.checked_lead(tenant, &settings, input).await?;
        let lock = self.lead_lock(tenant);
        let _one_at_a_time = lock.lock().await;
        if let Some(ext) = &i.external_id
            && let Some(row) = self.store().scoped(tenant).lead_by_external(ext).await?
        {
            return self.lead(tenant, row.id).await;
        }
        let now = self.now_ms();
        let cal = self.lead_calendar(tenant, &settings).await;
        let id = self.next_lead_id().await?;
        let events = self
            .taken_in(tenant, actor, source, i, id, limits(&settings), &cal, now)
            .await?;
        self.events()
            .append_all(events)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        self.lead(tenant, id).await
    }

    /// The events of a lead taken in as number `id` (checked input) and given to its
    /// territory's dealer by rule: captured, then offered (or left with the center).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn taken_in(
        &self,
        tenant: TenantId,
        actor: Option<&User>,
        source: &str,
        i: LeadInput,
        id: i64,
        limits: Limits,
        cal: &calendar::Calendar,
        now: i64,
    ) -> AppResult<Vec<NewEvent>> {
        let mut lead = Lead::new();
        lead.journey = i.journey.unwrap_or_default();
        let mut doc = LeadDoc {
            id,
            customer_id: i.customer_id,
            name: i.name,
            phone: i.phone,
            product_line: i.product_line,
            interest: i.interest,
            budget: i.budget,
            timing: i.timing,
            region: i.region,
            address: i.address,
            notes: i.notes,
            source: source.to_string(),
            external_id: i.external_id,
            call_id: i.call_id,
            captured_by: actor.filter(|u| u.role != Role::Dealer).map(|u| u.id.0),
            created_ms: now,
            territory: None,
            lead,
        };
        let actor_id = actor.map(|u| u.id.0);
        let mut change = Change {
            tenant,
            doc: &mut doc,
            version: 0,
            events: Vec::new(),
            now,
        };
        let captured = Move {
            action: "capture".into(),
            from: Owner::Center,
            to: Owner::Center,
            was: "new".into(),
            now: "open".into(),
            on_time: None,
            waited_ms: None,
        };
        change.push(&captured, actor_id, None);
        if let Some(mv) = self
            .assign_by_rule(tenant, change.doc, limits, cal, now)
            .await?
        {
            let note = change.doc.territory.clone();
            change.push(&mv, None, note);
        }
        Ok(change.events)
    }

    /// A lead and its document.
    pub async fn lead(&self, tenant: TenantId, id: i64) -> AppResult<LeadView> {
        let row = self
            .store()
            .scoped(tenant)
            .lead(id)
            .await?
            .ok_or(AppError::NotFound("lead"))?;
        let doc = serde_json::from_value(row.data.clone())
            .map_err(|e| AppError::Internal(format!("the stored lead {id} does not parse: {e}")))?;
        Ok(LeadView { row, doc })
    }

    /// Does `action` to lead `id` as `user`: a dealer only to their own leads (any other is
    /// not found), the center's users to any. A lead given or taken back goes on to the
    /// next dealer by rule when the settings say so.
    pub async fn act_on_lead(
        &self,
        tenant: TenantId,
        user: &User,
        id: i64,
        action: LeadAction,
    ) -> AppResult<LeadView> {
        let settings = self.lead_settings(tenant).await?;
        let cal = self.lead_calendar(tenant, &settings).await;
        let limits = limits(&settings);
        let lock = self.lead_lock(tenant);
        let _one_at_a_time = lock.lock().await;
        let LeadView { row, mut doc } = self.lead(tenant, id).await?;
        let dealer = user.role == Role::Dealer;
        let me = user.id.0 as u64;
        if dealer && doc.lead.owner() != Owner::Dealer(me) {
            return Err(AppError::NotFound("lead"));
        }
        let actor = if dealer {
            Actor::Dealer(me)
        } else {
            Actor::Center(me)
        };
        let now = self.now_ms();
        let note_ok = |field: &str, n: &str, required: bool| text_ok(field, n, 500, required);
        let mut note = None;
        let command = match action {
            LeadAction::Assign { dealer: None } => {
                if !matches!(
                    doc.lead.status,
                    leads::Status::Open | leads::Status::CenterWorking { .. }
                ) {
                    return Err(refused(LeadError::NotNow {
                        status: doc.lead.status.name(),
                    }));
                }
                let mut change = Change {
                    tenant,
                    doc: &mut doc,
                    version: row.version,
                    events: Vec::new(),
                    now,
                };
                let Some(mv) = self
                    .assign_by_rule(tenant, change.doc, limits, &cal, now)
                    .await?
                else {
                    return Err(AppError::InvalidState(
                        "no dealer serves this lead's region and product line (or each had it)"
                            .into(),
                    ));
                };
                let territory = change.doc.territory.clone();
                change.push(&mv, Some(user.id.0), territory);
                let events = change.events;
                return self.write_lead(tenant, id, events).await;
            }
            LeadAction::Assign { dealer: Some(d) } => {
                let ok = self
                    .store()
                    .user(Some(tenant), UserId(d))
                    .await?
                    .is_some_and(|u| u.active && u.role == Role::Dealer);
                if !ok {
                    return Err(AppError::invalid("dealer_id", "not an active dealer here"));
                }
                doc.territory = None;
                Command::Assign {
                    dealer: d as u64,
                    accept_by: limits.accept_by(&cal, now),
                }
            }
            LeadAction::Accept => Command::Accept {
                follow_by: limits.follow_by(&cal, now),
            },
            LeadAction::FollowUp { kind, note: n } => {
                note_ok("note", &n, false)?;
                note = Some(n);
                Command::FollowUp {
                    kind,
                    follow_by: limits.follow_by(&cal, now),
                }
            }
            LeadAction::Win { amount, note: n } => {
                note_ok("note", &n, false)?;
                if amount > 1_000_000_000_000 {
                    return Err(AppError::invalid("amount", "at most 10,000,000,000 yuan"));
                }
                note = Some(n);
                Command::Win { amount }
            }
            LeadAction::Lose { reason } => {
                note_ok("reason", &reason, true)?;
                note = Some(reason.clone());
                Command::Lose { reason }
            }
            LeadAction::Return { reason } => {
                note_ok("reason", &reason, true)?;
                note = Some(reason.clone());
                Command::Return { reason }
            }
            LeadAction::Reclaim { reason } => {
                note_ok("reason", &reason, true)?;
                note = Some(reason);
                Command::Reclaim
            }
            LeadAction::Take => Command::Take {
                follow_by: limits.follow_by(&cal, now),
            },
            LeadAction::Journey { journey } => {
                if doc.lead.status.is_closed()
                    && journey != Journey::Receive
                    && journey != Journey::Return
                {
                    return Err(AppError::InvalidState(
                        "a closed lead moves on only to receiving or returning".into(),
                    ));
                }
                if dealer && !matches!(doc.lead.status, leads::Status::Working { .. }) {
                    return Err(refused(LeadError::NotNow {
                        status: doc.lead.status.name(),
                    }));
                }
                let was = doc.lead.journey;
                doc.lead.journey = journey;
                doc.lead.moves += 1;
                let owner = doc.lead.owner();
                let status = doc.lead.status.name().to_string();
                let mv = Move {
                    action: "journey".into(),
                    from: owner,
                    to: owner,
                    was: status.clone(),
                    now: status,
                    on_time: None,
                    waited_ms: None,
                };
                let mut change = Change {
                    tenant,
                    doc: &mut doc,
                    version: row.version,
                    events: Vec::new(),
                    now,
                };
                change.push(
                    &mv,
                    Some(user.id.0),
                    Some(format!("{} → {}", was.as_str(), journey.as_str())),
                );
                let events = change.events;
                return self.write_lead(tenant, id, events).await;
            }
        };
        let mv = doc.lead.apply(actor, command, now).map_err(refused)?;
        let mut change = Change {
            tenant,
            doc: &mut doc,
            version: row.version,
            events: Vec::new(),
            now,
        };
        change.push(&mv, Some(user.id.0), note);
        if matches!(mv.action.as_str(), "return" | "reclaim")
            && settings.reassign
            && let Some(next) = self
                .assign_by_rule(tenant, change.doc, limits, &cal, now)
                .await?
        {
            let territory = change.doc.territory.clone();
            change.push(&next, None, territory);
        }
        let events = change.events;
        self.write_lead(tenant, id, events).await
    }

    async fn write_lead(
        &self,
        tenant: TenantId,
        id: i64,
        events: Vec<NewEvent>,
    ) -> AppResult<LeadView> {
        self.events()
            .append_all(events)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        self.lead(tenant, id).await
    }

    /// Takes back every lead of `tenant` whose dealer let a deadline pass by now, and gives
    /// each to the next dealer by rule when the settings say so: each lead's moves and new
    /// version in one transaction with the rest of the round, so a crash neither loses nor
    /// repeats one. Returns how many were taken back.
    pub async fn sweep_leads(&self, tenant: TenantId) -> AppResult<usize> {
        // Most seconds nothing is due: one index read, no lock.
        if self
            .store()
            .scoped(tenant)
            .leads_due(self.now_ms(), 1)
            .await?
            .is_empty()
        {
            return Ok(0);
        }
        let settings = self.lead_settings(tenant).await?;
        let cal = self.lead_calendar(tenant, &settings).await;
        let limits = limits(&settings);
        let lock = self.lead_lock(tenant);
        let _one_at_a_time = lock.lock().await;
        let now = self.now_ms();
        let due = self
            .store()
            .scoped(tenant)
            .leads_due(now, SWEEP_BATCH)
            .await?;
        let mut events = Vec::new();
        let mut taken = 0;
        for row in due {
            let mut doc: LeadDoc = match serde_json::from_value(row.data.clone()) {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(tenant = tenant.0, lead = row.id, "unreadable lead: {e}");
                    continue;
                }
            };
            let why = match doc.lead.status {
                leads::Status::Offered { .. } => "not accepted in time",
                _ => "not followed up in time",
            };
            let mv = match doc.lead.apply(Actor::Sweep, Command::Reclaim, now) {
                Ok(mv) => mv,
                Err(e) => {
                    tracing::error!(tenant = tenant.0, lead = row.id, "not reclaimed: {e}");
                    continue;
                }
            };
            taken += 1;
            let mut change = Change {
                tenant,
                doc: &mut doc,
                version: row.version,
                events: Vec::new(),
                now,
            };
            change.push(&mv, None, Some(why.into()));
            if settings.reassign
                && let Some(next) = self
                    .assign_by_rule(tenant, change.doc, limits, &cal, now)
                    .await?
            {
                let territory = change.doc.territory.clone();
                change.push(&next, None, territory);
            }
            events.extend(change.events);
        }
        if !events.is_empty() {
            self.events()
                .append_all(events)
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
        }
        Ok(taken)
    }
}

pub(crate) fn limits(s: &LeadSettings) -> Limits {
    Limits {
        accept_hours: s.accept_hours,
        follow_up_days: s.follow_up_days,
    }
}

impl App {
    /// Leads' settings and the contact policy as saved (the defaults until then), with the
    /// center settings' version.
    pub async fn lead_and_contact_settings(
        &self,
        tenant: TenantId,
    ) -> AppResult<(LeadSettings, crate::config::ContactPolicy, Option<i64>)> {
        let (doc, version) = self.center_settings_doc(tenant).await?;
        Ok((
            doc.leads.unwrap_or_default(),
            doc.contact_policy.unwrap_or_default(),
            version,
        ))
    }

    /// Saves leads' settings and the contact policy into the center's settings (at the
    /// `version` read; `None` when none were saved yet); audited and versioned with them.
    pub async fn save_lead_settings(
        &self,
        tenant: TenantId,
        by: UserId,
        leads: LeadSettings,
        policy: crate::config::ContactPolicy,
        version: Option<i64>,
    ) -> AppResult<i64> {
        leads.check()?;
        policy.build()?;
        if let Some(key) = &leads.calendar {
            self.config_get::<Calendar>(tenant, key)
                .await
                .map_err(|_| AppError::invalid("leads.calendar", "no calendar with this key"))?;
        }
        let (mut doc, _) = self.center_settings_doc(tenant).await?;
        doc.leads = Some(leads);
        doc.contact_policy = Some(policy);
        let saved = self
            .put_config(tenant, Some(by), "center", doc, version)
            .await?;
        Ok(saved.version)
    }
}

/// The most moves a month's scorecard folds (about a million leads' month).
const MONTH_MOVES: u32 = 5_000_000;

/// A lead won in the month, for the dealers' accounts (内部核算).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WonLead {
    pub lead_id: i64,
    pub at_ms: i64,
    pub dealer: Option<i64>,
    pub region: String,
    pub product_line: String,
    /// In fen.
    pub amount: i64,
    pub captured_by: Option<i64>,
}

/// A month of leads: the scorecard and the wins.
#[derive(Debug, Clone)]
pub struct LeadMonth {
    pub from_ms: i64,
    pub to_ms: i64,
    pub card: leads::scorecard::Scorecard,
    pub wins: Vec<WonLead>,
}

impl App {
    /// The dealers' scorecard, the agents' credit and the wins of `month` (`2026-12`) in the
    /// tenant's time zone, folded from the log's lead moves.
    pub async fn lead_month(&self, tenant: TenantId, month: &str) -> AppResult<LeadMonth> {
        let bad = || AppError::invalid("month", "a month like 2026-12");
        let (y, m) = month.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let (y, m) = (
            y.parse::<i16>().map_err(|_| bad())?,
            m.parse::<i8>().map_err(|_| bad())?,
        );
        let first = jiff::civil::Date::new(y, m, 1).map_err(|_| bad())?;
        let next = first
            .checked_add(jiff::Span::new().months(1))
            .map_err(|_| bad())?;
        let zone = self.tenant_zone(tenant).await?;
        let at = |d: jiff::civil::Date| {
            d.to_zoned(zone.clone())
                .map(|z| z.timestamp().as_millisecond())
                .map_err(|_| bad())
        };
        let (from_ms, to_ms) = (at(first)?, at(next)?);
        let stored = self
            .store()
            .scoped(tenant)
            .events_of_kind(LeadChanged::KIND, from_ms, to_ms, &[], MONTH_MOVES + 1)
            .await?;
        if stored.len() > MONTH_MOVES as usize {
            return Err(AppError::InvalidState(format!(
                "more than {MONTH_MOVES} lead moves in {month}: too many to fold at once"
            )));
        }
        let moves: Vec<(i64, LeadChanged)> = stored
            .into_iter()
            .rev()
            .filter_map(|e| match events::Event::parse(&e.kind, &e.payload) {
                Ok(events::Event::LeadChanged(c)) => Some((e.at_ms, c)),
                _ => None,
            })
            .collect();
        let card = leads::scorecard::fold(moves.iter().map(|(_, c)| leads::scorecard::Step {
            action: &c.action,
            from_dealer: c.from_dealer,
            to_dealer: c.to_dealer,
            on_time: c.on_time,
            waited_ms: c.waited_ms,
            amount: c.amount,
            region: &c.region,
            captured_by: c.captured_by,
        }));
        let wins = moves
            .iter()
            .filter(|(_, c)| c.action == "win")
            .map(|(at, c)| WonLead {
                lead_id: c.lead_id,
                at_ms: *at,
                dealer: c.from_dealer,
                region: c.region.clone(),
                product_line: c.product_line.clone(),
                amount: c.amount.unwrap_or(0),
                captured_by: c.captured_by,
            })
            .collect();
        Ok(LeadMonth {
            from_ms,
            to_ms,
            card,
            wins,
        })
    }
}
