//! The page's words. The server chooses them for this customer (the order's language, else the
//! shop's, else English; the merchant's own wording on top) and puts them in the page as JSON
//! (`#reelproof-copy`), with `lang` and `dir` on the document: the bundle carries no language.

use std::collections::HashMap;

thread_local! {
    static COPY: HashMap<String, String> = load();
}

fn load() -> HashMap<String, String> {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("reelproof-copy"))
        .and_then(|el| el.text_content())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

/// The string for `key` (the key itself if the server sent none, which a test would catch).
pub fn t(key: &str) -> String {
    COPY.with(|c| c.get(key).cloned().unwrap_or_else(|| key.to_owned()))
}

/// The string for `key` with its `{name}` placeholders filled.
pub fn tf(key: &str, args: &[(&str, &str)]) -> String {
    args.iter().fold(t(key), |s, (name, value)| s.replace(&format!("{{{name}}}"), value))
}
