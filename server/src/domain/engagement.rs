//! Telling people from machines (issue 4 §5). Mail scanners (Microsoft Defender Safe Links,
//! Proofpoint, Mimecast, Barracuda…), Apple's Mail Privacy Protection and link-preview bots open
//! pixels and follow links within seconds of delivery. Counting those as engagement would make
//! analytics lie and — worse — stop reminders for customers who never saw the message.
//!
//! An open or click is `machine` when any signal says so; the event is still recorded (with the
//! reason) so support can see what happened, but only `human` events move a request to
//! `clicked`, feed analytics, or count for reminder rules.

use chrono::{DateTime, Duration, Utc};

/// Faster than a person can open a message and follow its link after it was sent.
pub const HUMAN_REACTION: Duration = Duration::seconds(10);

/// Substrings of user agents that belong to scanners, proxies and preview bots (lower case).
const MACHINE_AGENTS: &[&str] = &[
    "bot",
    "crawler",
    "spider",
    "preview",
    "safelinks",
    "safe links",
    "proofpoint",
    "mimecast",
    "barracuda",
    "symantec",
    "messagelabs",
    "trendmicro",
    "forcepoint",
    "sophos",
    "fortiguard",
    "scanner",
    "googleimageproxy",
    "ggpht.com",
    "yahoomailproxy",
    "python-requests",
    "curl/",
    "wget/",
    "go-http-client",
    "headlesschrome",
];

/// What a request for a tracking URL (or a provider's engagement event) tells us.
#[derive(Debug, Clone, Default)]
pub struct Signals<'a> {
    pub user_agent: Option<&'a str>,
    /// `HEAD` instead of `GET`: link checkers do that, browsers do not.
    pub head_request: bool,
    /// `Purpose: prefetch`, `Sec-Purpose: prefetch…` or `X-Moz: prefetch`.
    pub prefetch: bool,
    /// When the message went out, to spot reactions faster than a human's.
    pub sent_at: Option<DateTime<Utc>>,
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Human,
    Machine(MachineReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineReason {
    HeadRequest,
    Prefetch,
    ScannerAgent,
    NoAgent,
    TooFast,
}

impl MachineReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HeadRequest => "head_request",
            Self::Prefetch => "prefetch",
            Self::ScannerAgent => "scanner_user_agent",
            Self::NoAgent => "no_user_agent",
            Self::TooFast => "within_seconds_of_send",
        }
    }
}

impl Actor {
    pub fn is_human(self) -> bool {
        self == Actor::Human
    }

    /// The payload fields every engagement event carries.
    pub fn payload(self) -> serde_json::Value {
        match self {
            Actor::Human => serde_json::json!({ "actor": "human" }),
            Actor::Machine(r) => serde_json::json!({ "actor": "machine", "machine": true, "reason": r.as_str() }),
        }
    }
}

pub fn classify(s: &Signals<'_>) -> Actor {
    if s.head_request {
        return Actor::Machine(MachineReason::HeadRequest);
    }
    if s.prefetch {
        return Actor::Machine(MachineReason::Prefetch);
    }
    match s.user_agent.map(str::trim) {
        None | Some("") => return Actor::Machine(MachineReason::NoAgent),
        Some(ua) => {
            let ua = ua.to_lowercase();
            if MACHINE_AGENTS.iter().any(|m| ua.contains(m)) {
                return Actor::Machine(MachineReason::ScannerAgent);
            }
        }
    }
    if let (Some(sent), Some(at)) = (s.sent_at, s.at)
        && at >= sent
        && at - sent < HUMAN_REACTION
    {
        return Actor::Machine(MachineReason::TooFast);
    }
    Actor::Human
}

/// Whether request headers announce a prefetch rather than a navigation.
pub fn is_prefetch(purpose: Option<&str>, sec_purpose: Option<&str>, x_moz: Option<&str>) -> bool {
    [purpose, sec_purpose, x_moz].into_iter().flatten().any(|v| v.to_ascii_lowercase().contains("prefetch"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const BROWSER: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 \
                           (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap() + Duration::seconds(s)
    }

    fn human() -> Signals<'static> {
        Signals { user_agent: Some(BROWSER), sent_at: Some(t(0)), at: Some(t(3600)), ..Default::default() }
    }

    #[test]
    fn a_browser_well_after_the_send_is_human() {
        assert_eq!(classify(&human()), Actor::Human);
        assert_eq!(classify(&Signals { sent_at: None, ..human() }), Actor::Human);
    }

    #[test]
    fn each_machine_signal_is_recognised() {
        use MachineReason::*;
        let cases = [
            (Signals { head_request: true, ..human() }, HeadRequest),
            (Signals { prefetch: true, ..human() }, Prefetch),
            (Signals { user_agent: None, ..human() }, NoAgent),
            (Signals { user_agent: Some("  "), ..human() }, NoAgent),
            (Signals { user_agent: Some("Mozilla/5.0 (compatible; Barracuda Sentinel)"), ..human() }, ScannerAgent),
            (
                Signals {
                    user_agent: Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) via ggpht.com GoogleImageProxy"),
                    ..human()
                },
                ScannerAgent,
            ),
            (Signals { user_agent: Some("python-requests/2.32"), ..human() }, ScannerAgent),
            (Signals { at: Some(t(4)), ..human() }, TooFast),
        ];
        for (signals, reason) in cases {
            assert_eq!(classify(&signals), Actor::Machine(reason), "{signals:?}");
        }
    }

    #[test]
    fn ten_seconds_after_the_send_counts_as_human() {
        assert_eq!(classify(&Signals { at: Some(t(10)), ..human() }), Actor::Human);
    }

    #[test]
    fn prefetch_headers() {
        assert!(is_prefetch(Some("prefetch"), None, None));
        assert!(is_prefetch(None, Some("prefetch;prerender"), None));
        assert!(is_prefetch(None, None, Some("Prefetch")));
        assert!(!is_prefetch(None, None, None));
        assert!(!is_prefetch(Some("navigate"), None, None));
    }

    #[test]
    fn machine_payload_says_so() {
        let p = Actor::Machine(MachineReason::TooFast).payload();
        assert_eq!(p["machine"], true);
        assert_eq!(p["reason"], "within_seconds_of_send");
        assert_eq!(Actor::Human.payload()["actor"], "human");
    }
}
