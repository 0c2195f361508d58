//! The knowledge base (知识库, issue 24): articles written by experts and the front line's
//! leads, reviewed and published, each change a version; and their search.
//!
//! The store keeps the articles; each tenant's index is made from them on first use (after
//! a restart too) and changed with every save under the tenant's lock, so a search sees a
//! publish as soon as the save returns. Articles are indexed whatever their status (editors
//! search drafts too); the front line's searches ask for published ones only.

use std::collections::HashMap;
use std::sync::Arc;

use kb::{Article, Hit, KbIndex, Search, Status, Weights};
use serde::{Deserialize, Serialize};
use store::{KbArticleRow, KbFields, KbSolution, KbVersionRow, TenantId, UserId};

use crate::config::{CenterSettings, Document, KnowledgeSettings, parse};
use crate::{App, AppError, AppResult};

/// Each tenant's index, made on first use (under its lock, which saves take too).
pub(crate) type Indexes =
    std::sync::Mutex<HashMap<TenantId, Arc<tokio::sync::Mutex<Option<Arc<KbIndex>>>>>>;

/// Bounds on what an article holds, checked before anything is written.
pub const MAX_TITLE: usize = 200;
pub const MAX_BODY: usize = 100_000;
pub const MAX_LIST: usize = 50;
pub const MAX_ITEM: usize = 200;
pub const MAX_QUERY: usize = 200;

/// How long what agents searched before an article solved a contact stays one of its
/// learned questions: ranking learns from use and forgets what is no longer asked.
pub const LEARN_MS: i64 = 90 * 86_400_000;

/// Learned questions an article keeps at most (the most used).
pub const LEARNED: usize = 20;

/// What an article says besides its columns (the store's `doc`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ArticleDoc {
    pub body: String,
    pub tags: Vec<String>,
    /// Questions it answers, as callers and agents word them.
    pub questions: Vec<String>,
    pub products: Vec<String>,
    pub segments: Vec<String>,
    /// The first and last days it holds (`2026-12-01`): a tariff's article expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
}

/// An article as written by a person: new, or the next version of one.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ArticleInput {
    pub title: String,
    pub category: String,
    #[serde(default)]
    pub public: bool,
    #[serde(flatten)]
    pub doc: ArticleDoc,
}

/// An article as read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleView {
    pub id: i64,
    pub version: i64,
    pub title: String,
    pub category: String,
    pub status: String,
    pub public: bool,
    pub owner: Option<i64>,
    #[serde(flatten)]
    pub doc: ArticleDoc,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// One version of an article.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionView {
    pub version: i64,
    pub title: String,
    pub category: String,
    pub status: String,
    pub public: bool,
    #[serde(flatten)]
    pub doc: ArticleDoc,
    pub by_user: Option<i64>,
    pub at_ms: i64,
}

/// A search as asked.
#[derive(Debug, Clone, Default)]
pub struct SearchAsk {
    pub q: String,
    pub limit: usize,
    pub category: Option<String>,
    pub product: Option<String>,
    pub segment: Option<String>,
    /// Only for those who edit; the front line always searches published articles.
    pub status: Option<Status>,
    /// Only what the public may see (the FAQ page, the IVR, SMS).
    pub public_only: bool,
    /// Only articles holding today in the tenant's zone (the front line and the public
    /// never get an expired tariff).
    pub current_only: bool,
    /// Finding nothing is not counted for the experts (not typed by the front line).
    pub quiet: bool,
}

fn doc_of(raw: &str) -> ArticleDoc {
    // A document this version cannot read is shown empty rather than failing the list.
    serde_json::from_str(raw).unwrap_or_default()
}

pub(crate) fn view(r: KbArticleRow) -> ArticleView {
    ArticleView {
        id: r.id,
        version: r.version,
        doc: doc_of(&r.doc),
        title: r.title,
        category: r.category,
        status: r.status,
        public: r.public,
        owner: r.owner.map(|u| u.0),
        created_ms: r.created_ms,
        updated_ms: r.updated_ms,
    }
}

/// A day as the index keeps it: `2026-12-01` → `20261201`.
fn day_number(d: jiff::civil::Date) -> u32 {
    // Years are 4 digits, so the number fits (and orders like the date).
    (i32::from(d.year()) * 10_000 + i32::from(d.month()) * 100 + i32::from(d.day())) as u32
}

fn day_of(d: Option<&str>) -> Option<u32> {
    d.and_then(|d| d.parse::<jiff::civil::Date>().ok())
        .map(day_number)
}

/// Whether an article holds on `day` (its validity dates).
fn holds(a: &ArticleView, day: u32) -> bool {
    day_of(a.doc.valid_from.as_deref()).is_none_or(|f| f <= day)
        && day_of(a.doc.valid_to.as_deref()).is_none_or(|t| t >= day)
}

/// An article as indexed: its written questions, and those learnt from use.
fn indexed(r: &KbArticleRow, learned: &[String]) -> Article {
    let d = doc_of(&r.doc);
    let (valid_from, valid_to) = (
        day_of(d.valid_from.as_deref()),
        day_of(d.valid_to.as_deref()),
    );
    let mut questions = d.questions;
    questions.extend(learned.iter().cloned());
    Article {
        id: r.id as u64,
        title: r.title.clone(),
        body: crate::kb_files::plain_text(&d.body),
        category: r.category.clone(),
        tags: d.tags,
        questions,
        products: d.products,
        segments: d.segments,
        status: r.status.clone(),
        public: r.public,
        valid_from,
        valid_to,
    }
}

/// A query as typed, with control characters as spaces and the ends trimmed.
fn plain(q: &str) -> String {
    q.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Text a person typed: no control characters but line breaks and tabs where allowed.
fn clean(field: &str, s: &str, max: usize, lines: bool) -> AppResult<String> {
    let s = s.trim();
    if s.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    if s.chars()
        .any(|c| c.is_control() && !(lines && matches!(c, '\n' | '\t' | '\r')))
    {
        return Err(AppError::invalid(
            field,
            "control characters are not allowed",
        ));
    }
    Ok(s.to_string())
}

fn clean_list(field: &str, items: &[String]) -> AppResult<Vec<String>> {
    if items.len() > MAX_LIST {
        return Err(AppError::invalid(
            field,
            format!("at most {MAX_LIST} items"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for (i, s) in items.iter().enumerate() {
        let s = clean(&format!("{field}[{i}]"), s, MAX_ITEM, false)?;
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// An article's input checked: each field named when wrong, nothing written.
pub fn checked(a: &ArticleInput) -> AppResult<ArticleInput> {
    let title = clean("title", &a.title, MAX_TITLE, false)?;
    if title.is_empty() {
        return Err(AppError::invalid("title", "required"));
    }
    let parts: Vec<String> = a
        .category
        .split('/')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    let category = clean("category", &parts.join("/"), MAX_ITEM, false)?;
    if category.is_empty() {
        return Err(AppError::invalid("category", "required, as 大类/小类"));
    }
    let body = clean("body", &a.doc.body, MAX_BODY, true)?;
    let date = |field: &str, d: &Option<String>| -> AppResult<Option<String>> {
        match d.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => Ok(None),
            Some(d) => d
                .parse::<jiff::civil::Date>()
                .map(|x| Some(x.to_string()))
                .map_err(|_| AppError::invalid(field, "a date as 2026-12-01")),
        }
    };
    let valid_from = date("valid_from", &a.doc.valid_from)?;
    let valid_to = date("valid_to", &a.doc.valid_to)?;
    if let (Some(f), Some(t)) = (&valid_from, &valid_to)
        && t < f
    {
        return Err(AppError::invalid("valid_to", "on or after valid_from"));
    }
    Ok(ArticleInput {
        title,
        category,
        public: a.public,
        doc: ArticleDoc {
            body,
            tags: clean_list("tags", &a.doc.tags)?,
            questions: clean_list("questions", &a.doc.questions)?,
            products: clean_list("products", &a.doc.products)?,
            segments: clean_list("segments", &a.doc.segments)?,
            valid_from,
            valid_to,
        },
    })
}

impl App {
    pub(crate) fn kb_slot(
        &self,
        tenant: TenantId,
    ) -> Arc<tokio::sync::Mutex<Option<Arc<KbIndex>>>> {
        self.0
            .kb
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(tenant)
            .or_default()
            .clone()
    }

    /// What was searched before each article solved contacts lately, the most used first.
    async fn learned(
        &self,
        tenant: TenantId,
        article: Option<i64>,
    ) -> AppResult<HashMap<i64, Vec<String>>> {
        let rows = self
            .store()
            .scoped(tenant)
            .kb_solutions_since(self.now_ms() - LEARN_MS, article)
            .await?;
        let mut out: HashMap<i64, Vec<String>> = HashMap::new();
        for (id, q, _) in rows {
            let qs = out.entry(id).or_default();
            if qs.len() < LEARNED {
                qs.push(q);
            }
        }
        Ok(out)
    }

    /// The tenant's index, made from the store if this is its first use.
    pub(crate) async fn kb_index_locked(
        &self,
        tenant: TenantId,
        slot: &mut Option<Arc<KbIndex>>,
    ) -> AppResult<Arc<KbIndex>> {
        if let Some(index) = slot {
            return Ok(index.clone());
        }
        let scoped = self.store().scoped(tenant);
        let learned = self.learned(tenant, None).await?;
        let mut articles = Vec::new();
        let mut after = 0;
        loop {
            let page = scoped.kb_articles(None, after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            articles.extend(
                page.iter()
                    .filter(|r| r.status != Status::Archived.as_str())
                    .map(|r| indexed(r, learned.get(&r.id).map_or(&[], Vec::as_slice))),
            );
        }
        let index = tokio::task::spawn_blocking(move || -> Result<KbIndex, kb::KbError> {
            let index = KbIndex::new(Weights::default())?;
            index.write(&articles, &[])?;
            Ok(index)
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
        index.set_synonyms(&self.kb_settings(tenant).await?.0.synonyms);
        let index = Arc::new(index);
        *slot = Some(index.clone());
        Ok(index)
    }

    /// The knowledge base's settings (none until saved) and the version of the settings
    /// document they are in (`None` before any settings were saved).
    pub async fn kb_settings(
        &self,
        tenant: TenantId,
    ) -> AppResult<(KnowledgeSettings, Option<i64>)> {
        let item = self
            .store()
            .scoped(tenant)
            .config_item(CenterSettings::KIND, "center")
            .await?;
        Ok(match item {
            Some(item) => (
                parse::<CenterSettings>(&item)?
                    .knowledge
                    .unwrap_or_default(),
                Some(item.version),
            ),
            None => (KnowledgeSettings::default(), None),
        })
    }

    /// Saves the knowledge base's settings into the center's settings (at the `version`
    /// read; `None` when none were saved yet); owners must be users of the tenant. Searches
    /// use the synonyms when this returns.
    pub async fn save_kb_settings(
        &self,
        tenant: TenantId,
        by: UserId,
        k: KnowledgeSettings,
        version: Option<i64>,
    ) -> AppResult<(KnowledgeSettings, i64)> {
        k.check()?;
        let users = self.store().scoped(tenant).users().await?;
        for (i, o) in k.owners.iter().enumerate() {
            let keeper = |u: &&store::User| {
                u.id.0 == o.user_id
                    && u.active
                    && matches!(
                        u.role,
                        store::Role::Expert | store::Role::Supervisor | store::Role::TenantAdmin
                    )
            };
            if !users.iter().any(|u| keeper(&u)) {
                return Err(AppError::invalid(
                    format!("knowledge.owners[{i}].user_id"),
                    "an active expert, team lead or administrator here",
                ));
            }
        }
        let item = self
            .store()
            .scoped(tenant)
            .config_item(CenterSettings::KIND, "center")
            .await?;
        let mut doc = match &item {
            Some(item) => parse::<CenterSettings>(item)?,
            None => CenterSettings::defaults(),
        };
        doc.knowledge = Some(k);
        let saved = self
            .put_config(tenant, Some(by), "center", doc, version)
            .await?;
        let (k, _) = self.kb_settings(tenant).await?;
        Ok((k, saved.version))
    }

    /// Settings saved: a loaded index takes the synonyms at once.
    pub(crate) async fn kb_settings_changed(&self, tenant: TenantId) -> AppResult<()> {
        let slot = self.kb_slot(tenant);
        let slot = slot.lock().await;
        if let Some(index) = slot.as_ref() {
            index.set_synonyms(&self.kb_settings(tenant).await?.0.synonyms);
        }
        Ok(())
    }

    /// Writes an article (a new one when `id` is `None`) at `status`, if the writer may move
    /// it there, and puts it in the search index before returning.
    pub async fn save_article(
        &self,
        tenant: TenantId,
        id: Option<(i64, i64)>,
        input: &ArticleInput,
        status: Status,
        by: UserId,
        publisher: bool,
    ) -> AppResult<ArticleView> {
        let a = checked(input)?;
        // Owned: once the article is written, its index update finishes under the lock even
        // if the caller goes away (a closed tab must not leave the index behind the store).
        let mut slot = self.kb_slot(tenant).lock_owned().await;
        let index = self.kb_index_locked(tenant, &mut slot).await?;
        let scoped = self.store().scoped(tenant);
        let (owner, from) = match id {
            None => (Some(by), Status::Draft),
            Some((id, _)) => {
                let now = scoped
                    .kb_article(id)
                    .await?
                    .ok_or(AppError::NotFound("article"))?;
                (
                    now.owner,
                    Status::parse(&now.status).unwrap_or(Status::Draft),
                )
            }
        };
        if !from.may_move(status, publisher) {
            return Err(AppError::invalid(
                "status",
                format!(
                    "an article {} cannot become {}{}",
                    from.as_str(),
                    status.as_str(),
                    if publisher {
                        ""
                    } else {
                        " by you: an expert publishes"
                    }
                ),
            ));
        }
        let doc = serde_json::to_string(&a.doc).map_err(|e| AppError::Internal(e.to_string()))?;
        let (id, expected) = match id {
            Some((id, v)) => (Some(id), v),
            None => (None, 0),
        };
        let (id, _) = scoped
            .write_kb_article(
                id,
                expected,
                &KbFields {
                    title: &a.title,
                    category: &a.category,
                    status: status.as_str(),
                    public: a.public,
                    owner,
                    doc: &doc,
                },
                Some(by),
                self.now_ms(),
            )
            .await?;
        match self.reindex_owned(tenant, slot, index, id).await? {
            Ok(row) => Ok(view(row)),
            // The save stands: it is answered as saved.
            Err(_) => self.article(tenant, id).await,
        }
    }

    /// Puts an article in the index as the store has it now (out, when archived).
    async fn reindex(
        &self,
        tenant: TenantId,
        index: &Arc<KbIndex>,
        id: i64,
    ) -> AppResult<KbArticleRow> {
        let row = self
            .store()
            .scoped(tenant)
            .kb_article(id)
            .await?
            .ok_or(AppError::NotFound("article"))?;
        let (put, remove) = if row.status == Status::Archived.as_str() {
            (Vec::new(), vec![id as u64])
        } else {
            let learned = self.learned(tenant, Some(id)).await?;
            let learned = learned.get(&id).map_or(&[][..], Vec::as_slice);
            (vec![indexed(&row, learned)], Vec::new())
        };
        let idx = index.clone();
        tokio::task::spawn_blocking(move || idx.write(&put, &remove))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(row)
    }

    /// "This solved it": the published article `id` answered a contact (the call, when
    /// there was one) after `query` was searched; the query becomes one of its learned
    /// questions at once, and the call's queue and IVR path are kept to suggest it for
    /// calls like it. One mark per person, article and call: `false` when it was marked
    /// already (nothing changes).
    pub async fn mark_solved(
        &self,
        tenant: TenantId,
        id: i64,
        call_id: Option<&str>,
        query: &str,
        by: UserId,
    ) -> AppResult<bool> {
        let query = clean("query", &plain(query), MAX_QUERY, false)?;
        let call_id = match call_id.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(clean("call_id", c, 100, false)?),
            None => None,
        };
        let mut slot = self.kb_slot(tenant).lock_owned().await;
        let index = self.kb_index_locked(tenant, &mut slot).await?;
        let scoped = self.store().scoped(tenant);
        let now = scoped
            .kb_article(id)
            .await?
            .ok_or(AppError::NotFound("article"))?;
        if now.status != Status::Published.as_str() {
            return Err(AppError::NotFound("article"));
        }
        // Only a call the agent took part in says where the article helped.
        let ctx = match &call_id {
            Some(c) => self.own_call_context(tenant, c, by).await?,
            None => None,
        };
        let added = scoped
            .add_kb_solution(
                &KbSolution {
                    article_id: id,
                    call_id: call_id.as_deref(),
                    query: &query,
                    queue: ctx.as_ref().and_then(|c| c.queue.as_deref()),
                    ivr_node: ctx
                        .as_ref()
                        .and_then(|c| c.ivr_path.last().map(String::as_str)),
                    by: Some(by),
                },
                self.now_ms(),
            )
            .await?;
        if added {
            self.record(
                tenant,
                events::KbSolved::id(id, by.0, call_id.as_deref(), self.now_ms()),
                &events::KbSolved {
                    article_id: id,
                    user_id: by.0,
                    call_id: call_id.clone(),
                    queue: ctx.as_ref().and_then(|c| c.queue.clone()),
                },
            )
            .await;
        }
        if added && !query.is_empty() {
            // Saved: a failed index update heals on next use.
            let _ = self.reindex_owned(tenant, slot, index, id).await?;
        }
        Ok(added)
    }

    /// [`App::reindex`] in a task of its own holding the tenant's lock, so it finishes even
    /// if the caller goes away once the store is written. When it fails, the index is made
    /// again from the store on next use; the failure is returned for the caller to weigh.
    async fn reindex_owned(
        &self,
        tenant: TenantId,
        mut slot: tokio::sync::OwnedMutexGuard<Option<Arc<KbIndex>>>,
        index: Arc<KbIndex>,
        id: i64,
    ) -> AppResult<AppResult<KbArticleRow>> {
        let app = self.clone();
        tokio::spawn(async move {
            let row = app.reindex(tenant, &index, id).await;
            if let Err(e) = &row {
                tracing::warn!(
                    tenant = tenant.0,
                    article = id,
                    "an article saved was not indexed: {e}"
                );
                *slot = None;
            }
            row
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Searches that found nothing in the last `days`, the most asked first: (text, times,
    /// last asked).
    pub async fn kb_misses(
        &self,
        tenant: TenantId,
        days: u32,
    ) -> AppResult<Vec<(String, i64, i64)>> {
        let since = self.now_ms() - i64::from(days.clamp(1, 366)) * 86_400_000;
        Ok(self.store().scoped(tenant).kb_misses(since, 200).await?)
    }

    /// Today in the tenant's zone, as the index keeps days.
    async fn kb_today(&self, tenant: TenantId) -> AppResult<u32> {
        let zone = self.tenant_zone(tenant).await?;
        let now = jiff::Timestamp::from_millisecond(self.now_ms())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(day_number(now.to_zoned(zone).date()))
    }

    /// An article the front line may use: published and holding today.
    pub async fn current_article(&self, tenant: TenantId, id: i64) -> AppResult<ArticleView> {
        let a = self.article(tenant, id).await?;
        let today = self.kb_today(tenant).await?;
        if a.status != Status::Published.as_str() || !holds(&a, today) {
            return Err(AppError::NotFound("article"));
        }
        Ok(a)
    }

    /// An article the public may read: published, public and holding today.
    pub async fn public_article(&self, tenant: TenantId, id: i64) -> AppResult<ArticleView> {
        let a = self.current_article(tenant, id).await?;
        if !a.public {
            return Err(AppError::NotFound("article"));
        }
        Ok(a)
    }

    pub async fn article(&self, tenant: TenantId, id: i64) -> AppResult<ArticleView> {
        self.store()
            .scoped(tenant)
            .kb_article(id)
            .await?
            .map(view)
            .ok_or(AppError::NotFound("article"))
    }

    /// Articles a page at a time (by id after `after`), of `status` when given, only those
    /// holding today when `current_only` (a page may then be shorter than `limit`).
    pub async fn articles(
        &self,
        tenant: TenantId,
        status: Option<Status>,
        after: i64,
        limit: u32,
        current_only: bool,
    ) -> AppResult<Vec<ArticleView>> {
        let today = if current_only {
            Some(self.kb_today(tenant).await?)
        } else {
            None
        };
        Ok(self
            .store()
            .scoped(tenant)
            .kb_articles(status.map(Status::as_str), after, limit.clamp(1, 500))
            .await?
            .into_iter()
            .map(view)
            .filter(|a| today.is_none_or(|d| holds(a, d)))
            .collect())
    }

    pub async fn article_versions(&self, tenant: TenantId, id: i64) -> AppResult<Vec<VersionView>> {
        let rows: Vec<KbVersionRow> = self.store().scoped(tenant).kb_versions(id).await?;
        if rows.is_empty() {
            return Err(AppError::NotFound("article"));
        }
        Ok(rows
            .into_iter()
            .map(|r| VersionView {
                version: r.version,
                doc: doc_of(&r.doc),
                title: r.title,
                category: r.category,
                status: r.status,
                public: r.public,
                by_user: r.by_user.map(|u| u.0),
                at_ms: r.at_ms,
            })
            .collect())
    }

    /// The articles that best answer `ask.q`, best first. A search that finds nothing is
    /// counted for the experts.
    pub async fn search_articles(&self, tenant: TenantId, ask: &SearchAsk) -> AppResult<Vec<Hit>> {
        let q = plain(&ask.q);
        if q.chars().count() > MAX_QUERY {
            return Err(AppError::invalid(
                "q",
                format!("at most {MAX_QUERY} characters"),
            ));
        }
        if ask.limit == 0 || ask.limit > 50 {
            return Err(AppError::invalid("limit", "from 1 to 50"));
        }
        let status = ask.status;
        let index = {
            let slot = self.kb_slot(tenant);
            let mut slot = slot.lock().await;
            self.kb_index_locked(tenant, &mut slot).await?
        };
        let on_day = if ask.current_only {
            Some(self.kb_today(tenant).await?)
        } else {
            None
        };
        let ask2 = ask.clone();
        let text = q.clone();
        // Off the runtime's threads: a search is CPU work (milliseconds).
        let hits = tokio::task::spawn_blocking(move || {
            index.search(&Search {
                text: &text,
                limit: ask2.limit,
                category: ask2.category.as_deref(),
                product: ask2.product.as_deref(),
                segment: ask2.segment.as_deref(),
                status: status.map(Status::as_str),
                public_only: ask2.public_only,
                on_day,
            })
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
        if hits.is_empty() && !q.is_empty() && !ask.public_only && !ask.quiet {
            // Best effort: a search is answered even if its miss cannot be counted.
            if let Err(e) = self
                .store()
                .scoped(tenant)
                .add_kb_miss(&q, self.now_ms())
                .await
            {
                tracing::warn!(
                    tenant = tenant.0,
                    "a search that found nothing was not counted: {e}"
                );
            }
        }
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_article_is_checked_field_by_field() {
        let ok = ArticleInput {
            title: " 水表计量异常的处理 ".into(),
            category: " 水表 / 计量 /".into(),
            doc: ArticleDoc {
                body: "先关闭用水点。\n再看水表。".into(),
                tags: vec!["水表".into(), "水表".into(), " ".into()],
                valid_from: Some("2026-12-01".into()),
                ..ArticleDoc::default()
            },
            ..ArticleInput::default()
        };
        let c = checked(&ok).unwrap();
        assert_eq!(
            (c.title.as_str(), c.category.as_str()),
            ("水表计量异常的处理", "水表/计量")
        );
        assert_eq!(c.doc.tags, ["水表"]);
        let field = |a: ArticleInput| match checked(&a) {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(ArticleInput {
                title: "".into(),
                ..ok.clone()
            }),
            "title"
        );
        assert_eq!(
            field(ArticleInput {
                title: "a\0b".into(),
                ..ok.clone()
            }),
            "title"
        );
        assert_eq!(
            field(ArticleInput {
                title: "长".repeat(201),
                ..ok.clone()
            }),
            "title"
        );
        assert_eq!(
            field(ArticleInput {
                category: "/ /".into(),
                ..ok.clone()
            }),
            "category"
        );
        let mut bad = ok.clone();
        bad.doc.tags = vec!["x".into(); 51];
        assert_eq!(field(bad), "tags");
        let mut bad = ok.clone();
        bad.doc.questions = vec!["ok".into(), "a\u{7}".into()];
        assert_eq!(field(bad), "questions[1]");
        let mut bad = ok.clone();
        bad.doc.valid_to = Some("2026-11-30".into());
        assert_eq!(field(bad), "valid_to");
        let mut bad = ok.clone();
        bad.doc.valid_from = Some("明天".into());
        assert_eq!(field(bad), "valid_from");
        let mut bad = ok;
        bad.doc.body = "字".repeat(MAX_BODY + 1);
        assert_eq!(field(bad), "body");
    }
}
