//! Spreadsheets in and out, as managers exchange them: a table of text read from a CSV file
//! (UTF-8 with or without the byte-order mark Excel writes, or GBK — what Excel on a Chinese
//! Windows saves "CSV" as) or from the first sheet of an XLSX workbook; and a table written
//! as CSV with a byte-order mark (so Excel shows Chinese correctly) or as XLSX with a bold,
//! frozen header row.
//!
//! It knows nothing about customers: rows are text, and meaning is the caller's.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

/// The most rows (under the header) and columns a file may have: reading stops there
/// rather than filling memory.
pub const MAX_ROWS: usize = 200_000;
pub const MAX_COLUMNS: usize = 256;
/// The most cells holding text an XLSX may have (a compressed sheet can declare far more
/// than its size suggests).
pub const MAX_CELLS: usize = 5_000_000;

/// The most an XLSX may unpack to (all its parts together), and how many times its packed
/// size: a small file that unpacks to gigabytes is refused before anything is unpacked.
pub const MAX_UNPACKED: u64 = 256 << 20;
pub const MAX_RATIO: u64 = 200;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("the file is empty")]
    Empty,
    #[error("not a CSV or XLSX file: {0}")]
    Format(String),
    #[error("row {row}: {reason}")]
    Row { row: usize, reason: String },
    #[error(
        "the file is too big: at most {MAX_ROWS} rows, {MAX_COLUMNS} columns and {MAX_CELLS} \
         filled cells; split it"
    )]
    TooBig,
    #[error(
        "the workbook unpacks to more than {} MB (or {MAX_RATIO} times its size); split it",
        MAX_UNPACKED >> 20
    )]
    Unpacked,
    #[error("cannot write the file: {0}")]
    Write(String),
}

/// A header row and the rows under it; every row as long as the header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// XLSX files are ZIP archives; anything else is taken for CSV.
    pub fn sniff(bytes: &[u8]) -> Format {
        if bytes.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

/// Reads a CSV or XLSX file. Blank rows are dropped; short rows are padded and cells are
/// trimmed.
pub fn read(bytes: &[u8]) -> Result<Table, SheetError> {
    read_numbered(bytes).map(|(t, _)| t)
}

/// [`read`], with each row's number as the spreadsheet shows it (the header's is usually 1;
/// blank rows are skipped but counted), for errors that name the row.
pub fn read_numbered(bytes: &[u8]) -> Result<(Table, Vec<usize>), SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::Empty);
    }
    let mut rows = match Format::sniff(bytes) {
        Format::Xlsx => read_xlsx(bytes)?,
        Format::Csv => read_csv(&decode(bytes))?,
    };
    rows.retain(|(_, r)| r.iter().any(|c| !c.trim().is_empty()));
    if rows.is_empty() {
        return Err(SheetError::Empty);
    }
    let headers: Vec<String> = rows
        .remove(0)
        .1
        .into_iter()
        .map(|h| h.trim().to_string())
        .collect();
    let width = headers.len();
    let numbers = rows.iter().map(|(n, _)| *n).collect();
    let rows = rows
        .into_iter()
        .map(|(_, mut r)| {
            r.resize(width.max(r.len()), String::new());
            r.truncate(width);
            r.into_iter()
                .map(|c| undefuse(c.trim()).to_string())
                .collect()
        })
        .collect();
    Ok((Table { headers, rows }, numbers))
}

/// The `'` that [`defuse`] put before a would-be formula.
fn undefuse(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '@', '+', '-', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// Text from UTF-8 (a byte-order mark dropped), or from GBK when it is not UTF-8.
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GBK.decode(bytes).0.into_owned(),
    }
}

fn read_csv(text: &str) -> Result<Vec<(usize, Vec<String>)>, SheetError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    // Lines counted up to `seen` bytes: a record's line is where its first cell starts
    // (the reader's own position can precede blank lines it skipped).
    let (mut seen, mut line) = (0usize, 1usize);
    for (i, r) in reader.records().enumerate() {
        let rec = r.map_err(|e| SheetError::Row {
            row: i + 1,
            reason: e.to_string(),
        })?;
        if rows.len() > MAX_ROWS || rec.len() > MAX_COLUMNS {
            return Err(SheetError::TooBig);
        }
        let start = rec
            .position()
            .map_or(seen, |p| p.byte() as usize)
            .min(text.len());
        let start = start.max(seen);
        line += text.as_bytes()[seen..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        let blank = text.as_bytes()[start..]
            .iter()
            .take_while(|b| matches!(b, b'\n' | b'\r'))
            .filter(|b| **b == b'\n')
            .count();
        rows.push((line + blank, rec.iter().map(String::from).collect()));
        seen = start;
    }
    Ok(rows)
}

/// The first sheet, cell by cell as the file holds them, so a cell far out (`XFD1048576`)
/// is refused before any grid is allocated: only cells with text are kept, and the limits
/// are checked on each as it is read.
/// Refuses an archive whose parts, as its directory declares them, unpack to too much.
fn check_unpacked(bytes: &[u8]) -> Result<(), SheetError> {
    let format = |e: zip::result::ZipError| SheetError::Format(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(format)?;
    let limit = MAX_UNPACKED.min((bytes.len() as u64).saturating_mul(MAX_RATIO));
    let mut total = 0u64;
    for i in 0..archive.len() {
        total = total.saturating_add(archive.by_index_raw(i).map_err(format)?.size());
        if total > limit {
            return Err(SheetError::Unpacked);
        }
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, SheetError> {
    check_unpacked(bytes)?;
    let format = |e: calamine::XlsxError| SheetError::Format(e.to_string());
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(format)?;
    let first = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| SheetError::Format("the workbook has no sheet".into()))?;
    let mut reader = book.worksheet_cells_reader(&first).map_err(format)?;
    let mut cells = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(format)? {
        let (row, col) = cell.get_position();
        let (row, col) = (row as usize, col as usize);
        if row > MAX_ROWS || col >= MAX_COLUMNS {
            return Err(SheetError::TooBig);
        }
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if !text.is_empty() {
            if cells.len() == MAX_CELLS {
                return Err(SheetError::TooBig);
            }
            cells.push((row, col, text));
        }
    }
    // The table starts at the first row and column holding text, as the sheet shows it.
    let top = cells.iter().map(|c| c.0).min().unwrap_or(0);
    let left = cells.iter().map(|c| c.1).min().unwrap_or(0);
    let mut rows: Vec<(usize, Vec<String>)> = Vec::new();
    for (row, col, text) in cells {
        let (r, c) = (row - top, col - left);
        while rows.len() <= r {
            rows.push((top + rows.len() + 1, Vec::new()));
        }
        if rows[r].1.len() <= c {
            rows[r].1.resize(c + 1, String::new());
        }
        rows[r].1[c] = text;
    }
    Ok(rows)
}

/// A cell as the user sees it: whole numbers without `.0` (phone numbers typed as numbers).
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        other => other.to_string(),
    }
}

/// Writes `table` as a file of `format`.
pub fn write(table: &Table, format: Format) -> Result<Vec<u8>, SheetError> {
    match format {
        Format::Csv => {
            let mut out = b"\xEF\xBB\xBF".to_vec();
            {
                let mut w = csv::Writer::from_writer(&mut out);
                let err = |e: csv::Error| SheetError::Write(e.to_string());
                w.write_record(table.headers.iter().map(|c| defuse(c).into_owned()))
                    .map_err(err)?;
                for r in &table.rows {
                    w.write_record(r.iter().map(|c| defuse(c).into_owned()))
                        .map_err(err)?;
                }
                w.flush().map_err(|e| SheetError::Write(e.to_string()))?;
            }
            Ok(out)
        }
        Format::Xlsx => write_xlsx(table).map_err(|e| SheetError::Write(e.to_string())),
    }
}

/// A cell Excel would run as a formula (`=HYPERLINK(…)`, `@SUM(…)`) gets a leading `'`,
/// which keeps it text. Telephone numbers (`+86…`) and negative numbers stay as they are;
/// [`read`] takes the `'` off again.
fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = match cell.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => !cell[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ' || c == '.' || c == '-'),
        _ => false,
    };
    if risky {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

fn write_xlsx(table: &Table) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format as Style, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let bold = Style::new().set_bold();
    for (c, h) in table.headers.iter().enumerate() {
        let col = u16::try_from(c).unwrap_or(u16::MAX);
        sheet.write_string_with_format(0, col, h, &bold)?;
        // Wide enough for the longest of the first rows, CJK counted double.
        let width = table
            .rows
            .iter()
            .take(200)
            .map(|r| display_width(&r[c]))
            .chain([display_width(h)])
            .max()
            .unwrap_or(8)
            .clamp(6, 60);
        sheet.set_column_width(col, width as f64 + 2.0)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let at = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, cell) in row.iter().enumerate() {
            // Everything as text, so numbers like phone numbers keep their leading + and 0s.
            sheet.write_string(at, u16::try_from(c).unwrap_or(u16::MAX), cell)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}

fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 24: rows are named as the spreadsheet numbers them, blank rows and cells with
    /// line breaks counted.
    #[test]
    fn issue_24_rows_keep_the_numbers_the_sheet_shows() {
        let csv = "title,body\n\na,\"two\nlines\"\nb,x\n";
        let (t, n) = read_numbered(csv.as_bytes()).unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(n, [3, 5]);
        let mut x = table();
        x.rows.insert(0, vec![String::new(); x.headers.len()]);
        let bytes = write(&x, Format::Xlsx).unwrap();
        let (back, n) = read_numbered(&bytes).unwrap();
        assert_eq!(back.rows.len(), x.rows.len() - 1);
        assert_eq!(n[0], 3);
    }

    fn table() -> Table {
        Table {
            headers: vec!["姓名".into(), "电话".into(), "备注".into()],
            rows: vec![
                vec!["张伟".into(), "+8613812345678".into(), "说,\"引号\"".into()],
                vec!["李娜".into(), "010-88886666".into(), String::new()],
            ],
        }
    }

    #[test]
    fn csv_and_xlsx_round_trip() {
        for format in [Format::Csv, Format::Xlsx] {
            let bytes = write(&table(), format).unwrap();
            assert_eq!(Format::sniff(&bytes), format);
            assert_eq!(read(&bytes).unwrap(), table(), "{format:?}");
        }
    }

    #[test]
    fn csv_has_a_byte_order_mark_for_excel() {
        assert!(
            write(&table(), Format::Csv)
                .unwrap()
                .starts_with(b"\xEF\xBB\xBF")
        );
    }

    #[test]
    fn gbk_csv_from_chinese_excel_is_read() {
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,电话\r\n王芳,13900000001\r\n");
        let t = read(&gbk).unwrap();
        assert_eq!(t.headers, ["姓名", "电话"]);
        assert_eq!(t.rows, [["王芳", "13900000001"]]);
    }

    #[test]
    fn ragged_and_blank_rows_are_evened_out() {
        let t = read(" name , phone \n\nA\nB,1,extra\n , \n".as_bytes()).unwrap();
        assert_eq!(t.headers, ["name", "phone"]);
        assert_eq!(t.rows, [["A", ""], ["B", "1"]]);
    }

    #[test]
    fn formulas_are_kept_as_text_in_csv_and_read_back() {
        let t = Table {
            headers: vec!["备注".into()],
            rows: vec![
                vec!["=HYPERLINK(\"http://x\")".into()],
                vec!["+8613812345678".into()],
                vec!["-5".into()],
                vec!["@SUM(A1)".into()],
            ],
        };
        let csv = write(&t, Format::Csv).unwrap();
        let text = String::from_utf8_lossy(&csv);
        assert!(
            text.contains("'=HYPERLINK") && text.contains("'@SUM"),
            "{text}"
        );
        assert!(
            text.contains("\n+8613812345678") && text.contains("\n-5"),
            "{text}"
        );
        assert_eq!(read(&csv).unwrap(), t);
    }

    #[test]
    fn too_many_columns_is_refused_not_read() {
        let wide = format!("{}\n", vec!["h"; MAX_COLUMNS + 1].join(","));
        assert!(matches!(read(wide.as_bytes()), Err(SheetError::TooBig)));
    }

    #[test]
    fn empty_and_broken_files_say_so() {
        assert!(matches!(read(b""), Err(SheetError::Empty)));
        assert!(matches!(read(b"\n\n"), Err(SheetError::Empty)));
        assert!(matches!(
            read(b"PK\x03\x04garbage"),
            Err(SheetError::Format(_))
        ));
    }

    /// Issue 20: a 10 KB workbook whose cells span A1:XFD1048576 is refused before a grid of
    /// seventeen billion cells is allocated (it killed the process).
    #[test]
    fn issue_20_a_workbook_spanning_the_whole_grid_is_refused_before_allocating() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "姓名").unwrap();
        sheet.write_string(1_048_575, 16_383, "x").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        assert!(bytes.len() < 20_000, "{}", bytes.len());
        assert!(matches!(read(&bytes), Err(SheetError::TooBig)));
    }

    /// Issue 20: a workbook whose shared strings unpack to a thousand times its size (a zip
    /// bomb) is refused from its directory, before calamine unpacks anything.
    #[test]
    fn issue_20_a_workbook_that_unpacks_to_too_much_is_refused_before_unpacking() {
        use std::io::Write;
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet().write_string(0, 0, "姓名").unwrap();
        let good = book.save_to_buffer().unwrap();
        assert!(read(&good).is_ok());
        // The same workbook with its shared strings swapped for 20 MB of spaces.
        let mut source = zip::ZipArchive::new(Cursor::new(&good)).unwrap();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for i in 0..source.len() {
            let mut part = source.by_index(i).unwrap();
            let name = part.name().unwrap().to_string();
            out.start_file(&name, options).unwrap();
            if name.ends_with("sharedStrings.xml") {
                out.write_all(&vec![b' '; 20 << 20]).unwrap();
            } else {
                std::io::copy(&mut part, &mut out).unwrap();
            }
        }
        let bomb = out.finish().unwrap().into_inner();
        assert!(bomb.len() < 100_000, "{}", bomb.len());
        assert!(matches!(read(&bomb), Err(SheetError::Unpacked)));
    }

    /// A table that starts further in (B3) reads as the sheet shows it, gaps kept.
    #[test]
    fn a_table_starting_at_b3_reads_from_its_first_cell() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(2, 1, "姓名").unwrap();
        sheet.write_string(2, 3, "电话").unwrap();
        sheet.write_string(3, 1, "张伟").unwrap();
        sheet.write_number(3, 3, 13812345678.0).unwrap();
        let t = read(&book.save_to_buffer().unwrap()).unwrap();
        assert_eq!(t.headers, ["姓名", "", "电话"]);
        assert_eq!(t.rows, [["张伟", "", "13812345678"]]);
    }
}
