//! Customers in and out as spreadsheets: import from CSV (UTF-8 or GBK) or XLSX in three
//! steps — upload (columns, a preview and a suggested mapping), check (every row's errors,
//! nothing written), commit ("all or nothing", or "skip invalid rows") with progress — and
//! export to CSV or XLSX. A commit is one transaction: a failure leaves nothing half-written.
//!
//! Uploads wait in memory until committed (an upload is not yet anything the user
//! committed); the outcome of a commit is in the audit log and on the event log.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sheets::{Format, Table};
use store::{CustomerData, CustomerQuery, Segment, TenantId};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::customers::to_data;
use crate::auth::Caller;
use crate::dto::{AddressDto, CustomerInput, PhoneDto, mask_id};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};

/// The fields a column can fill.
const FIELDS: &[&str] = &[
    "name",
    "phone",
    "email",
    "province",
    "city",
    "district",
    "address",
    "segment",
    "level",
    "qualification",
    "id_number",
    "notes",
    "blacklist_reason",
    "ignore",
];

/// Uploads and running imports, by id.
#[derive(Debug, Default)]
pub struct Imports {
    next: AtomicU64,
    jobs: Mutex<HashMap<u64, Arc<Mutex<Job>>>>,
}

#[derive(Debug)]
struct Job {
    tenant: TenantId,
    created_ms: i64,
    filename: String,
    table: Arc<Table>,
    status: &'static str,
    written: usize,
    created: usize,
    skipped: usize,
    message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportDto {
    pub id: u64,
    pub filename: String,
    /// `uploaded`, `running`, `done`, `failed`.
    pub status: String,
    pub columns: Vec<String>,
    pub rows: usize,
    /// The first ten rows, as read.
    pub preview: Vec<Vec<String>>,
    /// Column → field, guessed from the headers (姓名, 手机, 地址…); edit and send back.
    pub suggested_mapping: BTreeMap<String, String>,
    /// Rows written so far (for a progress bar), and the outcome.
    pub written: usize,
    pub created: usize,
    pub skipped: usize,
    pub message: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MappingInput {
    /// Column header → field: `name`, `phone` (several columns may be phones), `email`,
    /// `province`, `city`, `district`, `address`, `segment`, `level`, `qualification`,
    /// `id_number`, `notes`, `blacklist_reason`, `ignore`.
    pub mapping: BTreeMap<String, String>,
    /// For a commit: `all_or_nothing` (default) or `skip_invalid`.
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowError {
    /// 1 is the first row under the header (row 2 in Excel).
    pub row: usize,
    pub column: String,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResult {
    pub rows: usize,
    pub valid: usize,
    pub invalid: usize,
    /// The first 500 errors.
    pub errors: Vec<RowError>,
}

fn suggest(header: &str) -> &'static str {
    let h = header.to_lowercase();
    let tokens: Vec<&str> = h
        .split(|c: char| !c.is_alphanumeric() && !c.is_ascii_alphanumeric())
        .collect();
    let has = |cjk: &[&str], en: &[&str]| {
        cjk.iter().any(|p| h.contains(p)) || en.iter().any(|p| tokens.contains(p))
    };
    if has(&["黑名单", "拉黑"], &["blacklist"]) {
        "blacklist_reason"
    } else if has(&["证件", "身份证"], &["id_number", "idnumber"]) {
        "id_number"
    } else if has(
        &["电话", "手机", "座机", "联系方式", "号码"],
        &["phone", "phones", "mobile", "tel"],
    ) {
        "phone"
    } else if has(&["邮箱", "邮件"], &["email", "e-mail", "mail"]) {
        "email"
    } else if has(&["省"], &["province"]) {
        "province"
    } else if has(&["城市", "市"], &["city"]) {
        "city"
    } else if has(&["区", "县"], &["district"]) {
        "district"
    } else if has(&["地址"], &["address"]) {
        "address"
    } else if has(&["类型", "细分", "分类"], &["segment"]) {
        "segment"
    } else if has(&["等级", "级别"], &["level"]) {
        "level"
    } else if has(&["资格", "资质"], &["qualification"]) {
        "qualification"
    } else if has(&["备注"], &["notes", "note", "remarks"]) {
        "notes"
    } else if has(&["姓名", "名称", "客户名", "名字"], &["name"]) {
        "name"
    } else {
        "ignore"
    }
}

fn segment(s: &str) -> Option<&'static str> {
    Some(match s.trim().to_lowercase().as_str() {
        "" | "普通" | "一般" | "普通客户" | "general" => "general",
        "大客户" | "large_account" | "large account" => "large_account",
        "特殊" | "特殊客户" | "special" => "special",
        "异常" | "异常客户" | "abnormal" => "abnormal",
        "弱势" | "弱势群体" | "vulnerable" => "vulnerable",
        _ => return None,
    })
}

/// Every row converted, or its errors.
fn convert(
    table: &Table,
    mapping: &BTreeMap<String, String>,
) -> ApiResult<Vec<Result<CustomerData, RowError>>> {
    for (column, field) in mapping {
        if !table.headers.contains(column) {
            return Err(ApiError::invalid(
                &format!("mapping.{column}"),
                "no such column in the file",
            ));
        }
        if !FIELDS.contains(&field.as_str()) {
            return Err(ApiError::invalid(
                &format!("mapping.{column}"),
                format!("one of {}", FIELDS.join(", ")),
            ));
        }
    }
    if !mapping.values().any(|f| f == "name") {
        return Err(ApiError::invalid("mapping", "map one column to `name`"));
    }
    let col = |field: &str| -> Vec<usize> {
        table
            .headers
            .iter()
            .enumerate()
            .filter(|(_, h)| mapping.get(*h).is_some_and(|f| f == field))
            .map(|(i, _)| i)
            .collect()
    };
    let columns: HashMap<&str, Vec<usize>> = FIELDS.iter().map(|f| (*f, col(f))).collect();
    let one = |row: &[String], field: &str| -> String {
        columns[field]
            .iter()
            .map(|&i| row[i].as_str())
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    Ok(table
        .rows
        .iter()
        .enumerate()
        .map(|(n, row)| {
            let fail = |column: String, field: &str, message: String| RowError {
                row: n + 1,
                column,
                field: field.into(),
                message,
            };
            // Numbers may be several in a cell, separated by `;`, `,`, `/` or `、`.
            let mut phone_columns = Vec::new();
            let mut phones = Vec::new();
            for &i in &columns["phone"] {
                for p in row[i]
                    .split([';', '；', ',', '，', '/', '、'])
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                {
                    phones.push(PhoneDto {
                        number: p.into(),
                        label: String::new(),
                    });
                    phone_columns.push(table.headers[i].clone());
                }
            }
            let mut email_columns = Vec::new();
            let mut emails = Vec::new();
            for &i in &columns["email"] {
                for e in row[i]
                    .split([';', '；', ',', '，'])
                    .map(str::trim)
                    .filter(|e| !e.is_empty())
                {
                    emails.push(e.to_string());
                    email_columns.push(table.headers[i].clone());
                }
            }
            let seg_text = one(row, "segment");
            let seg = segment(&seg_text).ok_or_else(|| {
                fail(
                    header_of(table, &columns["segment"]),
                    "segment",
                    format!("`{seg_text}` is not a segment (大客户, 特殊, 异常, 弱势群体, 普通)"),
                )
            })?;
            let level_text = one(row, "level");
            let level = if level_text.is_empty() {
                None
            } else {
                Some(
                    level_text
                        .parse::<u8>()
                        .ok()
                        .filter(|l| (1..=5).contains(l))
                        .ok_or_else(|| {
                            fail(
                                header_of(table, &columns["level"]),
                                "level",
                                format!("`{level_text}` is not a level from 1 to 5"),
                            )
                        })?,
                )
            };
            let address = [
                one(row, "province"),
                one(row, "city"),
                one(row, "district"),
                one(row, "address"),
            ];
            let reason = one(row, "blacklist_reason");
            let input = CustomerInput {
                version: None,
                name: one(row, "name"),
                phones,
                emails,
                addresses: if address.iter().all(String::is_empty) {
                    Vec::new()
                } else {
                    let [province, city, district, line] = address;
                    vec![AddressDto {
                        province,
                        city,
                        district,
                        line,
                        label: String::new(),
                    }]
                },
                segment: Some(seg.into()),
                level,
                qualification: Some(one(row, "qualification")).filter(|q| !q.is_empty()),
                id_number: Some(one(row, "id_number")).filter(|q| !q.is_empty()),
                blacklisted: !reason.is_empty(),
                blacklist_reason: reason,
                notes: one(row, "notes"),
            };
            to_data(&input).map_err(|e| {
                let field = e.details["field"].as_str().unwrap_or("row").to_string();
                let reason = e.details["reason"]
                    .as_str()
                    .unwrap_or(&e.message)
                    .to_string();
                let index = || {
                    field
                        .split(['[', ']'])
                        .nth(1)
                        .and_then(|i| i.parse::<usize>().ok())
                        .unwrap_or(0)
                };
                let column = if field.starts_with("phones") {
                    phone_columns.get(index()).cloned().unwrap_or_default()
                } else if field.starts_with("emails") {
                    email_columns.get(index()).cloned().unwrap_or_default()
                } else {
                    header_of(
                        table,
                        columns.get(field.as_str()).map_or(&[][..], Vec::as_slice),
                    )
                };
                fail(column, &field, reason)
            })
        })
        .collect())
}

fn header_of(table: &Table, cols: &[usize]) -> String {
    cols.first()
        .map(|&i| table.headers[i].clone())
        .unwrap_or_default()
}

fn dto(id: u64, job: &Job) -> ImportDto {
    ImportDto {
        id,
        filename: job.filename.clone(),
        status: job.status.into(),
        columns: job.table.headers.clone(),
        rows: job.table.rows.len(),
        preview: job.table.rows.iter().take(10).cloned().collect(),
        suggested_mapping: job
            .table
            .headers
            .iter()
            .map(|h| (h.clone(), suggest(h).to_string()))
            .collect(),
        written: job.written,
        created: job.created,
        skipped: job.skipped,
        message: job.message.clone(),
    }
}

fn job(state: &AppState, tenant: TenantId, id: u64) -> ApiResult<Arc<Mutex<Job>>> {
    let jobs = state
        .0
        .imports
        .jobs
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    jobs.get(&id)
        .filter(|j| j.lock().unwrap_or_else(|e| e.into_inner()).tenant == tenant)
        .cloned()
        .ok_or_else(|| ApiError::not_found("import"))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadParams {
    /// The file's name, for people.
    pub filename: Option<String>,
}

/// Upload a CSV or XLSX file (the raw bytes as the body, up to 20 MB).
#[utoipa::path(post, path = "/api/customers/imports", tag = "customers", params(UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = ImportDto), (status = 400, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<UploadParams>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ImportDto>)> {
    let tenant = caller.tenant()?;
    let table = tokio::task::spawn_blocking(move || sheets::read(&body))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::invalid("file", e.to_string()))?;
    if table.headers.iter().any(String::is_empty) {
        return Err(ApiError::invalid(
            "file",
            "every column needs a header in the first row",
        ));
    }
    if table.rows.len() > 200_000 {
        return Err(ApiError::invalid(
            "file",
            "at most 200,000 rows a file; split it",
        ));
    }
    let imports = &state.0.imports;
    let id = imports.next.fetch_add(1, Ordering::Relaxed) + 1;
    let now = state.now_ms();
    let job = Job {
        tenant,
        created_ms: now,
        filename: p.filename.unwrap_or_else(|| "upload".into()),
        table: Arc::new(table),
        status: "uploaded",
        written: 0,
        created: 0,
        skipped: 0,
        message: String::new(),
    };
    let out = dto(id, &job);
    let mut jobs = imports.jobs.lock().unwrap_or_else(|e| e.into_inner());
    // Uploads keep for an hour and a tenant keeps its last ten; running imports stay.
    let hour_ago = now - 3_600_000;
    let mut finished: Vec<(i64, u64, bool)> = jobs
        .iter()
        .filter_map(|(id, j)| {
            let j = j.lock().unwrap_or_else(|e| e.into_inner());
            (j.status != "running").then_some((j.created_ms, *id, j.tenant == tenant))
        })
        .collect();
    finished.sort_unstable();
    let mine = finished.iter().filter(|f| f.2 && f.0 >= hour_ago).count();
    let mut excess = mine.saturating_sub(9);
    for (created, old, is_mine) in finished {
        if created < hour_ago {
            jobs.remove(&old);
        } else if is_mine && excess > 0 {
            jobs.remove(&old);
            excess -= 1;
        }
    }
    jobs.insert(id, Arc::new(Mutex::new(job)));
    drop(jobs);
    Ok((StatusCode::CREATED, Json(out)))
}

#[utoipa::path(get, path = "/api/customers/imports/{import_id}", tag = "customers",
    params(("import_id" = u64, Path)),
    responses((status = 200, body = ImportDto), (status = 404, body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<ImportDto>> {
    let j = job(&state, caller.tenant()?, id)?;
    let j = j.lock().unwrap_or_else(|e| e.into_inner());
    Ok(Json(dto(id, &j)))
}

/// Check every row under a mapping; nothing is written.
#[utoipa::path(post, path = "/api/customers/imports/{import_id}/check", tag = "customers",
    params(("import_id" = u64, Path)), request_body = MappingInput,
    responses((status = 200, body = CheckResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn check(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(m): ApiJson<MappingInput>,
) -> ApiResult<Json<CheckResult>> {
    let table = job(&state, caller.tenant()?, id)?
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .table
        .clone();
    let rows = convert(&table, &m.mapping)?;
    let errors: Vec<RowError> = rows
        .iter()
        .filter_map(|r| r.as_ref().err().cloned())
        .collect();
    Ok(Json(CheckResult {
        rows: rows.len(),
        valid: rows.len() - errors.len(),
        invalid: errors.len(),
        errors: errors.into_iter().take(500).collect(),
    }))
}

/// Write the rows: `all_or_nothing` refuses the file if any row is invalid; `skip_invalid`
/// writes the valid ones. Runs in the background; poll the import for progress.
#[utoipa::path(post, path = "/api/customers/imports/{import_id}/commit", tag = "customers",
    params(("import_id" = u64, Path)), request_body = MappingInput,
    responses((status = 202, body = ImportDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn commit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(m): ApiJson<MappingInput>,
) -> ApiResult<(StatusCode, Json<ImportDto>)> {
    let tenant = caller.tenant()?;
    let handle = job(&state, tenant, id)?;
    let skip_invalid = match m.mode.as_deref() {
        None | Some("all_or_nothing") => false,
        Some("skip_invalid") => true,
        Some(_) => return Err(ApiError::invalid("mode", "all_or_nothing or skip_invalid")),
    };
    let table = handle
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .table
        .clone();
    let rows = convert(&table, &m.mapping)?;
    let invalid = rows.iter().filter(|r| r.is_err()).count();
    if invalid > 0 && !skip_invalid {
        let first = rows.iter().find_map(|r| r.as_ref().err()).cloned();
        return Err(ApiError::invalid("file", format!("{invalid} rows are invalid; nothing was written (fix them, or commit with skip_invalid)"))
            .with_details(json!({ "field": "file", "invalid": invalid, "first": first })));
    }
    {
        let mut j = handle.lock().unwrap_or_else(|e| e.into_inner());
        if j.status == "running" || j.status == "done" {
            return Err(ApiError::new(
                crate::error::Code::InvalidState,
                format!("this import is already {}", j.status),
            ));
        }
        j.status = "running";
        j.skipped = invalid;
    }
    let valid: Vec<CustomerData> = rows.into_iter().filter_map(Result::ok).collect();
    let out = dto(id, &handle.lock().unwrap_or_else(|e| e.into_inner()));
    tokio::spawn(async move {
        let progress_job = handle.clone();
        let progress = move |n: usize| {
            progress_job
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .written = n
        };
        let result = state
            .store()
            .scoped(tenant)
            .import_customers(&valid, state.now_ms(), &progress)
            .await;
        let filename = handle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .filename
            .clone();
        let (status, created, message) = match result {
            Ok(c) => (
                "done",
                c.len(),
                format!("{} customers created, {invalid} rows skipped", c.len()),
            ),
            Err(e) => (
                "failed",
                0,
                format!("nothing was written: {}", ApiError::from(e).message),
            ),
        };
        let detail = json!({ "import_id": id, "filename": filename, "status": status, "created": created, "skipped": invalid });
        if let Err(e) = super::audit(
            &state,
            &caller,
            "customer.import",
            "import",
            id,
            detail.clone(),
        )
        .await
        {
            tracing::error!("import not audited: {}", e.message);
        }
        state
            .app()
            .record(
                tenant,
                events::CustomersImported::id(id, state.now_ms()),
                &events::CustomersImported {
                    import_id: id,
                    filename,
                    status: status.to_string(),
                    created: created as u64,
                    skipped: invalid as u64,
                },
            )
            .await;
        // Done only once the outcome is audited and on the event log.
        {
            let mut j = handle.lock().unwrap_or_else(|e| e.into_inner());
            j.status = status;
            j.created = created;
            if status == "failed" {
                j.written = 0;
            }
            j.message = message;
        }
    });
    Ok((StatusCode::ACCEPTED, Json(out)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// `xlsx` (default) or `csv`.
    pub format: Option<String>,
    pub q: Option<String>,
    pub segment: Option<String>,
    pub level: Option<u8>,
    pub blacklisted: Option<bool>,
    pub region: Option<String>,
    pub department: Option<String>,
}

/// Download customers as a spreadsheet (ID numbers masked). Audited.
#[utoipa::path(get, path = "/api/customers/export", tag = "customers", params(ExportParams),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 400, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> ApiResult<Response> {
    let tenant = caller.tenant()?;
    let format = match p.format.as_deref() {
        None | Some("xlsx") => Format::Xlsx,
        Some("csv") => Format::Csv,
        Some(_) => return Err(ApiError::invalid("format", "xlsx or csv")),
    };
    let filtered = super::customers::filters(super::customers::Filters {
        by_id_number: crate::perm::allows(caller.user.role, crate::perm::Perm::ViewProtected),
        q: p.q,
        segment: p.segment,
        level: p.level,
        blacklisted: p.blacklisted,
        region: p.region,
        department: p.department,
    })?;
    let mut table = Table {
        headers: [
            "姓名 Name",
            "电话 Phones",
            "邮箱 Email",
            "省 Province",
            "市 City",
            "区 District",
            "地址 Address",
            "客户类型 Segment",
            "等级 Level",
            "资格 Qualification",
            "证件号 ID number",
            "黑名单原因 Blacklist reason",
            "备注 Notes",
            "创建时间 Created (UTC)",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    let mut after = None;
    loop {
        let q = CustomerQuery {
            after,
            limit: 1000,
            ..filtered.clone()
        };
        let page = state.store().scoped(tenant).customers(&q).await?;
        for c in &page {
            let d = &c.data;
            let a = d.addresses.first().cloned().unwrap_or_default();
            table.rows.push(vec![
                d.name.clone(),
                d.phones
                    .iter()
                    .map(|p| p.number.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                d.emails.join("; "),
                a.province,
                a.city,
                a.district,
                a.line,
                Segment::zh(d.segment).into(),
                d.level.to_string(),
                d.qualification.clone(),
                d.id_number.as_deref().map(mask_id).unwrap_or_default(),
                d.blacklist_reason.clone(),
                d.notes.clone(),
                utc(c.created_at_ms),
            ]);
        }
        match page.last() {
            Some(last) if page.len() == 1000 => after = Some(last.id),
            _ => break,
        }
    }
    let bytes = sheets::write(&table, format).map_err(ApiError::internal)?;
    super::audit(
        &state,
        &caller,
        "customer.export",
        "customers",
        "*",
        json!({ "rows": table.rows.len(), "format": format.extension() }),
    )
    .await?;
    let name = format!("customers.{}", format.extension());
    Ok((
        [
            (CONTENT_TYPE, format.content_type().to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `2026-11-22 08:30` from milliseconds since the epoch, in UTC.
pub fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_dates() {
        assert_eq!(super::utc(0), "1970-01-01 00:00");
        assert_eq!(super::utc(1_780_000_000_000), "2026-05-28 20:26");
        assert_eq!(super::utc(951_782_400_000), "2000-02-29 00:00");
    }

    #[test]
    fn headers_suggest_fields() {
        for (h, f) in [
            ("姓名", "name"),
            ("客户名称", "name"),
            ("手机号码", "phone"),
            ("座机", "phone"),
            ("Email", "email"),
            ("省份", "province"),
            ("城市", "city"),
            ("区县", "district"),
            ("详细地址", "address"),
            ("客户类型 Segment", "segment"),
            ("证件号 ID number", "id_number"),
            ("黑名单原因 Blacklist reason", "blacklist_reason"),
            ("创建时间 Created (UTC)", "ignore"),
            ("电话 Phones", "phone"),
            ("备注 Notes", "notes"),
            ("Province", "province"),
        ] {
            assert_eq!(super::suggest(h), f, "{h}");
        }
    }
}
