//! A merchant's import file (or anything pasted into the import box): the reader checks every
//! row, and what it accepts keeps the rules the database relies on. The export of any cell
//! reads back as the same text and never as a spreadsheet formula.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::domain::testimonial_csv::{EXPORT_COLUMNS, MAX_IMPORT_ROWS, parse_import, write_export};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse_import(text) {
        Ok(rows) => {
            assert!(!rows.is_empty() && rows.len() <= MAX_IMPORT_ROWS);
            for r in rows {
                assert!(r.product_id > 0);
                assert!(!r.display_name.is_empty() && r.display_name.chars().count() <= 80);
                assert!(r.rating.is_none_or(|n| (1..=5).contains(&n)));
                assert!(r.quote.is_some() || r.video_url.is_some());
                assert!(r.video_url.as_ref().is_none_or(|u| matches!(u.scheme(), "http" | "https")));
                assert!(r.line >= 2);
            }
        }
        Err(errors) => assert!(!errors.is_empty() && errors.iter().all(|e| e.line >= 1)),
    }
    // The same text as a cell of the export: one row back, every cell inert.
    let row: Vec<String> = EXPORT_COLUMNS.iter().map(|_| text.to_owned()).collect();
    let out = write_export(&[row]);
    let mut reader = csv::ReaderBuilder::new().from_reader(out.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("the export reads back")).collect();
    assert_eq!(records.len(), 1, "one row written, one row read");
    for cell in records[0].iter() {
        assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "a formula cell: {cell:?}");
        assert!(cell == text || cell.strip_prefix('\'') == Some(text), "the cell changed");
    }
});
