//! Login sessions and API tokens, and the seats they hold.

use crate::{
    AnyRow, Db, Role, Session, SessionKind, Store, StoreError, TenantId, TenantStore, USER_COLUMNS,
    User, UserId, user_from,
};

impl Store {
    /// Records a new session. Seats are held by the browser sessions of agents and experts
    /// (the people who take contacts); API tokens hold none. For such a session
    /// (`seat_quota` is `Some`) it first checks,
    /// in the same transaction, that the agent already holds a seat or that a seat is free:
    /// two agents logging in at once cannot both take the last seat.
    pub async fn create_session(
        &self,
        s: &Session,
        seat_quota: Option<u32>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            if let (Some(quota), Some(tenant)) = (seat_quota, s.tenant) {
                // Writing the tenant's row first takes its lock (a row lock on PostgreSQL,
                // the write lock on SQLite), so seat checks for one tenant run one at a time.
                sqlx::query("UPDATE tenants SET seat_quota = seat_quota WHERE id = $1")
                    .bind(tenant.0)
                    .execute(&mut *tx)
                    .await?;
                let holders: Vec<i64> = sqlx::query_scalar(
                    "SELECT DISTINCT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.tenant_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 \
                     AND s.kind = 'cookie' AND u.role IN ($3, $4)",
                )
                .bind(tenant.0)
                .bind(now_ms)
                .bind(Role::Agent.as_str())
                .bind(Role::Expert.as_str())
                .fetch_all(&mut *tx)
                .await?;
                if !holders.contains(&s.user.0) && holders.len() >= quota as usize {
                    return Err(StoreError::SeatsFull { quota });
                }
            }
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, tenant_id, kind, csrf, label, \
                 created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&s.token_hash)
            .bind(s.user.0)
            .bind(s.tenant.map(|t| t.0))
            .bind(s.kind.as_str())
            .bind(&s.csrf)
            .bind(&s.label)
            .bind(s.created_at_ms)
            .bind(s.expires_at_ms)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The live session with this token hash and its (active) user.
    pub async fn session(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<(Session, User)>, StoreError> {
        // A suspended tenant's sessions end with the suspension; one created while it was
        // being suspended (a login racing it) is refused here.
        let sql = "SELECT token_hash, user_id, tenant_id, kind, csrf, label, created_at, \
                   expires_at FROM sessions s WHERE token_hash = $1 AND revoked_at IS NULL \
                   AND expires_at > $2 AND NOT EXISTS (SELECT 1 FROM tenants t \
                   WHERE t.id = s.tenant_id AND t.suspended_at IS NOT NULL)";
        let session = on_db!(self, pool => sqlx::query(sql)
            .bind(token_hash)
            .bind(now_ms)
            .fetch_optional(pool)
            .await?
            .map(|r| session_from(&r))
            .transpose()?);
        let Some(session) = session else {
            return Ok(None);
        };
        let sql = format!("{USER_COLUMNS} WHERE id = $1");
        let user = on_db!(self, pool => sqlx::query(&sql)
            .bind(session.user.0)
            .fetch_optional(pool)
            .await?
            .map(|r| user_from(&r))
            .transpose()?);
        Ok(user.filter(|u| u.active).map(|u| (session, u)))
    }

    /// Moves a live session's expiry (sliding idle timeout).
    pub async fn extend_session(
        &self,
        token_hash: &str,
        expires_at_ms: i64,
    ) -> Result<(), StoreError> {
        on_db!(self, pool => sqlx::query(
            "UPDATE sessions SET expires_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
        )
        .bind(expires_at_ms)
        .bind(token_hash)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// Ends a session (logout); ending it twice is not an error.
    pub async fn revoke_session(&self, token_hash: &str, now_ms: i64) -> Result<(), StoreError> {
        on_db!(self, pool => sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms)
        .bind(token_hash)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// Ends every session of a user (deactivation, an administrator's reset).
    pub async fn revoke_user_sessions(&self, user: UserId, now_ms: i64) -> Result<(), StoreError> {
        on_db!(self, pool => sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms)
        .bind(user.0)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }
}

fn session_from(row: &impl AnyRow) -> Result<Session, StoreError> {
    Ok(Session {
        token_hash: row.text("token_hash")?,
        user: UserId(row.int("user_id")?),
        tenant: row.opt_int("tenant_id")?.map(TenantId),
        kind: match row.text("kind")?.as_str() {
            "cookie" => SessionKind::Cookie,
            _ => SessionKind::Bearer,
        },
        csrf: row.text("csrf")?,
        label: row.text("label")?,
        created_at_ms: row.int("created_at")?,
        expires_at_ms: row.int("expires_at")?,
    })
}

impl TenantStore<'_> {
    /// Agents and experts of a tenant holding a seat now (a live browser session).
    pub async fn seats_in_use(&self, now_ms: i64) -> Result<u32, StoreError> {
        let tenant = self.tenant;
        let n: i64 = on_db!(self.store, pool => sqlx::query_scalar(
            "SELECT COUNT(DISTINCT s.user_id) FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.tenant_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 \
             AND s.kind = 'cookie' AND u.role IN ($3, $4)",
        )
        .bind(tenant.0)
        .bind(now_ms)
        .bind(Role::Agent.as_str())
        .bind(Role::Expert.as_str())
        .fetch_one(pool)
        .await?);
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}
