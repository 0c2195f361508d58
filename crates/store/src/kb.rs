//! Knowledge articles (issue 24): each as it stands now, and every version of it, written in
//! one transaction. What `doc` says is the runtime's (`app::kb`); here it is a document.

use crate::{AnyRow, Db, StoreError, TenantStore, UserId};

/// An article's columns as written.
#[derive(Debug, Clone, PartialEq)]
pub struct KbFields<'a> {
    pub title: &'a str,
    pub category: &'a str,
    pub status: &'a str,
    pub public: bool,
    pub owner: Option<UserId>,
    /// The runtime's JSON of the rest.
    pub doc: &'a str,
}

/// An article as its row keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct KbArticleRow {
    pub id: i64,
    pub title: String,
    pub category: String,
    pub status: String,
    pub public: bool,
    pub owner: Option<UserId>,
    pub doc: String,
    pub version: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// One version of an article, as it was saved.
#[derive(Debug, Clone, PartialEq)]
pub struct KbVersionRow {
    pub article_id: i64,
    pub version: i64,
    pub title: String,
    pub category: String,
    pub status: String,
    pub public: bool,
    pub doc: String,
    pub by_user: Option<UserId>,
    pub at_ms: i64,
}

/// A contact an article solved.
#[derive(Debug, Clone, PartialEq)]
pub struct KbSolution<'a> {
    pub article_id: i64,
    pub call_id: Option<&'a str>,
    /// What was searched before.
    pub query: &'a str,
    /// The call's queue and the last IVR node it passed.
    pub queue: Option<&'a str>,
    pub ivr_node: Option<&'a str>,
    pub by: Option<UserId>,
}

/// A task for the experts as asked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewKbTask<'a> {
    /// `wrong` (an article flagged), `missing` (an article wanted), `question` (二线支持).
    pub kind: &'a str,
    pub article_id: Option<i64>,
    pub category: &'a str,
    pub text: &'a str,
    pub call_id: Option<&'a str>,
    /// The runtime's JSON of the call's context.
    pub context: &'a str,
    pub asked_by: Option<UserId>,
    /// The expert it is for; `None`: any expert.
    pub owner: Option<UserId>,
}

/// Where a task goes: answered (with the answer), or closed (naming the article made of
/// it, when there is one).
#[derive(Debug, Clone, PartialEq)]
pub struct KbTaskMove<'a> {
    pub status: &'a str,
    pub answer: Option<&'a str>,
    pub article_id: Option<i64>,
    pub by: UserId,
}

/// A task for the experts as its row keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct KbTaskRow {
    pub id: i64,
    pub kind: String,
    /// `open`, `answered`, `closed`.
    pub status: String,
    pub article_id: Option<i64>,
    pub category: String,
    pub text: String,
    pub call_id: Option<String>,
    pub context: String,
    pub asked_by: Option<UserId>,
    pub owner: Option<UserId>,
    pub answer: Option<String>,
    pub answered_by: Option<UserId>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

const TASK_COLUMNS: &str = "id, kind, status, article_id, category, text, call_id, context, \
                            asked_by, owner_id, answer, answered_by, created_at, updated_at";

fn task_from(row: &impl AnyRow) -> Result<KbTaskRow, StoreError> {
    Ok(KbTaskRow {
        id: row.int("id")?,
        kind: row.text("kind")?,
        status: row.text("status")?,
        article_id: row.opt_int("article_id")?,
        category: row.text("category")?,
        text: row.text("text")?,
        call_id: row.opt_text("call_id")?,
        context: row.text("context")?,
        asked_by: row.opt_int("asked_by")?.map(UserId),
        owner: row.opt_int("owner_id")?.map(UserId),
        answer: row.opt_text("answer")?,
        answered_by: row.opt_int("answered_by")?.map(UserId),
        created_ms: row.int("created_at")?,
        updated_ms: row.int("updated_at")?,
    })
}

const COLUMNS: &str =
    "id, title, category, status, public, owner_id, doc, version, created_at, updated_at";
const VERSION_COLUMNS: &str =
    "article_id, version, title, category, status, public, doc, by_user, at";

fn article_from(row: &impl AnyRow) -> Result<KbArticleRow, StoreError> {
    Ok(KbArticleRow {
        id: row.int("id")?,
        title: row.text("title")?,
        category: row.text("category")?,
        status: row.text("status")?,
        public: row.boolean("public")?,
        owner: row.opt_int("owner_id")?.map(UserId),
        doc: row.text("doc")?,
        version: row.int("version")?,
        created_ms: row.int("created_at")?,
        updated_ms: row.int("updated_at")?,
    })
}

fn version_from(row: &impl AnyRow) -> Result<KbVersionRow, StoreError> {
    Ok(KbVersionRow {
        article_id: row.int("article_id")?,
        version: row.int("version")?,
        title: row.text("title")?,
        category: row.text("category")?,
        status: row.text("status")?,
        public: row.boolean("public")?,
        doc: row.text("doc")?,
        by_user: row.opt_int("by_user")?.map(UserId),
        at_ms: row.int("at")?,
    })
}

impl TenantStore<'_> {
    /// Writes an article: a new one when `id` is `None` (version 1), else the next version
    /// of `id` if it is still at `expected` — in one transaction with its version row. The
    /// article's id and new version; [`StoreError::Stale`] when someone saved first,
    /// [`StoreError::NotFound`] when there is none such.
    pub async fn write_kb_article(
        &self,
        id: Option<i64>,
        expected: i64,
        f: &KbFields<'_>,
        by: Option<UserId>,
        now_ms: i64,
    ) -> Result<(i64, i64), StoreError> {
        let out = self
            .write_kb_articles(&[(id, expected, f.clone())], by, now_ms)
            .await?;
        Ok(out[0])
    }

    /// Writes articles as [`TenantStore::write_kb_article`] does, all in one transaction:
    /// all of them or, on any error, none. Each `(id, expected version, fields)`.
    pub async fn write_kb_articles(
        &self,
        items: &[(Option<i64>, i64, KbFields<'_>)],
        by: Option<UserId>,
        now_ms: i64,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let tenant = self.tenant.0;
        in_write_tx!(self.store, tx => {
            let mut out = Vec::with_capacity(items.len());
            for (id, expected, f) in items {
                let expected = *expected;
                let (id, version) = match *id {
                    None => {
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO kb_articles (tenant_id, title, category, status, \
                             public, owner_id, doc, version, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8) RETURNING id",
                        )
                        .bind(tenant)
                        .bind(f.title)
                        .bind(f.category)
                        .bind(f.status)
                        .bind(f.public)
                        .bind(f.owner.map(|u| u.0))
                        .bind(f.doc)
                        .bind(now_ms)
                        .fetch_one(&mut *tx)
                        .await?;
                        (id, 1)
                    }
                    Some(id) => {
                        let current: Option<i64> = sqlx::query_scalar(
                            "SELECT version FROM kb_articles WHERE tenant_id = $1 AND id = $2",
                        )
                        .bind(tenant)
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                        match current {
                            None => return Err(StoreError::NotFound { what: "article" }),
                            Some(v) if v != expected => {
                                return Err(StoreError::Stale { what: "article", current: v });
                            }
                            Some(_) => {}
                        }
                        sqlx::query(
                            "UPDATE kb_articles SET title = $3, category = $4, status = $5, \
                             public = $6, owner_id = $7, doc = $8, version = $9, \
                             updated_at = $10 WHERE tenant_id = $1 AND id = $2",
                        )
                        .bind(tenant)
                        .bind(id)
                        .bind(f.title)
                        .bind(f.category)
                        .bind(f.status)
                        .bind(f.public)
                        .bind(f.owner.map(|u| u.0))
                        .bind(f.doc)
                        .bind(expected + 1)
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await?;
                        (id, expected + 1)
                    }
                };
                sqlx::query(
                    "INSERT INTO kb_versions (tenant_id, article_id, version, title, category, \
                     status, public, doc, by_user, at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(tenant)
                .bind(id)
                .bind(version)
                .bind(f.title)
                .bind(f.category)
                .bind(f.status)
                .bind(f.public)
                .bind(f.doc)
                .bind(by.map(|u| u.0))
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
                out.push((id, version));
            }
            tx.commit().await?;
            Ok(out)
        })
    }

    pub async fn kb_article(&self, id: i64) -> Result<Option<KbArticleRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM kb_articles WHERE tenant_id = $1 AND id = $2");
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .as_ref()
            .map(article_from)
            .transpose())
    }

    /// Articles by id after `after_id` (a page at a time), only of `status` when given.
    pub async fn kb_articles(
        &self,
        status: Option<&str>,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<KbArticleRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM kb_articles WHERE tenant_id = $1 AND id > $2 \
             AND ($3 = '' OR status = $3) ORDER BY id LIMIT $4"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(after_id)
            .bind(status.unwrap_or_default())
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .iter()
            .map(article_from)
            .collect())
    }

    /// Published public articles whose document holds `needle` (a picture's path), by id.
    pub async fn kb_articles_naming(
        &self,
        needle: &str,
        limit: u32,
    ) -> Result<Vec<i64>, StoreError> {
        let sql = "SELECT id FROM kb_articles WHERE tenant_id = $1 AND status = 'published' \
                   AND public AND doc LIKE $2 ORDER BY id LIMIT $3";
        let pattern = format!("%{}%", needle.replace(['%', '_', '\\'], ""));
        on_db!(self.store, pool => {
            let rows = sqlx::query(sql)
                .bind(self.tenant.0)
                .bind(pattern)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(r.int("id")?)).collect()
        })
    }

    /// An article's versions, newest first.
    pub async fn kb_versions(&self, id: i64) -> Result<Vec<KbVersionRow>, StoreError> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM kb_versions WHERE tenant_id = $1 AND article_id = $2 \
             ORDER BY version DESC"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(version_from)
            .collect())
    }

    /// Records that an article solved a contact; `false` (nothing written) when the same
    /// person already marked it on the same call, [`StoreError::NotFound`] when there is no
    /// such article.
    pub async fn add_kb_solution(
        &self,
        s: &KbSolution<'_>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO kb_solutions \
                   (tenant_id, article_id, call_id, query, user_id, at, queue, ivr_node) \
                   SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE EXISTS \
                   (SELECT 1 FROM kb_articles WHERE tenant_id = $1 AND id = $2) \
                   AND NOT EXISTS (SELECT 1 FROM kb_solutions WHERE tenant_id = $1 \
                   AND call_id = $3 AND article_id = $2 AND user_id = $5)";
        let done = on_db!(self.store, pool => sqlx::query(sql)
            .bind(self.tenant.0)
            .bind(s.article_id)
            .bind(s.call_id)
            .bind(s.query)
            .bind(s.by.map(|u| u.0))
            .bind(now_ms)
            .bind(s.queue)
            .bind(s.ivr_node)
            .execute(pool)
            .await?
            .rows_affected());
        if done == 0 {
            if self.kb_article(s.article_id).await?.is_none() {
                return Err(StoreError::NotFound { what: "article" });
            }
            return Ok(false);
        }
        Ok(true)
    }

    /// The articles that most often solved calls of `queue` (and, when given, that left
    /// the IVR at `ivr_node`) since `since_ms`: (article, times), the most used first.
    pub async fn kb_solved_in(
        &self,
        queue: &str,
        ivr_node: Option<&str>,
        since_ms: i64,
        limit: u32,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let sql = "SELECT article_id, COUNT(*) AS n FROM kb_solutions WHERE tenant_id = $1 \
                   AND at >= $2 AND queue = $3 AND ($4 = '' OR ivr_node = $4) \
                   GROUP BY article_id ORDER BY n DESC, article_id LIMIT $5";
        on_db!(self.store, pool => {
            let rows = sqlx::query(sql)
                .bind(self.tenant.0)
                .bind(since_ms)
                .bind(queue)
                .bind(ivr_node.unwrap_or(""))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| Ok((r.int("article_id")?, r.int("n")?)))
                .collect()
        })
    }

    /// Writes a task for the experts; its id.
    pub async fn add_kb_task(&self, t: &NewKbTask<'_>, now_ms: i64) -> Result<i64, StoreError> {
        let sql = "INSERT INTO kb_tasks (tenant_id, kind, status, article_id, category, text, \
                   call_id, context, asked_by, owner_id, created_at, updated_at) \
                   VALUES ($1, $2, 'open', $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id";
        on_db!(self.store, pool => Ok(sqlx::query_scalar(sql)
            .bind(self.tenant.0)
            .bind(t.kind)
            .bind(t.article_id)
            .bind(t.category)
            .bind(t.text)
            .bind(t.call_id)
            .bind(t.context)
            .bind(t.asked_by.map(|u| u.0))
            .bind(t.owner.map(|u| u.0))
            .bind(now_ms)
            .fetch_one(pool)
            .await?))
    }

    pub async fn kb_task(&self, id: i64) -> Result<Option<KbTaskRow>, StoreError> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM kb_tasks WHERE tenant_id = $1 AND id = $2");
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .as_ref()
            .map(task_from)
            .transpose())
    }

    /// Tasks newest first (ids before `before`, when given), of `status` when given, and
    /// only those asked by `asked_by` when given.
    pub async fn kb_tasks(
        &self,
        status: Option<&str>,
        asked_by: Option<UserId>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<KbTaskRow>, StoreError> {
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM kb_tasks WHERE tenant_id = $1 \
             AND ($2 = '' OR status = $2) AND ($3 = 0 OR asked_by = $3) AND id < $4 \
             ORDER BY id DESC LIMIT $5"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(status.unwrap_or(""))
            .bind(asked_by.map_or(0, |u| u.0))
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .iter()
            .map(task_from)
            .collect())
    }

    /// Moves a task still in one of `from` (at most two statuses): `false` when it was not
    /// any more (someone else came first). The answer's author is whoever gave the answer.
    pub async fn update_kb_task(
        &self,
        id: i64,
        from: &[&str],
        m: &KbTaskMove<'_>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE kb_tasks SET status = $3, answer = COALESCE($4, answer), \
                   article_id = COALESCE($5, article_id), \
                   answered_by = CASE WHEN $4 IS NULL THEN answered_by ELSE $6 END, \
                   updated_at = $7 \
                   WHERE tenant_id = $1 AND id = $2 AND (status = $8 OR status = $9)";
        let done = on_db!(self.store, pool => sqlx::query(sql)
            .bind(self.tenant.0)
            .bind(id)
            .bind(m.status)
            .bind(m.answer)
            .bind(m.article_id)
            .bind(m.by.0)
            .bind(now_ms)
            .bind(from.first().copied().unwrap_or(""))
            .bind(from.get(1).copied().unwrap_or(""))
            .execute(pool)
            .await?
            .rows_affected());
        Ok(done == 1)
    }

    /// What was searched before articles solved contacts since `since_ms`, as (article,
    /// query, how many times), the most used first, of `article_id` only when given.
    pub async fn kb_solutions_since(
        &self,
        since_ms: i64,
        article_id: Option<i64>,
    ) -> Result<Vec<(i64, String, i64)>, StoreError> {
        let sql = "SELECT article_id, query, COUNT(*) AS n FROM kb_solutions \
                   WHERE tenant_id = $1 AND at >= $2 AND ($3 = 0 OR article_id = $3) \
                   GROUP BY article_id, query ORDER BY article_id, n DESC, query";
        on_db!(self.store, pool => {
            let rows = sqlx::query(sql)
                .bind(self.tenant.0)
                .bind(since_ms)
                .bind(article_id.unwrap_or(0))
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| Ok((r.int("article_id")?, r.text("query")?, r.int("n")?)))
                .collect()
        })
    }

    /// Counts a search that found nothing.
    pub async fn add_kb_miss(&self, query: &str, now_ms: i64) -> Result<(), StoreError> {
        let sql = "INSERT INTO kb_misses (tenant_id, query, count, first_at, last_at) \
                   VALUES ($1, $2, 1, $3, $3) ON CONFLICT (tenant_id, query) \
                   DO UPDATE SET count = kb_misses.count + 1, last_at = $3";
        on_db!(self.store, pool => {
            sqlx::query(sql)
                .bind(self.tenant.0)
                .bind(query)
                .bind(now_ms)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Searches that found nothing since `since_ms`, the most asked first: (text, count,
    /// last asked).
    pub async fn kb_misses(
        &self,
        since_ms: i64,
        limit: u32,
    ) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let sql = "SELECT query, count, last_at FROM kb_misses WHERE tenant_id = $1 \
                   AND last_at >= $2 ORDER BY count DESC, last_at DESC LIMIT $3";
        on_db!(self.store, pool => {
            let rows = sqlx::query(sql)
                .bind(self.tenant.0)
                .bind(since_ms)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| Ok((r.text("query")?, r.int("count")?, r.int("last_at")?)))
                .collect()
        })
    }
}
