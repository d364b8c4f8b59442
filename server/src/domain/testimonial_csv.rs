//! Testimonials as CSV: the export a merchant downloads, and the import of testimonials they
//! collected elsewhere. Import is all or nothing: every row is checked first, and one bad row
//! imports nothing, with every problem named by row and column.

use chrono::{DateTime, NaiveDate, Utc};

/// At most this many rows per import.
pub const MAX_IMPORT_ROWS: usize = 1000;
const MAX_NAME: usize = 80;
const MAX_QUOTE: usize = 2000;

/// The columns an import reads (header names, any case, any order; others are ignored).
pub const IMPORT_COLUMNS: &[&str] = &["product_id", "display_name", "rating", "quote", "video_url", "consent", "date"];

/// One testimonial to import, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// The line in the file (the header is line 1).
    pub line: usize,
    pub product_id: i64,
    pub display_name: String,
    pub rating: Option<i16>,
    pub quote: Option<String>,
    pub video_url: Option<url::Url>,
    /// When the customer gave it (the `date` column), if known.
    pub given_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub line: usize,
    pub column: String,
    pub message: String,
}

/// Reads an import file. `Err` lists every problem found.
pub fn parse_import(text: &str) -> Result<Vec<ImportRow>, Vec<RowError>> {
    let err = |line: usize, column: &str, message: String| RowError { line, column: column.into(), message };
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase()).collect(),
        Err(e) => return Err(vec![err(1, "", format!("unreadable header: {e}"))]),
    };
    let missing: Vec<RowError> = ["product_id", "display_name", "consent"]
        .iter()
        .filter(|c| !headers.iter().any(|h| h == *c))
        .map(|c| err(1, c, "this column is required".into()))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (rows, mut errors) = (reader.records(), Vec::new());
    let mut out = Vec::new();
    for (i, record) in rows.enumerate() {
        let line = i + 2;
        if out.len() + errors.len() >= MAX_IMPORT_ROWS {
            errors.push(err(line, "", format!("at most {MAX_IMPORT_ROWS} rows per import")));
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(err(line, "", format!("unreadable row: {e}")));
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let get = |name: &str| col(name).and_then(|i| record.get(i)).filter(|v| !v.is_empty());
        let before = errors.len();
        let product_id = match get("product_id").map(|v| v.rsplit('/').next().unwrap_or(v).parse::<i64>()) {
            Some(Ok(id)) if id > 0 => id,
            Some(_) => {
                errors.push(err(line, "product_id", "is not a Shopify product id".into()));
                0
            }
            None => {
                errors.push(err(line, "product_id", "is required".into()));
                0
            }
        };
        let display_name = get("display_name").unwrap_or_default().to_owned();
        if display_name.is_empty() {
            errors.push(err(line, "display_name", "is required".into()));
        } else if display_name.chars().count() > MAX_NAME {
            errors.push(err(line, "display_name", format!("at most {MAX_NAME} characters")));
        }
        let rating = match get("rating").map(str::parse::<i16>) {
            None => None,
            Some(Ok(r)) if (1..=5).contains(&r) => Some(r),
            Some(_) => {
                errors.push(err(line, "rating", "must be a whole number from 1 to 5".into()));
                None
            }
        };
        let quote = get("quote").map(str::to_owned);
        if quote.as_ref().is_some_and(|q| q.chars().count() > MAX_QUOTE) {
            errors.push(err(line, "quote", format!("at most {MAX_QUOTE} characters")));
        }
        let video_url = match get("video_url").map(url::Url::parse) {
            None => None,
            Some(Ok(u)) if matches!(u.scheme(), "http" | "https") => Some(u),
            Some(_) => {
                errors.push(err(line, "video_url", "must be an http or https link".into()));
                None
            }
        };
        if quote.is_none() && video_url.is_none() {
            errors.push(err(line, "quote", "a row needs a quote or a video_url".into()));
        }
        if !get("consent").is_some_and(|c| matches!(c.to_ascii_lowercase().as_str(), "yes" | "true" | "1" | "y")) {
            errors.push(err(
                line,
                "consent",
                "must be yes: import only testimonials the customer agreed to have published".into(),
            ));
        }
        let given_at = match get("date") {
            None => None,
            Some(d) => match parse_date(d) {
                Some(t) => Some(t),
                None => {
                    errors.push(err(line, "date", "must be a date like 2026-05-31 or an RFC 3339 time".into()));
                    None
                }
            },
        };
        if errors.len() == before {
            out.push(ImportRow { line, product_id, display_name, rating, quote, video_url, given_at });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if out.is_empty() {
        return Err(vec![err(2, "", "the file has no rows".into())]);
    }
    Ok(out)
}

fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
}

/// The export's columns, in order.
pub const EXPORT_COLUMNS: &[&str] = &[
    "id",
    "created_at",
    "source",
    "status",
    "published",
    "published_at",
    "placement_home",
    "placement_product",
    "featured",
    "product_id",
    "display_name",
    "rating",
    "quote",
    "flagged_reason",
    "has_video",
    "media_status",
    "duration_seconds",
    "video_url",
    "poster_url",
    "consent_publish",
    "consent_text",
    "consent_version",
    "consented_at",
    "order_name",
];

/// A spreadsheet runs a cell starting with `=`, `+`, `-`, `@` (or a tab/CR) as a formula; a
/// customer's quote must stay text, so such cells get a leading apostrophe (OWASP's advice).
fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Writes the export: a header, then one line per row (each row in [`EXPORT_COLUMNS`] order).
pub fn write_export(rows: &[Vec<String>]) -> String {
    let mut out = export_header();
    out.push_str(&export_lines(rows));
    out
}

/// The export's header line.
pub fn export_header() -> String {
    write_records(std::iter::once(EXPORT_COLUMNS.iter().map(|c| (*c).to_owned()).collect()))
}

/// Export lines without the header: what a streamed export sends per page.
pub fn export_lines(rows: &[Vec<String>]) -> String {
    write_records(rows.iter().map(|row| row.iter().map(|c| neutralise(c).into_owned()).collect()))
}

fn write_records(records: impl Iterator<Item = Vec<String>>) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    for record in records {
        w.write_record(&record).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("CSV of UTF-8 cells is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_imports_every_row() {
        let text = "\u{feff}Display_Name,product_id,rating,quote,video_url,consent,date\n\
                    \"Ada L.\",gid://shopify/Product/9007199254740993,5,\"Great, really\",https://cdn.example.com/a.mp4,yes,2026-05-31\n\
                    Bo,42,,Nice,,TRUE,\n\n";
        let rows = parse_import(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].product_id, 9_007_199_254_740_993);
        assert_eq!(rows[0].quote.as_deref(), Some("Great, really"));
        assert_eq!(rows[0].given_at.unwrap().to_rfc3339(), "2026-05-31T00:00:00+00:00");
        assert_eq!((rows[1].line, rows[1].rating, rows[1].video_url.is_none()), (3, None, true));
    }

    #[test]
    fn every_problem_is_named_by_line_and_column_and_nothing_is_kept() {
        let text = "product_id,display_name,rating,quote,video_url,consent,date\n\
                    abc,,9,,ftp://x/v.mp4,no,yesterday\n\
                    42,Ada,5,Fine,,yes,\n";
        let errors = parse_import(text).unwrap_err();
        let cols: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(
            cols,
            [
                (2, "product_id"),
                (2, "display_name"),
                (2, "rating"),
                (2, "video_url"),
                (2, "quote"),
                (2, "consent"),
                (2, "date")
            ]
        );
        let missing = parse_import("name,quote\nAda,Hi\n").unwrap_err();
        assert_eq!(
            missing.iter().map(|e| e.column.as_str()).collect::<Vec<_>>(),
            ["product_id", "display_name", "consent"]
        );
        assert!(parse_import("product_id,display_name,consent\n").is_err(), "no rows");
        let many = format!("product_id,display_name,quote,consent\n{}", "1,A,Q,yes\n".repeat(MAX_IMPORT_ROWS + 1));
        assert!(parse_import(&many).unwrap_err()[0].message.contains("at most 1000 rows"));
    }

    #[test]
    fn exported_cells_are_quoted_and_formulas_are_defused() {
        let mut row = vec![String::new(); EXPORT_COLUMNS.len()];
        row[0] = "=HYPERLINK(\"http://evil\")".into();
        row[1] = "Great, \"really\"\nyes".into();
        row[2] = "-1".into();
        let out = write_export(&[row]);
        let mut lines = out.split("\r\n");
        assert_eq!(lines.next().unwrap().split(',').count(), EXPORT_COLUMNS.len());
        assert!(out.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""), "{out}");
        assert!(out.contains("\"Great, \"\"really\"\"\nyes\""), "{out}");
        assert!(out.contains(",'-1"), "{out}");
    }
}
