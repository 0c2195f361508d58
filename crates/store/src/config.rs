//! The contact center's configuration as versioned documents: what they mean is the
//! running center's business (`app::config`); the store keeps them, one version after
//! another, refuses a write based on an old version, and writes each change's audit row in
//! the change's own transaction.

use crate::{AnyRow, Db, Store, StoreError, TenantId, TenantStore, UserId, json_column};

/// The stored version of a document, inside the transaction `$tx`.
macro_rules! version_in {
    ($tx:ident, $tenant:expr, $kind:expr, $key:expr) => {{
        let v: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM config_items WHERE tenant_id = $1 AND kind = $2 AND key = $3",
        )
        .bind($tenant.0)
        .bind($kind)
        .bind($key)
        .fetch_optional(&mut *$tx)
        .await?;
        v
    }};
}

/// A write at a version that is no longer the stored one: changed since, or deleted.
fn stale_or_gone(current: Option<i64>) -> StoreError {
    match current {
        Some(current) => StoreError::Stale {
            what: "configuration",
            current,
        },
        None => StoreError::NotFound {
            what: "configuration",
        },
    }
}

/// The audit row of a configuration change, inside the change's transaction `$tx` (a macro
/// because the transaction's type differs per backend).
macro_rules! audit_in {
    ($tx:ident, $tenant:expr, $now_ms:expr, $actor:expr, $action:expr, $kind:expr, $key:expr, $detail:expr) => {
        sqlx::query(
            "INSERT INTO audit_log (tenant_id, at, actor_id, action, target_kind, target_id, \
             detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($tenant.0)
        .bind($now_ms)
        .bind($actor.0)
        .bind($action)
        .bind($kind)
        .bind($key)
        .bind($detail.to_string())
        .execute(&mut *$tx)
        .await?
    };
}

/// One configuration document.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigItem {
    /// `skill`, `queue`, `team`, `agent`, `calendar`, `ivr_flow`, `settings`.
    pub kind: String,
    pub key: String,
    pub data: serde_json::Value,
    pub version: i64,
    pub updated_at_ms: i64,
}

impl Store {
    /// The agent profiles (`agent` documents) whose `extension` is `extension`, in every
    /// tenant, by index: for a phone's REGISTER, before its tenant is known. Anything that
    /// knows the tenant asks [`TenantStore::agent_by_extension`].
    pub async fn agents_by_extension(
        &self,
        extension: &str,
    ) -> Result<Vec<(TenantId, ConfigItem)>, StoreError> {
        // The expression the index of migration 0008 is on.
        let ext = match self.backend() {
            crate::Backend::Sqlite => "json_extract(data, '$.extension')",
            crate::Backend::Postgres => "(data::jsonb ->> 'extension')",
        };
        let sql = format!(
            "SELECT tenant_id, kind, key, data, version, updated_at FROM config_items \
             WHERE kind = 'agent' AND {ext} = $1 ORDER BY tenant_id, key"
        );
        on_db!(self, pool => sqlx::query(&sql)
            .bind(extension)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| Ok((TenantId(row.int("tenant_id")?), item_from(row)?)))
            .collect())
    }
}

impl TenantStore<'_> {
    /// The tenant's agent profile whose `extension` is `extension`, by index.
    pub async fn agent_by_extension(
        &self,
        extension: &str,
    ) -> Result<Option<ConfigItem>, StoreError> {
        let ext = match self.store.backend() {
            crate::Backend::Sqlite => "json_extract(data, '$.extension')",
            crate::Backend::Postgres => "(data::jsonb ->> 'extension')",
        };
        let sql = format!(
            "SELECT kind, key, data, version, updated_at FROM config_items \
             WHERE kind = 'agent' AND {ext} = $1 AND tenant_id = $2 ORDER BY key LIMIT 1"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(extension)
            .bind(self.tenant.0)
            .fetch_optional(pool)
            .await?
            .map(|r| item_from(&r))
            .transpose())
    }
}

fn item_from(row: &impl AnyRow) -> Result<ConfigItem, StoreError> {
    Ok(ConfigItem {
        kind: row.text("kind")?,
        key: row.text("key")?,
        data: json_column(row, "data")?,
        version: row.int("version")?,
        updated_at_ms: row.int("updated_at")?,
    })
}

impl TenantStore<'_> {
    /// Writes a document: creates it when `expected_version` is `None` (`Conflict` if it
    /// exists), replaces it when the stored version is `expected_version` (`Stale` if it is
    /// another, `NotFound` if there is none). With `audit` (who, and what of the document
    /// the log may keep), the audit row (`config.<kind>.create|update`, with the new version)
    /// is written in the same transaction: the change, its version and its audit row are one.
    #[allow(clippy::too_many_arguments)]
    pub async fn put_config(
        &self,
        kind: &str,
        key: &str,
        data: &serde_json::Value,
        expected_version: Option<i64>,
        now_ms: i64,
        audit: Option<(UserId, serde_json::Value)>,
    ) -> Result<ConfigItem, StoreError> {
        let tenant = self.tenant;
        crate::model::check(
            "key",
            !key.is_empty()
                && key.len() <= 64
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "1–64 letters, digits, `-` or `_`",
        )?;
        let what = "configuration";
        let action = format!(
            "config.{kind}.{}",
            if expected_version.is_none() {
                "create"
            } else {
                "update"
            }
        );
        in_write_tx!(self.store, tx => {
            let current: Option<i64> = version_in!(tx, tenant, kind, key);
            let version = match (expected_version, current) {
                (None, Some(_)) => return Err(StoreError::Conflict { what: "a document with this key" }),
                (Some(_), None) => return Err(stale_or_gone(None)),
                (Some(v), Some(c)) if v != c => return Err(stale_or_gone(Some(c))),
                (None, None) => {
                    sqlx::query(
                        "INSERT INTO config_items (tenant_id, kind, key, data, version, updated_at) \
                         VALUES ($1, $2, $3, $4, 1, $5)",
                    )
                    .bind(tenant.0)
                    .bind(kind)
                    .bind(key)
                    .bind(data.to_string())
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| match &e {
                        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                            StoreError::NotFound { what: "tenant" }
                        }
                        // Created meanwhile by another writer.
                        sqlx::Error::Database(d) if d.is_unique_violation() => {
                            StoreError::Conflict { what: "a document with this key" }
                        }
                        _ => StoreError::Database(e),
                    })?;
                    1
                }
                (Some(v), Some(_)) => {
                    let n = sqlx::query(
                        "UPDATE config_items SET data = $1, version = version + 1, updated_at = $2 \
                         WHERE tenant_id = $3 AND kind = $4 AND key = $5 AND version = $6",
                    )
                    .bind(data.to_string())
                    .bind(now_ms)
                    .bind(tenant.0)
                    .bind(kind)
                    .bind(key)
                    .bind(v)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if n != 1 {
                        // Changed by another writer since the version was read.
                        return Err(stale_or_gone(version_in!(tx, tenant, kind, key)));
                    }
                    v + 1
                }
            };
            if let Some((actor, document)) = &audit {
                let detail = serde_json::json!({ "version": version, "document": document });
                audit_in!(tx, tenant, now_ms, actor, &action, kind, key, detail);
            }
            tx.commit().await?;
        });
        self.config_item(kind, key)
            .await?
            .ok_or(StoreError::NotFound { what })
    }

    /// Deletes a document if the stored version is `expected_version`, with its audit row
    /// (`config.<kind>.delete`) in the same transaction when `audit_by` is given.
    pub async fn delete_config(
        &self,
        kind: &str,
        key: &str,
        expected_version: i64,
        now_ms: i64,
        audit_by: Option<UserId>,
    ) -> Result<(), StoreError> {
        let tenant = self.tenant;
        let action = format!("config.{kind}.delete");
        in_write_tx!(self.store, tx => {
            let n = sqlx::query(
                "DELETE FROM config_items \
                 WHERE tenant_id = $1 AND kind = $2 AND key = $3 AND version = $4",
            )
            .bind(tenant.0)
            .bind(kind)
            .bind(key)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(stale_or_gone(version_in!(tx, tenant, kind, key)));
            }
            if let Some(actor) = audit_by {
                let detail = serde_json::json!({ "version": expected_version });
                audit_in!(tx, tenant, now_ms, actor, &action, kind, key, detail);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn config_item(
        &self,
        kind: &str,
        key: &str,
    ) -> Result<Option<ConfigItem>, StoreError> {
        let tenant = self.tenant;
        on_db!(self.store, pool => sqlx::query(
            "SELECT kind, key, data, version, updated_at FROM config_items \
             WHERE tenant_id = $1 AND kind = $2 AND key = $3",
        )
        .bind(tenant.0)
        .bind(kind)
        .bind(key)
        .fetch_optional(pool)
        .await?
        .map(|r| item_from(&r))
        .transpose())
    }

    /// A tenant's documents of one kind, by key.
    pub async fn config_items(&self, kind: &str) -> Result<Vec<ConfigItem>, StoreError> {
        let tenant = self.tenant;
        on_db!(self.store, pool => sqlx::query(
            "SELECT kind, key, data, version, updated_at FROM config_items \
             WHERE tenant_id = $1 AND kind = $2 ORDER BY key",
        )
        .bind(tenant.0)
        .bind(kind)
        .fetch_all(pool)
        .await?
        .iter()
        .map(item_from)
        .collect())
    }
}
