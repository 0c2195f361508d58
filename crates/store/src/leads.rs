//! Sales leads (销售线索): each lead's row is written by the event-log writer in the same
//! transaction as the event that changed it ([`NewEvent::lead`]), as orders are, so a lead
//! and its history never disagree; an older version never overwrites a newer one. Lists (a
//! dealer's own, the center's), the reclaim sweep's due leads and a lead's timeline are
//! read here.

use crate::{
    AnyRow, Backend, CustomerId, Db, NewEvent, Store, StoreError, StoredEvent, TenantStore, UserId,
    event_from, json_column,
};

/// A lead as its row keeps it: the columns lists filter on, and the whole lead in `data`
/// (the runtime's document).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LeadRow {
    pub id: i64,
    /// `open`, `offered`, `working`, `center_working`, `won`, `lost`.
    pub status: String,
    /// The dealer who has it or closed it; `None` while with the center.
    pub dealer: Option<UserId>,
    pub customer: Option<CustomerId>,
    pub captured_by: Option<UserId>,
    pub product_line: String,
    /// `省/市/区`.
    pub region: String,
    pub journey: String,
    pub source: String,
    pub external_id: Option<String>,
    /// The dealer's deadline (to accept, to follow up).
    pub due_ms: Option<i64>,
    /// A win's amount in fen.
    pub amount: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// 1 when captured, one more with every change.
    pub version: i64,
    pub data: serde_json::Value,
}

/// Which leads to list: newest first, a page before `before`.
#[derive(Debug, Clone, Default)]
pub struct LeadQuery {
    /// Any of these statuses; all when empty.
    pub statuses: Vec<String>,
    /// Only this dealer's (a dealer's own view always sets it).
    pub dealer: Option<UserId>,
    /// Only those with no dealer (the center's).
    pub center_only: bool,
    pub customer: Option<CustomerId>,
    pub captured_by: Option<UserId>,
    pub product_line: Option<String>,
    pub journey: Option<String>,
    /// A region or its prefix (`浙江省/杭州市`), by whole steps.
    pub region: Option<String>,
    pub before: Option<i64>,
    pub limit: u32,
}

const LEAD_COLUMNS: &str = "id, status, dealer_id, customer_id, captured_by, product_line, \
    region, journey, source, external_id, due_at, amount, created_at, updated_at, version, data";

fn lead_from(row: &impl AnyRow) -> Result<LeadRow, StoreError> {
    Ok(LeadRow {
        id: row.int("id")?,
        status: row.text("status")?,
        dealer: row.opt_int("dealer_id")?.map(UserId),
        customer: row.opt_int("customer_id")?.map(CustomerId),
        captured_by: row.opt_int("captured_by")?.map(UserId),
        product_line: row.text("product_line")?,
        region: row.text("region")?,
        journey: row.text("journey")?,
        source: row.text("source")?,
        external_id: row.opt_text("external_id")?,
        due_ms: row.opt_int("due_at")?,
        amount: row.opt_int("amount")?,
        created_ms: row.int("created_at")?,
        updated_ms: row.int("updated_at")?,
        version: row.int("version")?,
        data: json_column(row, "data")?,
    })
}

const WRITE_COLUMNS: &str = "tenant_id, id, status, dealer_id, customer_id, captured_by, \
    product_line, region, journey, source, external_id, due_at, amount, created_at, \
    updated_at, version, data";
const WRITE_COUNT: usize = 17;

/// The upsert of `rows` leads: each inserted, or replacing an older version of itself.
pub(crate) fn write_sql(rows: usize) -> String {
    let mut sql = format!("INSERT INTO leads ({WRITE_COLUMNS}) VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        let params: Vec<String> = (1..=WRITE_COUNT)
            .map(|c| format!("${}", r * WRITE_COUNT + c))
            .collect();
        sql.push_str(&format!("({})", params.join(", ")));
    }
    sql.push_str(
        " ON CONFLICT (tenant_id, id) DO UPDATE SET \
         status = excluded.status, dealer_id = excluded.dealer_id, \
         customer_id = excluded.customer_id, captured_by = excluded.captured_by, \
         product_line = excluded.product_line, region = excluded.region, \
         journey = excluded.journey, source = excluded.source, due_at = excluded.due_at, \
         amount = excluded.amount, updated_at = excluded.updated_at, \
         version = excluded.version, data = excluded.data \
         WHERE leads.version < excluded.version",
    );
    sql
}

/// Writes the leads new events carry, `(tenant, row)` each, inside the events' transaction.
macro_rules! write_leads {
    ($tx:expr, $rows:expr) => {{
        let sql = crate::leads::write_sql($rows.len());
        let mut q = sqlx::query(&sql);
        for (tenant, l) in $rows {
            q = q
                .bind(tenant.0)
                .bind(l.id)
                .bind(&l.status)
                .bind(l.dealer.map(|u| u.0))
                .bind(l.customer.map(|c| c.0))
                .bind(l.captured_by.map(|u| u.0))
                .bind(&l.product_line)
                .bind(&l.region)
                .bind(&l.journey)
                .bind(&l.source)
                .bind(&l.external_id)
                .bind(l.due_ms)
                .bind(l.amount)
                .bind(l.created_ms)
                .bind(l.updated_ms)
                .bind(l.version)
                .bind(l.data.to_string());
        }
        q.execute(&mut *$tx).await?;
    }};
}
pub(crate) use write_leads;

impl NewEvent {
    pub(crate) fn validate_lead(&self) -> Result<(), StoreError> {
        let Some(l) = &self.lead else {
            return Ok(());
        };
        let nul = [&l.status, &l.product_line, &l.region, &l.journey, &l.source]
            .into_iter()
            .chain(l.external_id.as_ref())
            .any(|s| s.contains('\0'))
            || crate::model::has_nul(&l.data);
        crate::model::check("lead", !nul, "no NUL characters (U+0000)")?;
        crate::model::check("lead", l.version >= 1, "versions start at 1")
    }
}

impl Store {
    /// The highest lead id of any tenant (0 if none): lead numbers continue from it.
    pub async fn max_lead_id(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COALESCE(MAX(id), 0) FROM leads";
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(pool)
            .await?))
    }
}

impl TenantStore<'_> {
    pub async fn lead(&self, id: i64) -> Result<Option<LeadRow>, StoreError> {
        let sql = format!("SELECT {LEAD_COLUMNS} FROM leads WHERE tenant_id = $1 AND id = $2");
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .map(|r| lead_from(&r))
            .transpose())
    }

    /// The lead an outside system sent under its own id.
    pub async fn lead_by_external(&self, external_id: &str) -> Result<Option<LeadRow>, StoreError> {
        let sql =
            format!("SELECT {LEAD_COLUMNS} FROM leads WHERE tenant_id = $1 AND external_id = $2");
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(external_id)
            .fetch_optional(pool)
            .await?
            .map(|r| lead_from(&r))
            .transpose())
    }

    /// The leads `q` asks for, newest first.
    pub async fn leads(&self, q: &LeadQuery) -> Result<Vec<LeadRow>, StoreError> {
        let mut sql = format!("SELECT {LEAD_COLUMNS} FROM leads WHERE tenant_id = $1");
        let mut texts: Vec<String> = Vec::new();
        let mut ints: Vec<i64> = Vec::new();
        let text_cond = |sql: &mut String, texts: &mut Vec<String>, cond: &str, v: String| {
            texts.push(v);
            sql.push_str(&cond.replace("?", &format!("${}", texts.len() + 1)));
        };
        if !q.statuses.is_empty() {
            let mut parts = Vec::new();
            for s in &q.statuses {
                texts.push(s.clone());
                parts.push(format!("${}", texts.len() + 1));
            }
            sql.push_str(&format!(" AND status IN ({})", parts.join(", ")));
        }
        if let Some(p) = &q.product_line {
            text_cond(&mut sql, &mut texts, " AND product_line = ?", p.clone());
        }
        if let Some(j) = &q.journey {
            text_cond(&mut sql, &mut texts, " AND journey = ?", j.clone());
        }
        if let Some(r) = &q.region {
            let r = r.trim_end_matches('/').to_string();
            text_cond(&mut sql, &mut texts, " AND (region = ?", r.clone());
            let escaped = r
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            text_cond(
                &mut sql,
                &mut texts,
                " OR region LIKE ? ESCAPE '\\')",
                format!("{escaped}/%"),
            );
        }
        let first_int = texts.len() + 2;
        let mut int_cond = |sql: &mut String, cond: &str, v: i64| {
            ints.push(v);
            sql.push_str(&cond.replace("?", &format!("${}", first_int + ints.len() - 1)));
        };
        if let Some(d) = q.dealer {
            int_cond(&mut sql, " AND dealer_id = ?", d.0);
        }
        if q.center_only {
            sql.push_str(" AND dealer_id IS NULL");
        }
        if let Some(c) = q.customer {
            int_cond(&mut sql, " AND customer_id = ?", c.0);
        }
        if let Some(a) = q.captured_by {
            int_cond(&mut sql, " AND captured_by = ?", a.0);
        }
        if let Some(b) = q.before {
            int_cond(&mut sql, " AND id < ?", b);
        }
        int_cond(&mut sql, " ORDER BY id DESC LIMIT ?", i64::from(q.limit));
        on_db!(self.store, pool => {
            let mut query = sqlx::query(&sql).bind(self.tenant.0);
            for t in &texts {
                query = query.bind(t);
            }
            for i in &ints {
                query = query.bind(*i);
            }
            query.fetch_all(pool).await?.iter().map(lead_from).collect()
        })
    }

    /// Leads whose dealer's deadline has passed by `now_ms`, the earliest first.
    pub async fn leads_due(&self, now_ms: i64, limit: u32) -> Result<Vec<LeadRow>, StoreError> {
        let sql = format!(
            "SELECT {LEAD_COLUMNS} FROM leads WHERE tenant_id = $1 AND due_at IS NOT NULL \
             AND due_at <= $2 ORDER BY due_at LIMIT $3"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(now_ms)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .iter()
            .map(lead_from)
            .collect())
    }

    /// The latest `limit` events naming lead `id`, oldest first: its timeline.
    pub async fn lead_events(&self, id: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        let (lead, payload, quote) = match self.store.backend() {
            Backend::Sqlite => ("json_extract(payload, '$.lead_id')", "payload", ""),
            Backend::Postgres => ("(payload->>'lead_id')", "payload::text", "'"),
        };
        // The id is a number, so inlining it is safe; as text on PostgreSQL like the index.
        let sql = format!(
            "SELECT seq, tenant_id, id, at, kind, {payload} AS payload FROM events \
             WHERE tenant_id = $1 AND {lead} = {quote}{id}{quote} ORDER BY seq DESC LIMIT $2"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .iter()
            .rev()
            .map(event_from)
            .collect())
    }
}
