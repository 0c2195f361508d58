//! The contact policy's facts (R2.4): when each customer was called by the center, and what
//! each customer asked of its calls (not at all, or only within hours).

use crate::{AnyRow, CustomerId, Db, StoreError, TenantStore, UserId};

/// What a customer asked of the center's calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContactPrefs {
    /// Never call (免打扰).
    pub do_not_call: bool,
    /// Only between these local times, `HH:MM` each.
    pub hours: Option<(String, String)>,
    /// What the customer said, for whoever reads it next.
    pub note: String,
    pub updated_ms: i64,
    pub updated_by: Option<UserId>,
}

/// Something a department wants said to a customer in the center's next call to them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContactTopic {
    pub id: i64,
    pub customer: CustomerId,
    /// `callback`, `payment`, `invitation`, `survey`, `other`.
    pub kind: String,
    /// `service`, `sales`, `marketing`, `billing`.
    pub department: String,
    pub subject: String,
    /// The call a caller asked to be called back on.
    pub call_id: Option<String>,
    pub not_before_ms: i64,
    pub created_ms: i64,
    pub created_by: Option<UserId>,
    /// Covered in a call (or given up on), by whom, and what came of it.
    pub done_ms: Option<i64>,
    pub done_by: Option<UserId>,
    pub outcome: Option<String>,
}

const TOPIC_COLUMNS: &str = "id, customer_id, kind, department, subject, call_id, not_before, \
                             created_at, created_by, done_at, done_by, outcome";

fn topic_from(r: &impl AnyRow) -> Result<ContactTopic, StoreError> {
    Ok(ContactTopic {
        id: r.int("id")?,
        customer: CustomerId(r.int("customer_id")?),
        kind: r.text("kind")?,
        department: r.text("department")?,
        subject: r.text("subject")?,
        call_id: r.opt_text("call_id")?,
        not_before_ms: r.int("not_before")?,
        created_ms: r.int("created_at")?,
        created_by: r.opt_int("created_by")?.map(UserId),
        done_ms: r.opt_int("done_at")?,
        done_by: r.opt_int("done_by")?.map(UserId),
        outcome: r.opt_text("outcome")?,
    })
}

/// A call placed to a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactCall {
    pub customer: CustomerId,
    pub at_ms: i64,
    pub call_id: String,
    /// `click`, `callback`, `revisit`, `lead`, `campaign`.
    pub purpose: String,
    pub user: Option<UserId>,
    /// A manager placed it past the policy's limits or hours, for this reason.
    pub override_reason: Option<String>,
}

/// What the contact policy reads of a customer, in one query: the record it stands for
/// (itself, or the one it was merged into) and, over that record and those merged into it,
/// the blacklist flag, "do not call", the hours, and the calls since a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactFacts {
    pub customer: CustomerId,
    pub blacklisted: bool,
    pub do_not_call: bool,
    /// The surviving record's hours, else a merged record's.
    pub hours: Option<(String, String)>,
    pub calls_ms: Vec<i64>,
}

impl TenantStore<'_> {
    /// [`ContactFacts`] of `customer` with the calls since `since_ms`; `None` when there is
    /// no such customer. From the tenant's book in memory when it is in (see
    /// `contact_book`), else from the database.
    pub async fn contact_facts(
        &self,
        customer: CustomerId,
        since_ms: i64,
    ) -> Result<Option<ContactFacts>, StoreError> {
        let (answer, load) = self.store.books.answer(self.tenant, customer, since_ms);
        if let Some(generation) = load {
            self.store
                .load_contact_book_later(self.tenant, generation, since_ms);
        }
        match answer {
            crate::contact_book::Answer::Facts(f) => Ok(Some(f)),
            crate::contact_book::Answer::Ask => self.contact_facts_asked(customer, since_ms).await,
        }
    }

    /// [`TenantStore::contact_facts`] read from the database.
    #[doc(hidden)]
    pub async fn contact_facts_asked(
        &self,
        customer: CustomerId,
        since_ms: i64,
    ) -> Result<Option<ContactFacts>, StoreError> {
        // One round trip: the record (kind 0), the preferences (1), the calls (2), each of
        // the surviving record and of the records merged into it, as plain index lookups
        // (sets built by subqueries cost SQLite twenty times as much).
        const S: &str = "(SELECT COALESCE(merged_into, id) FROM customers \
                         WHERE tenant_id = $1 AND id = $2)";
        let sql = format!(
            "SELECT CAST(0 AS BIGINT) AS k, c.id AS n, \
             CAST(CASE WHEN c.blacklisted THEN 1 ELSE 0 END AS BIGINT) AS flag, \
             CAST(NULL AS TEXT) AS a, CAST(NULL AS TEXT) AS b \
             FROM customers c WHERE c.tenant_id = $1 AND c.id = {S} \
             UNION ALL SELECT CAST(1 AS BIGINT), p.customer_id, \
             CAST(CASE WHEN p.do_not_call THEN 1 ELSE 0 END AS BIGINT), p.hours_from, p.hours_to \
             FROM contact_prefs p WHERE p.tenant_id = $1 AND p.customer_id = {S} \
             UNION ALL SELECT CAST(1 AS BIGINT), p.customer_id, \
             CAST(CASE WHEN p.do_not_call THEN 1 ELSE 0 END AS BIGINT), p.hours_from, p.hours_to \
             FROM customers m JOIN contact_prefs p ON p.tenant_id = $1 AND p.customer_id = m.id \
             WHERE m.tenant_id = $1 AND m.merged_into = {S} \
             UNION ALL SELECT CAST(2 AS BIGINT), x.at, CAST(0 AS BIGINT), CAST(NULL AS TEXT), \
             CAST(NULL AS TEXT) FROM contact_calls x \
             WHERE x.tenant_id = $1 AND x.customer_id = {S} AND x.at >= $3 \
             UNION ALL SELECT CAST(2 AS BIGINT), x.at, CAST(0 AS BIGINT), CAST(NULL AS TEXT), \
             CAST(NULL AS TEXT) FROM customers m JOIN contact_calls x \
             ON x.tenant_id = $1 AND x.customer_id = m.id AND x.at >= $3 \
             WHERE m.tenant_id = $1 AND m.merged_into = {S}"
        );
        let rows = on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(customer.0)
            .bind(since_ms)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.int("k")?,
                    r.int("n")?,
                    r.int("flag")?,
                    r.opt_text("a")?,
                    r.opt_text("b")?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>())?;
        // Kinds in order, each by record, so the hours chosen do not depend on the plan.
        let mut rows = rows;
        rows.sort_by_key(|r| (r.0, r.1));
        let Some(&(_, survivor, blacklisted, _, _)) = rows.iter().find(|r| r.0 == 0) else {
            return Ok(None);
        };
        let mut facts = ContactFacts {
            customer: CustomerId(survivor),
            blacklisted: blacklisted != 0,
            do_not_call: false,
            hours: None,
            calls_ms: Vec::new(),
        };
        for (k, n, flag, a, b) in rows {
            match k {
                1 => {
                    facts.do_not_call |= flag != 0;
                    if let (Some(a), Some(b)) = (a, b)
                        && (n == survivor || facts.hours.is_none())
                    {
                        facts.hours = Some((a, b));
                    }
                }
                2 => facts.calls_ms.push(n),
                _ => {}
            }
        }
        facts.calls_ms.sort_unstable();
        Ok(Some(facts))
    }

    /// When `customer` was called since `since_ms`, oldest first.
    pub async fn contact_calls_since(
        &self,
        customer: CustomerId,
        since_ms: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let sql = "SELECT at FROM contact_calls WHERE tenant_id = $1 AND customer_id = $2 \
                   AND at >= $3 ORDER BY at LIMIT 1000";
        on_db!(self.store, pool => sqlx::query(sql)
            .bind(self.tenant.0)
            .bind(customer.0)
            .bind(since_ms)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| Ok(r.int("at")?))
            .collect())
    }

    pub async fn record_contact_call(&self, c: &ContactCall) -> Result<(), StoreError> {
        let c = c.clone();
        self.run_whole(move |s, t| async move { s.scoped(t).record_contact_call_whole(&c).await })
            .await
    }

    async fn record_contact_call_whole(&self, c: &ContactCall) -> Result<(), StoreError> {
        crate::model::check(
            "override_reason",
            !c.override_reason.as_deref().unwrap_or("").contains('\0') && !c.call_id.contains('\0'),
            "no NUL characters (U+0000)",
        )?;
        // A call is written down once (the contact book counts it once).
        let sql = "INSERT INTO contact_calls (tenant_id, customer_id, at, call_id, purpose, \
                   user_id, override_reason) SELECT $1, $2, $3, $4, $5, $6, $7 \
                   WHERE NOT EXISTS (SELECT 1 FROM contact_calls WHERE tenant_id = $1 \
                   AND customer_id = $2 AND at = $3 AND call_id = $4)";
        let calling = self.store.books.calling(self.tenant);
        on_db!(self.store, pool => sqlx::query(sql)
            .bind(self.tenant.0)
            .bind(c.customer.0)
            .bind(c.at_ms)
            .bind(&c.call_id)
            .bind(&c.purpose)
            .bind(c.user.map(|u| u.0))
            .bind(&c.override_reason)
            .execute(pool)
            .await
            .map(drop)?);
        calling.done(c.customer, c.at_ms, &c.call_id);
        Ok(())
    }

    /// Forgets the calls written down under `call_id` (it was never dialled).
    pub async fn delete_contact_calls(&self, call_id: &str) -> Result<(), StoreError> {
        let id = call_id.to_string();
        self.run_whole(move |s, t| async move { s.scoped(t).delete_contact_calls_whole(&id).await })
            .await
    }

    async fn delete_contact_calls_whole(&self, call_id: &str) -> Result<(), StoreError> {
        let sql = "DELETE FROM contact_calls WHERE tenant_id = $1 AND call_id = $2";
        let dropping = self.store.books.dropping(self.tenant);
        on_db!(self.store, pool => sqlx::query(sql)
            .bind(self.tenant.0)
            .bind(call_id)
            .execute(pool)
            .await
            .map(drop)?);
        dropping.disarm();
        self.store.books.uncalled(self.tenant, call_id);
        Ok(())
    }

    /// What `customer` asked of the center's calls (`None`: nothing).
    pub async fn contact_prefs(
        &self,
        customer: CustomerId,
    ) -> Result<Option<ContactPrefs>, StoreError> {
        let sql = "SELECT do_not_call, hours_from, hours_to, note, updated_at, updated_by \
                   FROM contact_prefs WHERE tenant_id = $1 AND customer_id = $2";
        on_db!(self.store, pool => sqlx::query(sql)
            .bind(self.tenant.0)
            .bind(customer.0)
            .fetch_optional(pool)
            .await?
            .map(|r| {
                let hours = match (r.opt_text("hours_from")?, r.opt_text("hours_to")?) {
                    (Some(a), Some(b)) => Some((a, b)),
                    _ => None,
                };
                Ok(ContactPrefs {
                    do_not_call: r.boolean("do_not_call")?,
                    hours,
                    note: r.text("note")?,
                    updated_ms: r.int("updated_at")?,
                    updated_by: r.opt_int("updated_by")?.map(UserId),
                })
            })
            .transpose())
    }

    /// Saves what `customer` asked, replacing what they asked before.
    pub async fn set_contact_prefs(
        &self,
        customer: CustomerId,
        p: &ContactPrefs,
    ) -> Result<(), StoreError> {
        let p = p.clone();
        self.run_whole(move |s, t| async move {
            s.scoped(t).set_contact_prefs_whole(customer, &p).await
        })
        .await
    }

    async fn set_contact_prefs_whole(
        &self,
        customer: CustomerId,
        p: &ContactPrefs,
    ) -> Result<(), StoreError> {
        let (from, to) = match &p.hours {
            Some((a, b)) => (Some(a.as_str()), Some(b.as_str())),
            None => (None, None),
        };
        crate::model::check("note", !p.note.contains('\0'), "no NUL characters (U+0000)")?;
        // When this goes, done or not, the contact book is loaded again.
        let _book = self.store.books.dropping(self.tenant);
        let sql = "INSERT INTO contact_prefs (tenant_id, customer_id, do_not_call, hours_from, \
                   hours_to, note, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                   ON CONFLICT (tenant_id, customer_id) DO UPDATE SET \
                   do_not_call = excluded.do_not_call, hours_from = excluded.hours_from, \
                   hours_to = excluded.hours_to, note = excluded.note, \
                   updated_at = excluded.updated_at, updated_by = excluded.updated_by";
        on_db!(self.store, pool => sqlx::query(sql)
            .bind(self.tenant.0)
            .bind(customer.0)
            .bind(p.do_not_call)
            .bind(from)
            .bind(to)
            .bind(&p.note)
            .bind(p.updated_ms)
            .bind(p.updated_by.map(|u| u.0))
            .execute(pool)
            .await
            .map(drop)?);
        Ok(())
    }

    /// Writes an open topic (its `id`, `done_*` are ignored); its id.
    pub async fn add_contact_topic(&self, t: &ContactTopic) -> Result<i64, StoreError> {
        crate::model::check(
            "subject",
            !t.subject.contains('\0') && !t.call_id.as_deref().unwrap_or("").contains('\0'),
            "no NUL characters (U+0000)",
        )?;
        let sql = "INSERT INTO contact_topics (tenant_id, customer_id, kind, department, \
                   subject, call_id, not_before, created_at, created_by) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
        on_db!(self.store, pool => Ok(sqlx::query_scalar(sql)
            .bind(self.tenant.0)
            .bind(t.customer.0)
            .bind(&t.kind)
            .bind(&t.department)
            .bind(&t.subject)
            .bind(&t.call_id)
            .bind(t.not_before_ms)
            .bind(t.created_ms)
            .bind(t.created_by.map(|u| u.0))
            .fetch_one(pool)
            .await?))
    }

    pub async fn contact_topic(&self, id: i64) -> Result<Option<ContactTopic>, StoreError> {
        let sql =
            format!("SELECT {TOPIC_COLUMNS} FROM contact_topics WHERE tenant_id = $1 AND id = $2");
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .as_ref()
            .map(topic_from)
            .transpose())
    }

    /// The open topic kept for the callback a caller asked for on `call_id`, if any.
    pub async fn open_topic_of_call(
        &self,
        call_id: &str,
    ) -> Result<Option<ContactTopic>, StoreError> {
        let sql = format!(
            "SELECT {TOPIC_COLUMNS} FROM contact_topics WHERE tenant_id = $1 \
             AND call_id = $2 AND done_at IS NULL ORDER BY id LIMIT 1"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(call_id)
            .fetch_optional(pool)
            .await?
            .as_ref()
            .map(topic_from)
            .transpose())
    }

    /// The open topics, of `customer` only when given, oldest first, at most `limit`.
    pub async fn open_contact_topics(
        &self,
        customer: Option<CustomerId>,
        limit: u32,
    ) -> Result<Vec<ContactTopic>, StoreError> {
        let sql = format!(
            "SELECT {TOPIC_COLUMNS} FROM contact_topics WHERE tenant_id = $1 \
             AND done_at IS NULL AND ($2 = 0 OR customer_id = $2) ORDER BY id LIMIT $3"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(customer.map_or(0, |c| c.0))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .iter()
            .map(topic_from)
            .collect())
    }

    /// Closes an open topic: `false` when it was closed already (or is not this tenant's).
    pub async fn close_contact_topic(
        &self,
        id: i64,
        by: Option<UserId>,
        outcome: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        crate::model::check(
            "outcome",
            !outcome.contains('\0'),
            "no NUL characters (U+0000)",
        )?;
        let sql = "UPDATE contact_topics SET done_at = $3, done_by = $4, outcome = $5 \
                   WHERE tenant_id = $1 AND id = $2 AND done_at IS NULL";
        let n = on_db!(self.store, pool => sqlx::query(sql)
            .bind(self.tenant.0)
            .bind(id)
            .bind(now_ms)
            .bind(by.map(|u| u.0))
            .bind(outcome)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }
}
