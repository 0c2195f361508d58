//! Work orders' files (a crew's photos, documents, a copy of one of its calls' recordings)
//! under the data directory: `attachments/{tenant}/{order}/{id}`. A file is checked before anything is
//! written (its kind by its bytes, its size, its name), written whole (to a temporary name,
//! flushed, then renamed) before the order names it, and removed again if the order's event
//! cannot be written: an order never names a file that is not there. What `kill -9` can
//! leave is a file no order names, never the reverse.

use std::path::PathBuf;

use events::Payload;
use store::{TenantId, User};
use tickets::attachment::{MAX_BYTES, check_name};
use tickets::{Attachment, FileKind};

use crate::orders::OrderView;

/// The longest recording an order keeps: about 35 minutes of stereo 8 kHz.
pub const MAX_RECORDING_BYTES: u64 = 64 << 20;
use crate::{App, AppError, AppResult};

impl App {
    /// Where files go; set once, at start (`--data-dir`).
    pub fn set_files_dir(&self, dir: PathBuf) {
        let _ = self.0.files.set(dir);
    }

    fn order_dir(&self, tenant: TenantId, order: i64) -> AppResult<PathBuf> {
        let root = self.0.files.get().ok_or_else(|| {
            AppError::InvalidState("files cannot be kept: no data directory is set".into())
        })?;
        Ok(root
            .join("attachments")
            .join(tenant.0.to_string())
            .join(order.to_string()))
    }

    /// Attaches a file to an order as `actor`: checked, written, then named on the order
    /// with an event on its timeline.
    pub async fn attach_to_order(
        &self,
        tenant: TenantId,
        actor: &User,
        id: i64,
        name: &str,
        bytes: Vec<u8>,
    ) -> AppResult<OrderView> {
        let name = check_name(name).map_err(|r| AppError::invalid("name", r))?;
        if bytes.len() > MAX_BYTES {
            return Err(AppError::invalid("file", "at most 10 MB"));
        }
        let kind = FileKind::of(&name, &bytes).map_err(|r| AppError::invalid("file", r))?;
        self.keep_file(tenant, actor, id, name, kind, bytes).await
    }

    /// Attaches the recording of one of the order's calls (a copy: the order keeps it
    /// whatever becomes of the call's).
    pub async fn attach_recording(
        &self,
        tenant: TenantId,
        actor: &User,
        id: i64,
        call_id: &str,
    ) -> AppResult<OrderView> {
        let view = self.order(tenant, id).await?;
        if !view.ticket.calls.iter().any(|c| c == call_id) {
            return Err(AppError::invalid("call_id", "not a call of this order"));
        }
        // Its record, from about when the order was taken in; and it must be the order's
        // people on it (a call id added to the order by hand is not enough to get a
        // stranger's recording).
        let t = &view.ticket;
        let recorded = self
            .store()
            .scoped(tenant)
            .events_of_kind(
                events::CallEnded::KIND,
                t.created_ms.saturating_sub(86_400_000),
                i64::MAX,
                &[("call_id", call_id.to_string())],
                20,
            )
            .await?
            .iter()
            .filter_map(|e| self.read::<events::CallEnded>(e))
            .filter(|c| {
                t.order.callers.iter().any(|n| n == &c.caller)
                    || (c.customer_id.is_some() && c.customer_id == t.intake.customer_id)
            })
            .find_map(|c| c.recording)
            .ok_or_else(|| {
                AppError::invalid(
                    "call_id",
                    "no recording of this order's caller on this call",
                )
            })?;
        // Only a file among the tenant's own recordings, however the record names it.
        if self.0.files.get().is_none() {
            return Err(AppError::InvalidState(
                "files cannot be kept: no data directory is set".into(),
            ));
        }
        let path = self
            .tenant_recording(tenant, &recorded)
            .await
            .ok_or_else(|| AppError::invalid("call_id", "the call's recording is not there"))?;
        let size = tokio::fs::metadata(&path)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .len();
        if size > MAX_RECORDING_BYTES {
            return Err(AppError::invalid(
                "call_id",
                "the recording is longer than an order keeps (about 35 minutes)",
            ));
        }
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let kind = FileKind::of("r.wav", &bytes)
            .map_err(|_| AppError::invalid("call_id", "the recording is not a WAV file"))?;
        let safe: String = call_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(60)
            .collect();
        self.keep_file(
            tenant,
            actor,
            id,
            format!("通话录音-{safe}.wav"),
            kind,
            bytes,
        )
        .await
    }

    async fn keep_file(
        &self,
        tenant: TenantId,
        actor: &User,
        id: i64,
        name: String,
        kind: FileKind,
        bytes: Vec<u8>,
    ) -> AppResult<OrderView> {
        let dir = self.order_dir(tenant, id)?;
        let size = bytes.len() as u64;
        // Written and flushed before the order's lock is taken (the tenant's other orders
        // wait for no disk), under a name of its own; only renamed into place under it.
        let _few = UPLOADS
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let tmp = dir.join(format!(
            ".upload-{}-{}",
            std::process::id(),
            NEXT_UPLOAD.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        if let Err(e) = write_flushed(&dir, &tmp, &bytes).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(AppError::Internal(format!(
                "writing {}: {e}",
                tmp.display()
            )));
        }
        drop(bytes);
        let kept = self
            .name_file(tenant, actor, id, &dir, &tmp, name, kind, size)
            .await;
        let _ = tokio::fs::remove_file(&tmp).await;
        kept
    }

    /// Under the order's lock: the file renamed into place and named by the order's event
    /// (removed again if the event cannot be written).
    #[allow(clippy::too_many_arguments)]
    async fn name_file(
        &self,
        tenant: TenantId,
        actor: &User,
        id: i64,
        dir: &std::path::Path,
        tmp: &std::path::Path,
        name: String,
        kind: FileKind,
        size: u64,
    ) -> AppResult<OrderView> {
        let lock = self.order_lock(tenant);
        let _one_at_a_time = lock.lock().await;
        let OrderView { row, mut ticket } = self.order(tenant, id).await?;
        let cal = self.sla_calendar(tenant, ticket.policy.as_ref()).await?;
        let now = self.now_ms();
        // The order's next version names it: unique within the order.
        let file_id = (row.version + 1).to_string();
        ticket
            .attach(Attachment {
                id: file_id.clone(),
                name: name.clone(),
                kind,
                size,
                by: Some(actor.id.0 as u64),
                at_ms: now,
            })
            .map_err(|e| match e {
                tickets::OrderError::Invalid { field, reason } => AppError::invalid(field, reason),
                tickets::OrderError::NotNow { status } => {
                    AppError::InvalidState(format!("the order is {status}"))
                }
            })?;
        let path = dir.join(&file_id);
        let placed = async {
            tokio::fs::rename(tmp, &path).await?;
            tokio::fs::File::open(dir).await?.sync_all().await
        }
        .await;
        if let Err(e) = placed {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(AppError::Internal(format!(
                "keeping {}: {e}",
                path.display()
            )));
        }
        let written = self
            .write_change(
                tenant,
                actor,
                &row,
                ticket,
                Vec::new(),
                "attach",
                Some(name),
                None,
                &cal,
            )
            .await;
        if written.is_err() {
            let _ = tokio::fs::remove_file(&path).await;
        }
        written
    }

    /// One of an order's files and its bytes.
    pub async fn order_file(
        &self,
        tenant: TenantId,
        id: i64,
        file: &str,
    ) -> AppResult<(Attachment, Vec<u8>)> {
        let view = self.order(tenant, id).await?;
        let a = view
            .ticket
            .attachments
            .into_iter()
            .find(|a| a.id == file)
            .ok_or(AppError::NotFound("file"))?;
        let path = self.order_dir(tenant, id)?.join(&a.id);
        let bytes = tokio::fs::read(&path).await.map_err(|e| {
            AppError::Internal(format!(
                "the order's file {} is missing: {e}",
                path.display()
            ))
        })?;
        Ok((a, bytes))
    }
}

/// Files being written at once (each held in memory until it is on disk).
static UPLOADS: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(4));

/// Tells this process's temporary files apart.
static NEXT_UPLOAD: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Writes `bytes` to `path` and flushes it to disk (a power cut leaves it whole or absent
/// once renamed).
async fn write_flushed(
    dir: &std::path::Path,
    path: &std::path::Path,
    bytes: &[u8],
) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    tokio::fs::create_dir_all(dir).await?;
    let mut f = tokio::fs::File::create(path).await?;
    f.write_all(bytes).await?;
    f.sync_all().await
}
