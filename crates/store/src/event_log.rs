//! Writing the event log off the hot path.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::{NewEvent, Store, StoreError};

enum Command {
    Append(NewEvent),
    Flush(oneshot::Sender<()>),
}

/// A writer task that appends events in batches: whatever has queued up while the previous
/// batch was being written goes in the next one, in one transaction. Producers wait only when
/// the writer is far behind (back-pressure), never for the database itself.
///
/// Nothing is dropped on a database outage: the batch is retried, with a growing pause, until
/// it is written; appends are idempotent by event id, so a retry after an uncertain commit
/// counts nothing twice. An event the database refuses for good (naming a tenant that does
/// not exist, say) is the producer's bug: it is set aside (counted in [`EventLog::rejected`]
/// and logged) so the rest of its batch is written.
#[derive(Debug)]
pub struct EventLog {
    tx: mpsc::Sender<Command>,
    task: JoinHandle<()>,
    rejected: Arc<AtomicU64>,
    written: watch::Receiver<u64>,
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
        let task = tokio::spawn(write_loop(store, rx, batch, rejected.clone(), written_tx));
        EventLog {
            tx,
            task,
            rejected,
            written,
        }
    }

    /// Queues an event after checking it, so that only the database can fail later.
    pub async fn append(&self, event: NewEvent) -> Result<(), AppendError> {
        event.validate().map_err(AppendError::Invalid)?;
        self.tx
            .send(Command::Append(event))
            .await
            .map_err(|_| AppendError::Closed(Closed))
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

    /// Events set aside because the database refuses them (their tenant does not exist…).
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }

    /// Writes everything queued, then stops the writer.
    pub async fn close(self) {
        drop(self.tx);
        let _ = self.task.await;
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
) {
    let mut events = Vec::with_capacity(batch);
    let mut waiting = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(command) = next.take() {
            match command {
                Command::Append(e) => events.push(e),
                Command::Flush(done) => waiting.push(done),
            }
            if events.len() < batch {
                next = rx.try_recv().ok();
            }
        }
        write(&store, &mut events, &rejected).await;
        written.send_modify(|n| *n += 1);
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Writes the batch, retrying through outages; empties `events`. An event the database
/// refuses for good (its tenant does not exist, or its data breaks a constraint) is set
/// aside, counted and logged, so it never holds up the events behind it.
async fn write(store: &Store, events: &mut Vec<NewEvent>, rejected: &AtomicU64) {
    let mut pause = Duration::from_millis(50);
    while !events.is_empty() {
        match store.append_events(events).await {
            Ok(_) => events.clear(),
            Err(e) if refused_for_good(&e) => {
                // One by one, to set aside only the events refused.
                let mut kept = Vec::new();
                for e in events.drain(..) {
                    match store.append_events(std::slice::from_ref(&e)).await {
                        Ok(_) => {}
                        Err(err) if refused_for_good(&err) => {
                            rejected.fetch_add(1, Ordering::Relaxed);
                            tracing::error!(
                                tenant = e.tenant.0,
                                id = e.id,
                                kind = e.kind,
                                "event set aside, the database refuses it: {err}"
                            );
                        }
                        Err(_) => kept.push(e),
                    }
                }
                *events = kept;
            }
            Err(_) => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
        }
    }
}

/// Whether the database refuses the write itself (it would refuse it again), rather than
/// being out of reach: a missing tenant, a bad value, a broken constraint.
fn refused_for_good(e: &StoreError) -> bool {
    match e {
        StoreError::NotFound { .. } | StoreError::Invalid { .. } => true,
        StoreError::Database(sqlx::Error::Database(d)) => {
            let code = d.code().unwrap_or_default();
            // PostgreSQL: data exceptions (22…) and integrity violations (23…); SQLite:
            // constraint (19), too big (18), mismatch (20).
            code.starts_with("22")
                || code.starts_with("23")
                || matches!(code.as_ref(), "18" | "19" | "20")
        }
        _ => false,
    }
}
