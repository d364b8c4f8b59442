//! How values read on screen: times in the merchant's words, counts, percentages and the
//! labels of the API's codes. No screen shows a wire value (`ORDER_PAID`) or raw JSON.

/// `2026-12-01T14:03:27.123Z` → `1 Dec 2026, 14:03` (UTC: what the API stores).
pub fn datetime(rfc3339: &str) -> String {
    let date = date(rfc3339);
    match rfc3339.get(11..16) {
        Some(time) if !date.is_empty() => format!("{date}, {time}"),
        _ => date,
    }
}

/// `2026-12-01…` → `1 Dec 2026`.
pub fn date(iso: &str) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let parts: Vec<&str> = iso.get(..10).unwrap_or(iso).split('-').collect();
    match parts.as_slice() {
        [y, m, d] => match (m.parse::<usize>(), d.parse::<u32>()) {
            (Ok(m @ 1..=12), Ok(d)) => format!("{d} {} {y}", MONTHS[m - 1]),
            _ => iso.to_owned(),
        },
        _ => iso.to_owned(),
    }
}

/// Days from now until `rfc3339`, to the nearest (negative when past), for countdowns.
pub fn days_until(rfc3339: &str) -> Option<i64> {
    let then = js_sys::Date::parse(rfc3339);
    if then.is_nan() {
        return None;
    }
    Some(((then - js_sys::Date::now()) / 86_400_000.0).round() as i64)
}

pub fn percent(rate: f64) -> String {
    format!("{:.1} %", rate * 100.0)
}

/// `a / b` as a percentage, 0 when `b` is.
pub fn ratio(a: i64, b: i64) -> String {
    if b == 0 { "–".into() } else { percent(a as f64 / b as f64) }
}

/// Today and `days` before it, as `YYYY-MM-DD` (UTC, as the analytics API counts days).
pub fn last_days(days: u32) -> (String, String) {
    let now = js_sys::Date::new_0();
    let to = iso_day(&now);
    let from = js_sys::Date::new(&(now.get_time() - f64::from(days) * 86_400_000.0).into());
    (iso_day(&from), to)
}

pub fn iso_day(d: &js_sys::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.get_utc_full_year(), d.get_utc_month() + 1, d.get_utc_date())
}

/// The merchant's words for the API's codes.
pub fn label(code: &str) -> String {
    let known = match code {
        "PENDING" => "Pending",
        "APPROVED" => "Approved",
        "REJECTED" => "Rejected",
        "ARCHIVED" => "Archived",
        "DRAFT" => "Draft",
        "ACTIVE" => "Active",
        "PAUSED" => "Paused",
        "SCHEDULED" => "Scheduled",
        "QUEUED" => "Queued",
        "SENT" => "Sent",
        "DELIVERED" => "Delivered",
        "OPENED" => "Opened",
        "CLICKED" => "Clicked",
        "SUBMITTED" => "Submitted",
        "EXPIRED" => "Expired",
        "FAILED" => "Failed",
        "RETRYING" => "Retrying",
        "REMINDER_SENT" => "Reminder sent",
        "ORDER_PAID" => "Order paid",
        "ORDER_FULFILLED" => "Order fulfilled",
        "ORDER_DELIVERED" => "Order delivered",
        "EMAIL" => "Email",
        "SMS" => "SMS",
        "BOTH" => "Email and SMS",
        "HOME" => "Home page",
        "PRODUCT" => "Product page",
        "REQUEST" => "Request",
        "REMINDER" => "Reminder",
        "CAPTURE" => "Customer link",
        "IMPORT" => "Imported",
        "UPLOADED" => "Uploaded",
        "PROCESSING" => "Processing",
        "READY" => "Ready",
        "READ" => "Read",
        "WRITE" => "Read and write",
        "INFO" => "Info",
        "WARNING" => "Warning",
        "CRITICAL" => "Critical",
        "merchant_cancelled" => "Cancelled by you",
        "order_cancelled" => "Order cancelled",
        "token_expired" => "Link expired",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_owned();
    }
    // An unknown code still reads as words: `send_failed` → `Send failed`.
    let words = code.replace(['_', '-'], " ").to_lowercase();
    let mut chars = words.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The Polaris badge tone for a status.
pub fn tone(code: &str) -> &'static str {
    match code {
        "APPROVED" | "ACTIVE" | "SENT" | "DELIVERED" | "CLICKED" | "SUBMITTED" | "READY" | "OPENED" => "success",
        "PENDING" | "SCHEDULED" | "QUEUED" | "PROCESSING" | "UPLOADED" | "RETRYING" | "PAUSED" | "WARNING" => "warning",
        "FAILED" | "REJECTED" | "CRITICAL" => "critical",
        "DRAFT" | "INFO" => "info",
        _ => "neutral",
    }
}
