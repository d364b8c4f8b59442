//! The profanity and spam filter for testimonial text. It flags, it never deletes: a flagged
//! submission waits for the merchant (and is never auto-published). Words match whole, case
//! and accents aside; each locale has a short built-in list and the shop adds its own words.

/// Built-in words per language (deliberately short: the merchant's own list does the rest).
fn builtin(language: &str) -> &'static [&'static str] {
    match language {
        "en" => &["fuck", "fucking", "shit", "bullshit", "cunt", "asshole", "bitch", "bastard", "dick", "wanker"],
        "fr" => &["merde", "putain", "connard", "connasse", "salope", "encule", "bordel"],
        "de" => &["scheisse", "arschloch", "fotze", "wichser", "hurensohn"],
        "es" => &["mierda", "puta", "cabron", "gilipollas", "joder", "pendejo"],
        _ => &[],
    }
}

/// Lower case without common accents, so `Merdé` and `MERDE` match `merde`.
fn fold(word: &str) -> String {
    word.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            'ß' => 's',
            other => other,
        })
        .collect()
}

/// Why `text` is flagged, or `None` when it is clean. `locale` picks the built-in list (and
/// English is always checked); `extra` is the shop's own list.
pub fn flag(text: &str, locale: &str, extra: &[String]) -> Option<String> {
    let lower = text.to_lowercase();
    if lower.contains("http://") || lower.contains("https://") || lower.contains("www.") {
        return Some("contains a link (possible spam)".into());
    }
    let language = locale.split(['-', '_']).next().unwrap_or("en").to_ascii_lowercase();
    let mut words: Vec<String> = builtin(&language).iter().chain(builtin("en")).map(|w| (*w).to_owned()).collect();
    words.extend(extra.iter().map(|w| fold(w.trim())).filter(|w| !w.is_empty()));
    let found = text.split(|c: char| !c.is_alphanumeric()).map(fold).find(|t| !t.is_empty() && words.contains(t));
    found.map(|w| format!("contains the word {w:?}"))
}

#[cfg(test)]
mod tests {
    use super::flag;

    #[test]
    fn whole_words_in_the_locale_and_the_shops_list_are_flagged() {
        assert_eq!(flag("Great chair, love it", "en", &[]), None);
        assert_eq!(flag("This is SHIT quality", "en", &[]).as_deref(), Some("contains the word \"shit\""));
        assert_eq!(flag("Shitake mushrooms arrived fresh", "en", &[]), None, "whole words only");
        assert!(flag("Quelle merdé", "fr-CA", &[]).is_some(), "accents folded, regional locale");
        assert!(flag("fuck", "fr", &[]).is_some(), "English is always checked");
        assert!(flag("Cheap knockoff", "en", &["Knockoff".into()]).is_some(), "the shop's own words");
        assert_eq!(flag("see www.spam.example", "en", &[]).as_deref(), Some("contains a link (possible spam)"));
    }
}
