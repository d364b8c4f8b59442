//! The fake Shopify of the test suite, on its own, for walking the install journey locally
//! (README, "Install on a development store" — the local rehearsal):
//!
//! ```sh
//! cargo run -p reelproof-tests --bin fake_shopify -- 127.0.0.1:8082
//! SHOPIFY_API_KEY=7e57a9f1c0de4b5e8a11c0ffee5eed01 SHOPIFY_API_SECRET=test-api-secret-0123456789abcdef \
//!   SHOPIFY_ADMIN_BASE=http://127.0.0.1:8082 REELPROOF_ENCRYPTION_KEY=$(openssl rand -base64 32) \
//!   cargo run -p server --bin reelproof
//! ```
//!
//! It accepts the test suite's app credentials (`reelproof_tests::TEST_API_KEY` and
//! `TEST_API_SECRET`), so session tokens signed with that secret install shops against it.

#[tokio::main]
async fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8082".into());
    let addr = match addr.parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fake_shopify: {addr:?} is not an address to listen on: {e}");
            std::process::exit(2);
        }
    };
    let fake = reelproof_tests::shopify::FakeShopify::start_on(addr).await;
    println!("fake Shopify listening: SHOPIFY_ADMIN_BASE={}", fake.url());
    let _ = tokio::signal::ctrl_c().await;
}
