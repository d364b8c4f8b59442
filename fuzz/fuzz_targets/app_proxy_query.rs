//! The app proxy's query string (anyone can send one to `/apps/…` on a storefront): the
//! signature check on arbitrary bytes, and, for a query signed as Shopify would sign it, the
//! parameters it yields. The check must accept exactly what was signed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::shopify::app_proxy::{ProxySignatureError, sign, verify};

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    match verify(["a-secret-of-shopify-length-000000"], &query) {
        // A random query passing the check would be a forgery.
        Ok(_) => assert!(query.contains("signature="), "verified without a signature"),
        Err(ProxySignatureError::Missing | ProxySignatureError::Mismatch) => {}
    }
    let signature = sign("a-secret-of-shopify-length-000000", &query);
    let signed = format!("{query}&signature={signature}");
    if !query.contains("signature") {
        let params = verify(["a-secret-of-shopify-length-000000"], &signed).expect("a signed query verifies");
        let _ = params.get("shop");
        let _ = params.get("path_prefix");
        assert!(verify(["another-secret-of-shopify-length-0"], &signed).is_err(), "verified with the wrong secret");
    }
});
