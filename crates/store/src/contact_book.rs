//! Each tenant's contact facts kept in memory, so that the contact policy's check of a call
//! (R2.4) costs no round trip to the database: which customers exist, which records were
//! merged into which, who is blacklisted, what each customer asked of the center's calls, and
//! the calls placed in the last days.
//!
//! A tenant's book is loaded in the background on the first question; until it is in, and
//! whenever it cannot answer (a customer it does not know, a window older than its calls),
//! the question goes to the database. The store's own writes keep it true: a call written
//! down or taken back, or a customer created, is applied to it; a change it cannot follow in
//! place (a blacklist flag, a merge or its undoing, a customer's preferences) drops it, and
//! it is loaded again. Each such write runs whole on a task of its own with its hook armed
//! before it starts ([`TenantStore::run_whole`]): it ends with its hook even when its caller
//! goes away half way, and one that fails after it may have landed drops the book. A load
//! that a dropping write overtook is thrown away, and the calls written while it ran are laid
//! over it (each call once), so the book never misses a committed write.
//!
//! It assumes what the architecture does: one process owns the database. A change made to
//! it from outside (by hand, by another process) is seen when the book is next loaded —
//! after the next dropping write, and at the latest [`MAX_AGE`] after the last load.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::{AnyRow, ContactFacts, CustomerId, Db, Store, StoreError, TenantId, TenantStore};

/// A tenant with more customers than this is answered from the database only.
const MAX_CUSTOMERS: i64 = 5_000_000;
/// How much older than the first question's window the calls a book loads go.
const MARGIN_MS: i64 = 86_400_000;
/// Calls added between two sweeps of those fallen out of every window.
const PRUNE_EVERY: u32 = 20_000;
/// A book older than this is loaded again (what was changed from outside is seen by then).
pub const MAX_AGE: Duration = Duration::from_secs(300);
/// The least time between two loads of a tenant's book begun by questions: a tenant whose
/// writes keep dropping it is answered from the database meanwhile, not loaded over and over.
const BACKOFF: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
pub(crate) struct Books {
    slots: Mutex<HashMap<TenantId, Slot>>,
    /// Keys for the calls' tags, random per process.
    keys: RandomState,
}

#[derive(Debug, Default)]
struct Slot {
    /// Moves with every write the book cannot follow in place: a load begun before is stale.
    generation: u64,
    state: State,
    /// When the last load began.
    began: Option<Instant>,
}

impl Slot {
    /// Marks a load begun; the generation it must still be at to be kept.
    fn begin(&mut self) -> u64 {
        self.state = State::Loading(Vec::new());
        self.began = Some(Instant::now());
        self.generation
    }
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Cold,
    /// Loading; the calls written meanwhile, to lay over the book when it is in.
    Loading(Vec<(i64, i64, u64)>),
    Ready(Box<Book>),
    /// More customers than a book keeps.
    TooBig,
}

/// What a book says of a customer.
pub(crate) enum Answer {
    Facts(ContactFacts),
    /// Not known here: ask the database.
    Ask,
}

#[derive(Debug, Default)]
struct Book {
    /// Every call since then is here.
    horizon_ms: i64,
    /// The latest window asked about, for the sweep.
    latest_since_ms: i64,
    added: u32,
    customers: HashSet<i64>,
    merged_into: HashMap<i64, i64>,
    merged_in: HashMap<i64, Vec<i64>>,
    blacklisted: HashSet<i64>,
    /// Do not call, and the hours, of customers who asked something.
    prefs: HashMap<i64, (bool, Option<(String, String)>)>,
    /// When each customer was called, with the call's id hashed (a call is added once).
    calls: HashMap<i64, Vec<(i64, u64)>>,
}

impl Book {
    fn answer(&mut self, customer: i64, since_ms: i64) -> Answer {
        if since_ms < self.horizon_ms || !self.customers.contains(&customer) {
            return Answer::Ask;
        }
        self.latest_since_ms = self.latest_since_ms.max(since_ms);
        let survivor = self.merged_into.get(&customer).copied().unwrap_or(customer);
        if !self.customers.contains(&survivor) {
            return Answer::Ask;
        }
        let merged = self.merged_in.get(&survivor).map_or(&[][..], Vec::as_slice);
        let mut facts = ContactFacts {
            customer: CustomerId(survivor),
            blacklisted: self.blacklisted.contains(&survivor),
            do_not_call: false,
            hours: None,
            calls_ms: Vec::new(),
        };
        for c in std::iter::once(&survivor).chain(merged) {
            if let Some((dnc, hours)) = self.prefs.get(c) {
                facts.do_not_call |= dnc;
                if facts.hours.is_none() {
                    facts.hours = hours.clone();
                }
            }
            if let Some(calls) = self.calls.get(c) {
                facts
                    .calls_ms
                    .extend(calls.iter().map(|c| c.0).filter(|at| *at >= since_ms));
            }
        }
        facts.calls_ms.sort_unstable();
        Answer::Facts(facts)
    }

    fn add_call(&mut self, customer: i64, at_ms: i64, tag: u64) {
        let calls = self.calls.entry(customer).or_default();
        if !calls.contains(&(at_ms, tag)) {
            calls.push((at_ms, tag));
        }
        self.added += 1;
        if self.added >= PRUNE_EVERY {
            self.added = 0;
            let horizon = self.latest_since_ms - MARGIN_MS;
            if horizon > self.horizon_ms {
                self.horizon_ms = horizon;
                self.calls.retain(|_, v| {
                    v.retain(|c| c.0 >= horizon);
                    !v.is_empty()
                });
            }
        }
    }
}

impl Books {
    fn slots(&self) -> MutexGuard<'_, HashMap<TenantId, Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn tag(&self, call_id: &str) -> u64 {
        self.keys.hash_one(call_id)
    }

    fn generation(&self, tenant: TenantId) -> u64 {
        self.slots().get(&tenant).map_or(0, |s| s.generation)
    }

    /// Arms a write the book cannot follow: when the guard goes (the write done, failed or
    /// given up half way), the book is dropped.
    pub(crate) fn dropping(&self, tenant: TenantId) -> Dropping<'_> {
        Dropping {
            books: self,
            tenant,
            armed: true,
        }
    }

    /// The book's answer, and the generation of a load to start when there is no book yet.
    pub(crate) fn answer(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        since_ms: i64,
    ) -> (Answer, Option<u64>) {
        let mut slots = self.slots();
        let slot = slots.entry(tenant).or_default();
        let recent = |t: Option<Instant>, d| t.is_some_and(|t| t.elapsed() < d);
        if matches!(slot.state, State::Ready(_)) && !recent(slot.began, MAX_AGE) {
            slot.generation += 1;
            slot.state = State::Cold;
        }
        match &mut slot.state {
            State::Ready(book) => (book.answer(customer.0, since_ms), None),
            State::Cold if !recent(slot.began, BACKOFF) => (Answer::Ask, Some(slot.begin())),
            State::Cold | State::Loading(_) | State::TooBig => (Answer::Ask, None),
        }
    }

    /// Arms the writing down of a call: [`Calling::done`] adds it to the book; a guard
    /// dropped before (the write failed or was given up) drops the book.
    pub(crate) fn calling(&self, tenant: TenantId) -> Calling<'_> {
        Calling(self.dropping(tenant))
    }

    /// The calls written down under `call_id` were taken back.
    pub(crate) fn uncalled(&self, tenant: TenantId, call_id: &str) {
        let tag = self.tag(call_id);
        let mut slots = self.slots();
        let Some(slot) = slots.get_mut(&tenant) else {
            return;
        };
        match &mut slot.state {
            State::Ready(book) => {
                for calls in book.calls.values_mut() {
                    calls.retain(|c| c.1 != tag);
                }
            }
            // The load may have read them: it is not kept.
            State::Loading(_) => {
                slot.generation += 1;
                slot.state = State::Cold;
            }
            State::Cold | State::TooBig => {}
        }
    }

    /// Customers were created (one the book misses is asked of the database).
    pub(crate) fn created(&self, tenant: TenantId, customers: impl Iterator<Item = (i64, bool)>) {
        let mut slots = self.slots();
        if let Some(State::Ready(book)) = slots.get_mut(&tenant).map(|s| &mut s.state) {
            for (id, blacklisted) in customers {
                book.customers.insert(id);
                if blacklisted {
                    book.blacklisted.insert(id);
                }
            }
        }
    }

    /// A write the book cannot follow in place: it is loaded again.
    fn drop_book(&self, tenant: TenantId) {
        let mut slots = self.slots();
        let slot = slots.entry(tenant).or_default();
        slot.generation += 1;
        if !matches!(slot.state, State::TooBig) {
            slot.state = State::Cold;
        }
    }

    /// Marks a load begun, with the generation it must still be at to be kept; `None` when
    /// one is under way, the book is in, or it would be too big.
    fn begin_load(&self, tenant: TenantId) -> Option<u64> {
        let mut slots = self.slots();
        let slot = slots.entry(tenant).or_default();
        matches!(slot.state, State::Cold).then(|| slot.begin())
    }

    /// Ends a load: the book kept if no dropping write overtook it (`None`: the load failed
    /// or was too big).
    fn end_load(&self, tenant: TenantId, generation: u64, book: Option<Loaded>) -> bool {
        let mut slots = self.slots();
        let slot = slots.entry(tenant).or_default();
        let State::Loading(written) = &mut slot.state else {
            return false;
        };
        if slot.generation != generation {
            return false;
        }
        let written = std::mem::take(written);
        slot.state = State::Cold;
        match book {
            Some(Loaded::Book(mut book)) => {
                for (customer, at, tag) in written {
                    book.add_call(customer, at, tag);
                }
                slot.state = State::Ready(book);
                true
            }
            Some(Loaded::TooBig) => {
                slot.state = State::TooBig;
                false
            }
            None => false,
        }
    }
}

/// See [`Books::dropping`].
pub(crate) struct Dropping<'a> {
    books: &'a Books,
    tenant: TenantId,
    armed: bool,
}

impl Dropping<'_> {
    /// The write was followed in place: the book stays.
    pub(crate) fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for Dropping<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.books.drop_book(self.tenant);
        }
    }
}

/// See [`Books::calling`].
pub(crate) struct Calling<'a>(Dropping<'a>);

impl Calling<'_> {
    /// The call is written: it is added to the book (laid over a load under way).
    pub(crate) fn done(mut self, customer: CustomerId, at_ms: i64, call_id: &str) {
        self.0.armed = false;
        let books = self.0.books;
        let tag = books.tag(call_id);
        let mut slots = books.slots();
        match slots.get_mut(&self.0.tenant).map(|s| &mut s.state) {
            Some(State::Ready(book)) => book.add_call(customer.0, at_ms, tag),
            Some(State::Loading(calls)) => calls.push((customer.0, at_ms, tag)),
            _ => {}
        }
    }
}

/// A book read from the database.
enum Loaded {
    Book(Box<Book>),
    TooBig,
}

/// Puts a load's slot back to cold if the load is dropped half way.
struct Loading<'a> {
    store: &'a Store,
    tenant: TenantId,
    generation: u64,
    done: bool,
}

impl Drop for Loading<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.store
                .books
                .end_load(self.tenant, self.generation, None);
        }
    }
}

impl Store {
    /// Loads `tenant`'s contact book now, with the calls from a day before `since_ms`;
    /// whether it is in (false: a load was already under way or a write overtook this one,
    /// or the tenant has too many customers). The first question loads it in the background.
    pub async fn load_contact_book(
        &self,
        tenant: TenantId,
        since_ms: i64,
    ) -> Result<bool, StoreError> {
        let Some(generation) = self.books.begin_load(tenant) else {
            return Ok(matches!(
                self.books.slots().get(&tenant).map(|s| &s.state),
                Some(State::Ready(_))
            ));
        };
        self.finish_load(tenant, generation, since_ms).await
    }

    /// Reads the book whose load began at `generation`, and keeps it if it still may be.
    async fn finish_load(
        &self,
        tenant: TenantId,
        generation: u64,
        since_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut guard = Loading {
            store: self,
            tenant,
            generation,
            done: false,
        };
        let book = self
            .read_book(tenant, generation, since_ms - MARGIN_MS)
            .await?;
        guard.done = true;
        Ok(self.books.end_load(tenant, generation, book))
    }

    /// Loads `tenant`'s book, begun at `generation`, in the background.
    pub(crate) fn load_contact_book_later(&self, tenant: TenantId, generation: u64, since_ms: i64) {
        let store = self.clone();
        tokio::spawn(async move {
            if let Err(e) = store.finish_load(tenant, generation, since_ms).await {
                tracing::warn!(tenant = tenant.0, "contact book: {e}; asking the database");
            }
        });
    }

    /// The book as the database has it, counted before it is read; `None` when a dropping
    /// write overtook the load at `generation` (the rest is not read).
    async fn read_book(
        &self,
        tenant: TenantId,
        generation: u64,
        horizon_ms: i64,
    ) -> Result<Option<Loaded>, StoreError> {
        let overtaken = || self.books.generation(tenant) != generation;
        let mut book = Book {
            horizon_ms,
            latest_since_ms: horizon_ms,
            ..Book::default()
        };
        let n: i64 = on_db!(self, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM customers WHERE tenant_id = $1",
        )
        .bind(tenant.0)
        .fetch_one(pool)
        .await?);
        if n > MAX_CUSTOMERS {
            return Ok(Some(Loaded::TooBig));
        }
        let customers = on_db!(self, pool => sqlx::query(
            "SELECT id, merged_into, CAST(CASE WHEN blacklisted THEN 1 ELSE 0 END AS BIGINT) AS b \
             FROM customers WHERE tenant_id = $1",
        )
        .bind(tenant.0)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.int("id")?, r.opt_int("merged_into")?, r.int("b")? != 0)))
        .collect::<Result<Vec<_>, StoreError>>())?;
        if overtaken() {
            return Ok(None);
        }
        book.customers.reserve(customers.len());
        for (id, merged_into, blacklisted) in customers {
            book.customers.insert(id);
            if blacklisted {
                book.blacklisted.insert(id);
            }
            if let Some(s) = merged_into {
                book.merged_into.insert(id, s);
                book.merged_in.entry(s).or_default().push(id);
            }
        }
        let prefs = on_db!(self, pool => sqlx::query(
            "SELECT customer_id, CAST(CASE WHEN do_not_call THEN 1 ELSE 0 END AS BIGINT) AS d, \
             hours_from, hours_to FROM contact_prefs WHERE tenant_id = $1",
        )
        .bind(tenant.0)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            let hours = match (r.opt_text("hours_from")?, r.opt_text("hours_to")?) {
                (Some(a), Some(b)) => Some((a, b)),
                _ => None,
            };
            Ok((r.int("customer_id")?, r.int("d")? != 0, hours))
        })
        .collect::<Result<Vec<_>, StoreError>>())?;
        for merged in book.merged_in.values_mut() {
            merged.sort_unstable();
        }
        for (c, dnc, hours) in prefs {
            book.prefs.insert(c, (dnc, hours));
        }
        if overtaken() {
            return Ok(None);
        }
        let calls = on_db!(self, pool => sqlx::query(
            "SELECT customer_id, at, call_id FROM contact_calls WHERE tenant_id = $1 AND at >= $2",
        )
        .bind(tenant.0)
        .bind(horizon_ms)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.int("customer_id")?, r.int("at")?, self.books.tag(&r.text("call_id")?))))
        .collect::<Result<Vec<_>, StoreError>>())?;
        for (c, at, tag) in calls {
            book.calls.entry(c).or_default().push((at, tag));
        }
        Ok(Some(Loaded::Book(Box::new(book))))
    }
}

impl TenantStore<'_> {
    /// Runs a write the contact book follows on a task of its own, so that it ends with its
    /// hook even when its caller goes away half way (a request whose client hung up): a
    /// write dropped mid-flight could otherwise land after its hook ran.
    pub(crate) async fn run_whole<T, F>(
        &self,
        write: impl FnOnce(Store, TenantId) -> F,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        match tokio::spawn(write(self.store.clone(), self.tenant)).await {
            Ok(done) => done,
            Err(e) => match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(_) => Err(StoreError::Database(sqlx::Error::PoolClosed)),
            },
        }
    }
}
