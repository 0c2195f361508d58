//! Leads in bulk: a sheet of leads from an exhibition or a campaign (CSV in UTF-8 or GBK, or
//! XLSX; headers in Chinese or English), every row checked first — its errors named by the
//! row as the spreadsheet numbers it and by the field — then, when asked and no row is wrong,
//! every lead taken in and given to its region's dealer, all in one transaction. A row whose
//! `external_id` was imported before is left as it is (a sheet imported twice adds nothing).

use std::collections::HashSet;

use store::{TenantId, User};

use crate::kb_bulk::RowError;
use crate::leads::LeadInput;
use crate::{App, AppError, AppResult};

/// The most rows a sheet may have, and the most bytes.
pub const MAX_ROWS: usize = 10_000;
pub const MAX_BYTES: usize = 10 << 20;

/// What an import found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadImport {
    pub rows: usize,
    pub errors: Vec<RowError>,
    /// Rows whose `external_id` is already a lead.
    pub existing: usize,
    /// Leads taken in (or that would be).
    pub created: usize,
    /// Of those, offered to a dealer.
    pub offered: usize,
    /// Columns not read.
    pub ignored: Vec<String>,
    pub committed: bool,
}

/// The field a header names.
fn field_of(header: &str) -> Option<&'static str> {
    let h = header.trim().to_lowercase();
    Some(match h.as_str() {
        "name" | "姓名" | "联系人" | "客户" | "客户姓名" => "name",
        "phone" | "电话" | "手机" | "联系电话" | "手机号" => "phone",
        "product_line" | "product line" | "产品线" | "产品" => "product_line",
        "interest" | "意向" | "需求" => "interest",
        "budget" | "预算" => "budget",
        "timing" | "购买时间" | "计划购买时间" => "timing",
        "region" | "地区" => "region",
        "province" | "省" | "省份" => "province",
        "city" | "市" | "城市" => "city",
        "district" | "区" | "区县" => "district",
        "address" | "地址" | "详细地址" => "address",
        "notes" | "备注" => "notes",
        "journey" | "客户阶段" | "阶段" => "journey",
        "external_id" | "external id" | "外部编号" | "编号" => "external_id",
        _ => return None,
    })
}

fn journey(v: &str) -> Option<leads::Journey> {
    use leads::Journey as J;
    leads::Journey::parse(v).or(match v {
        "搜索" => Some(J::Search),
        "选择" => Some(J::Select),
        "购买" => Some(J::Buy),
        "收货" => Some(J::Receive),
        "退换" => Some(J::Return),
        _ => None,
    })
}

/// The sheet's rows as inputs, with their row numbers, and the columns not read.
#[allow(clippy::type_complexity)]
fn read(bytes: &[u8]) -> AppResult<(Vec<(usize, Result<LeadInput, RowError>)>, Vec<String>)> {
    let (table, numbers) =
        sheets::read_numbered(bytes).map_err(|e| AppError::invalid("file", e.to_string()))?;
    if table.rows.len() > MAX_ROWS {
        return Err(AppError::invalid(
            "file",
            format!("at most {MAX_ROWS} rows a sheet; split it"),
        ));
    }
    let fields: Vec<Option<&str>> = table.headers.iter().map(|h| field_of(h)).collect();
    if !fields.contains(&Some("product_line")) {
        return Err(AppError::invalid("file", "no 产品线 (product_line) column"));
    }
    let ignored = table
        .headers
        .iter()
        .zip(&fields)
        .filter(|(h, f)| f.is_none() && !h.trim().is_empty())
        .map(|(h, _)| h.clone())
        .collect();
    let rows = table
        .rows
        .iter()
        .zip(numbers)
        .map(|(cells, row)| {
            let mut i = LeadInput::default();
            let (mut p, mut c, mut d) = (String::new(), String::new(), String::new());
            let mut bad = None;
            for (cell, f) in cells.iter().zip(&fields) {
                let v = cell.trim().to_string();
                match f {
                    Some("name") => i.name = v,
                    Some("phone") => i.phone = v,
                    Some("product_line") => i.product_line = v,
                    Some("interest") => i.interest = v,
                    Some("budget") => i.budget = v,
                    Some("timing") => i.timing = v,
                    Some("region") => i.region = v,
                    Some("province") => p = v,
                    Some("city") => c = v,
                    Some("district") => d = v,
                    Some("address") => i.address = v,
                    Some("notes") => i.notes = v,
                    Some("journey") if !v.is_empty() => match journey(&v) {
                        Some(j) => i.journey = Some(j),
                        None => {
                            bad = Some(RowError {
                                row,
                                field: "journey".into(),
                                reason: "搜索, 选择, 购买, 收货 or 退换".into(),
                            })
                        }
                    },
                    Some("external_id") if !v.is_empty() => i.external_id = Some(v),
                    _ => {}
                }
            }
            if i.region.is_empty() {
                i.region = [p, c, d]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join("/");
            }
            (row, bad.map_or(Ok(i), Err))
        })
        .collect();
    Ok((rows, ignored))
}

impl App {
    /// Checks a sheet of leads and, when `commit` and no row is wrong, takes every lead in
    /// (by `actor`, credited when won) in one transaction.
    pub async fn import_leads(
        &self,
        tenant: TenantId,
        actor: &User,
        bytes: Vec<u8>,
        commit: bool,
    ) -> AppResult<LeadImport> {
        if bytes.len() > MAX_BYTES {
            return Err(AppError::invalid(
                "file",
                format!("at most {} MB; split it", MAX_BYTES >> 20),
            ));
        }
        let (rows, ignored) = tokio::task::spawn_blocking(move || read(&bytes))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        let settings = self.lead_settings(tenant).await?;
        let scoped = self.store().scoped(tenant);
        let mut report = LeadImport {
            rows: rows.len(),
            ignored,
            ..LeadImport::default()
        };
        let mut inputs = Vec::new();
        let mut seen = HashSet::new();
        for (row, input) in rows {
            let input = match input {
                Ok(i) => i,
                Err(e) => {
                    report.errors.push(e);
                    continue;
                }
            };
            if let Some(ext) = &input.external_id {
                if !seen.insert(ext.clone()) {
                    report.errors.push(RowError {
                        row,
                        field: "external_id".into(),
                        reason: "twice in this sheet".into(),
                    });
                    continue;
                }
                if scoped.lead_by_external(ext).await?.is_some() {
                    report.existing += 1;
                    continue;
                }
            }
            match self.checked_lead(tenant, &settings, input).await {
                Ok(i) => inputs.push(i),
                Err(AppError::Invalid { field, reason }) => {
                    report.errors.push(RowError { row, field, reason })
                }
                Err(e) => return Err(e),
            }
        }
        report.created = inputs.len();
        if !commit || !report.errors.is_empty() || inputs.is_empty() {
            return Ok(report);
        }
        let cal = self.lead_calendar(tenant, &settings).await;
        let limits = crate::leads::limits(&settings);
        let lock = self.lead_lock(tenant);
        let _one_at_a_time = lock.lock().await;
        let now = self.now_ms();
        let mut events = Vec::with_capacity(2 * inputs.len());
        for i in inputs {
            let id = self.next_lead_id().await?;
            let mine = self
                .taken_in(tenant, Some(actor), "import", i, id, limits, &cal, now)
                .await?;
            report.offered += usize::from(mine.len() > 1);
            events.extend(mine);
        }
        self.events()
            .append_all(events)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        report.committed = true;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_in_chinese_or_english_and_regions_in_columns() {
        let csv = "姓名,手机,产品线,省,市,区,阶段,展会\n张三,13800001111,挖掘机,浙江省,杭州市,西湖区,选择,2026春\n李四,,装载机,,,,不知道,\n";
        let (rows, ignored) = read(csv.as_bytes()).unwrap();
        assert_eq!(ignored, ["展会"]);
        let (row, first) = &rows[0];
        let first = first.as_ref().unwrap();
        assert_eq!((*row, first.region.as_str()), (2, "浙江省/杭州市/西湖区"));
        assert_eq!(first.journey, Some(leads::Journey::Select));
        let (row, second) = &rows[1];
        assert_eq!(
            (*row, second.as_ref().unwrap_err().field.as_str()),
            (3, "journey")
        );
        assert!(
            read("姓名,手机\n张三,1\n".as_bytes()).is_err(),
            "no product line column"
        );
    }
}
