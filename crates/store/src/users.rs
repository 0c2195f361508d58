//! Users beyond creation and login lookup: listing, changes, passwords.

use crate::{
    Db, Store, StoreError, TenantId, TenantStore, USER_COLUMNS, User, UserChanges, UserId,
    user_from,
};

impl Store {
    /// A user of `tenant` (or a platform administrator for `None`).
    pub async fn user(
        &self,
        tenant: Option<TenantId>,
        id: UserId,
    ) -> Result<Option<User>, StoreError> {
        let sql = format!(
            "{USER_COLUMNS} WHERE id = $1 AND {}",
            tenant_clause(tenant, 2)
        );
        Ok(on_db!(self, pool => {
            let mut q = sqlx::query(&sql).bind(id.0);
            if let Some(t) = tenant {
                q = q.bind(t.0);
            }
            q.fetch_optional(pool).await?.map(|r| user_from(&r)).transpose()?
        }))
    }

    /// Replaces a user's password hash and ends every session they have, but `keep` (the
    /// session that changed it).
    pub async fn set_password_hash(
        &self,
        id: UserId,
        hash: &str,
        now_ms: i64,
        keep: Option<&str>,
    ) -> Result<(), StoreError> {
        crate::model::check(
            "password_hash",
            hash.starts_with('$'),
            "must be a PHC hash string, never a password",
        )?;
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE users SET password_hash = $1, version = version + 1 WHERE id = $2")
                .bind(hash)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL \
                 AND token_hash <> $3",
            )
            .bind(now_ms)
            .bind(id.0)
            .bind(keep.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }
}

/// `tenant_id = $n`, or `tenant_id IS NULL` for the platform.
pub(crate) fn tenant_clause(tenant: Option<TenantId>, n: u8) -> String {
    match tenant {
        Some(_) => format!("tenant_id = ${n}"),
        None => "tenant_id IS NULL".into(),
    }
}

impl TenantStore<'_> {
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let tenant = self.tenant;
        let sql = format!("{USER_COLUMNS} WHERE tenant_id = $1 ORDER BY id");
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(tenant.0)
            .fetch_all(pool)
            .await?
            .iter()
            .map(user_from)
            .collect())
    }

    /// Applies `changes` if the user is still at `expected_version`.
    pub async fn update_user(
        &self,
        id: UserId,
        expected_version: i64,
        changes: &UserChanges,
    ) -> Result<User, StoreError> {
        let tenant = self.tenant;
        let Some(mut user) = self.store.user(Some(tenant), id).await? else {
            return Err(StoreError::NotFound { what: "user" });
        };
        if let Some(name) = &changes.display_name {
            crate::model::check("display_name", !name.trim().is_empty(), "must not be empty")?;
            user.display_name = name.clone();
        }
        if let Some(role) = changes.role {
            crate::model::check(
                "role",
                role != crate::Role::PlatformAdmin,
                "a tenant's user cannot be a platform administrator",
            )?;
            user.role = role;
        }
        if let Some(active) = changes.active {
            user.active = active;
        }
        let sql = "UPDATE users SET display_name = $1, role = $2, active = $3, \
                   version = version + 1 WHERE id = $4 AND tenant_id = $5 AND version = $6";
        let n = on_db!(self.store, pool => sqlx::query(sql)
            .bind(&user.display_name)
            .bind(user.role.as_str())
            .bind(user.active)
            .bind(id.0)
            .bind(tenant.0)
            .bind(expected_version)
            .execute(pool)
            .await?
            .rows_affected());
        if n == 0 {
            return Err(StoreError::Stale {
                what: "user",
                current: user.version,
            });
        }
        user.version = expected_version + 1;
        Ok(user)
    }
}
