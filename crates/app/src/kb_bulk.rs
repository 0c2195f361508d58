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
const COLUMNS: [(&str, &[&str]); 12] = [
    ("id", &["编号", "文章编号"]),
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
    // Written by an export; on import the importer's choice of status stands.
    ("status", &["状态"]),
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

/// A row read: where it is, the article it changes (if any), and what it says.
#[derive(Debug)]
struct Row {
    row: usize,
    id: Option<i64>,
    input: ArticleInput,
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

fn id_of(s: &str) -> Result<Option<i64>, &'static str> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<i64>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err("an article's number from an export, or empty for a new article"),
    }
}

/// Sets `field` of `input` from a cell's text.
fn set(input: &mut ArticleInput, field: &str, cell: &str) -> Result<(), String> {
    let d = &mut input.doc;
    match field {
        "title" => input.title = cell.to_string(),
        "category" => input.category = cell.to_string(),
        "body" => d.body = cell.to_string(),
        "tags" => d.tags = items(cell),
        "questions" => d.questions = items(cell),
        "products" => d.products = items(cell),
        "segments" => d.segments = items(cell),
        "valid_from" => d.valid_from = Some(cell.to_string()),
        "valid_to" => d.valid_to = Some(cell.to_string()),
        "public" => {
            input.public = yes_no(cell).ok_or("是 or 否 (yes or no)")?;
        }
        _ => {}
    }
    Ok(())
}

/// A spreadsheet's rows.
fn from_table(t: &Table, rows: &mut Vec<Row>, errors: &mut Vec<RowError>) -> AppResult<()> {
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
    for needed in ["title", "category"] {
        if !fields.contains(&Some(needed)) {
            return Err(AppError::invalid(
                "file",
                format!("a column `{needed}` is needed"),
            ));
        }
    }
    for (i, cells) in t.rows.iter().enumerate() {
        let row = i + 2;
        let mut r = Row {
            row,
            id: None,
            input: ArticleInput::default(),
        };
        let mut ok = true;
        for (f, cell) in fields.iter().zip(cells) {
            let Some(f) = *f else { continue };
            let outcome = if f == "id" {
                id_of(cell).map(|id| r.id = id).map_err(String::from)
            } else {
                set(&mut r.input, f, cell)
            };
            if let Err(reason) = outcome {
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
            id: None,
            input: ArticleInput::default(),
        };
        let mut ok = true;
        for (k, v) in &obj {
            let Some(f) = column(k) else {
                fail(k, format!("not one of {}", names()));
                ok = false;
                continue;
            };
            let outcome: Result<(), String> = match (f, v) {
                (_, Value::Null) => Ok(()),
                ("id", Value::Number(n)) => match n.as_i64() {
                    Some(n) if n > 0 => {
                        r.id = Some(n);
                        Ok(())
                    }
                    _ => Err("a positive whole number".into()),
                },
                ("id", Value::String(s)) => id_of(s).map(|id| r.id = id).map_err(String::from),
                ("public", Value::Bool(b)) => {
                    r.input.public = *b;
                    Ok(())
                }
                ("tags" | "questions" | "products" | "segments", Value::Array(a)) => {
                    match a.iter().map(Value::as_str).collect::<Option<Vec<&str>>>() {
                        Some(list) => set(&mut r.input, f, &list.join("\n")),
                        None => Err("a list of texts".into()),
                    }
                }
                ("status", Value::String(_)) => Ok(()),
                (_, Value::String(s)) => set(&mut r.input, f, s),
                _ => Err("a text".into()),
            };
            if let Err(reason) = outcome {
                fail(f, reason);
                ok = false;
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
            let table =
                sheets::read(bytes).map_err(|e| AppError::invalid("file", e.to_string()))?;
            if table.rows.len() > MAX_ROWS {
                return Err(too_many());
            }
            from_table(&table, &mut rows, &mut errors)?;
        }
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(AppError::invalid("file", "no articles in it"));
    }
    Ok((rows, errors))
}

impl App {
    /// Imports articles from a file at `status`: every row checked (nothing written while
    /// any has an error), then — when `commit` — all written in one transaction and put in
    /// the search index before this returns.
    pub async fn import_articles(
        &self,
        tenant: TenantId,
        bytes: &[u8],
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
        let (rows, mut errors) = read(bytes)?;
        let failed: std::collections::HashSet<usize> = errors.iter().map(|e| e.row).collect();
        let total = rows.len() + failed.len();
        let mut checked_rows = Vec::with_capacity(rows.len());
        let mut seen: HashMap<i64, usize> = HashMap::new();
        for r in rows {
            if let Some(id) = r.id
                && let Some(first) = seen.insert(id, r.row)
            {
                errors.push(RowError {
                    row: r.row,
                    field: "id".into(),
                    reason: format!("article {id} is on row {first} too"),
                });
                continue;
            }
            match checked(&r.input) {
                Ok(input) => checked_rows.push(Row { input, ..r }),
                Err(AppError::Invalid { field, reason }) => errors.push(RowError {
                    row: r.row,
                    field,
                    reason,
                }),
                Err(e) => return Err(e),
            }
        }
        // Under the tenant's lock: what is checked against is what is written over.
        let mut slot = self.kb_slot(tenant).lock_owned().await;
        let scoped = self.store().scoped(tenant);
        let mut writes = Vec::with_capacity(checked_rows.len());
        for r in &checked_rows {
            let (id, expected, owner) = match r.id {
                None => (None, 0, Some(by)),
                Some(id) => {
                    let Some(now) = scoped.kb_article(id).await? else {
                        errors.push(RowError {
                            row: r.row,
                            field: "id".into(),
                            reason: format!(
                                "no article {id} in this knowledge base (leave it empty for a \
                                 new article)"
                            ),
                        });
                        continue;
                    };
                    let from = Status::parse(&now.status).unwrap_or(Status::Draft);
                    if !from.may_move(status, publisher) {
                        errors.push(RowError {
                            row: r.row,
                            field: "status".into(),
                            reason: format!(
                                "article {id} is {} and cannot become {}{}",
                                from.as_str(),
                                status.as_str(),
                                if publisher {
                                    ""
                                } else {
                                    " by you: an expert publishes"
                                }
                            ),
                        });
                        continue;
                    }
                    (Some(id), now.version, now.owner)
                }
            };
            let doc = serde_json::to_string(&r.input.doc)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            writes.push((id, expected, owner, doc, r));
        }
        errors.sort_by_key(|e| e.row);
        let mut report = ImportReport {
            rows: total,
            created: writes.iter().filter(|w| w.0.is_none()).count(),
            updated: writes.iter().filter(|w| w.0.is_some()).count(),
            errors,
            committed: false,
        };
        if !commit || !report.errors.is_empty() {
            return Ok(report);
        }
        let items: Vec<(Option<i64>, i64, KbFields<'_>)> = writes
            .iter()
            .map(|(id, expected, owner, doc, r)| {
                (
                    *id,
                    *expected,
                    KbFields {
                        title: &r.input.title,
                        category: &r.input.category,
                        status: status.as_str(),
                        public: r.input.public,
                        owner: *owner,
                        doc,
                    },
                )
            })
            .collect();
        scoped
            .write_kb_articles(&items, Some(by), self.now_ms())
            .await?;
        report.committed = true;
        // Written: the index is made again from the store (on next use if this fails).
        *slot = None;
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
            let page = self.articles(tenant, status, after, 500).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            all.extend(page);
        }
        let cells = |a: &ArticleView| -> Vec<String> {
            let d: &ArticleDoc = &a.doc;
            vec![
                a.id.to_string(),
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
                        "id": a.id, "title": a.title, "body": d.body, "category": a.category,
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
