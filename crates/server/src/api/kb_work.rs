//! The knowledge base beyond articles and search: import and export, its settings
//! (synonyms, category owners), suggestions for the call in progress, and the experts'
//! queue (二线支持) of flags and questions.

use app::config::{CategoryOwner, KnowledgeSettings};
use app::kb_bulk::{BulkFormat, ImportReport, RowError};
use app::kb_work::{CallContext, Suggestion, TaskInput, TaskView};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use kb::Status;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::perm::{Perm, allows};
use store::Role;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// Where the articles go: `draft` (the default), `review` or `published` (experts).
    pub status: Option<String>,
    /// `true` writes them if no row has an error; otherwise the rows are only checked.
    pub commit: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RowErrorBody {
    /// The row as the spreadsheet shows it (the header is row 1), or the JSON line.
    pub row: usize,
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportBody {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub errors: Vec<RowErrorBody>,
    pub committed: bool,
}

fn row_errors(errors: Vec<RowError>) -> Vec<RowErrorBody> {
    errors
        .into_iter()
        .map(|e| RowErrorBody {
            row: e.row,
            field: e.field,
            reason: e.reason,
        })
        .collect()
}

/// Imports articles from an XLSX, CSV or JSON lines file (the request's body): columns or
/// keys `id`, `title`, `body`, `category`, `tags`, `questions`, `products`, `segments`,
/// `valid_from`, `valid_to`, `public` (or their Chinese headers 编号, 标题, 正文, 分类, 标签…).
/// A row with an `id` is the next version of that article. Checked row by row; written all
/// or nothing (a commit with any error writes nothing and says which rows).
#[utoipa::path(post, path = "/api/kb/import", tag = "kb", params(ImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = ImportBody), (status = 400, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<ImportParams>,
    body: Bytes,
) -> ApiResult<Json<ImportBody>> {
    let tenant = caller.tenant()?;
    let status = match p.status.as_deref() {
        None | Some("") => Status::Draft,
        Some(s) => Status::parse(s)
            .ok_or_else(|| ApiError::invalid("status", "draft, review or published"))?,
    };
    let commit = p.commit.unwrap_or(false);
    let publisher = allows(caller.user.role, Perm::PublishKnowledge);
    let r: ImportReport = state
        .app()
        .import_articles(
            tenant,
            body.to_vec(),
            status,
            commit,
            caller.user.id,
            publisher,
        )
        .await?;
    if commit && !r.committed {
        let n = r.errors.len();
        return Err(ApiError::invalid(
            "file",
            format!("{n} errors in the rows; nothing was written"),
        )
        .with_details(json!({
            "field": "file",
            "reason": format!("{n} errors in the rows; nothing was written"),
            "errors": row_errors(r.errors.into_iter().take(500).collect()),
        })));
    }
    // Written: an audit row that fails is logged, never answered as a failed import (a
    // retry would write the new articles twice).
    if r.committed
        && let Err(e) = super::audit(
            &state,
            &caller,
            "kb.import",
            "articles",
            "*",
            json!({ "created": r.created, "updated": r.updated, "status": status.as_str() }),
        )
        .await
    {
        tracing::warn!(
            tenant = tenant.0,
            "an import's audit row was not written: {e:?}"
        );
    }
    Ok(Json(ImportBody {
        rows: r.rows,
        created: r.created,
        updated: r.updated,
        errors: row_errors(r.errors),
        committed: r.committed,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// `xlsx` (the default), `csv` or `jsonl`.
    pub format: Option<String>,
    /// Only articles of this status.
    pub status: Option<String>,
}

/// The articles as a file to edit and import again (or to take elsewhere). Audited.
#[utoipa::path(get, path = "/api/kb/export", tag = "kb", params(ExportParams),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 400, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> ApiResult<Response> {
    let tenant = caller.tenant()?;
    let format = match p.format.as_deref() {
        None | Some("") => BulkFormat::Xlsx,
        Some(f) => {
            BulkFormat::parse(f).ok_or_else(|| ApiError::invalid("format", "xlsx, csv or jsonl"))?
        }
    };
    let status =
        match p.status.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(Status::parse(s).ok_or_else(|| {
                ApiError::invalid("status", "draft, review, published or archived")
            })?),
        };
    let bytes = state.app().export_articles(tenant, status, format).await?;
    super::audit(
        &state,
        &caller,
        "kb.export",
        "articles",
        "*",
        json!({ "format": format.extension(), "bytes": bytes.len() }),
    )
    .await?;
    Ok((
        [
            (CONTENT_TYPE, format.content_type().to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"knowledge.{}\"", format.extension()),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The knowledge base's settings.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KbSettingsBody {
    /// Groups of words meaning the same (`[["水表", "表计", "计量表"]]`): a search for one
    /// finds the others. At most 2,000 groups of 2–20 words.
    #[serde(default)]
    pub synonyms: Vec<Vec<String>>,
    /// The expert who keeps each category (and those below it); flags and questions of
    /// the category go to them.
    #[serde(default)]
    pub owners: Vec<OwnerBody>,
    /// The center settings' version (set by the server; give it back when saving, 409 if
    /// someone saved since; leave it out before any settings were saved).
    #[serde(default)]
    pub version: Option<i64>,
}

/// The knowledge base's settings as read, with who may own a category.
#[derive(Debug, Serialize, ToSchema)]
pub struct KbSettingsView {
    pub synonyms: Vec<Vec<String>>,
    pub owners: Vec<OwnerBody>,
    pub version: Option<i64>,
    /// The tenant's experts, administrators and team leads (active ones).
    pub people: Vec<PersonBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonBody {
    pub user_id: i64,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerBody {
    pub category: String,
    pub user_id: i64,
}

async fn settings_view(
    state: &AppState,
    tenant: store::TenantId,
    k: KnowledgeSettings,
    version: Option<i64>,
) -> ApiResult<KbSettingsView> {
    let people = state
        .store()
        .scoped(tenant)
        .users()
        .await?
        .into_iter()
        .filter(|u| {
            u.active && matches!(u.role, Role::Expert | Role::TenantAdmin | Role::Supervisor)
        })
        .map(|u| PersonBody {
            user_id: u.id.0,
            name: u.display_name,
            role: u.role.as_str().into(),
        })
        .collect();
    let b = settings_body(k, version);
    Ok(KbSettingsView {
        synonyms: b.synonyms,
        owners: b.owners,
        version: b.version,
        people,
    })
}

fn settings_body(k: KnowledgeSettings, version: Option<i64>) -> KbSettingsBody {
    KbSettingsBody {
        synonyms: k.synonyms,
        owners: k
            .owners
            .into_iter()
            .map(|o| OwnerBody {
                category: o.category,
                user_id: o.user_id,
            })
            .collect(),
        version,
    }
}

#[utoipa::path(get, path = "/api/kb/settings", tag = "kb",
    responses((status = 200, body = KbSettingsView)))]
pub async fn get_settings(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<KbSettingsView>> {
    let tenant = caller.tenant()?;
    let (k, version) = state.app().kb_settings(tenant).await?;
    Ok(Json(settings_view(&state, tenant, k, version).await?))
}

/// Saves the synonyms and category owners (searches use the synonyms at once). Audited.
#[utoipa::path(put, path = "/api/kb/settings", tag = "kb", request_body = KbSettingsBody,
    responses((status = 200, body = KbSettingsView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(b): ApiJson<KbSettingsBody>,
) -> ApiResult<Json<KbSettingsView>> {
    let tenant = caller.tenant()?;
    let k = KnowledgeSettings {
        synonyms: b.synonyms,
        owners: b
            .owners
            .into_iter()
            .map(|o| CategoryOwner {
                category: o.category,
                user_id: o.user_id,
            })
            .collect(),
    };
    let (k, version) = state
        .app()
        .save_kb_settings(tenant, caller.user.id, k, b.version)
        .await?;
    Ok(Json(settings_view(&state, tenant, k, Some(version)).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SuggestParams {
    /// The call in progress.
    pub call_id: Option<String>,
    /// What the agent is writing (the order's title and description), at most 200
    /// characters taken.
    pub text: Option<String>,
    /// 1 to 10 (5 when left out).
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionBody {
    pub id: i64,
    pub title: String,
    pub snippet: String,
    /// `solved_like`: it solved calls of this queue and IVR path lately (`times`);
    /// `matches`: its words match the call's queue, the order being written, the
    /// customer's orders.
    pub why: String,
    pub times: i64,
}

/// Articles for the call in progress (published, holding today).
#[utoipa::path(get, path = "/api/kb/suggest", tag = "kb", params(SuggestParams),
    responses((status = 200, body = [SuggestionBody]), (status = 400, body = ErrorBody)))]
pub async fn suggest(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<SuggestParams>,
) -> ApiResult<Json<Vec<SuggestionBody>>> {
    let tenant = caller.tenant()?;
    let text: String = p.text.unwrap_or_default().chars().take(200).collect();
    let all: Vec<Suggestion> = state
        .app()
        .suggest_articles(
            tenant,
            caller.user.id,
            p.call_id.as_deref(),
            &text,
            p.limit.unwrap_or(5),
        )
        .await?;
    Ok(Json(
        all.into_iter()
            .map(|s| SuggestionBody {
                id: s.id,
                title: s.title,
                snippet: s.snippet,
                why: s.why.into(),
                times: s.times,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskInputDto {
    /// `wrong` (the article is wrong; `article_id` required), `missing` (no article
    /// answers this) or `question` (a question for the experts, 二线支持).
    pub kind: String,
    pub article_id: Option<i64>,
    /// Whose expert it goes to (the article's category when left out).
    #[serde(default)]
    pub category: String,
    /// What is wrong, or the question (up to 2,000 characters).
    pub text: String,
    /// The call it came up on: its caller, queue, IVR path and customer go with it.
    pub call_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CallContextBody {
    pub call_id: String,
    pub caller: Option<String>,
    pub dialled: Option<String>,
    pub queue: Option<String>,
    pub queue_name: Option<String>,
    pub ivr_path: Vec<String>,
    pub customer_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskBody {
    pub id: i64,
    pub kind: String,
    /// `open`, `answered`, `closed`.
    pub status: String,
    pub article_id: Option<i64>,
    pub category: String,
    pub text: String,
    pub context: Option<CallContextBody>,
    pub asked_by_id: Option<i64>,
    pub asked_by_name: Option<String>,
    /// The expert who owns the category; `null`: any expert.
    pub owner_id: Option<i64>,
    pub answer: Option<String>,
    pub answered_by_id: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// Tasks with the names of those who asked.
async fn task_bodies(
    state: &AppState,
    tenant: store::TenantId,
    all: Vec<TaskView>,
) -> ApiResult<Vec<TaskBody>> {
    let users = state.store().scoped(tenant).users().await?;
    Ok(all
        .into_iter()
        .map(|t| {
            let name = users
                .iter()
                .find(|u| Some(u.id.0) == t.asked_by)
                .map(|u| u.display_name.clone());
            TaskBody {
                asked_by_name: name,
                ..task_body(t)
            }
        })
        .collect())
}

fn task_body(t: TaskView) -> TaskBody {
    TaskBody {
        asked_by_name: None,
        id: t.id,
        kind: t.kind,
        status: t.status,
        article_id: t.article_id,
        category: t.category,
        text: t.text,
        context: t.context.map(|c: CallContext| CallContextBody {
            call_id: c.call_id,
            caller: c.caller,
            dialled: c.dialled,
            queue: c.queue,
            queue_name: c.queue_name,
            ivr_path: c.ivr_path,
            customer_id: c.customer_id,
        }),
        asked_by_id: t.asked_by,
        owner_id: t.owner,
        answer: t.answer,
        answered_by_id: t.answered_by,
        created_ms: t.created_ms,
        updated_ms: t.updated_ms,
    }
}

/// Flags an article or asks the experts: a task for the owner of the category, with the
/// call's context.
#[utoipa::path(post, path = "/api/kb/tasks", tag = "kb", request_body = TaskInputDto,
    responses((status = 201, body = TaskBody), (status = 400, body = ErrorBody)))]
pub async fn ask(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(d): ApiJson<TaskInputDto>,
) -> ApiResult<(StatusCode, Json<TaskBody>)> {
    let tenant = caller.tenant()?;
    let t = state
        .app()
        .ask_experts(
            tenant,
            caller.user.id,
            &TaskInput {
                kind: d.kind,
                article_id: d.article_id,
                category: d.category,
                text: d.text,
                call_id: d.call_id,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(task_body(t))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TaskParams {
    /// `open`, `answered` or `closed`.
    pub status: Option<String>,
    /// Tasks with ids before this one (the last of the page before).
    pub before: Option<i64>,
    /// 1 to 200 (50 when left out).
    pub limit: Option<u32>,
    /// Only those the caller asked.
    pub mine: Option<bool>,
}

/// The experts' queue, newest first. Those who do not answer tasks see the ones they asked.
#[utoipa::path(get, path = "/api/kb/tasks", tag = "kb", params(TaskParams),
    responses((status = 200, body = [TaskBody]), (status = 400, body = ErrorBody)))]
pub async fn tasks(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<TaskParams>,
) -> ApiResult<Json<Vec<TaskBody>>> {
    let tenant = caller.tenant()?;
    let editor = allows(caller.user.role, Perm::EditKnowledge);
    let asked_by = (!editor || p.mine == Some(true)).then_some(caller.user.id);
    let all = state
        .app()
        .kb_tasks(
            tenant,
            p.status.as_deref().filter(|s| !s.is_empty()),
            asked_by,
            p.before,
            p.limit.unwrap_or(50),
        )
        .await?;
    let mut out = task_bodies(&state, tenant, all).await?;
    // The caller's number is for whoever asked and the expert it is for (anyone, when it
    // is for no one in particular); other editors see it masked.
    for t in &mut out {
        let theirs = t.asked_by_id == Some(caller.user.id.0)
            || t.owner_id.is_none_or(|o| o == caller.user.id.0);
        if !theirs && let Some(c) = &mut t.context {
            c.caller = c.caller.as_deref().map(mask_number);
        }
    }
    Ok(Json(out))
}

/// `+8613800001111` → `+86138****1111`.
fn mask_number(n: &str) -> String {
    let chars: Vec<char> = n.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let (head, tail) = (chars.len() - 8, chars.len() - 4);
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i >= head && i < tail { '*' } else { *c })
        .collect()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// The answer for the agent (and, through them, the customer); up to 2,000 characters.
    pub answer: String,
}

/// Answers an open task; the agent who asked sees the answer.
#[utoipa::path(post, path = "/api/kb/tasks/{task_id}/answer", tag = "kb",
    params(("task_id" = i64, Path)), request_body = AnswerInput,
    responses((status = 200, body = TaskBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(a): ApiJson<AnswerInput>,
) -> ApiResult<Json<TaskBody>> {
    let tenant = caller.tenant()?;
    let t = state
        .app()
        .answer_kb_task(tenant, id, &a.answer, caller.user.id)
        .await?;
    Ok(Json(task_body(t)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    /// The article written from it, when there is one.
    #[serde(default)]
    pub article_id: Option<i64>,
}

/// Closes a task (done with, or turned into the article named).
#[utoipa::path(post, path = "/api/kb/tasks/{task_id}/close", tag = "kb",
    params(("task_id" = i64, Path)), request_body = CloseInput,
    responses((status = 200, body = TaskBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(c): ApiJson<CloseInput>,
) -> ApiResult<Json<TaskBody>> {
    let tenant = caller.tenant()?;
    let t = state
        .app()
        .close_kb_task(tenant, id, c.article_id, caller.user.id)
        .await?;
    Ok(Json(task_body(t)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImageParams {
    /// The file's name as the user has it (`总阀.jpg`): its extension must agree with its
    /// bytes.
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImageBody {
    /// The name the picture is kept under.
    pub name: String,
    /// What an article's body writes to show it: `![…](/api/kb/images/{name})`.
    pub path: String,
}

/// Keeps a picture (JPEG, PNG or WebP, at most 5 MB; the request's body) for articles.
#[utoipa::path(post, path = "/api/kb/images", tag = "kb", params(ImageParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = ImageBody), (status = 400, body = ErrorBody)))]
pub async fn add_image(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<ImageParams>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ImageBody>)> {
    let tenant = caller.tenant()?;
    let name = state.app().save_kb_image(tenant, &p.name, &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(ImageBody {
            path: format!("{}{name}", app::kb_files::IMAGE_PATH),
            name,
        }),
    ))
}

fn image_response(name: &str, bytes: Vec<u8>, public: bool) -> Response {
    (
        [
            (CONTENT_TYPE, app::kb_files::image_mime(name).to_string()),
            (
                axum::http::header::CACHE_CONTROL,
                if public {
                    "public, max-age=3600"
                } else {
                    "private, max-age=3600"
                }
                .into(),
            ),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_string(),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A picture of the tenant's articles.
#[utoipa::path(get, path = "/api/kb/images/{image_name}", tag = "kb",
    params(("image_name" = String, Path)),
    responses((status = 200, description = "The picture", content_type = "image/png"), (status = 404, body = ErrorBody)))]
pub async fn image(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Response> {
    let tenant = caller.tenant()?;
    let bytes = state.app().kb_image(tenant, &name).await?;
    Ok(image_response(&name, bytes, false))
}

/// Self-service (no login): a picture a published public article shows.
#[utoipa::path(get, path = "/api/public/{tenant_slug}/kb/images/{image_name}", tag = "kb",
    params(("tenant_slug" = String, Path), ("image_name" = String, Path)),
    responses((status = 200, description = "The picture", content_type = "image/png"), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn public_image(
    State(state): State<AppState>,
    req_parts: axum::http::Extensions,
    headers: axum::http::HeaderMap,
    axum::extract::Path((slug, name)): axum::extract::Path<(String, String)>,
) -> ApiResult<Response> {
    state.admit_public(crate::auth::client_ip(&req_parts, &headers))?;
    let tenant = super::kb::public_tenant(&state, &slug).await?;
    let bytes = state.app().public_kb_image(tenant, &name).await?;
    Ok(image_response(&name, bytes, true))
}
