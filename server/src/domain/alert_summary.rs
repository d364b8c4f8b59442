//! The daily alert summary (opt-in): at most one email a day to the shop's alert address,
//! listing the alerts raised since the last summary. Nothing to report, no email.

use super::html::escape;
use chrono::{DateTime, Duration, Utc};
use entity::AlertSeverity;

/// At most one summary per shop in this span.
pub fn interval() -> Duration {
    Duration::hours(24)
}

/// A summary is due when the last one went out a full interval ago (or never did).
pub fn is_due(last_sent: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_sent.is_none_or(|t| now - t >= interval())
}

/// One alert as the summary shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub severity: AlertSeverity,
    pub message: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// At most this many alerts are listed; the rest are counted.
pub const MAX_LINES: usize = 50;

/// The email: the count in the subject, critical ones first, then newest first, each with its
/// UTC time, and a link to the alerts page of the admin.
pub fn render(shop: &str, admin_url: &str, alerts: &[Line]) -> Summary {
    let mut lines: Vec<&Line> = alerts.iter().collect();
    let rank = |s: AlertSeverity| match s {
        AlertSeverity::Critical => 0,
        AlertSeverity::Warning => 1,
        AlertSeverity::Info => 2,
    };
    lines.sort_by(|a, b| rank(a.severity).cmp(&rank(b.severity)).then(b.at.cmp(&a.at)));
    let n = alerts.len();
    let subject = format!("Reelproof: {n} new alert{} for {shop}", if n == 1 { "" } else { "s" });
    let shown = &lines[..n.min(MAX_LINES)];
    let more = n.saturating_sub(MAX_LINES);
    let when = |l: &Line| l.at.format("%Y-%m-%d %H:%M UTC").to_string();
    let mut text = format!("{subject}\n\n");
    let mut items = String::new();
    for l in shown {
        text.push_str(&format!("- [{}] {} ({})\n", l.severity, l.message, when(l)));
        items.push_str(&format!(
            "<li><strong>{}</strong> {} <small>({})</small></li>",
            escape(l.severity.as_str()),
            escape(&l.message),
            when(l)
        ));
    }
    if more > 0 {
        text.push_str(&format!("… and {more} more.\n"));
        items.push_str(&format!("<li>… and {more} more.</li>"));
    }
    text.push_str(&format!("\nSee them all: {admin_url}\nTurn this summary off in the app's settings.\n"));
    let html = format!(
        "<p>{}</p><ul>{items}</ul><p><a href=\"{}\">See them all</a></p><p><small>Turn this summary off in the app's settings.</small></p>",
        escape(&subject),
        escape(admin_url)
    );
    Summary { subject, text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(severity: AlertSeverity, message: &str, hour: u32) -> Line {
        use chrono::TimeZone;
        Line { severity, message: message.into(), at: Utc.with_ymd_and_hms(2026, 11, 29, hour, 0, 0).unwrap() }
    }

    #[test]
    fn at_most_one_a_day() {
        let now = Utc::now();
        assert!(is_due(None, now));
        assert!(!is_due(Some(now - Duration::hours(23)), now));
        assert!(is_due(Some(now - Duration::hours(24)), now));
    }

    #[test]
    fn critical_first_then_newest_escaped_and_capped() {
        let s = render(
            "acme.myshopify.com",
            "https://x/app/alerts",
            &[
                line(AlertSeverity::Warning, "old <b>", 1),
                line(AlertSeverity::Critical, "bounce", 2),
                line(AlertSeverity::Warning, "new", 3),
            ],
        );
        assert_eq!(s.subject, "Reelproof: 3 new alerts for acme.myshopify.com");
        let (b, n, o) = (s.text.find("bounce").unwrap(), s.text.find("new (").unwrap(), s.text.find("old").unwrap());
        assert!(b < n && n < o, "{}", s.text);
        assert!(s.html.contains("old &lt;b&gt;") && !s.html.contains("<b>"), "{}", s.html);

        let many: Vec<_> = (0..60).map(|i| line(AlertSeverity::Info, &format!("a{i}"), 1)).collect();
        let s = render("acme.myshopify.com", "u", &many);
        assert!(s.text.contains("… and 10 more."), "{}", s.text);
        assert_eq!(s.text.matches("\n- [").count(), MAX_LINES);
    }
}
