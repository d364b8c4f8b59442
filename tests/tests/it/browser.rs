//! Headless Chromium against the real server: the WASM admin app renders the shop.

use reelproof_tests::TestApp;
use reelproof_tests::browser::Browser;
use std::time::Duration;

#[tokio::test]
async fn the_admin_app_renders_the_shop_domain_in_chromium() {
    let app = TestApp::spawn_dev().await;
    let browser = Browser::launch(&[]).await;
    browser.client.goto(&app.url("/app/")).await.expect("page loads");
    let domain = browser.text_of("[data-testid=shop-domain]", Duration::from_secs(30)).await;
    assert_eq!(domain, "demo.myshopify.com");
    // A deep link loads the same app on its own screen; an unknown one says so.
    browser.client.goto(&app.url("/app/settings?tab=alerts")).await.unwrap();
    assert!(browser.text_of("s-section", Duration::from_secs(30)).await.contains("Alerts by email"));
    browser.client.goto(&app.url("/app/some/route")).await.unwrap();
    assert!(browser.text_of("s-page", Duration::from_secs(30)).await.contains("There is nothing here"));
    browser.close().await;
    app.finish().await;
}
