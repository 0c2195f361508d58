//! Work orders' files (a crew's photos, documents, the call's recording) under the data
//! directory: `attachments/{tenant}/{order}/{id}`. A file is checked before anything is
//! written (its kind by its bytes, its size, its name), written whole (to a temporary name,
//! flushed, then renamed) before the order names it, and removed again if the order's event
//! cannot be written: an order never names a file that is not there. What `kill -9` can
//! leave is a file no order names, never the reverse.

use std::path::PathBuf;

use store::{TenantId, User};
use tickets::attachment::{MAX_BYTES, check_name};
use tickets::{Attachment, FileKind};

use crate::orders::OrderView;
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
        let dir = self.order_dir(tenant, id)?;
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
                size: bytes.len() as u64,
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
        write_whole(&dir, &path, &bytes)
            .await
            .map_err(|e| AppError::Internal(format!("writing {}: {e}", path.display())))?;
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

/// Writes `bytes` to `path` whole or not at all: a temporary file flushed to disk, renamed,
/// and the directory flushed so the rename survives a power cut.
async fn write_whole(dir: &PathBuf, path: &PathBuf, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    tokio::fs::create_dir_all(dir).await?;
    let tmp = path.with_extension("part");
    let mut f = tokio::fs::File::create(&tmp).await?;
    f.write_all(bytes).await?;
    f.sync_all().await?;
    drop(f);
    tokio::fs::rename(&tmp, path).await?;
    tokio::fs::File::open(dir).await?.sync_all().await
}
