//! The knowledge base (知识库): articles written, reviewed and published, their versions,
//! and search. Everyone of a tenant but dealers searches (the front line only published
//! articles); supervisors and experts write; experts and administrators publish.

use app::kb::{ArticleDoc, ArticleInput, ArticleView, SearchAsk, VersionView};
use axum::extract::State;
use axum::http::StatusCode;
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

/// An article as written: new, or the next version of one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleInputDto {
    /// Up to 200 characters.
    pub title: String,
    /// Its place in the category tree: `水表/计量`.
    pub category: String,
    /// The text (line breaks kept), up to 100,000 characters.
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Questions it answers, as callers word them (searched with a boost).
    #[serde(default)]
    pub questions: Vec<String>,
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default)]
    pub segments: Vec<String>,
    /// `2026-12-01`: the first and last days it holds.
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
    /// Whether the public (the FAQ page, the IVR, SMS) may see it once published.
    #[serde(default)]
    pub public: bool,
    /// `draft` (the default), `review`, `published` or `archived`: where it goes.
    #[serde(default)]
    pub status: Option<String>,
    /// The version this change was made on (required to change an article): a change on an
    /// older one is refused (409).
    #[serde(default)]
    pub version: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleBody {
    pub id: i64,
    pub version: i64,
    pub title: String,
    pub category: String,
    /// `draft`, `review`, `published` or `archived`.
    pub status: String,
    pub public: bool,
    pub owner_id: Option<i64>,
    pub body: String,
    pub tags: Vec<String>,
    pub questions: Vec<String>,
    pub products: Vec<String>,
    pub segments: Vec<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionBody {
    pub version: i64,
    pub title: String,
    pub category: String,
    pub status: String,
    pub public: bool,
    pub body: String,
    pub tags: Vec<String>,
    pub questions: Vec<String>,
    pub by_user_id: Option<i64>,
    pub at_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    pub id: i64,
    pub score: f32,
    pub title: String,
    /// The best part of the text, HTML-escaped, what matched in `<b>`.
    pub snippet: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// What to look for: Chinese, English or both; `"…"` or `「…」` for a phrase as written.
    pub q: String,
    /// 1 to 50 (10 when left out).
    pub limit: Option<usize>,
    /// Within this category or below it (`水表` or `水表/计量`).
    pub category: Option<String>,
    pub product: Option<String>,
    pub segment: Option<String>,
    /// For those who write articles: `draft`, `review`, `published` or `archived`. Others
    /// always search published articles.
    pub status: Option<String>,
    /// For those who write articles: only articles holding today (the default for others,
    /// who never see an expired or not yet valid article).
    pub current: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only articles of this status.
    pub status: Option<String>,
    /// Articles with ids after this one (the last of the page before).
    pub after: Option<i64>,
    /// 1 to 500 (100 when left out).
    pub limit: Option<u32>,
}

fn status_of(field: &str, s: Option<&str>) -> ApiResult<Option<Status>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Status::parse(s)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(field, "draft, review, published or archived")),
    }
}

fn body(a: ArticleView) -> ArticleBody {
    ArticleBody {
        id: a.id,
        version: a.version,
        title: a.title,
        category: a.category,
        status: a.status,
        public: a.public,
        owner_id: a.owner,
        body: a.doc.body,
        tags: a.doc.tags,
        questions: a.doc.questions,
        products: a.doc.products,
        segments: a.doc.segments,
        valid_from: a.doc.valid_from,
        valid_to: a.doc.valid_to,
        created_ms: a.created_ms,
        updated_ms: a.updated_ms,
    }
}

fn version_body(v: VersionView) -> VersionBody {
    VersionBody {
        version: v.version,
        title: v.title,
        category: v.category,
        status: v.status,
        public: v.public,
        body: v.doc.body,
        tags: v.doc.tags,
        questions: v.doc.questions,
        by_user_id: v.by_user,
        at_ms: v.at_ms,
    }
}

fn input(d: &ArticleInputDto) -> ArticleInput {
    ArticleInput {
        title: d.title.clone(),
        category: d.category.clone(),
        public: d.public,
        doc: ArticleDoc {
            body: d.body.clone(),
            tags: d.tags.clone(),
            questions: d.questions.clone(),
            products: d.products.clone(),
            segments: d.segments.clone(),
            valid_from: d.valid_from.clone(),
            valid_to: d.valid_to.clone(),
        },
    }
}

/// Whether the caller may publish (and archive) articles.
fn publisher(caller: &Caller) -> bool {
    allows(caller.user.role, Perm::PublishKnowledge)
}

/// Searches the knowledge base: ranked articles with their scores and snippets.
#[utoipa::path(get, path = "/api/kb/search", tag = "kb", params(SearchParams),
    responses((status = 200, body = [SearchHit]), (status = 400, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<Vec<SearchHit>>> {
    let tenant = caller.tenant()?;
    let writer = allows(caller.user.role, Perm::EditKnowledge);
    let status = status_of("status", p.status.as_deref())?;
    let (status, current_only) = if writer {
        (status, p.current.unwrap_or(false))
    } else {
        // The front line sees what is published and holds today, whatever it asks.
        (Some(Status::Published), true)
    };
    let hits = state
        .app()
        .search_articles(
            tenant,
            &SearchAsk {
                q: p.q,
                limit: p.limit.unwrap_or(10),
                category: p.category,
                product: p.product,
                segment: p.segment,
                status,
                public_only: false,
                current_only,
                quiet: false,
            },
        )
        .await?;
    Ok(Json(
        hits.into_iter()
            .map(|h| SearchHit {
                id: h.id as i64,
                score: h.score,
                title: h.title,
                snippet: h.snippet,
            })
            .collect(),
    ))
}

/// Articles a page at a time, by id.
#[utoipa::path(get, path = "/api/kb/articles", tag = "kb", params(ListParams),
    responses((status = 200, body = [ArticleBody]), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Vec<ArticleBody>>> {
    let tenant = caller.tenant()?;
    let mut status = status_of("status", p.status.as_deref())?;
    let editor = allows(caller.user.role, Perm::EditKnowledge);
    if !editor {
        // The front line: what is published and holds today.
        status = Some(Status::Published);
    }
    let all = state
        .app()
        .articles(
            tenant,
            status,
            p.after.unwrap_or(0),
            p.limit.unwrap_or(100),
            !editor,
        )
        .await?;
    Ok(Json(all.into_iter().map(body).collect()))
}

/// One article (the front line: published ones only).
#[utoipa::path(get, path = "/api/kb/articles/{article_id}", tag = "kb",
    params(("article_id" = i64, Path)),
    responses((status = 200, body = ArticleBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ArticleBody>> {
    let tenant = caller.tenant()?;
    let a = if allows(caller.user.role, Perm::EditKnowledge) {
        state.app().article(tenant, id).await?
    } else {
        // The front line: published and holding today.
        state.app().current_article(tenant, id).await?
    };
    Ok(Json(body(a)))
}

/// Writes a new article (a draft unless a publisher says otherwise).
#[utoipa::path(post, path = "/api/kb/articles", tag = "kb", request_body = ArticleInputDto,
    responses((status = 201, body = ArticleBody), (status = 400, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(d): ApiJson<ArticleInputDto>,
) -> ApiResult<(StatusCode, Json<ArticleBody>)> {
    let tenant = caller.tenant()?;
    let status = status_of("status", d.status.as_deref())?.unwrap_or(Status::Draft);
    let a = state
        .app()
        .save_article(
            tenant,
            None,
            &input(&d),
            status,
            caller.user.id,
            publisher(&caller),
        )
        .await?;
    super::audit(
        &state,
        &caller,
        "kb.save",
        "article",
        a.id,
        json!({ "version": a.version, "status": a.status, "title": a.title }),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(body(a))))
}

/// Saves the next version of an article, moving it to `status` when given (review,
/// published, archived) if the caller may.
#[utoipa::path(put, path = "/api/kb/articles/{article_id}", tag = "kb",
    params(("article_id" = i64, Path)),
    request_body = ArticleInputDto,
    responses((status = 200, body = ArticleBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(d): ApiJson<ArticleInputDto>,
) -> ApiResult<Json<ArticleBody>> {
    let tenant = caller.tenant()?;
    let version = d.version.ok_or_else(|| {
        ApiError::invalid("version", "required: the version this change was made on")
    })?;
    let now = state.app().article(tenant, id).await?;
    let status = match status_of("status", d.status.as_deref())? {
        Some(s) => s,
        None => Status::parse(&now.status).unwrap_or(Status::Draft),
    };
    let a = state
        .app()
        .save_article(
            tenant,
            Some((id, version)),
            &input(&d),
            status,
            caller.user.id,
            publisher(&caller),
        )
        .await?;
    super::audit(
        &state,
        &caller,
        "kb.save",
        "article",
        a.id,
        json!({ "version": a.version, "status": a.status, "from": now.status }),
    )
    .await?;
    Ok(Json(body(a)))
}

/// An article's versions, newest first (to compare any two).
#[utoipa::path(get, path = "/api/kb/articles/{article_id}/versions", tag = "kb",
    params(("article_id" = i64, Path)),
    responses((status = 200, body = [VersionBody]), (status = 404, body = ErrorBody)))]
pub async fn versions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<VersionBody>>> {
    let tenant = caller.tenant()?;
    let all = state.app().article_versions(tenant, id).await?;
    Ok(Json(all.into_iter().map(version_body).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SolvedInput {
    /// What was searched before this article was found (it becomes a learned question).
    #[serde(default)]
    pub query: String,
    /// The call it solved, when there was one.
    #[serde(default)]
    pub call_id: Option<String>,
}

/// "This solved it": the article answered a contact. What was searched becomes one of its
/// learned questions, so it rises for questions like it.
#[utoipa::path(post, path = "/api/kb/articles/{article_id}/solved", tag = "kb",
    params(("article_id" = i64, Path)),
    request_body = SolvedInput,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn solved(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<SolvedInput>,
) -> ApiResult<StatusCode> {
    let tenant = caller.tenant()?;
    state
        .app()
        .mark_solved(
            tenant,
            id,
            input.call_id.as_deref(),
            &input.query,
            caller.user.id,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MissBody {
    pub query: String,
    /// Times it was searched and found nothing.
    pub count: i64,
    pub last_ms: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MissParams {
    /// The last this many days (30 when left out; at most 366).
    pub days: Option<u32>,
}

/// Searches that found nothing, the most asked first: what the experts should write.
#[utoipa::path(get, path = "/api/kb/misses", tag = "kb", params(MissParams),
    responses((status = 200, body = [MissBody])))]
pub async fn misses(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<MissParams>,
) -> ApiResult<Json<Vec<MissBody>>> {
    let tenant = caller.tenant()?;
    let all = state.app().kb_misses(tenant, p.days.unwrap_or(30)).await?;
    Ok(Json(
        all.into_iter()
            .map(|(query, count, last_ms)| MissBody {
                query,
                count,
                last_ms,
            })
            .collect(),
    ))
}

/// A published public article's answer, as the FAQ page, the IVR and SMS take it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicHit {
    pub id: i64,
    pub title: String,
    /// What matched, HTML-escaped, in `<b>`.
    pub snippet: String,
    /// The answer's first sentences, plain text, at most 120 characters (for SMS and the
    /// IVR's text to speech).
    pub short: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicArticle {
    pub id: i64,
    pub title: String,
    pub category: String,
    pub body: String,
    pub updated_ms: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PublicSearchParams {
    /// What to look for (at most 200 characters); left out with a category, that
    /// category's articles (an IVR menu's answers, an SMS keyword's).
    #[serde(default)]
    pub q: String,
    /// 1 to 20 (5 when left out).
    pub limit: Option<usize>,
    /// Within this category or below it.
    pub category: Option<String>,
}

/// The tenant the public asks of, unless there is none such or it is suspended (one answer
/// for both).
pub(crate) async fn public_tenant(state: &AppState, slug: &str) -> ApiResult<store::TenantId> {
    let none = || ApiError::from(app::AppError::NotFound("tenant"));
    if slug.len() > 64 {
        return Err(none());
    }
    Ok(state
        .store()
        .tenant_by_slug(slug)
        .await?
        .filter(|t| t.suspended_at_ms.is_none())
        .ok_or_else(none)?
        .id)
}

/// An answer's first sentences, at most `max` characters, on one line.
fn short(body: &str, max: usize) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::new();
    for s in flat.split_inclusive(['。', '！', '？', '；', '.', '!', '?']) {
        if out.chars().count() + s.chars().count() > max {
            break;
        }
        out.push_str(s);
    }
    if out.is_empty() {
        out = flat.chars().take(max.saturating_sub(1)).collect();
        if flat.chars().count() >= max {
            out.push('…');
        }
    }
    out
}

/// Self-service (no login): the tenant's published public articles that best answer `q`,
/// each with a short answer for SMS and the IVR. The FAQ page searches here.
#[utoipa::path(get, path = "/api/public/{tenant_slug}/kb/search", tag = "kb",
    params(("tenant_slug" = String, Path), PublicSearchParams),
    responses((status = 200, body = [PublicHit]), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn public_search(
    State(state): State<AppState>,
    req_parts: axum::http::Extensions,
    headers: axum::http::HeaderMap,
    axum::extract::Path(slug): axum::extract::Path<String>,
    ApiQuery(p): ApiQuery<PublicSearchParams>,
) -> ApiResult<Json<Vec<PublicHit>>> {
    state.admit_public(crate::auth::client_ip(&req_parts, &headers))?;
    let tenant = public_tenant(&state, &slug).await?;
    let limit = p.limit.unwrap_or(5);
    if !(1..=20).contains(&limit) {
        return Err(ApiError::invalid("limit", "from 1 to 20"));
    }
    let hits = state
        .app()
        .search_articles(
            tenant,
            &SearchAsk {
                q: p.q,
                limit,
                category: p.category,
                status: Some(Status::Published),
                public_only: true,
                current_only: true,
                ..SearchAsk::default()
            },
        )
        .await?;
    let mut out = Vec::with_capacity(hits.len());
    for h in hits {
        // The store has the last word: what is no longer published and public is left out.
        let Ok(a) = state.app().public_article(tenant, h.id as i64).await else {
            continue;
        };
        out.push(PublicHit {
            id: h.id as i64,
            title: h.title,
            snippet: h.snippet,
            short: short(&app::kb_files::plain_text(&a.doc.body), 120),
        });
    }
    Ok(Json(out))
}

/// Self-service (no login): one published public article.
#[utoipa::path(get, path = "/api/public/{tenant_slug}/kb/articles/{article_id}", tag = "kb",
    params(("tenant_slug" = String, Path), ("article_id" = i64, Path)),
    responses((status = 200, body = PublicArticle), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn public_article(
    State(state): State<AppState>,
    req_parts: axum::http::Extensions,
    headers: axum::http::HeaderMap,
    axum::extract::Path((slug, id)): axum::extract::Path<(String, i64)>,
) -> ApiResult<Json<PublicArticle>> {
    state.admit_public(crate::auth::client_ip(&req_parts, &headers))?;
    let tenant = public_tenant(&state, &slug).await?;
    let a = state.app().public_article(tenant, id).await?;
    Ok(Json(PublicArticle {
        id: a.id,
        title: a.title,
        category: a.category,
        body: a.doc.body,
        updated_ms: a.updated_ms,
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_short_answer_is_whole_sentences() {
        assert_eq!(
            super::short("先关阀门。再看水表。然后报修。", 10),
            "先关阀门。再看水表。"
        );
        assert_eq!(super::short("一句很长很长的话没有句号", 6), "一句很长很…");
        assert_eq!(super::short("短", 6), "短");
        assert_eq!(super::short("  第一行\n第二行。", 20), "第一行 第二行。");
    }
}
