//! What lets the center come back whole after a crash: the dead-letter table (events the
//! log could not take) and the phones' registrations.

use crate::{AnyRow, Db, NewEvent, Store, StoreError, TenantId};

/// An event set aside by the log, for an operator to look at.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub seq: i64,
    pub tenant: TenantId,
    pub id: String,
    pub at_ms: i64,
    pub kind: String,
    /// The payload's JSON text.
    pub payload: String,
    pub reason: String,
    pub set_aside_ms: i64,
}

/// A phone's registration as kept across restarts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub tenant: TenantId,
    pub extension: String,
    pub contact: String,
    /// `ip:port` the REGISTER came from.
    pub source: String,
    pub transport: String,
    pub expires_at_ms: i64,
    pub user: i64,
    pub call_id: String,
    pub cseq: i64,
}

impl Store {
    /// Copies the embedded database to `to`, a new file, while the center runs: one
    /// consistent snapshot (SQLite's `VACUUM INTO`, a read transaction: writers go on).
    /// PostgreSQL has its own tools (`pg_dump`, or base backups with WAL archiving).
    pub async fn backup(&self, to: &std::path::Path) -> Result<(), StoreError> {
        let Db::Sqlite(pool) = &self.db else {
            return Err(StoreError::Invalid {
                field: "database",
                reason: "a PostgreSQL database is backed up with pg_dump (or pg_basebackup)".into(),
            });
        };
        if to.exists() {
            return Err(StoreError::Invalid {
                field: "to",
                reason: format!("{} exists; a backup never overwrites", to.display()),
            });
        }
        let path = to.to_str().ok_or(StoreError::Invalid {
            field: "to",
            reason: "not a UTF-8 path".into(),
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Keeps an event the log refused. Stores what it can of anything: no check, no key.
    pub async fn set_aside(&self, e: &NewEvent, reason: &str) -> Result<(), StoreError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        // Text columns refuse NUL on PostgreSQL: JSON escapes it, the id and kind are
        // escaped here the same way.
        let clean = |s: &str| s.replace('\0', "\\u0000");
        on_db!(self, pool => sqlx::query(
            "INSERT INTO dead_letters (tenant_id, id, at, kind, payload, reason, set_aside) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(e.tenant.0)
        .bind(clean(&e.id))
        .bind(e.at_ms)
        .bind(clean(&e.kind))
        .bind(e.payload.to_string())
        .bind(clean(reason))
        .bind(now)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// The newest dead letters first.
    pub async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>, StoreError> {
        let sql = "SELECT seq, tenant_id, id, at, kind, payload, reason, set_aside \
                   FROM dead_letters ORDER BY seq DESC LIMIT $1";
        on_db!(self, pool => sqlx::query(sql)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok(DeadLetter {
                    seq: r.int("seq")?,
                    tenant: TenantId(r.int("tenant_id")?),
                    id: r.text("id")?,
                    at_ms: r.int("at")?,
                    kind: r.text("kind")?,
                    payload: r.text("payload")?,
                    reason: r.text("reason")?,
                    set_aside_ms: r.int("set_aside")?,
                })
            })
            .collect())
    }

    /// Replaces the registrations of one extension with `now` (empty: none left).
    pub async fn save_registrations(
        &self,
        tenant: TenantId,
        extension: &str,
        now: &[Registration],
    ) -> Result<(), StoreError> {
        in_write_tx!(self, tx => {
            sqlx::query("DELETE FROM registrations WHERE tenant_id = $1 AND extension = $2")
                .bind(tenant.0)
                .bind(extension)
                .execute(&mut *tx)
                .await?;
            for r in now {
                sqlx::query(
                    "INSERT INTO registrations (tenant_id, extension, contact, source, \
                     transport, expires_at, user_id, call_id, cseq) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(tenant.0)
                .bind(extension)
                .bind(&r.contact)
                .bind(&r.source)
                .bind(&r.transport)
                .bind(r.expires_at_ms)
                .bind(r.user)
                .bind(&r.call_id)
                .bind(r.cseq)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every registration not expired at `now_ms` (expired ones are deleted).
    pub async fn registrations(&self, now_ms: i64) -> Result<Vec<Registration>, StoreError> {
        on_db!(self, pool => {
            sqlx::query("DELETE FROM registrations WHERE expires_at <= $1")
                .bind(now_ms)
                .execute(pool)
                .await?;
            sqlx::query(
                "SELECT tenant_id, extension, contact, source, transport, expires_at, user_id, \
                 call_id, cseq FROM registrations ORDER BY tenant_id, extension, contact",
            )
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok(Registration {
                    tenant: TenantId(r.int("tenant_id")?),
                    extension: r.text("extension")?,
                    contact: r.text("contact")?,
                    source: r.text("source")?,
                    transport: r.text("transport")?,
                    expires_at_ms: r.int("expires_at")?,
                    user: r.int("user_id")?,
                    call_id: r.text("call_id")?,
                    cseq: r.int("cseq")?,
                })
            })
            .collect()
        })
    }
}
