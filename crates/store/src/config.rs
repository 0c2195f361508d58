//! The contact center's configuration as versioned documents: what they mean is the
//! server's business (it checks them against the routing engine); the store keeps them, one
//! version after another, and refuses a write based on an old version.

use crate::{AnyRow, Db, Store, StoreError, TenantId, json_column};

/// One configuration document.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigItem {
    /// `skill`, `queue`, `team`, `agent`.
    pub kind: String,
    pub key: String,
    pub data: serde_json::Value,
    pub version: i64,
    pub updated_at_ms: i64,
}

impl Store {
    /// Writes a document: creates it when `expected_version` is `None` (409 if it exists),
    /// replaces it when the stored version is `expected_version` (409 otherwise).
    pub async fn put_config(
        &self,
        tenant: TenantId,
        kind: &str,
        key: &str,
        data: &serde_json::Value,
        expected_version: Option<i64>,
        now_ms: i64,
    ) -> Result<ConfigItem, StoreError> {
        crate::model::check(
            "key",
            !key.is_empty()
                && key.len() <= 64
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "1–64 letters, digits, `-` or `_`",
        )?;
        let n = on_db!(self, pool => match expected_version {
            None => sqlx::query(
                "INSERT INTO config_items (tenant_id, kind, key, data, version, updated_at) \
                 VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT DO NOTHING",
            )
            .bind(tenant.0)
            .bind(kind)
            .bind(key)
            .bind(data.to_string())
            .bind(now_ms)
            .execute(pool)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                    StoreError::NotFound { what: "tenant" }
                }
                _ => StoreError::Database(e),
            })?
            .rows_affected(),
            Some(v) => sqlx::query(
                "UPDATE config_items SET data = $1, version = version + 1, updated_at = $2 \
                 WHERE tenant_id = $3 AND kind = $4 AND key = $5 AND version = $6",
            )
            .bind(data.to_string())
            .bind(now_ms)
            .bind(tenant.0)
            .bind(kind)
            .bind(key)
            .bind(v)
            .execute(pool)
            .await?
            .rows_affected(),
        });
        let now = self.config_item(tenant, kind, key).await?;
        match now {
            Some(item) if n == 1 => Ok(item),
            Some(item) => Err(StoreError::Stale {
                what: "configuration",
                current: item.version,
            }),
            None => Err(StoreError::NotFound {
                what: "configuration",
            }),
        }
    }

    pub async fn config_item(
        &self,
        tenant: TenantId,
        kind: &str,
        key: &str,
    ) -> Result<Option<ConfigItem>, StoreError> {
        on_db!(self, pool => sqlx::query(
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
    pub async fn config_items(
        &self,
        tenant: TenantId,
        kind: &str,
    ) -> Result<Vec<ConfigItem>, StoreError> {
        on_db!(self, pool => sqlx::query(
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

impl Store {
    /// The agent profiles (`agent` documents) whose `extension` is `extension`, in every
    /// tenant, by index.
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

fn item_from(row: &impl AnyRow) -> Result<ConfigItem, StoreError> {
    Ok(ConfigItem {
        kind: row.text("kind")?,
        key: row.text("key")?,
        data: json_column(row, "data")?,
        version: row.int("version")?,
        updated_at_ms: row.int("updated_at")?,
    })
}
