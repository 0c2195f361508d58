//! Customers: one view of every customer (统一的客户信息), their department facets, the
//! caller-number index behind the screen pop, duplicates and merges.

use std::collections::HashSet;

use crate::{
    AnyRow, Customer, CustomerData, CustomerId, Db, Department, Facet, Segment, StoreError,
    TenantId, TenantStore, UserId, json_column,
};

/// Writes `(number, customer id)` pairs into the number index, inside the transaction `$tx`.
macro_rules! index_numbers {
    ($tx:expr, $tenant:expr, $pairs:expr) => {
        for (number, customer) in $pairs {
            sqlx::query(
                "INSERT INTO customer_phones (tenant_id, number, customer_id) VALUES ($1, $2, $3)",
            )
            .bind($tenant.0)
            .bind(number)
            .bind(customer)
            .execute(&mut *$tx)
            .await?;
        }
    };
}

const CUSTOMER_COLUMNS: &str = "c.id, c.tenant_id, c.name, c.phones, c.emails, c.addresses, \
    c.segment, c.level, c.qualification, c.id_number, c.blacklisted, c.blacklist_reason, \
    c.notes, c.merged_into, c.version, c.created_at, c.updated_at";

/// Which customers to list: a page after `after`, optionally filtered.
#[derive(Debug, Clone, Default)]
pub struct CustomerQuery {
    /// Part of the name, or of a normalised number.
    pub text: Option<String>,
    /// A whole number as normalised: matches it exactly (besides `text`).
    pub number: Option<String>,
    /// A whole ID number: matches it exactly (besides `text`).
    pub id_number: Option<String>,
    pub segment: Option<Segment>,
    pub level: Option<u8>,
    pub blacklisted: Option<bool>,
    /// A province, city or district (`杭州市`, `西湖区`), whole, of any of the addresses.
    pub region: Option<String>,
    /// Only customers a department holds a facet of (`finance`, `sales`).
    pub department: Option<String>,
    /// Only customers with an address containing one of these (a dealer's regions, as
    /// fragments of the stored address JSON); none asked for when empty.
    pub address_any: Vec<String>,
    pub after: Option<CustomerId>,
    pub limit: u32,
    /// Records merged into another are left out unless asked for.
    pub include_merged: bool,
}

/// Rows to write per statement on PostgreSQL (13 parameters each, under its 65,535).
const PG_ROWS: usize = 1000;

/// The PostgreSQL import: ids drawn from the sequence first, so each row's id is known
/// without relying on the order `RETURNING` gives; then customers and their numbers a
/// thousand rows a statement, all in one transaction.
async fn import_postgres(
    pool: &sqlx::PgPool,
    tenant: TenantId,
    batch: &[CustomerData],
    now_ms: i64,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<i64>, StoreError> {
    let mut tx = pool.begin().await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT nextval(pg_get_serial_sequence('customers', 'id')) FROM generate_series(1, $1)",
    )
    .bind(i64::try_from(batch.len()).unwrap_or(i64::MAX))
    .fetch_all(&mut *tx)
    .await?;
    let mut done = 0;
    for (chunk, chunk_ids) in batch.chunks(PG_ROWS).zip(ids.chunks(PG_ROWS)) {
        let mut sql = String::from(
            "INSERT INTO customers (id, tenant_id, name, phones, emails, addresses, segment, \
             level, qualification, id_number, blacklisted, blacklist_reason, notes, version, \
             created_at, updated_at) VALUES ",
        );
        for i in 0..chunk.len() {
            let p = i * 12 + 1;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, $1, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 1, $2, $2)",
                p + 2,
                p + 3,
                p + 4,
                p + 5,
                p + 6,
                p + 7,
                p + 8,
                p + 9,
                p + 10,
                p + 11,
                p + 12,
                p + 13
            ));
        }
        let mut q = sqlx::query(&sql).bind(tenant.0).bind(now_ms);
        for (data, id) in chunk.iter().zip(chunk_ids) {
            q = q
                .bind(*id)
                .bind(&data.name)
                .bind(to_json(&data.phones))
                .bind(to_json(&data.emails))
                .bind(to_json(&data.addresses))
                .bind(data.segment.as_str())
                .bind(i64::from(data.level))
                .bind(&data.qualification)
                .bind(&data.id_number)
                .bind(data.blacklisted)
                .bind(&data.blacklist_reason)
                .bind(&data.notes);
        }
        q.execute(&mut *tx).await.map_err(tenant_missing)?;
        let phones: Vec<(&str, i64)> = chunk
            .iter()
            .zip(chunk_ids)
            .flat_map(|(data, id)| numbers(&data.phones).map(move |n| (n, *id)))
            .collect();
        for rows in phones.chunks(PG_ROWS * 4) {
            let mut sql = String::from(
                "INSERT INTO customer_phones (tenant_id, number, customer_id) VALUES ",
            );
            for i in 0..rows.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("($1, ${}, ${})", i * 2 + 2, i * 2 + 3));
            }
            let mut q = sqlx::query(&sql).bind(tenant.0);
            for (number, id) in rows {
                q = q.bind(*number).bind(*id);
            }
            q.execute(&mut *tx).await?;
        }
        done += chunk.len();
        progress(done);
    }
    tx.commit().await?;
    Ok(ids)
}

/// A customer's distinct numbers, for the index.
fn numbers(phones: &[crate::CustomerPhone]) -> impl Iterator<Item = &str> {
    let mut seen = HashSet::new();
    phones
        .iter()
        .map(|p| p.number.as_str())
        .filter(move |n| seen.insert(*n))
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn tenant_missing(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            StoreError::NotFound { what: "tenant" }
        }
        _ => StoreError::Database(e),
    }
}

fn customer_from(row: &impl AnyRow) -> Result<Customer, StoreError> {
    let segment = row.text("segment")?;
    Ok(Customer {
        id: CustomerId(row.int("id")?),
        tenant: TenantId(row.int("tenant_id")?),
        data: CustomerData {
            name: row.text("name")?,
            phones: json_column(row, "phones")?,
            emails: json_column(row, "emails")?,
            addresses: json_column(row, "addresses")?,
            segment: Segment::parse(&segment).unwrap_or_default(),
            level: u8::try_from(row.int("level")?).unwrap_or(1),
            qualification: row.text("qualification")?,
            id_number: row.opt_text("id_number")?,
            blacklisted: row.boolean("blacklisted")?,
            blacklist_reason: row.text("blacklist_reason")?,
            notes: row.text("notes")?,
        },
        merged_into: row.opt_int("merged_into")?.map(CustomerId),
        version: row.int("version")?,
        created_at_ms: row.int("created_at")?,
        updated_at_ms: row.int("updated_at")?,
    })
}

impl TenantStore<'_> {
    pub async fn create_customer(
        &self,
        data: &CustomerData,
        now_ms: i64,
    ) -> Result<Customer, StoreError> {
        let mut created = self
            .create_customers(std::slice::from_ref(data), now_ms)
            .await?;
        Ok(created.remove(0))
    }

    /// Creates all of `batch` in one transaction, or none of it.
    pub async fn create_customers(
        &self,
        batch: &[CustomerData],
        now_ms: i64,
    ) -> Result<Vec<Customer>, StoreError> {
        self.import_customers(batch, now_ms, &|_| {}).await
    }

    /// [`TenantStore::create_customers`] for long imports: one transaction for the whole batch,
    /// and `progress(rows written so far)` every 500 rows.
    pub async fn import_customers(
        &self,
        batch: &[CustomerData],
        now_ms: i64,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<Customer>, StoreError> {
        let tenant = self.tenant;
        for (i, data) in batch.iter().enumerate() {
            data.validate().map_err(|e| match e {
                StoreError::Invalid { field, reason } if batch.len() > 1 => StoreError::Invalid {
                    field,
                    reason: format!("row {}: {reason}", i + 1),
                },
                other => other,
            })?;
        }
        let ids = match &self.store.db {
            // Over a network each statement is a round trip: many rows a statement.
            Db::Postgres(pool) if batch.len() > 1 => {
                import_postgres(pool, tenant, batch, now_ms, progress).await?
            }
            _ => self.import_one_by_one(batch, now_ms, progress).await?,
        };
        progress(ids.len());
        self.store.books.created(
            tenant,
            ids.iter().zip(batch).map(|(id, d)| (*id, d.blacklisted)),
        );
        Ok(ids
            .into_iter()
            .zip(batch)
            .map(|(id, data)| Customer {
                id: CustomerId(id),
                tenant,
                data: data.clone(),
                merged_into: None,
                version: 1,
                created_at_ms: now_ms,
                updated_at_ms: now_ms,
            })
            .collect())
    }

    async fn import_one_by_one(
        &self,
        batch: &[CustomerData],
        now_ms: i64,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<i64>, StoreError> {
        let tenant = self.tenant;
        let sql = "INSERT INTO customers (tenant_id, name, phones, emails, addresses, segment, \
                   level, qualification, id_number, blacklisted, blacklist_reason, notes, \
                   version, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $13) \
                   RETURNING id";
        let ids = on_db!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let mut ids = Vec::with_capacity(batch.len());
            for data in batch {
                let id: i64 = sqlx::query_scalar(sql)
                    .bind(tenant.0)
                    .bind(&data.name)
                    .bind(to_json(&data.phones))
                    .bind(to_json(&data.emails))
                    .bind(to_json(&data.addresses))
                    .bind(data.segment.as_str())
                    .bind(i64::from(data.level))
                    .bind(&data.qualification)
                    .bind(&data.id_number)
                    .bind(data.blacklisted)
                    .bind(&data.blacklist_reason)
                    .bind(&data.notes)
                    .bind(now_ms)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(tenant_missing)?;
                index_numbers!(tx, tenant, numbers(&data.phones).map(|n| (n, id)));
                ids.push(id);
                if ids.len().is_multiple_of(500) {
                    progress(ids.len());
                }
            }
            tx.commit().await?;
            ids
        });
        Ok(ids)
    }

    pub async fn customer(&self, id: CustomerId) -> Result<Option<Customer>, StoreError> {
        let tenant = self.tenant;
        let sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.id = $1 AND c.tenant_id = $2"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(id.0)
            .bind(tenant.0)
            .fetch_optional(pool)
            .await?
            .map(|r| customer_from(&r))
            .transpose())
    }

    /// A page of a tenant's customers in id order.
    pub async fn customers(&self, q: &CustomerQuery) -> Result<Vec<Customer>, StoreError> {
        enum Bind {
            Text(String),
            Int(i64),
            Bool(bool),
        }
        let tenant = self.tenant;
        let mut sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.tenant_id = $1 AND c.id > $2"
        );
        let mut binds = Vec::new();
        let param = |binds: &mut Vec<Bind>, b: Bind| {
            binds.push(b);
            format!("${}", binds.len() + 2)
        };
        if !q.include_merged {
            sql.push_str(" AND c.merged_into IS NULL");
        }
        if let Some(s) = q.segment {
            let p = param(&mut binds, Bind::Text(s.as_str().into()));
            sql.push_str(&format!(" AND c.segment = {p}"));
        }
        if let Some(l) = q.level {
            let p = param(&mut binds, Bind::Int(i64::from(l)));
            sql.push_str(&format!(" AND c.level = {p}"));
        }
        if let Some(b) = q.blacklisted {
            let p = param(&mut binds, Bind::Bool(b));
            sql.push_str(&format!(" AND c.blacklisted = {p}"));
        }
        let like = |t: &str| format!("%{}%", literal(&t.to_lowercase()));
        // The region as the value of a field of the stored JSON (`"city":"杭州市"`), never a
        // key; a dealer's regions as fragments of it.
        let region: Vec<String> = q
            .region
            .iter()
            .flat_map(|r| {
                let value = serde_json::Value::from(r.as_str()).to_string();
                ["province", "city", "district"].map(|f| format!("\"{f}\":{value}"))
            })
            .collect();
        for fragments in [&region, &q.address_any] {
            if fragments.is_empty() {
                continue;
            }
            let one: Vec<String> = fragments
                .iter()
                .map(|f| {
                    let p = param(&mut binds, Bind::Text(format!("%{}%", literal(f))));
                    format!("c.addresses LIKE {p}")
                })
                .collect();
            sql.push_str(&format!(" AND ({})", one.join(" OR ")));
        }
        if let Some(d) = &q.department {
            let p = param(&mut binds, Bind::Text(d.clone()));
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM customer_facets f WHERE f.tenant_id = c.tenant_id \
                 AND f.customer_id = c.id AND f.department = {p})"
            ));
        }
        let mut any = Vec::new();
        if let Some(t) = &q.text {
            let p = param(&mut binds, Bind::Text(like(t)));
            any.push(format!("LOWER(c.name) LIKE {p}"));
            // Uncorrelated: the tenant's numbers are scanned once, not once per customer.
            any.push(format!(
                "c.id IN (SELECT p.customer_id FROM customer_phones p WHERE p.tenant_id = $1 \
                 AND p.number LIKE {p})"
            ));
        }
        if let Some(n) = &q.number {
            let p = param(&mut binds, Bind::Text(n.clone()));
            any.push(format!(
                "c.id IN (SELECT p.customer_id FROM customer_phones p WHERE p.tenant_id = $1 \
                 AND p.number = {p})"
            ));
        }
        if let Some(i) = &q.id_number {
            let p = param(&mut binds, Bind::Text(i.clone()));
            any.push(format!("c.id_number = {p}"));
        }
        if !any.is_empty() {
            sql.push_str(&format!(" AND ({})", any.join(" OR ")));
        }
        let limit = param(&mut binds, Bind::Int(i64::from(q.limit)));
        sql.push_str(&format!(" ORDER BY c.id LIMIT {limit}"));
        on_db!(self.store, pool => {
            let mut query = sqlx::query(&sql)
                .bind(tenant.0)
                .bind(q.after.map_or(0, |c| c.0));
            for b in &binds {
                query = match b {
                    Bind::Text(t) => query.bind(t.clone()),
                    Bind::Int(i) => query.bind(*i),
                    Bind::Bool(b) => query.bind(*b),
                };
            }
            query
                .fetch_all(pool)
                .await?
                .iter()
                .map(customer_from)
                .collect()
        })
    }

    /// The customers with this (normalised) number, for the screen pop; merged records are
    /// left out.
    pub async fn customers_by_phone(&self, number: &str) -> Result<Vec<Customer>, StoreError> {
        let tenant = self.tenant;
        let sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customer_phones p JOIN customers c \
             ON c.id = p.customer_id WHERE p.tenant_id = $1 AND p.number = $2 \
             AND c.merged_into IS NULL ORDER BY c.id LIMIT 20"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(tenant.0)
            .bind(number)
            .fetch_all(pool)
            .await?
            .iter()
            .map(customer_from)
            .collect())
    }

    /// Replaces a customer's data if it is still at `expected_version`.
    pub async fn update_customer(
        &self,
        id: CustomerId,
        expected_version: i64,
        data: &CustomerData,
        now_ms: i64,
    ) -> Result<Customer, StoreError> {
        let data = data.clone();
        self.run_whole(move |s, t| async move {
            s.scoped(t)
                .update_customer_whole(id, expected_version, &data, now_ms)
                .await
        })
        .await
    }

    async fn update_customer_whole(
        &self,
        id: CustomerId,
        expected_version: i64,
        data: &CustomerData,
        now_ms: i64,
    ) -> Result<Customer, StoreError> {
        let tenant = self.tenant;
        data.validate()?;
        let Some(current) = self.customer(id).await? else {
            return Err(StoreError::NotFound { what: "customer" });
        };
        if current.merged_into.is_some() {
            return Err(StoreError::Invalid {
                field: "id",
                reason: "this record was merged into another; edit that one".into(),
            });
        }
        // The blacklist flag is the contact book's (read at another version, it may change).
        let _book = (current.data.blacklisted != data.blacklisted
            || current.version != expected_version)
            .then(|| self.store.books.dropping(tenant));
        let updated = on_db!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(
                "UPDATE customers SET name = $1, phones = $2, emails = $3, addresses = $4, \
                 segment = $5, level = $6, qualification = $7, id_number = $8, \
                 blacklisted = $9, blacklist_reason = $10, notes = $11, version = version + 1, \
                 updated_at = $12 WHERE id = $13 AND tenant_id = $14 AND version = $15",
            )
            .bind(&data.name)
            .bind(to_json(&data.phones))
            .bind(to_json(&data.emails))
            .bind(to_json(&data.addresses))
            .bind(data.segment.as_str())
            .bind(i64::from(data.level))
            .bind(&data.qualification)
            .bind(&data.id_number)
            .bind(data.blacklisted)
            .bind(&data.blacklist_reason)
            .bind(&data.notes)
            .bind(now_ms)
            .bind(id.0)
            .bind(tenant.0)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query("DELETE FROM customer_phones WHERE tenant_id = $1 AND customer_id = $2")
                    .bind(tenant.0)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                index_numbers!(tx, tenant, numbers(&data.phones).map(|n| (n, id.0)));
                tx.commit().await?;
            }
            n == 1
        });
        if !updated {
            return Err(StoreError::Stale {
                what: "customer",
                current: current.version,
            });
        }
        Ok(Customer {
            data: data.clone(),
            version: expected_version + 1,
            updated_at_ms: now_ms,
            ..current
        })
    }

    /// The records merged into `id` (and not unmerged).
    pub async fn merged_into(&self, id: CustomerId) -> Result<Vec<CustomerId>, StoreError> {
        let tenant = self.tenant;
        let ids: Vec<i64> = on_db!(self.store, pool => sqlx::query_scalar(
            "SELECT id FROM customers WHERE tenant_id = $1 AND merged_into = $2 ORDER BY id",
        )
        .bind(tenant.0)
        .bind(id.0)
        .fetch_all(pool)
        .await?);
        Ok(ids.into_iter().map(CustomerId).collect())
    }

    /// Other live records that look like the same person: a shared number or ID number.
    pub async fn duplicates_of(&self, id: CustomerId) -> Result<Vec<Customer>, StoreError> {
        let tenant = self.tenant;
        let sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.tenant_id = $1 AND c.id <> $2 \
             AND c.merged_into IS NULL AND (c.id IN (SELECT p2.customer_id FROM customer_phones p1 \
             JOIN customer_phones p2 ON p2.tenant_id = p1.tenant_id AND p2.number = p1.number \
             WHERE p1.tenant_id = $1 AND p1.customer_id = $2) OR c.id_number = (SELECT id_number \
             FROM customers WHERE id = $2 AND tenant_id = $1)) ORDER BY c.id LIMIT 50"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(tenant.0)
            .bind(id.0)
            .fetch_all(pool)
            .await?
            .iter()
            .map(customer_from)
            .collect())
    }

    /// Merges `absorbed` into `kept`: its numbers, e-mails and addresses join the kept record
    /// (without repeats), its facets fill departments the kept record lacks, and it is marked
    /// merged — all in one transaction, and only if neither record changed or was merged
    /// meanwhile. Returns the merge's id, for [`TenantStore::undo_merge`].
    pub async fn merge_customers(
        &self,
        kept: CustomerId,
        absorbed: CustomerId,
        actor: Option<UserId>,
        now_ms: i64,
    ) -> Result<(i64, Customer), StoreError> {
        self.run_whole(move |s, t| async move {
            s.scoped(t)
                .merge_customers_whole(kept, absorbed, actor, now_ms)
                .await
        })
        .await
    }

    async fn merge_customers_whole(
        &self,
        kept: CustomerId,
        absorbed: CustomerId,
        actor: Option<UserId>,
        now_ms: i64,
    ) -> Result<(i64, Customer), StoreError> {
        let tenant = self.tenant;
        if kept == absorbed {
            return Err(StoreError::Invalid {
                field: "absorbed",
                reason: "a record cannot be merged into itself".into(),
            });
        }
        let (Some(k), Some(a)) = (self.customer(kept).await?, self.customer(absorbed).await?)
        else {
            return Err(StoreError::NotFound { what: "customer" });
        };
        if k.merged_into.is_some() || a.merged_into.is_some() {
            return Err(StoreError::Invalid {
                field: "absorbed",
                reason: "one of the records is already merged".into(),
            });
        }
        let mut data = k.data.clone();
        for p in &a.data.phones {
            if !data.phones.iter().any(|q| q.number == p.number) {
                data.phones.push(p.clone());
            }
        }
        for e in &a.data.emails {
            if !data.emails.contains(e) {
                data.emails.push(e.clone());
            }
        }
        for addr in &a.data.addresses {
            if !data.addresses.contains(addr) {
                data.addresses.push(addr.clone());
            }
        }
        if data.id_number.is_none() {
            data.id_number = a.data.id_number.clone();
        }
        let stale = |_: &str| StoreError::Invalid {
            field: "absorbed",
            reason: "one of the records changed or was merged meanwhile; look again".into(),
        };
        let book = self.store.books.dropping(tenant);
        let merge_id = on_db!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(
                "UPDATE customers SET phones = $1, emails = $2, addresses = $3, id_number = $4, \
                 version = version + 1, updated_at = $5 WHERE id = $6 AND tenant_id = $7 \
                 AND version = $8 AND merged_into IS NULL",
            )
            .bind(to_json(&data.phones))
            .bind(to_json(&data.emails))
            .bind(to_json(&data.addresses))
            .bind(&data.id_number)
            .bind(now_ms)
            .bind(kept.0)
            .bind(tenant.0)
            .bind(k.version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(stale("customer"));
            }
            let n = sqlx::query(
                "UPDATE customers SET merged_into = $1, version = version + 1, updated_at = $2 \
                 WHERE id = $3 AND tenant_id = $4 AND version = $5 AND merged_into IS NULL",
            )
            .bind(kept.0)
            .bind(now_ms)
            .bind(absorbed.0)
            .bind(tenant.0)
            .bind(a.version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(stale("customer"));
            }
            // The absorbed record's numbers now ring up the kept one.
            sqlx::query("DELETE FROM customer_phones WHERE tenant_id = $1 AND customer_id IN ($2, $3)")
                .bind(tenant.0)
                .bind(kept.0)
                .bind(absorbed.0)
                .execute(&mut *tx)
                .await?;
            index_numbers!(tx, tenant, numbers(&data.phones).map(|n| (n, kept.0)));
            let copied: Vec<String> = sqlx::query_scalar(
                "SELECT department FROM customer_facets f WHERE f.tenant_id = $1 \
                 AND f.customer_id = $2 AND NOT EXISTS (SELECT 1 FROM customer_facets g \
                 WHERE g.tenant_id = f.tenant_id AND g.customer_id = $3 \
                 AND g.department = f.department) ORDER BY department",
            )
            .bind(tenant.0)
            .bind(absorbed.0)
            .bind(kept.0)
            .fetch_all(&mut *tx)
            .await?;
            for department in &copied {
                sqlx::query(
                    "INSERT INTO customer_facets (tenant_id, customer_id, department, data, \
                     version, updated_at) SELECT tenant_id, $1, department, data, 1, $2 \
                     FROM customer_facets WHERE tenant_id = $3 AND customer_id = $4 \
                     AND department = $5",
                )
                .bind(kept.0)
                .bind(now_ms)
                .bind(tenant.0)
                .bind(absorbed.0)
                .bind(department)
                .execute(&mut *tx)
                .await?;
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO customer_merges (tenant_id, kept_id, absorbed_id, kept_before, at, \
                 actor_id, kept_version_after, copied_facets) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(tenant.0)
            .bind(kept.0)
            .bind(absorbed.0)
            .bind(serde_json::to_string(&k.data).unwrap_or_default())
            .bind(now_ms)
            .bind(actor.map(|u| u.0))
            .bind(k.version + 1)
            .bind(to_json(&copied))
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            id
        });
        drop(book);
        let merged = self
            .customer(kept)
            .await?
            .ok_or(StoreError::NotFound { what: "customer" })?;
        Ok((merge_id, merged))
    }

    /// Undoes a merge: the kept record gets its data from before the merge back, the facets
    /// the merge copied are removed, and the absorbed record is live again. Only the latest
    /// merge into a record can be undone, and only while the record is as the merge left it
    /// (otherwise the undo would lose the later change: `Stale`).
    pub async fn undo_merge(
        &self,
        merge_id: i64,
        now_ms: i64,
    ) -> Result<(Customer, Customer), StoreError> {
        self.run_whole(
            move |s, t| async move { s.scoped(t).undo_merge_whole(merge_id, now_ms).await },
        )
        .await
    }

    async fn undo_merge_whole(
        &self,
        merge_id: i64,
        now_ms: i64,
    ) -> Result<(Customer, Customer), StoreError> {
        let tenant = self.tenant;
        let row = on_db!(self.store, pool => sqlx::query(
            "SELECT kept_id, absorbed_id, kept_before, kept_version_after, copied_facets, \
             (SELECT COUNT(*) FROM customer_merges later WHERE later.tenant_id = m.tenant_id \
              AND later.kept_id = m.kept_id AND later.undone_at IS NULL AND later.id > m.id) \
             AS later FROM customer_merges m WHERE id = $1 AND tenant_id = $2 \
             AND undone_at IS NULL",
        )
        .bind(merge_id)
        .bind(tenant.0)
        .fetch_optional(pool)
        .await?
        .map(|r| -> Result<_, StoreError> {
            Ok((
                r.int("kept_id")?,
                r.int("absorbed_id")?,
                json_column::<CustomerData>(&r, "kept_before")?,
                r.int("kept_version_after")?,
                json_column::<Vec<String>>(&r, "copied_facets")?,
                r.int("later")?,
            ))
        })
        .transpose()?);
        let Some((kept, absorbed, before, version_after, copied, later)) = row else {
            return Err(StoreError::NotFound { what: "merge" });
        };
        if later > 0 {
            return Err(StoreError::Invalid {
                field: "merge_id",
                reason: "a later merge into the same record must be undone first".into(),
            });
        }
        let current = self
            .customer(CustomerId(kept))
            .await?
            .ok_or(StoreError::NotFound { what: "customer" })?;
        if current.version != version_after {
            return Err(StoreError::Stale {
                what: "customer (changed since the merge; undoing would lose that change)",
                current: current.version,
            });
        }
        let book = self.store.books.dropping(tenant);
        on_db!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(
                "UPDATE customers SET phones = $1, emails = $2, addresses = $3, id_number = $4, \
                 version = version + 1, updated_at = $5 WHERE id = $6 AND tenant_id = $7 \
                 AND version = $8",
            )
            .bind(to_json(&before.phones))
            .bind(to_json(&before.emails))
            .bind(to_json(&before.addresses))
            .bind(&before.id_number)
            .bind(now_ms)
            .bind(kept)
            .bind(tenant.0)
            .bind(version_after)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(StoreError::Stale { what: "customer", current: current.version });
            }
            sqlx::query(
                "UPDATE customers SET merged_into = NULL, version = version + 1, updated_at = $1 \
                 WHERE id = $2 AND tenant_id = $3",
            )
            .bind(now_ms)
            .bind(absorbed)
            .bind(tenant.0)
            .execute(&mut *tx)
            .await?;
            let absorbed_data: String = sqlx::query_scalar(
                "SELECT phones FROM customers WHERE id = $1 AND tenant_id = $2",
            )
            .bind(absorbed)
            .bind(tenant.0)
            .fetch_one(&mut *tx)
            .await?;
            let absorbed_phones: Vec<crate::CustomerPhone> =
                serde_json::from_str(&absorbed_data).unwrap_or_default();
            sqlx::query("DELETE FROM customer_phones WHERE tenant_id = $1 AND customer_id IN ($2, $3)")
                .bind(tenant.0)
                .bind(kept)
                .bind(absorbed)
                .execute(&mut *tx)
                .await?;
            index_numbers!(
                tx,
                tenant,
                numbers(&before.phones)
                    .map(|n| (n, kept))
                    .chain(numbers(&absorbed_phones).map(|n| (n, absorbed)))
            );
            for department in &copied {
                sqlx::query(
                    "DELETE FROM customer_facets WHERE tenant_id = $1 AND customer_id = $2 \
                     AND department = $3",
                )
                .bind(tenant.0)
                .bind(kept)
                .bind(department)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("UPDATE customer_merges SET undone_at = $1 WHERE id = $2")
                .bind(now_ms)
                .bind(merge_id)
                .execute(&mut *tx)
                .await?;
            // The record is now as the merge before this one left it (if nothing was edited
            // between the two), so that one can be undone next.
            sqlx::query(
                "UPDATE customer_merges SET kept_version_after = $1 WHERE tenant_id = $2 \
                 AND kept_id = $3 AND undone_at IS NULL AND id <> $4 AND kept_version_after = $5",
            )
            .bind(version_after + 1)
            .bind(tenant.0)
            .bind(kept)
            .bind(merge_id)
            .bind(version_after - 1)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        drop(book);
        let kept = self
            .customer(CustomerId(kept))
            .await?
            .ok_or(StoreError::NotFound { what: "customer" })?;
        let absorbed = self
            .customer(CustomerId(absorbed))
            .await?
            .ok_or(StoreError::NotFound { what: "customer" })?;
        Ok((kept, absorbed))
    }

    /// Sets a department's facet of a customer. `expected_version` is `None` to create it,
    /// or the version the writer read.
    pub async fn put_facet(
        &self,
        customer: CustomerId,
        department: Department,
        data: &serde_json::Value,
        expected_version: Option<i64>,
        now_ms: i64,
    ) -> Result<Facet, StoreError> {
        let tenant = self.tenant;
        if self.customer(customer).await?.is_none() {
            return Err(StoreError::NotFound { what: "customer" });
        }
        let n = on_db!(self.store, pool => match expected_version {
            None => sqlx::query(
                "INSERT INTO customer_facets (tenant_id, customer_id, department, data, version, \
                 updated_at) VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT DO NOTHING",
            )
            .bind(tenant.0)
            .bind(customer.0)
            .bind(department.as_str())
            .bind(data.to_string())
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected(),
            Some(v) => sqlx::query(
                "UPDATE customer_facets SET data = $1, version = version + 1, updated_at = $2 \
                 WHERE tenant_id = $3 AND customer_id = $4 AND department = $5 AND version = $6",
            )
            .bind(data.to_string())
            .bind(now_ms)
            .bind(tenant.0)
            .bind(customer.0)
            .bind(department.as_str())
            .bind(v)
            .execute(pool)
            .await?
            .rows_affected(),
        });
        let now = self
            .facets(customer)
            .await?
            .into_iter()
            .find(|f| f.department == department);
        match now {
            Some(f) if n == 1 => Ok(f),
            Some(f) => Err(StoreError::Stale {
                what: "facet",
                current: f.version,
            }),
            None => Err(StoreError::NotFound { what: "facet" }),
        }
    }

    pub async fn facets(&self, customer: CustomerId) -> Result<Vec<Facet>, StoreError> {
        let tenant = self.tenant;
        on_db!(self.store, pool => sqlx::query(
            "SELECT department, data, version, updated_at FROM customer_facets \
             WHERE tenant_id = $1 AND customer_id = $2 ORDER BY department",
        )
        .bind(tenant.0)
        .bind(customer.0)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            let d = r.text("department")?;
            Ok(Facet {
                department: Department::parse(&d).ok_or(StoreError::Invalid {
                    field: "department",
                    reason: format!("unknown department `{d}` in the database"),
                })?,
                data: json_column(r, "data")?,
                version: r.int("version")?,
                updated_at_ms: r.int("updated_at")?,
            })
        })
        .collect())
    }
}

/// Text taken literally in a `LIKE` pattern: its wildcards and PostgreSQL's escape character
/// dropped.
fn literal(t: &str) -> String {
    t.chars()
        .filter(|c| !matches!(c, '%' | '_' | '\\'))
        .collect()
}
