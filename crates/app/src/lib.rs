//! The running contact center, without HTTP: one task per tenant owning its routing engine
//! ([`center`]), telephony's view of the application ([`switchboard`]), the floor
//! ([`floor`] and what the floor view reads of it, [`live`]), the center's configuration
//! as typed documents ([`config`]) applied live by one mechanism ([`configure`]),
//! the agents' own actions ([`agents`]), work orders ([`orders`]; across orders, [`order_views`]) with their callbacks as the engine's contacts
//! ([`callbacks`]) and incidents announced to the callers they affect
//! ([`incidents`]), sales leads passed to dealers ([`leads`]). The services of the
//! coming modules (schedules, quality) live here too, one module each.
//!
//! It returns domain errors ([`AppError`]); the HTTP edge (`server`) maps them to its
//! error table. It knows no HTTP and no wire types, and no SQL (that is `store`).

pub mod agents;
pub mod attachments;
pub mod callbacks;
pub mod center;
pub mod config;
pub mod configure;
pub mod contact_tasks;
pub mod contacts;
mod error;
pub mod floor;
pub mod incidents;
pub mod kb;
pub mod kb_bulk;
pub mod kb_files;
pub mod kb_work;
pub mod leads;
pub mod leads_bulk;
pub mod live;
pub mod ops;
pub mod order_views;
pub mod orders;
pub mod outbound;
pub mod records;
pub mod recovery;
pub mod reports;
pub mod saved_reports;
pub mod switchboard;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use store::{EventLog, NewEvent, Store, TenantId};

pub use error::{AppError, AppResult};

/// Where the center reads the time: the system clock, a hand-moved one in tests, or the
/// system clock moved on by hand (`hotline serve --time-travel`: demos and browser tests
/// see deadlines pass without waiting for them).
#[derive(Debug, Clone)]
pub enum Clock {
    System,
    Manual(Arc<AtomicI64>),
    /// The system clock plus this many milliseconds.
    Offset(Arc<AtomicI64>),
}

impl Clock {
    pub fn now_ms(&self) -> i64 {
        let system = || {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        };
        match self {
            Clock::System => system(),
            Clock::Manual(ms) => ms.load(Ordering::Relaxed),
            Clock::Offset(ms) => system().saturating_add(ms.load(Ordering::Relaxed)),
        }
    }

    /// Moves a clock that may be moved forward by `ms`; the time now. The system clock is
    /// never moved.
    pub fn advance(&self, ms: i64) -> Option<i64> {
        match self {
            Clock::System => None,
            Clock::Manual(c) | Clock::Offset(c) => {
                c.fetch_add(ms, Ordering::Relaxed);
                Some(self.now_ms())
            }
        }
    }
}

/// The running center of every tenant. Cheap to clone.
#[derive(Debug, Clone)]
pub struct App(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    store: Store,
    events: EventLog,
    clock: Clock,
    centers: center::Centers,
    /// Each tenant's configuration changes one at a time: check, write, apply.
    config_writes:
        std::sync::Mutex<std::collections::HashMap<TenantId, Arc<tokio::sync::Mutex<()>>>>,
    /// SIP, once attached: the routing engine's offers go to it.
    telephony: Arc<OnceLock<Arc<telephony::Telephony>>>,
    /// Stored events that did not parse as their kind ([`App::unreadable_events`]).
    unreadable: AtomicU64,
    /// Calls placed by each agent lately, for their rate limit.
    placed: outbound::Placed,
    /// Routing engines restarted after a failure, since start.
    center_restarts: AtomicU64,
    /// Each tenant's work orders change one at a time.
    order_writes:
        std::sync::Mutex<std::collections::HashMap<TenantId, Arc<tokio::sync::Mutex<()>>>>,
    order_ids: orders::OrderIds,
    /// Where files go (work orders' attachments), once set.
    files: OnceLock<std::path::PathBuf>,
    /// Each tenant's fold of the log into reports' rollups.
    reports: reports::Folds,
    /// Each tenant's knowledge index.
    kb: kb::Indexes,
    /// Each tenant's leads change one at a time.
    lead_writes: std::sync::Mutex<std::collections::HashMap<TenantId, Arc<tokio::sync::Mutex<()>>>>,
    lead_ids: leads::LeadIds,
    territories: leads::Territories,
    /// Each tenant's calls to customers are checked against the contact policy one at a time.
    contact_writes:
        std::sync::Mutex<std::collections::HashMap<TenantId, Arc<tokio::sync::Mutex<()>>>>,
    /// Each tenant's contact policy, built.
    policies: std::sync::Mutex<std::collections::HashMap<TenantId, Arc<::leads::Policy>>>,
    /// Each tenant's whole list of contact tasks as last gathered, and when (every idle
    /// desktop asks for it).
    contact_tasks: std::sync::Mutex<contact_tasks::TaskLists>,
}

impl App {
    /// Must be called inside a tokio runtime (it starts the event-log writer).
    pub fn new(store: Store, clock: Clock) -> App {
        let events = EventLog::start(store.clone(), 256);
        App(Arc::new(Inner {
            store,
            events,
            clock,
            centers: center::Centers::default(),
            config_writes: std::sync::Mutex::default(),
            telephony: Arc::new(OnceLock::new()),
            unreadable: AtomicU64::new(0),
            placed: outbound::Placed::default(),
            center_restarts: AtomicU64::new(0),
            order_writes: std::sync::Mutex::default(),
            order_ids: orders::OrderIds::default(),
            files: OnceLock::new(),
            reports: reports::Folds::default(),
            kb: kb::Indexes::default(),
            lead_writes: std::sync::Mutex::default(),
            lead_ids: leads::LeadIds::default(),
            territories: leads::Territories::default(),
            contact_writes: std::sync::Mutex::default(),
            policies: std::sync::Mutex::default(),
            contact_tasks: std::sync::Mutex::default(),
        }))
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    pub fn events(&self) -> &EventLog {
        &self.0.events
    }

    /// Moves the center's clock forward by `ms` (only one started to travel in time).
    pub fn advance_clock(&self, ms: i64) -> AppResult<i64> {
        if !(1..=30 * 86_400_000).contains(&ms) {
            return Err(AppError::invalid("advance_ms", "1 ms to 30 days"));
        }
        self.0.clock.advance(ms).ok_or_else(|| {
            AppError::InvalidState(
                "the clock moves only in a center started with --time-travel".into(),
            )
        })
    }

    pub fn now_ms(&self) -> i64 {
        self.0.clock.now_ms()
    }

    /// Routing engines restarted after a failure, since start.
    pub fn center_restarts(&self) -> u64 {
        self.0.center_restarts.load(Ordering::Relaxed)
    }

    /// Connects telephony: from now on the routing engine's offers ring phones. Once only.
    /// Engines already running ask it which of their agents' phones are registered (a
    /// restart restores registrations before anything is attached).
    pub fn attach_telephony(&self, t: Arc<telephony::Telephony>) {
        let _ = self.0.telephony.set(t);
        for tenant in self.running_centers() {
            let app = self.clone();
            tokio::spawn(async move {
                let _ = app
                    .center(tenant, |c| {
                        for id in c.acd.agent_ids() {
                            c.refresh_phone(i64::from(id.0));
                        }
                    })
                    .await;
            });
        }
    }

    pub fn telephony(&self) -> Option<&Arc<telephony::Telephony>> {
        self.0.telephony.get()
    }

    /// Puts a typed event on the log under `id` (made by its kind's `id` function, unique
    /// in the tenant for this happening: a retry with the same id is counted once).
    pub async fn record<P: events::Payload>(&self, tenant: TenantId, id: String, payload: &P) {
        let event = NewEvent {
            tenant,
            id,
            at_ms: self.now_ms(),
            kind: P::KIND.into(),
            payload: payload.to_value(),
            order: None,
            lead: None,
        };
        if let Err(e) = self.events().append(event).await {
            tracing::error!("event not queued: {e}");
        }
    }
}

/// A random hex string of `n` characters (`n` ≤ 64), for ids that must not repeat across
/// runs.
pub fn random_hex(n: usize) -> String {
    let mut bytes = [0u8; 32];
    if getrandom::fill(&mut bytes).is_err() {
        // No entropy source: the clock still tells runs apart.
        bytes[..16].copy_from_slice(&Clock::System.now_ms().to_le_bytes().repeat(2));
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex[..n.min(64)].to_string()
}

#[cfg(test)]
mod clock_tests {
    use super::*;

    /// Issue 25: only a clock made to travel moves, and only forward from where it is.
    #[test]
    fn issue_25_a_travelling_clock_moves_forward_and_the_system_clock_never() {
        assert_eq!(Clock::System.advance(60_000), None);
        let offset = Clock::Offset(Arc::default());
        let before = Clock::System.now_ms();
        let now = offset.advance(9 * 3_600_000).unwrap();
        assert!(now >= before + 9 * 3_600_000, "{now} {before}");
        assert!(offset.now_ms() >= now);
        let manual = Clock::Manual(Arc::new(AtomicI64::new(1_000)));
        assert_eq!(manual.advance(500), Some(1_500));
    }
}
