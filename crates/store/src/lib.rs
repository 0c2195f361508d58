//! Persistence: the one place that knows SQL.
//!
//! Runs on SQLite, embedded (`./data/hotline.db`, WAL), or on PostgreSQL when a center
//! outgrows one machine. Each backend has its own embedded migrations; everything above this
//! crate sees one API. Every row and every event carries its tenant.
//!
//! What is here: tenants with their seat quota, users with their role, login sessions and
//! API tokens, the audit log, customers with their department facets, and the append-only
//! event log — idempotent by event id, written in batches off the hot path by [`EventLog`].

mod event_log;
mod model;
#[doc(hidden)]
pub mod testing;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Row, postgres::PgRow, sqlite::SqliteRow};

pub use event_log::{AppendError, Closed, Committed, EventLog};
pub use model::*;

/// Why a store operation failed: the caller's fault (`Conflict`, `Invalid`, `NotFound`) or
/// ours (`Database`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} already exists")]
    Conflict { what: &'static str },
    #[error("`{field}` is invalid: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// A write based on an old version: someone else changed the row first.
    #[error("{what} was changed by someone else (now at version {current})")]
    Stale { what: &'static str, current: i64 },
    /// Every seat the tenant rents is taken by a logged-in agent.
    #[error("all {quota} seats are in use")]
    SeatsFull { quota: u32 },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A connection pool to the center's database, with each tenant's contact facts kept in
/// memory. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
    books: std::sync::Arc<contact_book::Books>,
}

/// Runs the same query code against whichever backend the store has; the SQL is written so
/// that both accept it (numbered `$n` parameters, `ON CONFLICT`, `RETURNING`).
macro_rules! on_db {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$tx`, a transaction that will write: on SQLite it takes the write lock
/// at `BEGIN` (`IMMEDIATE`), so a transaction that reads before it writes waits its turn
/// instead of failing with "database is locked" when another writer got in between.
macro_rules! in_write_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match &$store.db {
            Db::Sqlite(pool) => {
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                $body
            }
            Db::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                $body
            }
        }
    };
}

mod audit;
mod config;
mod contact_book;
mod contacts;
mod customers;
mod kb;
mod leads;
mod orders;
mod resilience;
mod rollups;
mod saved_reports;
mod schema;
mod sessions;
mod users;

pub use config::ConfigItem;
pub use contacts::{ContactCall, ContactFacts, ContactPrefs, ContactTopic};
pub use customers::CustomerQuery;
pub use kb::{KbArticleRow, KbFields, KbSolution, KbTaskMove, KbTaskRow, KbVersionRow, NewKbTask};
pub use leads::{LeadQuery, LeadRow};
pub use orders::{OrderQuery, OrderRow};
pub use resilience::{DeadLetter, Registration};
pub use rollups::{Merge, PackedRow, RollupLevel, RollupRow, entries, pack, parts};
pub use saved_reports::{FILES_KEPT, ReportFileRow, SavedReportRow};
pub use schema::Schema;

/// The store as one tenant sees it ([`Store::scoped`]): every query of a tenant's own data
/// (configuration, customers, events, users, numbers) is a method here and nowhere else, so
/// none can be written without the tenant it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct TenantStore<'a> {
    store: &'a Store,
    tenant: TenantId,
}

impl TenantStore<'_> {
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }
}

impl Store {
    /// The tenant's own data: the only way to it.
    pub fn scoped(&self, tenant: TenantId) -> TenantStore<'_> {
        TenantStore {
            store: self,
            tenant,
        }
    }

    /// Opens (creating if need be) and migrates the database at `url`: `postgres://…` or
    /// `postgresql://…` for PostgreSQL, `sqlite://path` or a plain file path for SQLite.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            sqlx::migrate!("migrations/postgres").run(&pool).await?;
            Db::Postgres(pool)
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            if path.is_empty() {
                return Err(StoreError::Invalid {
                    field: "database",
                    reason: "expected sqlite://path or postgres://…".into(),
                });
            }
            if let Some(dir) = Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Invalid {
                    field: "database",
                    reason: format!("cannot create {}: {e}", dir.display()),
                })?;
            }
            let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await?;
            sqlx::migrate!("migrations/sqlite").run(&pool).await?;
            Db::Sqlite(pool)
        };
        Ok(Store {
            db,
            books: Default::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop)?);
        Ok(())
    }

    /// Waits for the connections to close.
    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await)
    }

    // ----- tenants -------------------------------------------------------------------------

    pub async fn create_tenant(&self, t: &NewTenant, now_ms: i64) -> Result<Tenant, StoreError> {
        t.validate()?;
        let sql = "INSERT INTO tenants (slug, name, seat_quota, sip_domain, time_zone, locale, \
                   created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        let id: i64 = on_db!(self, pool => sqlx::query_scalar(sql)
            .bind(&t.slug)
            .bind(&t.name)
            .bind(i64::from(t.seat_quota))
            .bind(&t.sip_domain)
            .bind(&t.time_zone)
            .bind(&t.locale)
            .bind(now_ms)
            .fetch_one(pool)
            .await)
        .map_err(|e| conflict(e, "a tenant with this slug or SIP domain"))?;
        Ok(Tenant {
            id: TenantId(id),
            slug: t.slug.clone(),
            name: t.name.clone(),
            seat_quota: t.seat_quota,
            sip_domain: t.sip_domain.clone(),
            time_zone: t.time_zone.clone(),
            locale: t.locale.clone(),
            created_at_ms: now_ms,
            suspended_at_ms: None,
        })
    }

    pub async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        let sql = format!("{TENANT_COLUMNS} WHERE id = $1");
        Ok(on_db!(self, pool => sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(pool)
            .await?
            .map(|row| tenant_from(&row))
            .transpose()?))
    }

    /// The tenants whose SIP domain this is, compared as domains are (ASCII letters in any
    /// case): one, or none. (Two could differ only in case; the registrar then finds the
    /// extension in either.)
    pub async fn tenants_by_sip_domain(&self, domain: &str) -> Result<Vec<Tenant>, StoreError> {
        let sql = format!("{TENANT_COLUMNS} WHERE lower(sip_domain) = lower($1) ORDER BY id");
        Ok(on_db!(self, pool => sqlx::query(&sql)
            .bind(domain)
            .fetch_all(pool)
            .await?
            .iter()
            .map(tenant_from)
            .collect::<Result<Vec<_>, _>>()?))
    }

    /// Renames a tenant, changes the seats it rents or its SIP domain; `None` leaves a field
    /// as it is. Returns the tenant as it now is, `None` if there is no such tenant.
    pub async fn update_tenant(
        &self,
        id: TenantId,
        name: Option<&str>,
        seat_quota: Option<u32>,
        sip_domain: Option<&str>,
    ) -> Result<Option<Tenant>, StoreError> {
        if let Some(name) = name {
            model::check_tenant_name(name)?;
        }
        if let Some(domain) = sip_domain {
            model::check_sip_domain(domain)?;
        }
        on_db!(self, pool => sqlx::query(
                "UPDATE tenants SET name = COALESCE($1, name), \
                 seat_quota = COALESCE($2, seat_quota), sip_domain = COALESCE($3, sip_domain) \
                 WHERE id = $4",
            )
            .bind(name)
            .bind(seat_quota.map(i64::from))
            .bind(sip_domain)
            .bind(id.0)
            .execute(pool)
            .await
            .map(drop))
        .map_err(|e| conflict(e, "a tenant with this SIP domain"))?;
        self.tenant(id).await
    }

    /// Suspends a tenant at `at_ms` (ending every session of its users, API tokens too) or,
    /// with `None`, resumes it. Returns the tenant as it now is.
    pub async fn set_tenant_suspended(
        &self,
        id: TenantId,
        at_ms: Option<i64>,
    ) -> Result<Option<Tenant>, StoreError> {
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE tenants SET suspended_at = $1 WHERE id = $2")
                .bind(at_ms)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            if let Some(at) = at_ms {
                sqlx::query(
                    "UPDATE sessions SET revoked_at = $1 WHERE tenant_id = $2 AND revoked_at IS NULL",
                )
                .bind(at)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        self.tenant(id).await
    }

    /// Which tenant a dialled number reaches (telephony asks this for every incoming call).
    pub async fn tenant_by_number(&self, number: &str) -> Result<Option<TenantId>, StoreError> {
        let t: Option<i64> = on_db!(self, pool => sqlx::query_scalar(
            "SELECT tenant_id FROM tenant_numbers WHERE number = $1",
        )
        .bind(number)
        .fetch_optional(pool)
        .await?);
        Ok(t.map(TenantId))
    }

    pub async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        let sql = format!("{TENANT_COLUMNS} WHERE slug = $1");
        Ok(on_db!(self, pool => sqlx::query(&sql)
            .bind(slug)
            .fetch_optional(pool)
            .await?
            .map(|row| tenant_from(&row))
            .transpose()?))
    }

    pub async fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        let sql = format!("{TENANT_COLUMNS} ORDER BY id");
        Ok(on_db!(self, pool => sqlx::query(&sql)
            .fetch_all(pool)
            .await?
            .iter()
            .map(tenant_from)
            .collect::<Result<Vec<_>, _>>()?))
    }

    // ----- users ---------------------------------------------------------------------------

    pub async fn create_user(&self, u: &NewUser, now_ms: i64) -> Result<User, StoreError> {
        u.validate()?;
        if let Some(t) = u.tenant
            && self.tenant(t).await?.is_none()
        {
            return Err(StoreError::NotFound { what: "tenant" });
        }
        let sql = "INSERT INTO users (tenant_id, username, display_name, role, password_hash, \
                   created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        let id: i64 = on_db!(self, pool => sqlx::query_scalar(sql)
            .bind(u.tenant.map(|t| t.0))
            .bind(&u.username)
            .bind(&u.display_name)
            .bind(u.role.as_str())
            .bind(&u.password_hash)
            .bind(now_ms)
            .fetch_one(pool)
            .await)
        .map_err(|e| conflict(e, "a user with this name"))?;
        Ok(User {
            id: UserId(id),
            tenant: u.tenant,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            password_hash: u.password_hash.clone(),
            active: true,
            version: 1,
            created_at_ms: now_ms,
        })
    }

    /// A user by login name, within a tenant or (for `None`) among platform administrators.
    pub async fn user_by_name(
        &self,
        tenant: Option<TenantId>,
        username: &str,
    ) -> Result<Option<User>, StoreError> {
        let sql = format!(
            "{USER_COLUMNS} WHERE username = $1 AND {}",
            if tenant.is_some() {
                "tenant_id = $2"
            } else {
                "tenant_id IS NULL"
            }
        );
        Ok(on_db!(self, pool => {
            let mut q = sqlx::query(&sql).bind(username);
            if let Some(t) = tenant {
                q = q.bind(t.0);
            }
            q.fetch_optional(pool)
                .await?
                .map(|row| user_from(&row))
                .transpose()?
        }))
    }

    // ----- the event log -------------------------------------------------------------------

    /// Appends events in one transaction. Events whose (tenant, id) is already in the log are
    /// skipped, so a batch can be retried after a failure without double counting. Returns
    /// how many were new.
    pub async fn append_events(&self, events: &[NewEvent]) -> Result<u64, StoreError> {
        for e in events {
            e.validate()?;
        }
        let cast = match self.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => "::jsonb",
        };
        let inserted = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            // Many rows a statement: a batch of the log's writer is a few statements.
            let mut new = std::collections::HashSet::new();
            for chunk in events.chunks(EVENTS_PER_STATEMENT) {
                let mut sql = String::from(
                    "INSERT INTO events (tenant_id, id, at, kind, payload) VALUES ",
                );
                for i in 0..chunk.len() {
                    let n = i * 5;
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!(
                        "(${}, ${}, ${}, ${}, ${}{cast})",
                        n + 1,
                        n + 2,
                        n + 3,
                        n + 4,
                        n + 5
                    ));
                }
                sql.push_str(" ON CONFLICT (tenant_id, id) DO NOTHING RETURNING tenant_id, id");
                let mut q = sqlx::query(&sql);
                for e in chunk {
                    q = q
                        .bind(e.tenant.0)
                        .bind(&e.id)
                        .bind(e.at_ms)
                        .bind(&e.kind)
                        .bind(e.payload.to_string());
                }
                let rows = q.fetch_all(&mut *tx).await.map_err(|err| match &err {
                    sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                        StoreError::NotFound { what: "tenant" }
                    }
                    _ => StoreError::Database(err),
                })?;
                for r in rows {
                    new.insert((r.int("tenant_id")?, r.text("id")?));
                }
            }
            // The orders the events carry, each at the latest version the batch has — those
            // of events already in the log too: a retried batch whose events were written
            // without their order (a crash between) puts it right; the version guard keeps a
            // newer order.
            let mut by_order: std::collections::HashMap<(i64, i64), &OrderRow> =
                std::collections::HashMap::new();
            for e in events {
                let Some(o) = &e.order else { continue };
                let slot = by_order.entry((e.tenant.0, o.id)).or_insert(o);
                if slot.version < o.version {
                    *slot = o;
                }
            }
            let latest: Vec<(TenantId, &OrderRow)> = by_order
                .into_iter()
                .map(|((t, _), o)| (TenantId(t), o))
                .collect();
            for chunk in latest.chunks(ORDERS_PER_STATEMENT) {
                orders::write_orders!(tx, chunk);
            }
            // The leads likewise.
            let mut by_lead: std::collections::HashMap<(i64, i64), &LeadRow> =
                std::collections::HashMap::new();
            for e in events {
                let Some(l) = &e.lead else { continue };
                let slot = by_lead.entry((e.tenant.0, l.id)).or_insert(l);
                if slot.version < l.version {
                    *slot = l;
                }
            }
            let latest: Vec<(TenantId, &LeadRow)> = by_lead
                .into_iter()
                .map(|((t, _), l)| (TenantId(t), l))
                .collect();
            for chunk in latest.chunks(ORDERS_PER_STATEMENT) {
                leads::write_leads!(tx, chunk);
            }
            tx.commit().await?;
            new.len() as u64
        });
        Ok(inserted)
    }
}

/// Rows a statement when appending: under SQLite's and PostgreSQL's limits on parameters
/// (5 an event, 19 an order).
const EVENTS_PER_STATEMENT: usize = 500;
const ORDERS_PER_STATEMENT: usize = 200;

const TENANT_COLUMNS: &str = "SELECT id, slug, name, seat_quota, sip_domain, time_zone, \
                              locale, created_at, suspended_at FROM tenants";
const USER_COLUMNS: &str = "SELECT id, tenant_id, username, display_name, role, \
                            password_hash, active, version, created_at FROM users";

/// Rows from either backend, read by column name.
trait AnyRow: Row {
    fn int(&self, col: &str) -> Result<i64, sqlx::Error>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>, sqlx::Error>;
    fn text(&self, col: &str) -> Result<String, sqlx::Error>;
    fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error>;
    fn boolean(&self, col: &str) -> Result<bool, sqlx::Error>;
}

macro_rules! any_row {
    ($row:ty) => {
        impl AnyRow for $row {
            fn int(&self, col: &str) -> Result<i64, sqlx::Error> {
                self.try_get(col)
            }
            fn opt_int(&self, col: &str) -> Result<Option<i64>, sqlx::Error> {
                self.try_get(col)
            }
            fn text(&self, col: &str) -> Result<String, sqlx::Error> {
                self.try_get(col)
            }
            fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error> {
                self.try_get(col)
            }
            fn boolean(&self, col: &str) -> Result<bool, sqlx::Error> {
                self.try_get(col)
            }
        }
    };
}
any_row!(SqliteRow);
any_row!(PgRow);

fn tenant_from(row: &impl AnyRow) -> Result<Tenant, StoreError> {
    Ok(Tenant {
        id: TenantId(row.int("id")?),
        slug: row.text("slug")?,
        name: row.text("name")?,
        seat_quota: u32::try_from(row.int("seat_quota")?).unwrap_or(0),
        sip_domain: row.text("sip_domain")?,
        time_zone: row.text("time_zone")?,
        locale: row.text("locale")?,
        created_at_ms: row.int("created_at")?,
        suspended_at_ms: row.opt_int("suspended_at")?,
    })
}

fn user_from(row: &impl AnyRow) -> Result<User, StoreError> {
    let role = row.text("role")?;
    Ok(User {
        id: UserId(row.int("id")?),
        tenant: row.opt_int("tenant_id")?.map(TenantId),
        username: row.text("username")?,
        display_name: row.text("display_name")?,
        role: Role::parse(&role).ok_or(StoreError::Invalid {
            field: "role",
            reason: format!("unknown role `{role}` in the database"),
        })?,
        password_hash: row.text("password_hash")?,
        active: row.boolean("active")?,
        version: row.int("version")?,
        created_at_ms: row.int("created_at")?,
    })
}

fn event_from(row: &impl AnyRow) -> Result<StoredEvent, StoreError> {
    let payload = row.text("payload")?;
    Ok(StoredEvent {
        seq: row.int("seq")?,
        tenant: TenantId(row.int("tenant_id")?),
        id: row.text("id")?,
        at_ms: row.int("at")?,
        kind: row.text("kind")?,
        payload: serde_json::from_str(&payload).map_err(|e| StoreError::Invalid {
            field: "payload",
            reason: format!("not JSON in the database: {e}"),
        })?,
    })
}

/// Parses a JSON column.
fn json_column<T: serde::de::DeserializeOwned>(
    row: &impl AnyRow,
    col: &'static str,
) -> Result<T, StoreError> {
    serde_json::from_str(&row.text(col)?).map_err(|e| StoreError::Invalid {
        field: col,
        reason: format!("not the expected JSON in the database: {e}"),
    })
}

/// A unique violation is the caller's conflict; anything else is ours.
fn conflict(e: sqlx::Error, what: &'static str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict { what },
        _ => StoreError::Database(e),
    }
}

impl TenantStore<'_> {
    /// Replaces the numbers callers dial to reach `tenant` (already normalised). A number
    /// another tenant has is a conflict, and then nothing changes.
    pub async fn set_tenant_numbers(
        &self,
        numbers: &[String],
        now_ms: i64,
    ) -> Result<Vec<String>, StoreError> {
        let tenant = self.tenant;
        for n in numbers {
            model::check(
                "numbers",
                !n.is_empty() && n.len() <= 32,
                "1–32 characters each",
            )?;
        }
        on_db!(self.store, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM tenant_numbers WHERE tenant_id = $1")
                .bind(tenant.0)
                .execute(&mut *tx)
                .await?;
            for n in numbers {
                sqlx::query(
                    "INSERT INTO tenant_numbers (number, tenant_id, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (number) DO NOTHING",
                )
                .bind(n)
                .bind(tenant.0)
                .bind(now_ms)
                .execute(&mut *tx)
                .await
                .map_err(|e| match &e {
                    sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                        StoreError::NotFound { what: "tenant" }
                    }
                    _ => StoreError::Database(e),
                })?;
                let owner: i64 = sqlx::query_scalar("SELECT tenant_id FROM tenant_numbers WHERE number = $1")
                    .bind(n)
                    .fetch_one(&mut *tx)
                    .await?;
                if owner != tenant.0 {
                    return Err(StoreError::Conflict { what: "this number at another tenant; it" });
                }
            }
            tx.commit().await?;
        });
        self.tenant_numbers().await
    }

    pub async fn tenant_numbers(&self) -> Result<Vec<String>, StoreError> {
        let tenant = self.tenant;
        Ok(on_db!(self.store, pool => sqlx::query_scalar(
            "SELECT number FROM tenant_numbers WHERE tenant_id = $1 ORDER BY number",
        )
        .bind(tenant.0)
        .fetch_all(pool)
        .await?))
    }

    /// Events of one kind whose time is in `[from_ms, to_ms)`, newest first, optionally only
    /// those whose payload has `field` equal to `value` (each pair ANDed): the call detail
    /// records are the `call.ended` events, filtered by queue or agent.
    pub async fn events_of_kind(
        &self,
        kind: &str,
        from_ms: i64,
        to_ms: i64,
        filters: &[(&str, String)],
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.events_where(kind, from_ms, to_ms, filters, &[], limit)
            .await
    }

    /// [`TenantStore::events_of_kind`], also with payload numbers in ranges: `(field, min,
    /// max)`, both included (call records by arrival time or talk time).
    pub async fn events_where(
        &self,
        kind: &str,
        from_ms: i64,
        to_ms: i64,
        filters: &[(&str, String)],
        ranges: &[(&str, i64, i64)],
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let tenant = self.tenant;
        let payload = match self.store.backend() {
            Backend::Sqlite => "payload",
            Backend::Postgres => "payload::text",
        };
        let mut sql = format!(
            "SELECT seq, tenant_id, id, at, kind, {payload} AS payload FROM events \
             WHERE tenant_id = $1 AND kind = $2 AND at >= $3 AND at < $4"
        );
        for (i, (field, _)) in filters.iter().enumerate() {
            crate::model::check(
                "filter",
                field.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "a payload field name",
            )?;
            let n = i + 6;
            sql.push_str(&match self.store.backend() {
                // Compared as text on both, so `5` and `"5"` match alike.
                Backend::Sqlite => {
                    format!(" AND CAST(json_extract(payload, '$.{field}') AS TEXT) = ${n}")
                }
                Backend::Postgres => format!(" AND payload->>'{field}' = ${n}"),
            });
        }
        for (i, (field, _, _)) in ranges.iter().enumerate() {
            crate::model::check(
                "filter",
                field.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "a payload field name",
            )?;
            let n = 6 + filters.len() + 2 * i;
            let value = match self.store.backend() {
                Backend::Sqlite => format!("CAST(json_extract(payload, '$.{field}') AS INTEGER)"),
                Backend::Postgres => format!("(payload->>'{field}')::BIGINT"),
            };
            sql.push_str(&format!(" AND {value} >= ${n} AND {value} <= ${}", n + 1));
        }
        sql.push_str(" ORDER BY at DESC, seq DESC LIMIT $5");
        on_db!(self.store, pool => {
            let mut q = sqlx::query(&sql)
                .bind(tenant.0)
                .bind(kind)
                .bind(from_ms)
                .bind(to_ms)
                .bind(i64::from(limit));
            for (_, v) in filters {
                q = q.bind(v.clone());
            }
            for (_, min, max) in ranges {
                q = q.bind(*min).bind(*max);
            }
            q.fetch_all(pool).await?.iter().map(event_from).collect()
        })
    }

    /// The events naming one of `customers` (`payload.customer_id`), newest first, before
    /// sequence number `before` (`None` for the newest): a customer's timeline.
    pub async fn customer_events(
        &self,
        customers: &[CustomerId],
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let tenant = self.tenant;
        if customers.is_empty() {
            return Ok(Vec::new());
        }
        let (customer, payload, quote) = match self.store.backend() {
            Backend::Sqlite => ("json_extract(payload, '$.customer_id')", "payload", ""),
            Backend::Postgres => ("(payload->>'customer_id')", "payload::text", "'"),
        };
        let list = customers
            .iter()
            .map(|c| format!("{quote}{}{quote}", c.0))
            .collect::<Vec<_>>()
            .join(", ");
        // The ids are numbers we format ourselves, so inlining them is safe.
        let sql = format!(
            "SELECT seq, tenant_id, id, at, kind, {payload} AS payload FROM events \
             WHERE tenant_id = $1 AND {customer} IN ({list}) AND seq < $2 \
             ORDER BY seq DESC LIMIT $3"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(tenant.0)
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .iter()
            .map(event_from)
            .collect())
    }

    /// The `seq` of a tenant's latest event (0 if none): where a reader that wants only
    /// what happens from now on starts.
    pub async fn last_event_seq(&self) -> Result<i64, StoreError> {
        let tenant = self.tenant;
        let sql = "SELECT COALESCE(MAX(seq), 0) FROM events WHERE tenant_id = $1";
        on_db!(self.store, pool => Ok(sqlx::query_scalar::<_, i64>(sql)
            .bind(tenant.0)
            .fetch_one(pool)
            .await?))
    }

    /// A tenant's events after sequence number `after` (0 for the start), oldest first.
    pub async fn events_after(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let tenant = self.tenant;
        let payload = match self.store.backend() {
            Backend::Sqlite => "payload",
            Backend::Postgres => "payload::text",
        };
        let sql = format!(
            "SELECT seq, tenant_id, id, at, kind, {payload} AS payload FROM events \
             WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(tenant.0)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .iter()
            .map(event_from)
            .collect())
    }
}
