//! The audit log: who changed what, and who looked at protected personal data.

use crate::{AnyRow, AuditEntry, Db, Store, StoreError, StoredAudit, TenantId, UserId};

impl Store {
    pub async fn append_audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        on_db!(self, pool => sqlx::query(
            "INSERT INTO audit_log (tenant_id, at, actor_id, action, target_kind, target_id, \
             detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(e.tenant.map(|t| t.0))
        .bind(e.at_ms)
        .bind(e.actor.map(|u| u.0))
        .bind(&e.action)
        .bind(&e.target_kind)
        .bind(&e.target_id)
        .bind(e.detail.to_string())
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// A tenant's audit entries (the platform's for `None`), newest first, older than
    /// `before` (an entry id; `None` for the newest).
    pub async fn audit_entries(
        &self,
        tenant: Option<TenantId>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<StoredAudit>, StoreError> {
        let sql = format!(
            "SELECT id, tenant_id, at, actor_id, action, target_kind, target_id, detail \
             FROM audit_log WHERE {} AND id < $1 ORDER BY id DESC LIMIT $2",
            crate::users::tenant_clause(tenant, 3)
        );
        on_db!(self, pool => {
            let mut q = sqlx::query(&sql)
                .bind(before.unwrap_or(i64::MAX))
                .bind(i64::from(limit));
            if let Some(t) = tenant {
                q = q.bind(t.0);
            }
            q.fetch_all(pool).await?.iter().map(audit_from).collect()
        })
    }
}

impl crate::TenantStore<'_> {
    /// The audit rows of one thing (a configuration document: `ivr_flow`, its key), newest
    /// first: its versions as saved.
    pub async fn audit_of(
        &self,
        target_kind: &str,
        target_id: &str,
        limit: u32,
    ) -> Result<Vec<StoredAudit>, StoreError> {
        let sql = "SELECT id, tenant_id, at, actor_id, action, target_kind, target_id, detail \
                   FROM audit_log WHERE tenant_id = $1 AND target_kind = $2 AND target_id = $3 \
                   ORDER BY id DESC LIMIT $4";
        on_db!(self.store, pool => sqlx::query(sql)
            .bind(self.tenant.0)
            .bind(target_kind)
            .bind(target_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .iter()
            .map(audit_from)
            .collect())
    }
}

fn audit_from(row: &impl AnyRow) -> Result<StoredAudit, StoreError> {
    Ok(StoredAudit {
        id: row.int("id")?,
        entry: AuditEntry {
            tenant: row.opt_int("tenant_id")?.map(TenantId),
            at_ms: row.int("at")?,
            actor: row.opt_int("actor_id")?.map(UserId),
            action: row.text("action")?,
            target_kind: row.text("target_kind")?,
            target_id: row.text("target_id")?,
            detail: crate::json_column(row, "detail")?,
        },
    })
}
