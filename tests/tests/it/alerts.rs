//! Alerts: the daily summary email to the shop's alert address (opt-in).

use super::messaging::decode_qp;
use entity::AlertSeverity;
use reelproof_tests::TestApp;
use reelproof_tests::smtp::SmtpSink;
use serde_json::json;

async fn raise(app: &TestApp, severity: AlertSeverity, message: &str) {
    server::store::alerts::raise(
        app.db(),
        app.shop_id(),
        "send_failed",
        severity,
        message.into(),
        json!({}),
        app.now(),
    )
    .await
    .unwrap();
}

const SETTINGS: &str = "mutation($e: String, $d: Boolean) { updateAlertSettings(alertEmail: $e, dailySummary: $d) { alertEmail dailyAlertSummary } }";

#[tokio::test]
async fn the_daily_summary_is_opt_in_lists_new_alerts_and_goes_out_at_most_once_a_day() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(|c| c.email.smtp_url = Some(url)).await;
    let summaries = || server::services::alert_summary::send_due(app.state());
    raise(&app, AlertSeverity::Warning, "Request to ada failed: mailbox full").await;

    // Off by default: nothing is sent.
    assert_eq!(summaries().await.unwrap(), 0);

    // Opting in needs an address; a typo is refused and nothing changes.
    let refused = app.graphql(SETTINGS, json!({"d": true})).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "VALIDATION", "{refused}");
    let typo = app.graphql(SETTINGS, json!({"e": "ops@acme", "d": true})).await;
    assert_eq!(typo["errors"][0]["extensions"]["code"], "VALIDATION", "{typo}");
    let on = app.graphql(SETTINGS, json!({"e": " ops@acme.example ", "d": true})).await;
    assert_eq!(on["data"]["updateAlertSettings"], json!({"alertEmail": "ops@acme.example", "dailyAlertSummary": true}));

    raise(&app, AlertSeverity::Critical, "Video <b>could not</b> be processed").await;
    assert_eq!(summaries().await.unwrap(), 1);
    let msg = decode_qp(&sink.wait_for_messages(1).await[0]);
    assert!(msg.contains("To: ops@acme.example"), "{msg}");
    assert!(msg.contains("Subject: Reelproof: 2 new alerts for test-shop.myshopify.com"), "{msg}");
    assert!(msg.contains("mailbox full") && msg.contains("&lt;b&gt;could not&lt;/b&gt;"), "{msg}");

    // Within the day: nothing more, even with a new alert; a day later, only the new one.
    raise(&app, AlertSeverity::Info, "Another failure").await;
    assert_eq!(summaries().await.unwrap(), 0);
    app.advance_clock(chrono::Duration::hours(24));
    assert_eq!(summaries().await.unwrap(), 1);
    let messages = sink.wait_for_messages(2).await;
    let second = decode_qp(&messages[1]);
    assert!(second.contains("1 new alert for") && second.contains("Another failure"), "{second}");
    assert!(!second.contains("mailbox full"), "already summarised: {second}");

    // Nothing new: no email. Opting out stops it.
    app.advance_clock(chrono::Duration::hours(24));
    assert_eq!(summaries().await.unwrap(), 0);
    raise(&app, AlertSeverity::Info, "Later").await;
    let off = app.graphql(SETTINGS, json!({"e": null})).await;
    assert_eq!(off["data"]["updateAlertSettings"]["dailyAlertSummary"], false, "{off}");
    assert_eq!(summaries().await.unwrap(), 0);
    assert_eq!(sink.messages().len(), 2);
    app.finish().await;
}

#[tokio::test]
async fn a_failed_summary_keeps_its_alerts_for_the_next_round() {
    let mut sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(|c| c.email.smtp_url = Some(url)).await;
    app.graphql(SETTINGS, json!({"e": "ops@acme.example", "d": true})).await;
    raise(&app, AlertSeverity::Critical, "Bounce").await;
    sink.stop().await;
    assert_eq!(server::services::alert_summary::send_due(app.state()).await.unwrap(), 0, "the server is down");
    let unsent = server::store::alerts::not_emailed(app.db(), app.shop_id(), 10).await.unwrap();
    assert_eq!(unsent.len(), 1, "released for the next round");
    app.finish().await;
}
