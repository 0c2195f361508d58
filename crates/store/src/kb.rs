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
        let tenant = self.tenant.0;
        in_write_tx!(self.store, tx => {
            let (id, version) = match id {
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO kb_articles (tenant_id, title, category, status, public, \
                         owner_id, doc, version, created_at, updated_at) \
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
                         public = $6, owner_id = $7, doc = $8, version = $9, updated_at = $10 \
                         WHERE tenant_id = $1 AND id = $2",
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
                 status, public, doc, by_user, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
            tx.commit().await?;
            Ok((id, version))
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

    /// Records that `article_id` solved a contact after searching `query`.
    pub async fn add_kb_solution(
        &self,
        article_id: i64,
        call_id: Option<&str>,
        query: &str,
        by: Option<UserId>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO kb_solutions (tenant_id, article_id, call_id, query, user_id, at) \
                   SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS \
                   (SELECT 1 FROM kb_articles WHERE tenant_id = $1 AND id = $2)";
        let done = on_db!(self.store, pool => sqlx::query(sql)
            .bind(self.tenant.0)
            .bind(article_id)
            .bind(call_id)
            .bind(query)
            .bind(by.map(|u| u.0))
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound { what: "article" });
        }
        Ok(())
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
