//! Integrators' API tokens: `rp_` and 32 random bytes in base64url, shown once at creation and
//! stored only as SHA-256 (like capture tokens). Scopes say what a token may do.

use super::tokens::{CaptureToken, TokenHash};

pub const PREFIX: &str = "rp_";

/// What a token may do. `Write` includes reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    /// Reads the stored comma-separated list; unknown words are ignored (never widened).
    pub fn parse_list(stored: &str) -> Vec<Scope> {
        let mut v: Vec<Scope> = stored
            .split(',')
            .filter_map(|s| match s.trim() {
                "read" => Some(Self::Read),
                "write" => Some(Self::Write),
                _ => None,
            })
            .collect();
        v.sort();
        v.dedup();
        v
    }

    pub fn store_list(scopes: &[Scope]) -> String {
        let mut v = scopes.to_vec();
        v.sort();
        v.dedup();
        v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
    }
}

/// A new token's text (show it once) and what to store.
pub fn generate() -> (String, TokenHash) {
    let text = format!("{PREFIX}{}", CaptureToken::generate().expose());
    let hash = TokenHash::of(&text);
    (text, hash)
}

/// Whether a bearer credential is an API token (as opposed to a Shopify session token).
pub fn looks_like(credential: &str) -> bool {
    credential.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_random_and_stored_hashed() {
        let (a, ha) = generate();
        let (b, _) = generate();
        assert!(looks_like(&a) && a.len() == 3 + 43 && a != b);
        assert!(ha.matches(&a) && !ha.as_str().contains(&a[3..]));
        assert!(!looks_like("eyJhbGciOi.session.token"));
    }

    #[test]
    fn scopes_round_trip_and_unknown_words_grant_nothing() {
        assert_eq!(Scope::parse_list("write,read,admin"), vec![Scope::Read, Scope::Write]);
        assert_eq!(Scope::store_list(&[Scope::Write, Scope::Read, Scope::Write]), "read,write");
        assert!(Scope::parse_list("admin").is_empty());
    }
}
