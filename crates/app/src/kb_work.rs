//! The knowledge base in the work (issue 24): what a call in progress suggests, and second-line
//! support (二线支持) — an article flagged as wrong or found missing, or a question the agent
//! could not answer, goes with the call's context to the expert who owns its category; the
//! expert answers the agent and may turn the answer into an article.

use events::Event;
use kb::Status;
use serde::{Deserialize, Serialize};
use store::{KbTaskMove, KbTaskRow, NewKbTask, TenantId, UserId};

use crate::config::{Document, Queue, parse};
use crate::kb::{LEARN_MS, MAX_QUERY, SearchAsk};
use crate::{App, AppError, AppResult};

/// A task's text at most (a question, what is wrong, an answer).
pub const MAX_TEXT: usize = 2000;

/// What the log says of a call, as an expert or a suggestion needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallContext {
    pub call_id: String,
    pub caller: Option<String>,
    pub dialled: Option<String>,
    /// The queue's key, and its name as configured.
    pub queue: Option<String>,
    pub queue_name: Option<String>,
    /// The IVR nodes the caller went through.
    pub ivr_path: Vec<String>,
    pub customer_id: Option<i64>,
    /// The agents who took part (rung, answered, placed it): whose call it is.
    #[serde(skip)]
    pub agents: Vec<i64>,
}

/// A task for the experts as asked.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct TaskInput {
    /// `wrong` (an article flagged), `missing` (an article wanted), `question` (二线支持).
    pub kind: String,
    pub article_id: Option<i64>,
    #[serde(default)]
    pub category: String,
    pub text: String,
    pub call_id: Option<String>,
}

/// A task as read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskView {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub article_id: Option<i64>,
    pub category: String,
    pub text: String,
    pub context: Option<CallContext>,
    pub asked_by: Option<i64>,
    pub owner: Option<i64>,
    pub answer: Option<String>,
    pub answered_by: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

fn task_view(r: KbTaskRow) -> TaskView {
    TaskView {
        id: r.id,
        context: serde_json::from_str(&r.context).ok(),
        kind: r.kind,
        status: r.status,
        article_id: r.article_id,
        category: r.category,
        text: r.text,
        asked_by: r.asked_by.map(|u| u.0),
        owner: r.owner.map(|u| u.0),
        answer: r.answer,
        answered_by: r.answered_by.map(|u| u.0),
        created_ms: r.created_ms,
        updated_ms: r.updated_ms,
    }
}

/// An article suggested for a call, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub id: i64,
    pub title: String,
    pub snippet: String,
    /// `solved_like` (it solved calls of this queue and IVR path lately, `times` of them) or
    /// `matches` (its words match the queue, the order being written, the customer's orders).
    pub why: &'static str,
    pub times: i64,
}

/// Text typed into a task: trimmed, bounded, no control characters but line breaks.
fn text(field: &str, s: &str, max: usize) -> AppResult<String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    if s.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
    {
        return Err(AppError::invalid(
            field,
            "control characters are not allowed",
        ));
    }
    Ok(s.to_string())
}

impl App {
    /// The context of a call of the last day, from the log; `None` when it has none.
    pub async fn call_context(
        &self,
        tenant: TenantId,
        call_id: &str,
    ) -> AppResult<Option<CallContext>> {
        let trail = self.call_trail(tenant, call_id, self.now_ms()).await?;
        if trail.is_empty() {
            return Ok(None);
        }
        let mut c = CallContext {
            call_id: call_id.to_string(),
            ..CallContext::default()
        };
        for (_, e) in trail {
            match e {
                Event::CallRinging(r) => c.agents.push(r.user_id),
                Event::CallPlaced(p) => c.agents.push(p.user_id),
                Event::CallEnded(x) => c.agents.extend(x.agent_id),
                Event::CallArrived(a) => {
                    c.caller = Some(a.caller);
                    c.dialled = Some(a.dialled);
                }
                Event::IvrNode(n) if c.queue.is_none() => c.ivr_path.push(n.node),
                Event::CallQueued(q) => {
                    if c.ivr_path.is_empty() {
                        c.ivr_path = q.ivr_path;
                    }
                    c.customer_id = q.customer_id.or(c.customer_id);
                    c.queue = Some(q.queue);
                }
                _ => {}
            }
        }
        if let Some(key) = &c.queue
            && let Some(item) = self
                .store()
                .scoped(tenant)
                .config_item(Queue::KIND, key)
                .await?
        {
            c.queue_name = parse::<Queue>(&item).ok().map(|q| q.name);
        }
        Ok(Some(c))
    }

    /// The context of a call `user` took part in; `None` for anyone else's (or none such).
    pub async fn own_call_context(
        &self,
        tenant: TenantId,
        call_id: &str,
        user: UserId,
    ) -> AppResult<Option<CallContext>> {
        Ok(self
            .call_context(tenant, call_id)
            .await?
            .filter(|c| c.agents.contains(&user.0)))
    }

    /// A call's id as given, checked.
    fn call_id(call_id: Option<&str>) -> AppResult<Option<String>> {
        match call_id.map(str::trim).filter(|c| !c.is_empty()) {
            None => Ok(None),
            Some(c) if c.len() > 100 || c.chars().any(char::is_control) => {
                Err(AppError::invalid("call_id", "not a call's id"))
            }
            Some(c) => Ok(Some(c.to_string())),
        }
    }

    /// Articles for the call in progress: those that solved calls of its queue and IVR path
    /// lately (ranking from use), then those whose words match its queue, the order being
    /// written (`text`) and the customer's recent orders — published and holding today.
    pub async fn suggest_articles(
        &self,
        tenant: TenantId,
        user: UserId,
        call_id: Option<&str>,
        text: &str,
        limit: usize,
    ) -> AppResult<Vec<Suggestion>> {
        let limit = limit.clamp(1, 10);
        let ctx = match Self::call_id(call_id)? {
            Some(id) => self.own_call_context(tenant, &id, user).await?,
            None => None,
        };
        let scoped = self.store().scoped(tenant);
        let mut out: Vec<Suggestion> = Vec::new();
        if let Some(queue) = ctx.as_ref().and_then(|c| c.queue.as_deref()) {
            let node = ctx
                .as_ref()
                .and_then(|c| c.ivr_path.last().map(String::as_str));
            let since = self.now_ms() - LEARN_MS;
            let mut solved = scoped.kb_solved_in(queue, node, since, 10).await?;
            if solved.is_empty() && node.is_some() {
                solved = scoped.kb_solved_in(queue, None, since, 10).await?;
            }
            for (id, times) in solved {
                // Only what an agent may use now: published and holding today.
                if let Ok(a) = self.current_article(tenant, id).await {
                    out.push(Suggestion {
                        id,
                        title: a.title,
                        snippet: String::new(),
                        why: "solved_like",
                        times,
                    });
                }
                if out.len() >= limit.div_ceil(2) {
                    break;
                }
            }
        }
        // The words the call brings.
        let mut words: Vec<String> = Vec::new();
        let typed = text.trim();
        if !typed.is_empty() {
            words.push(typed.to_string());
        }
        if let Some(name) = ctx.as_ref().and_then(|c| c.queue_name.clone()) {
            words.push(name);
        }
        if let Some(customer) = ctx.as_ref().and_then(|c| c.customer_id) {
            let orders = scoped
                .orders(&store::OrderQuery {
                    customer: Some(store::CustomerId(customer)),
                    limit: 3,
                    ..store::OrderQuery::default()
                })
                .await?;
            words.extend(orders.into_iter().map(|o| o.title));
        }
        let q: String = words.join(" ").chars().take(MAX_QUERY).collect();
        if !q.trim().is_empty() && out.len() < limit {
            let hits = self
                .search_articles(
                    tenant,
                    &SearchAsk {
                        q,
                        limit,
                        status: Some(Status::Published),
                        current_only: true,
                        // Not typed by a person: finding nothing is no gap in the knowledge.
                        quiet: true,
                        ..SearchAsk::default()
                    },
                )
                .await?;
            for h in hits {
                let id = h.id as i64;
                if out.len() >= limit {
                    break;
                }
                if let Some(s) = out.iter_mut().find(|s| s.id == id) {
                    s.snippet = h.snippet;
                    continue;
                }
                out.push(Suggestion {
                    id,
                    title: h.title,
                    snippet: h.snippet,
                    why: "matches",
                    times: 0,
                });
            }
        }
        Ok(out)
    }

    /// Asks the experts: the task goes to the owner of its category (of the article's, for
    /// a flagged article), with the call's context.
    pub async fn ask_experts(
        &self,
        tenant: TenantId,
        by: UserId,
        t: &TaskInput,
    ) -> AppResult<TaskView> {
        let kind = match t.kind.as_str() {
            k @ ("wrong" | "missing" | "question") => k,
            _ => return Err(AppError::invalid("kind", "wrong, missing or question")),
        };
        let body = text("text", &t.text, MAX_TEXT)?;
        let mut category = t.category.trim().to_string();
        if category.chars().count() > 200 || category.chars().any(char::is_control) {
            return Err(AppError::invalid("category", "at most 200 characters"));
        }
        let article_id = match (kind, t.article_id) {
            ("wrong", None) => return Err(AppError::invalid("article_id", "the article flagged")),
            (_, Some(id)) => {
                let a = self
                    .article(tenant, id)
                    .await
                    .map_err(|_| AppError::invalid("article_id", "no such article"))?;
                if category.is_empty() {
                    category = a.category;
                }
                Some(id)
            }
            (_, None) => None,
        };
        let call_id = Self::call_id(t.call_id.as_deref())?;
        let context =
            match &call_id {
                Some(id) => Some(self.own_call_context(tenant, id, by).await?.ok_or_else(
                    || AppError::invalid("call_id", "no call of yours by this id in the last day"),
                )?),
                None => None,
            };
        // The owner while they can answer; anyone's when they left.
        let owner = match self.kb_settings(tenant).await?.0.owner_of(&category) {
            Some(o) => self
                .store()
                .user(Some(tenant), UserId(o))
                .await?
                .filter(|u| u.active)
                .map(|u| u.id),
            None => None,
        };
        let context =
            serde_json::to_string(&context).map_err(|e| AppError::Internal(e.to_string()))?;
        let scoped = self.store().scoped(tenant);
        let id = scoped
            .add_kb_task(
                &NewKbTask {
                    kind,
                    article_id,
                    category: &category,
                    text: &body,
                    call_id: call_id.as_deref(),
                    context: &context,
                    asked_by: Some(by),
                    owner,
                },
                self.now_ms(),
            )
            .await?;
        self.kb_task(tenant, id).await
    }

    pub async fn kb_task(&self, tenant: TenantId, id: i64) -> AppResult<TaskView> {
        self.store()
            .scoped(tenant)
            .kb_task(id)
            .await?
            .map(task_view)
            .ok_or(AppError::NotFound("task"))
    }

    /// Tasks newest first, a page at a time (ids before `before`), of `status` when given,
    /// only those `asked_by` asked when given.
    pub async fn kb_tasks(
        &self,
        tenant: TenantId,
        status: Option<&str>,
        asked_by: Option<UserId>,
        before: Option<i64>,
        limit: u32,
    ) -> AppResult<Vec<TaskView>> {
        if let Some(s) = status
            && !matches!(s, "open" | "answered" | "closed")
        {
            return Err(AppError::invalid("status", "open, answered or closed"));
        }
        Ok(self
            .store()
            .scoped(tenant)
            .kb_tasks(status, asked_by, before, limit.clamp(1, 200))
            .await?
            .into_iter()
            .map(task_view)
            .collect())
    }

    /// An expert's answer to an open task (the agent sees it on their desktop).
    pub async fn answer_kb_task(
        &self,
        tenant: TenantId,
        id: i64,
        answer: &str,
        by: UserId,
    ) -> AppResult<TaskView> {
        let answer = text("answer", answer, MAX_TEXT)?;
        let done = self
            .store()
            .scoped(tenant)
            .update_kb_task(
                id,
                &["open"],
                &KbTaskMove {
                    status: "answered",
                    answer: Some(&answer),
                    article_id: None,
                    by,
                },
                self.now_ms(),
            )
            .await?;
        self.task_moved(tenant, id, done, "answered already or closed")
            .await
    }

    /// Closes a task, naming the article written from it when there is one.
    pub async fn close_kb_task(
        &self,
        tenant: TenantId,
        id: i64,
        article_id: Option<i64>,
        by: UserId,
    ) -> AppResult<TaskView> {
        if let Some(a) = article_id {
            self.article(tenant, a)
                .await
                .map_err(|_| AppError::invalid("article_id", "no such article"))?;
        }
        let done = self
            .store()
            .scoped(tenant)
            .update_kb_task(
                id,
                &["open", "answered"],
                &KbTaskMove {
                    status: "closed",
                    answer: None,
                    article_id,
                    by,
                },
                self.now_ms(),
            )
            .await?;
        self.task_moved(tenant, id, done, "closed already").await
    }

    async fn task_moved(
        &self,
        tenant: TenantId,
        id: i64,
        done: bool,
        why: &str,
    ) -> AppResult<TaskView> {
        let task = self.kb_task(tenant, id).await?;
        if !done {
            return Err(AppError::InvalidState(format!("task {id}: {why}")));
        }
        Ok(task)
    }
}
