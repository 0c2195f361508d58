//! Articles in and out in bulk (issue 24): import from XLSX, CSV or JSON lines
//! (`{"id", "title", "body", "category", "tags", …}`), every row checked and its errors
//! named by row and field, written all or nothing in one transaction; export the same.
//!
//! A row with an `id` is the next version of that article of this knowledge base (an
//! export edited and brought back); without one it is a new article. Imported articles
//! go to the status the importer chooses, if they may move every row there.

use std::collections::HashMap;
use std::sync::Arc;

use kb::Status;
use serde::Serialize;
use serde_json::{Map, Value, json};
use sheets::{Format, Table};
use store::{KbFields, TenantId, UserId};

use crate::kb::{ArticleDoc, ArticleInput, ArticleView, checked};
use crate::{App, AppError, AppResult};

/// Articles one import brings at most.
pub const MAX_ROWS: usize = 20_000;

/// A file's formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkFormat {
    Xlsx,
    Csv,
    Jsonl,
}

impl BulkFormat {
    pub fn parse(s: &str) -> Option<BulkFormat> {
        match s {
            "xlsx" => Some(BulkFormat::Xlsx),
            "csv" => Some(BulkFormat::Csv),
            "jsonl" => Some(BulkFormat::Jsonl),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            BulkFormat::Xlsx => Format::Xlsx.content_type(),
            BulkFormat::Csv => Format::Csv.content_type(),
            BulkFormat::Jsonl => "application/jsonl; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            BulkFormat::Xlsx => "xlsx",
            BulkFormat::Csv => "csv",
            BulkFormat::Jsonl => "jsonl",
        }
    }

    /// XLSX is a ZIP archive, JSON lines start with `{`; anything else is taken for CSV.
    fn sniff(bytes: &[u8]) -> BulkFormat {
        let start = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        match start.iter().find(|b| !b.is_ascii_whitespace()) {
            _ if bytes.starts_with(b"PK\x03\x04") => BulkFormat::Xlsx,
            Some(b'{') => BulkFormat::Jsonl,
            _ => BulkFormat::Csv,
        }
    }
}

/// The columns, by their names in files (the JSON keys), and the headers people write.
const COLUMNS: [(&str, &[&str]); 13] = [
    ("id", &["编号", "文章编号"]),
    ("version", &["版本"]),
    ("title", &["标题"]),
    ("body", &["正文", "内容", "答案"]),
    ("category", &["分类", "类别"]),
    ("tags", &["标签"]),
    ("questions", &["问题", "相似问题", "相似问"]),
    ("products", &["产品"]),
    ("segments", &["客户类型", "适用客户"]),
    ("valid_from", &["生效日期"]),
    ("valid_to", &["失效日期"]),
    ("public", &["公开"]),
    ("status", &["状态"]),
];

/// The columns that are an article's content (what a row with an `id` changes).
const CONTENT: [&str; 10] = [
    "title",
    "body",
    "category",
    "tags",
    "questions",
    "products",
    "segments",
    "valid_from",
    "valid_to",
    "public",
];

/// What is wrong with one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The row in the file: a sheet's row number as the spreadsheet shows it (the header
    /// is row 1), a JSON line's line number.
    pub row: usize,
    pub field: String,
    pub reason: String,
}

/// What an import found, and what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub rows: usize,
    /// New articles and new versions of existing ones (written, or that would be).
    pub created: usize,
    pub updated: usize,
    pub errors: Vec<RowError>,
    /// Whether it was written: only when asked and no row has an error.
    pub committed: bool,
}

/// A row read: where it is, the article and version it changes (if any), its status when
/// it names one, what it says, and which of the content's columns it has.
#[derive(Debug, Default)]
struct Row {
    row: usize,
    id: Option<i64>,
    version: Option<i64>,
    status: Option<Status>,
    input: ArticleInput,
    present: Vec<&'static str>,
}

fn column(header: &str) -> Option<&'static str> {
    let h = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    COLUMNS
        .iter()
        .find(|(name, aliases)| *name == h || aliases.contains(&h.as_str()))
        .map(|(name, _)| *name)
}

fn names() -> String {
    COLUMNS.map(|(n, _)| n).join(", ")
}

/// A cell of several items: one per line when it has line breaks (as exported), else
/// split at `;`, `；`, `、`, `|`, `,` or `，` (as people type them).
fn items(cell: &str) -> Vec<String> {
    let parts: Vec<&str> = if cell.contains('\n') {
        cell.split('\n').collect()
    } else {
        cell.split([';', '；', '、', '|', ',', '，']).collect()
    };
    parts
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn yes_no(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "" | "0" | "false" | "no" | "n" | "否" | "内部" | "不公开" => Some(false),
        "1" | "true" | "yes" | "y" | "是" | "公开" => Some(true),
        _ => None,
    }
}

fn number(s: &str, what: &'static str) -> Result<Option<i64>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<i64>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(what.into()),
    }
}

/// Sets `field` of the row from a cell's text.
fn set(r: &mut Row, field: &'static str, cell: &str) -> Result<(), String> {
    let d = &mut r.input.doc;
    match field {
        "id" => {
            r.id = number(
                cell,
                "an article's number from an export, or empty for a new article",
            )?;
        }
        "version" => r.version = number(cell, "the version from the export")?,
        "status" => {
            r.status = match cell.trim() {
                "" => None,
                s => Some(
                    Status::parse(s)
                        .or(match s {
                            "草稿" => Some(Status::Draft),
                            "待审核" => Some(Status::Review),
                            "已发布" => Some(Status::Published),
                            "已归档" => Some(Status::Archived),
                            _ => None,
                        })
                        .ok_or("draft, review, published or archived")?,
                ),
            };
        }
        "title" => r.input.title = cell.to_string(),
        "category" => r.input.category = cell.to_string(),
        "body" => d.body = cell.to_string(),
        "tags" => d.tags = items(cell),
        "questions" => d.questions = items(cell),
        "products" => d.products = items(cell),
        "segments" => d.segments = items(cell),
        "valid_from" => d.valid_from = Some(cell.to_string()),
        "valid_to" => d.valid_to = Some(cell.to_string()),
        "public" => {
            r.input.public = yes_no(cell).ok_or("是 or 否 (yes or no)")?;
        }
        _ => {}
    }
    if CONTENT.contains(&field) && !r.present.contains(&field) {
        r.present.push(field);
    }
    Ok(())
}

/// A spreadsheet's rows, numbered as the sheet shows them.
fn from_table(
    t: &Table,
    numbers: &[usize],
    rows: &mut Vec<Row>,
    errors: &mut Vec<RowError>,
) -> AppResult<()> {
    let mut fields = Vec::with_capacity(t.headers.len());
    for h in &t.headers {
        if h.trim().is_empty() {
            fields.push(None);
            continue;
        }
        let Some(f) = column(h) else {
            return Err(AppError::invalid(
                "file",
                format!("the column `{h}` is not one of {}", names()),
            ));
        };
        if fields.contains(&Some(f)) {
            return Err(AppError::invalid(
                "file",
                format!("the column `{f}` is there twice"),
            ));
        }
        fields.push(Some(f));
    }
    if !fields.contains(&Some("id")) {
        for needed in ["title", "category"] {
            if !fields.contains(&Some(needed)) {
                return Err(AppError::invalid(
                    "file",
                    format!("a column `{needed}` is needed"),
                ));
            }
        }
    }
    for (i, cells) in t.rows.iter().enumerate() {
        let row = numbers.get(i).copied().unwrap_or(i + 2);
        let mut r = Row {
            row,
            ..Row::default()
        };
        let mut ok = true;
        for (f, cell) in fields.iter().zip(cells) {
            let Some(f) = *f else { continue };
            if let Err(reason) = set(&mut r, f, cell) {
                errors.push(RowError {
                    row,
                    field: f.into(),
                    reason,
                });
                ok = false;
            }
        }
        if ok {
            rows.push(r);
        }
    }
    Ok(())
}

/// JSON lines' rows: each line an object of the columns' names.
fn from_lines(text: &str, rows: &mut Vec<Row>, errors: &mut Vec<RowError>) {
    for (i, line) in text.lines().enumerate() {
        let row = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut fail = |field: &str, reason: String| {
            errors.push(RowError {
                row,
                field: field.into(),
                reason,
            });
        };
        let obj: Map<String, Value> = match serde_json::from_str(line) {
            Ok(Value::Object(o)) => o,
            Ok(_) => {
                fail("line", "a JSON object {\"title\": …} on each line".into());
                continue;
            }
            Err(e) => {
                fail("line", format!("not JSON: {e}"));
                continue;
            }
        };
        let mut r = Row {
            row,
            ..Row::default()
        };
        let mut ok = true;
        let mut seen: Vec<&'static str> = Vec::new();
        for (k, v) in &obj {
            let Some(f) = column(k) else {
                fail(k, format!("not one of {}", names()));
                ok = false;
                continue;
            };
            if seen.contains(&f) {
                fail(k, format!("`{f}` is on this line twice"));
                ok = false;
                continue;
            }
            seen.push(f);
            let outcome: Result<(), String> = match (f, v) {
                (_, Value::Null) => Ok(()),
                ("id" | "version", Value::Number(n)) => set(&mut r, f, &n.to_string()),
                ("public", Value::Bool(b)) => set(&mut r, f, if *b { "true" } else { "false" }),
                ("tags" | "questions" | "products" | "segments", Value::Array(a)) => {
                    match a.iter().map(Value::as_str).collect::<Option<Vec<&str>>>() {
                        Some(list) => set(&mut r, f, &list.join("\n")),
                        None => Err("a list of texts".into()),
                    }
                }
                (_, Value::String(s)) => set(&mut r, f, s),
                _ => Err("a text".into()),
            };
            if let Err(reason) = outcome {
                fail(f, reason);
                ok = false;
            }
        }
        if ok && r.id.is_none() {
            for needed in ["title", "category"] {
                if !r.present.contains(&needed) {
                    fail(needed, "required".into());
                    ok = false;
                }
            }
        }
        if ok {
            rows.push(r);
        }
    }
}

/// The rows of a file, each either read or named with what is wrong; the file itself
/// refused (too many rows, an unknown column) with `file` named.
fn read(bytes: &[u8]) -> AppResult<(Vec<Row>, Vec<RowError>)> {
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    let too_many = || AppError::invalid("file", format!("at most {MAX_ROWS} articles at a time"));
    match BulkFormat::sniff(bytes) {
        BulkFormat::Jsonl => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| AppError::invalid("file", "JSON lines must be UTF-8"))?;
            let text = text.trim_start_matches('\u{feff}');
            // Counted before anything is parsed.
            if text.lines().filter(|l| !l.trim().is_empty()).count() > MAX_ROWS {
                return Err(too_many());
            }
            from_lines(text, &mut rows, &mut errors);
        }
        BulkFormat::Xlsx | BulkFormat::Csv => {
            let (table, numbers) = sheets::read_numbered(bytes)
                .map_err(|e| AppError::invalid("file", e.to_string()))?;
            if table.rows.len() > MAX_ROWS {
                return Err(too_many());
            }
            from_table(&table, &numbers, &mut rows, &mut errors)?;
        }
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(AppError::invalid("file", "no articles in it"));
    }
    Ok((rows, errors))
}

/// An article's content as a person writes it (to merge a row's columns into).
fn input_of(a: &ArticleView) -> ArticleInput {
    ArticleInput {
        title: a.title.clone(),
        category: a.category.clone(),
        public: a.public,
        doc: a.doc.clone(),
    }
}

/// `to` with the columns `present` taken from `from`.
fn merged(mut to: ArticleInput, from: &ArticleInput, present: &[&str]) -> ArticleInput {
    let (d, s) = (&mut to.doc, &from.doc);
    for f in present {
        match *f {
            "title" => to.title.clone_from(&from.title),
            "category" => to.category.clone_from(&from.category),
            "public" => to.public = from.public,
            "body" => d.body.clone_from(&s.body),
            "tags" => d.tags.clone_from(&s.tags),
            "questions" => d.questions.clone_from(&s.questions),
            "products" => d.products.clone_from(&s.products),
            "segments" => d.segments.clone_from(&s.segments),
            "valid_from" => d.valid_from.clone_from(&s.valid_from),
            "valid_to" => d.valid_to.clone_from(&s.valid_to),
            _ => {}
        }
    }
    to
}

/// One article to write: (id and version read, or new), its owner, status and content.
struct Write {
    id: Option<(i64, i64)>,
    owner: Option<UserId>,
    status: Status,
    input: ArticleInput,
    doc: String,
}

impl App {
    /// Imports articles from a file: every row checked (nothing written while any has an
    /// error), then — when `commit` — all written in one transaction, the search index made
    /// again from the store. A new article goes to its row's `status`, else to `status`; a
    /// row with an `id` (and the `version` it was exported at) changes only the columns it
    /// has, and its status only when it names one.
    pub async fn import_articles(
        &self,
        tenant: TenantId,
        bytes: Vec<u8>,
        status: Status,
        commit: bool,
        by: UserId,
        publisher: bool,
    ) -> AppResult<ImportReport> {
        if !Status::Draft.may_move(status, publisher) {
            return Err(AppError::invalid(
                "status",
                if status == Status::Archived {
                    "draft, review or published".to_string()
                } else {
                    format!("{} by you: an expert publishes", status.as_str())
                },
            ));
        }
        // Parsing a workbook is CPU work: off the runtime's threads.
        let (rows, mut errors) = tokio::task::spawn_blocking(move || read(&bytes))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        let failed: std::collections::HashSet<usize> = errors.iter().map(|e| e.row).collect();
        let total = rows.len() + failed.len();
        let scoped = self.store().scoped(tenant);
        let mut seen: HashMap<i64, usize> = HashMap::new();
        let mut writes: Vec<Write> = Vec::with_capacity(rows.len());
        for r in rows {
            let mut fail = |field: &str, reason: String| {
                errors.push(RowError {
                    row: r.row,
                    field: field.into(),
                    reason,
                });
            };
            let (id, owner, from, input) = match r.id {
                None => (None, Some(by), Status::Draft, r.input.clone()),
                Some(id) => {
                    if let Some(first) = seen.insert(id, r.row) {
                        fail("id", format!("article {id} is on row {first} too"));
                        continue;
                    }
                    // Read without the lock: the versions are checked again as written.
                    let Some(now) = scoped.kb_article(id).await? else {
                        fail(
                            "id",
                            format!(
                                "no article {id} in this knowledge base (leave it empty for a \
                                 new article)"
                            ),
                        );
                        continue;
                    };
                    let Some(version) = r.version else {
                        fail(
                            "version",
                            format!(
                                "the version article {id} was exported at (now {})",
                                now.version
                            ),
                        );
                        continue;
                    };
                    if version != now.version {
                        fail(
                            "version",
                            format!(
                                "article {id} was changed since (now version {}): export it again",
                                now.version
                            ),
                        );
                        continue;
                    }
                    let now = crate::kb::view(now);
                    let from = Status::parse(&now.status).unwrap_or(Status::Draft);
                    (
                        Some((id, version)),
                        now.owner.map(UserId),
                        from,
                        merged(input_of(&now), &r.input, &r.present),
                    )
                }
            };
            let to = r.status.unwrap_or(if id.is_some() { from } else { status });
            if !from.may_move(to, publisher) {
                fail(
                    "status",
                    format!(
                        "an article {} cannot become {}{}",
                        from.as_str(),
                        to.as_str(),
                        if publisher {
                            ""
                        } else {
                            " by you: an expert publishes"
                        }
                    ),
                );
                continue;
            }
            match checked(&input) {
                Ok(input) => {
                    let doc = serde_json::to_string(&input.doc)
                        .map_err(|e| AppError::Internal(e.to_string()))?;
                    writes.push(Write {
                        id,
                        owner,
                        status: to,
                        input,
                        doc,
                    });
                }
                Err(AppError::Invalid { field, reason }) => fail(&field, reason),
                Err(e) => return Err(e),
            }
        }
        errors.sort_by_key(|e| e.row);
        let mut report = ImportReport {
            rows: total,
            created: writes.iter().filter(|w| w.id.is_none()).count(),
            updated: writes.iter().filter(|w| w.id.is_some()).count(),
            errors,
            committed: false,
        };
        if !commit || !report.errors.is_empty() {
            return Ok(report);
        }
        let items: Vec<(Option<i64>, i64, KbFields<'_>)> = writes
            .iter()
            .map(|w| {
                (
                    w.id.map(|(id, _)| id),
                    w.id.map_or(0, |(_, v)| v),
                    KbFields {
                        title: &w.input.title,
                        category: &w.input.category,
                        status: w.status.as_str(),
                        public: w.input.public,
                        owner: w.owner,
                        doc: &w.doc,
                    },
                )
            })
            .collect();
        // Under the tenant's lock, the index dropped first: whatever happens after the
        // commit (the caller gone, a crash), the next search makes it again from the store.
        let mut slot = self.kb_slot(tenant).lock_owned().await;
        *slot = None;
        scoped
            .write_kb_articles(&items, Some(by), self.now_ms())
            .await
            .map_err(|e| match e {
                store::StoreError::Stale { current, .. } => AppError::invalid(
                    "file",
                    format!(
                        "an article was changed while this was imported (now version \
                         {current}): check the file again"
                    ),
                ),
                e => e.into(),
            })?;
        report.committed = true;
        if let Err(e) = self.kb_index_locked(tenant, &mut slot).await {
            tracing::warn!(tenant = tenant.0, "the index after an import: {e}");
        }
        Ok(report)
    }

    /// The articles (of `status` when given) as a file of `format`.
    pub async fn export_articles(
        &self,
        tenant: TenantId,
        status: Option<Status>,
        format: BulkFormat,
    ) -> AppResult<Vec<u8>> {
        let mut all: Vec<ArticleView> = Vec::new();
        let mut after = 0;
        loop {
            let page = self.articles(tenant, status, after, 500, false).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            all.extend(page);
        }
        let cells = |a: &ArticleView| -> Vec<String> {
            let d: &ArticleDoc = &a.doc;
            vec![
                a.id.to_string(),
                a.version.to_string(),
                a.title.clone(),
                d.body.clone(),
                a.category.clone(),
                d.tags.join("\n"),
                d.questions.join("\n"),
                d.products.join("\n"),
                d.segments.join("\n"),
                d.valid_from.clone().unwrap_or_default(),
                d.valid_to.clone().unwrap_or_default(),
                if a.public { "是" } else { "否" }.into(),
                a.status.clone(),
            ]
        };
        match format {
            BulkFormat::Jsonl => {
                let mut out = Vec::new();
                for a in &all {
                    let d = &a.doc;
                    let line = json!({
                        "id": a.id, "version": a.version, "title": a.title, "body": d.body, "category": a.category,
                        "tags": d.tags, "questions": d.questions, "products": d.products,
                        "segments": d.segments, "valid_from": d.valid_from,
                        "valid_to": d.valid_to, "public": a.public, "status": a.status,
                    });
                    serde_json::to_writer(&mut out, &line)
                        .map_err(|e| AppError::Internal(e.to_string()))?;
                    out.push(b'\n');
                }
                Ok(out)
            }
            BulkFormat::Xlsx | BulkFormat::Csv => {
                if format == BulkFormat::Xlsx
                    && let Some(a) = all.iter().find(|a| a.doc.body.chars().count() > 32_767)
                {
                    return Err(AppError::invalid(
                        "format",
                        format!(
                            "article {} is longer than a spreadsheet cell holds (32,767 \
                             characters): export as CSV or JSON lines",
                            a.id
                        ),
                    ));
                }
                let table = Table {
                    headers: COLUMNS.map(|(n, _)| n.to_string()).to_vec(),
                    rows: all.iter().map(cells).collect(),
                };
                let table = Arc::new(table);
                let f = if format == BulkFormat::Xlsx {
                    Format::Xlsx
                } else {
                    Format::Csv
                };
                tokio::task::spawn_blocking(move || sheets::write(&table, f))
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))?
                    .map_err(|e| AppError::Internal(e.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errors: &[RowError]) -> Vec<(usize, &str)> {
        errors.iter().map(|e| (e.row, e.field.as_str())).collect()
    }

    #[test]
    fn rows_are_read_from_every_format_with_their_faults_named() {
        assert_eq!(
            items("水表；计量、抄表|表计"),
            ["水表", "计量", "抄表", "表计"]
        );
        assert_eq!(items("a, b\nc；d"), ["a, b", "c；d"]);
        assert_eq!(
            BulkFormat::sniff(b"\xEF\xBB\xBF  {\"title\":1}"),
            BulkFormat::Jsonl
        );
        assert_eq!(BulkFormat::sniff(b"title,category"), BulkFormat::Csv);
        let (rows, errors) = read(
            "标题,分类,公开,编号\n停水,停水/计划,是,\n漏水,报修,也许,\n爆管,报修,否,-3\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert!(rows[0].input.public);
        assert_eq!(fields(&errors), [(3, "public"), (4, "id")]);
        // The file itself: a column nobody knows, one twice, one missing.
        for bad in [
            "title,category,颜色\nx,y,z\n",
            "title,标题,category\nx,y,z\n",
            "title\nx\n",
        ] {
            match read(bad.as_bytes()) {
                Err(AppError::Invalid { field, .. }) => assert_eq!(field, "file"),
                other => panic!("{other:?}"),
            }
        }
        let lines = "{\"title\":\"停水\",\"category\":\"停水\",\"tags\":[\"通知\"],\"id\":\"7\"}\n\
                     \n\
                     not json\n\
                     {\"title\":\"x\",\"category\":\"y\",\"colour\":\"red\"}\n\
                     {\"title\":\"x\",\"category\":\"y\",\"tags\":[1]}\n\
                     [1]\n";
        let (rows, errors) = read(lines.as_bytes()).unwrap();
        assert_eq!((rows.len(), rows[0].id), (1, Some(7)));
        assert_eq!(rows[0].input.doc.tags, ["通知"]);
        assert_eq!(
            fields(&errors),
            [(3, "line"), (4, "colour"), (5, "tags"), (6, "line")]
        );
        let many = "{\"title\":\"x\",\"category\":\"y\"}\n".repeat(MAX_ROWS + 1);
        assert!(matches!(
            read(many.as_bytes()),
            Err(AppError::Invalid { .. })
        ));
        assert!(matches!(read(b"   "), Err(AppError::Invalid { .. })));
    }
}
