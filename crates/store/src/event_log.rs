//! Writing the event log off the hot path.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::{NewEvent, Store, StoreError, TenantId};

/// Per tenant, changed after every batch holding its events: readers of one tenant's log
/// wake for that tenant's writes only.
type Tenants = Arc<Mutex<HashMap<TenantId, watch::Sender<u64>>>>;

enum Command {
    /// Events to write; the sender hears once they are committed.
    Append(Vec<NewEvent>, oneshot::Sender<()>),
    Flush(oneshot::Sender<()>),
    /// An event refused before it was queued, for the dead-letter table.
    SetAside(NewEvent, String),
}

/// A writer task that appends events in batches (group commit): whatever has queued up while
/// the previous batch was being written goes in the next one, in one transaction, and every
/// producer in it is answered when it commits. [`EventLog::append`] returns only then, so
/// whatever a producer acknowledges or acts on after it is durable first — a crash loses
/// nothing it was told was written.
///
/// Nothing is dropped on a database outage: the batch is retried, with a growing pause, until
/// it is written; appends are idempotent by event id, so a retry after an uncertain commit
/// counts nothing twice. An event the database refuses for good (a tenant that does not
/// exist, a value it cannot store) is set aside in the dead-letter table, counted in
/// [`EventLog::rejected`] and logged as an error, so it never holds up the events behind it.
#[derive(Debug)]
pub struct EventLog {
    tx: mpsc::Sender<Command>,
    task: JoinHandle<()>,
    rejected: Arc<AtomicU64>,
    written: watch::Receiver<u64>,
    tenants: Tenants,
}

/// The writer has stopped (the log was closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the event log is closed")]
pub struct Closed;

impl EventLog {
    /// Starts the writer on the current tokio runtime; batches hold up to `batch` events.
    pub fn start(store: Store, batch: usize) -> EventLog {
        let batch = batch.max(1);
        let (tx, rx) = mpsc::channel(batch * 4);
        let rejected = Arc::new(AtomicU64::new(0));
        let (written_tx, written) = watch::channel(0);
        let tenants = Tenants::default();
        let task = tokio::spawn(write_loop(
            store,
            rx,
            batch,
            rejected.clone(),
            written_tx,
            tenants.clone(),
        ));
        EventLog {
            tx,
            task,
            rejected,
            written,
            tenants,
        }
    }

    /// Writes an event and returns once it is committed (or set aside for good). One that
    /// fails its checks is not written: it goes to the dead-letter table and the error
    /// names the field. A client's input is checked at the edge, so this is a producer's bug.
    pub async fn append(&self, event: NewEvent) -> Result<(), AppendError> {
        self.append_all(vec![event]).await
    }

    /// [`EventLog::append`] for several events, with one wait for their commit.
    pub async fn append_all(&self, events: Vec<NewEvent>) -> Result<(), AppendError> {
        let (committed, invalid) = self.submit(events).await;
        committed.await.map_err(AppendError::Closed)?;
        invalid.map_or(Ok(()), |e| Err(AppendError::Invalid(e)))
    }

    /// Queues events without waiting for their commit: the producer goes on, and awaits
    /// [`Committed`] before it tells anyone or acts on them (a pipeline: one producer's
    /// successive submits share commits). Events that fail their checks go to the
    /// dead-letter table; the first such error is returned beside.
    pub async fn submit(&self, events: Vec<NewEvent>) -> (Committed, Option<StoreError>) {
        let mut valid = Vec::with_capacity(events.len());
        let mut invalid = None;
        for event in events {
            match event.validate() {
                Ok(()) => valid.push(event),
                Err(e) => {
                    let _ = self.tx.send(Command::SetAside(event, e.to_string())).await;
                    invalid.get_or_insert(e);
                }
            }
        }
        let (done, wait) = oneshot::channel();
        if valid.is_empty() {
            let _ = done.send(());
        } else {
            // When the writer has stopped, `done` is dropped with the command and the
            // producer's wait ends in `Closed`.
            let _ = self.tx.send(Command::Append(valid, done)).await;
        }
        (Committed(wait), invalid)
    }

    /// Resolves once every event appended before it is in the database.
    pub async fn flush(&self) -> Result<(), Closed> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Command::Flush(done))
            .await
            .map_err(|_| Closed)?;
        wait.await.map_err(|_| Closed)
    }

    /// Changes after every batch that reaches the database: readers that stream the log
    /// (the WebSocket) wait on it, then read what is new from the store.
    pub fn written(&self) -> watch::Receiver<u64> {
        self.written.clone()
    }

    /// Commands waiting for the writer (a measure of how far behind it is).
    pub fn queued(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// Whether the writer has stopped.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed() || self.task.is_finished()
    }

    /// Changes after every batch that holds events of `tenant` (the WebSocket of one
    /// tenant waits on it, and sleeps through other tenants' writes).
    pub fn written_for(&self, tenant: TenantId) -> watch::Receiver<u64> {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants
            .entry(tenant)
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// Events set aside because they fail their checks or the database refuses them (their
    /// tenant does not exist…): each is in the dead-letter table, unless that failed too.
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }

    /// Writes everything queued, then stops the writer.
    pub async fn close(self) {
        drop(self.tx);
        let _ = self.task.await;
    }
}

/// Resolves once the events of a [`EventLog::submit`] are committed (or set aside).
#[derive(Debug)]
pub struct Committed(oneshot::Receiver<()>);

impl std::future::Future for Committed {
    type Output = Result<(), Closed>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx).map_err(|_| Closed)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error(transparent)]
    Invalid(StoreError),
    #[error(transparent)]
    Closed(Closed),
}

async fn write_loop(
    store: Store,
    mut rx: mpsc::Receiver<Command>,
    batch: usize,
    rejected: Arc<AtomicU64>,
    written: watch::Sender<u64>,
    tenants: Tenants,
) {
    // Each producer's submit is a unit: written whole or set aside whole (a merge's two
    // sides, a change and the warnings said before it).
    let mut units: Vec<Vec<NewEvent>> = Vec::new();
    let mut count = 0;
    let mut waiting = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(command) = next.take() {
            match command {
                Command::Append(e, done) => {
                    count += e.len();
                    units.push(e);
                    waiting.push(done);
                }
                Command::Flush(done) => waiting.push(done),
                Command::SetAside(e, reason) => set_aside(&store, &e, &reason, &rejected).await,
            }
            if count < batch {
                next = rx.try_recv().ok();
            }
        }
        let mut touched: Vec<TenantId> = units.iter().flatten().map(|e| e.tenant).collect();
        touched.sort_unstable_by_key(|t| t.0);
        touched.dedup();
        write(&store, &mut units, &rejected).await;
        count = 0;
        written.send_modify(|n| *n += 1);
        {
            let tenants = tenants.lock().unwrap_or_else(|e| e.into_inner());
            for t in touched {
                if let Some(w) = tenants.get(&t) {
                    w.send_modify(|n| *n += 1);
                }
            }
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Writes the batch, retrying through outages; empties `units`. A unit the database refuses
/// for good (its tenant does not exist, or its data breaks a constraint) is set aside whole,
/// so it never holds up the events behind it and is never written in part.
async fn write(store: &Store, units: &mut Vec<Vec<NewEvent>>, rejected: &AtomicU64) {
    let mut pause = Duration::from_millis(50);
    while !units.is_empty() {
        let all: Vec<NewEvent> = units.iter().flatten().cloned().collect();
        match store.append_events(&all).await {
            Ok(_) => units.clear(),
            Err(e) if refused_for_good(&e) => {
                // Unit by unit, to set aside only the units refused.
                let mut kept = Vec::new();
                for unit in units.drain(..) {
                    match store.append_events(&unit).await {
                        Ok(_) => {}
                        Err(err) if refused_for_good(&err) => {
                            for e in &unit {
                                set_aside(store, e, &err.to_string(), rejected).await;
                            }
                        }
                        Err(_) => kept.push(unit),
                    }
                }
                *units = kept;
            }
            Err(_) => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
        }
    }
}

/// Puts a refused event in the dead-letter table, counts it and logs it as an error (the
/// alert: an operator looks at `dead_letters`; `/metrics` counts them).
async fn set_aside(store: &Store, e: &NewEvent, reason: &str, rejected: &AtomicU64) {
    rejected.fetch_add(1, Ordering::Relaxed);
    tracing::error!(
        tenant = e.tenant.0,
        id = e.id,
        kind = e.kind,
        "event set aside in dead_letters: {reason}"
    );
    if let Err(err) = store.set_aside(e, reason).await {
        tracing::error!(
            tenant = e.tenant.0,
            id = e.id,
            "dead letter not kept: {err}"
        );
    }
}

/// The database's own error code says it refuses the value for good. PostgreSQL gives a
/// SQLSTATE: data exceptions (22…), integrity violations (23…). SQLite gives extended codes
/// (2067: a unique constraint) whose low byte is the primary one: too big (18), constraint
/// (19), mismatch (20).
fn refused_for_good_code(code: &str) -> bool {
    if code.len() == 5 {
        code.starts_with("22") || code.starts_with("23")
    } else {
        code.parse::<u32>()
            .is_ok_and(|n| matches!(n & 0xff, 18..=20))
    }
}

/// Whether the database refuses the write itself (it would refuse it again), rather than
/// being out of reach: a missing tenant, a bad value, a broken constraint.
fn refused_for_good(e: &StoreError) -> bool {
    match e {
        StoreError::NotFound { .. } | StoreError::Invalid { .. } => true,
        StoreError::Database(sqlx::Error::Database(d)) => {
            refused_for_good_code(&d.code().unwrap_or_default())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    /// Issue 20: SQLite's extended codes are read by their primary code (before, only the
    /// bare primary codes were, and a unique or NOT NULL failure was retried forever).
    #[test]
    fn issue_20_refusals_for_good_are_told_by_either_databases_codes() {
        for code in [
            "19", "2067", "1299", "787", "275", "18", "20", "23505", "22021",
        ] {
            assert!(super::refused_for_good_code(code), "{code}");
        }
        for code in ["5", "517", "261", "10", "08006", "57P01", "53300"] {
            assert!(!super::refused_for_good_code(code), "{code}");
        }
    }
}
