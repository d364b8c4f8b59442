//! Saving text the app made or fetched (CSV, JSON exports) as a file, through a Blob link.

use wasm_bindgen::JsCast;

pub fn save(filename: &str, mime: &str, text: &str) {
    save_part(filename, mime, &text.into());
}

/// Saves bytes fetched from the server (a streamed export) as a file.
pub fn save_bytes(filename: &str, mime: &str, bytes: &[u8]) {
    save_part(filename, mime, &js_sys::Uint8Array::from(bytes).into());
}

fn save_part(filename: &str, mime: &str, part: &wasm_bindgen::JsValue) {
    let parts = js_sys::Array::of1(part);
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &bag) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Some(a) = document().create_element("a").ok().and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok()) {
        a.set_href(&url);
        a.set_download(filename);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

fn document() -> web_sys::Document {
    web_sys::window().and_then(|w| w.document()).expect("a document")
}
