//! Work orders (工单): each order's row is written by the event-log writer in the same
//! transaction as the event that changed it ([`NewEvent::order`]), so an order and its
//! history never disagree, not even after a crash; an older state never overwrites a newer
//! one (by `version`), so a retried batch is harmless. Lists, the handler's queue, the SLA
//! sweep's due orders and the order's timeline are read here.

use crate::{
    AnyRow, Backend, CustomerId, Db, NewEvent, Store, StoreError, StoredEvent, TenantStore, UserId,
    event_from, json_column,
};

/// An order as its row keeps it: the columns lists filter on, and the whole order in `data`
/// (the runtime's document).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OrderRow {
    pub id: i64,
    pub order_type: String,
    pub category: String,
    pub priority: i64,
    /// `open`, `dispatched`, `accepted`, `waiting`, `resolved`, `closed`, `merged`.
    pub status: String,
    pub group: Option<String>,
    pub handler: Option<UserId>,
    pub customer: Option<CustomerId>,
    /// `省/市/区`.
    pub region: String,
    pub title: String,
    /// A business system's id of the order it sent (`billing:A-1029`).
    #[serde(default)]
    pub external_id: Option<String>,
    /// When a warning or a breach falls due next; `None` when no clock runs.
    pub next_due_ms: Option<i64>,
    /// When it must be resolved by.
    pub due_ms: Option<i64>,
    pub breached: bool,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// 1 when created, one more with every change.
    pub version: i64,
    pub data: serde_json::Value,
}

/// Which orders to list: newest first, a page before `before`.
#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    /// Any of these statuses; all when empty.
    pub statuses: Vec<String>,
    pub order_type: Option<String>,
    pub group: Option<String>,
    pub handler: Option<UserId>,
    pub customer: Option<CustomerId>,
    pub breached: Option<bool>,
    /// A region or its prefix (`浙江省/杭州市`), by whole steps.
    pub region: Option<String>,
    /// Only orders due (to be resolved) before this.
    pub due_before_ms: Option<i64>,
    /// Orders with an id below this (the next page).
    pub before: Option<i64>,
    pub limit: u32,
}

const ORDER_COLUMNS: &str = "id, order_type, category, priority, status, grp, handler_id, \
    customer_id, region, title, external_id, next_due, due_at, breached, created_at, updated_at, \
    version, data";

fn order_from(row: &impl AnyRow) -> Result<OrderRow, StoreError> {
    Ok(OrderRow {
        id: row.int("id")?,
        order_type: row.text("order_type")?,
        category: row.text("category")?,
        priority: row.int("priority")?,
        status: row.text("status")?,
        group: row.opt_text("grp")?,
        handler: row.opt_int("handler_id")?.map(UserId),
        customer: row.opt_int("customer_id")?.map(CustomerId),
        region: row.text("region")?,
        title: row.text("title")?,
        external_id: row.opt_text("external_id")?,
        next_due_ms: row.opt_int("next_due")?,
        due_ms: row.opt_int("due_at")?,
        breached: row.boolean("breached")?,
        created_ms: row.int("created_at")?,
        updated_ms: row.int("updated_at")?,
        version: row.int("version")?,
        data: json_column(row, "data")?,
    })
}

/// The columns an order's row is written with, in the order [`write_orders!`] binds them.
const WRITE_COLUMNS: &str = "tenant_id, id, order_type, category, priority, status, grp, \
    handler_id, customer_id, region, title, next_due, due_at, breached, created_at, updated_at, \
    version, data, external_id";
const WRITE_COUNT: usize = 19;

/// The upsert of `rows` orders: each inserted, or replacing an older version of itself.
pub(crate) fn write_sql(rows: usize) -> String {
    let mut sql = format!("INSERT INTO orders ({WRITE_COLUMNS}) VALUES ");
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
         order_type = excluded.order_type, category = excluded.category, \
         priority = excluded.priority, status = excluded.status, grp = excluded.grp, \
         handler_id = excluded.handler_id, customer_id = excluded.customer_id, \
         region = excluded.region, title = excluded.title, next_due = excluded.next_due, \
         due_at = excluded.due_at, breached = excluded.breached, \
         updated_at = excluded.updated_at, version = excluded.version, data = excluded.data \
         WHERE orders.version < excluded.version",
    );
    sql
}

/// Writes the orders new events carry, `(tenant, row)` each (one row per order), inside
/// the events' transaction `$tx`.
macro_rules! write_orders {
    ($tx:expr, $rows:expr) => {{
        let sql = crate::orders::write_sql($rows.len());
        let mut q = sqlx::query(&sql);
        for (tenant, o) in $rows {
            q = q
                .bind(tenant.0)
                .bind(o.id)
                .bind(&o.order_type)
                .bind(&o.category)
                .bind(o.priority)
                .bind(&o.status)
                .bind(&o.group)
                .bind(o.handler.map(|u| u.0))
                .bind(o.customer.map(|c| c.0))
                .bind(&o.region)
                .bind(&o.title)
                .bind(o.next_due_ms)
                .bind(o.due_ms)
                .bind(o.breached)
                .bind(o.created_ms)
                .bind(o.updated_ms)
                .bind(o.version)
                .bind(o.data.to_string())
                .bind(&o.external_id);
        }
        q.execute(&mut *$tx).await?;
    }};
}
pub(crate) use write_orders;

impl NewEvent {
    pub(crate) fn validate_order(&self) -> Result<(), StoreError> {
        let Some(o) = &self.order else {
            return Ok(());
        };
        let nul = [&o.order_type, &o.category, &o.status, &o.region, &o.title]
            .into_iter()
            .chain(o.group.as_ref())
            .chain(o.external_id.as_ref())
            .any(|s| s.contains('\0'))
            || crate::model::has_nul(&o.data);
        crate::model::check("order", !nul, "no NUL characters (U+0000)")?;
        crate::model::check("order", o.version >= 1, "versions start at 1")
    }
}

impl Store {
    /// Refreshes the query planner's statistics, as the database's own maintenance would in
    /// time: after a bulk load, before timing reads (`hotline bench`).
    pub async fn analyze(&self) -> Result<(), StoreError> {
        on_db!(self, pool => sqlx::query("ANALYZE").execute(pool).await.map(drop)?);
        Ok(())
    }

    /// The highest order id of any tenant (0 if none): order numbers continue from it, one
    /// sequence for the center, so an order number names one order.
    pub async fn max_order_id(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COALESCE(MAX(id), 0) FROM orders";
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(pool)
            .await?))
    }
}

impl TenantStore<'_> {
    pub async fn order(&self, id: i64) -> Result<Option<OrderRow>, StoreError> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE tenant_id = $1 AND id = $2");
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .map(|r| order_from(&r))
            .transpose())
    }

    /// The orders of these ids that the tenant has (any order; unknown ids left out), a few
    /// hundred a statement.
    pub async fn orders_by_ids(&self, ids: &[i64]) -> Result<Vec<OrderRow>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT {ORDER_COLUMNS} FROM orders WHERE tenant_id = $1 AND id IN ({})",
                marks.join(", ")
            );
            let rows: Vec<OrderRow> = on_db!(self.store, pool => {
                let mut q = sqlx::query(&sql).bind(self.tenant.0);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(pool).await?.iter().map(order_from).collect::<Result<_, _>>()
            })?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// A page of orders, newest first.
    pub async fn orders(&self, q: &OrderQuery) -> Result<Vec<OrderRow>, StoreError> {
        let mut sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE tenant_id = $1");
        let mut texts: Vec<String> = Vec::new();
        let mut ints: Vec<i64> = Vec::new();
        // Text parameters are $2.., integers follow them; numbered as they are pushed.
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
        if let Some(t) = &q.order_type {
            text_cond(&mut sql, &mut texts, " AND order_type = ?", t.clone());
        }
        if let Some(g) = &q.group {
            text_cond(&mut sql, &mut texts, " AND grp = ?", g.clone());
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
        if let Some(h) = q.handler {
            int_cond(&mut sql, " AND handler_id = ?", h.0);
        }
        if let Some(c) = q.customer {
            int_cond(&mut sql, " AND customer_id = ?", c.0);
        }
        // Spelt out, so the partial index of breached orders serves it.
        match q.breached {
            Some(true) => sql.push_str(" AND breached"),
            Some(false) => sql.push_str(" AND NOT breached"),
            None => {}
        }
        if let Some(d) = q.due_before_ms {
            int_cond(&mut sql, " AND due_at < ?", d);
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
            query.fetch_all(pool).await?.iter().map(order_from).collect()
        })
    }

    /// The order a business system sent under its own id.
    pub async fn order_by_external(
        &self,
        external_id: &str,
    ) -> Result<Option<OrderRow>, StoreError> {
        let sql =
            format!("SELECT {ORDER_COLUMNS} FROM orders WHERE tenant_id = $1 AND external_id = $2");
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(external_id)
            .fetch_optional(pool)
            .await?
            .map(|r| order_from(&r))
            .transpose())
    }

    /// Orders with a warning or a breach due by `now_ms`, soonest first: what the SLA sweep
    /// looks at. An index on (tenant, next due) makes this one range read however many
    /// orders are open.
    pub async fn orders_due(&self, now_ms: i64, limit: u32) -> Result<Vec<OrderRow>, StoreError> {
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE tenant_id = $1 AND next_due IS NOT NULL \
             AND next_due <= $2 ORDER BY next_due LIMIT $3"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(now_ms)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .iter()
            .map(order_from)
            .collect())
    }

    /// Moves when the sweep looks at order `id` next, if it is still at `version` (the
    /// calendar changed under it): derived from the order, so not an event of its own.
    pub async fn reschedule_order(
        &self,
        id: i64,
        version: i64,
        next_due_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        let sql =
            "UPDATE orders SET next_due = $1 WHERE tenant_id = $2 AND id = $3 AND version = $4";
        on_db!(self.store, pool => sqlx::query(sql)
            .bind(next_due_ms)
            .bind(self.tenant.0)
            .bind(id)
            .bind(version)
            .execute(pool)
            .await
            .map(drop)?);
        Ok(())
    }

    /// The latest `limit` events naming order `id`, oldest first: its timeline.
    pub async fn order_events(&self, id: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        let (order, payload, quote) = match self.store.backend() {
            Backend::Sqlite => ("json_extract(payload, '$.order_id')", "payload", ""),
            Backend::Postgres => ("(payload->>'order_id')", "payload::text", "'"),
        };
        // The id is a number, so inlining it is safe; as text on PostgreSQL like the index.
        let sql = format!(
            "SELECT seq, tenant_id, id, at, kind, {payload} AS payload FROM events \
             WHERE tenant_id = $1 AND {order} = {quote}{id}{quote} ORDER BY seq DESC LIMIT $2"
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
