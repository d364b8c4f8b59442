//! Text a customer typed (their name at checkout) or a merchant wrote (a product title) is
//! inert wherever Reelproof puts it. The app proxy, theme blocks and widget have their own
//! tests (`storefront`, `widget`); this covers the request email as it reaches a real SMTP
//! server and the CSV export as a spreadsheet opens it.

use super::campaigns::active;
use super::messaging::decode_qp;
use base64::Engine;
use reelproof_tests::smtp::SmtpSink;
use reelproof_tests::{TestApp, fixtures};
use serde_json::json;

const NAME: &str = "Ada<script>alert(1)</script>{{ capture_link }}\r\nBcc: thief@example.com";
const TITLE: &str = "<img src=x onerror=alert(2)> {% raw %}Desk";

/// The decoded body of each MIME part of `raw`, with its content type.
fn parts(raw: &str) -> Vec<(String, String)> {
    let boundary = raw
        .split("boundary=")
        .nth(1)
        .map(|b| b.trim_start_matches('"').split(['"', '\r', '\n', ';']).next().unwrap().to_owned())
        .expect("a multipart message");
    raw.split(&format!("--{boundary}"))
        .skip(1)
        .filter_map(|part| {
            let (head, body) = part.split_once("\n\n")?;
            let ctype = head.lines().find_map(|l| l.strip_prefix("Content-Type: "))?.to_owned();
            let body = if head.contains("Content-Transfer-Encoding: base64") {
                let clean: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                String::from_utf8(base64::engine::general_purpose::STANDARD.decode(clean).unwrap()).unwrap()
            } else {
                decode_qp(body)
            };
            Some((ctype, body))
        })
        .collect()
}

#[tokio::test]
async fn a_hostile_name_and_product_title_are_inert_in_the_request_email() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(|c| c.email.smtp_url = Some(url)).await;
    active(&app, json!({"delayDays": 0})).await;
    let mut order = fixtures::order(9_101, &[(11, 101)], Some("ada@example.com"));
    order["customer"]["first_name"] = json!(NAME);
    order["shipping_address"]["first_name"] = json!(NAME);
    order["line_items"][0]["title"] = json!(TITLE);
    assert_eq!(app.webhook("orders/paid", &order).await.status(), 200);
    assert_eq!(app.run_scheduler_once().await.sent, 1);
    // The maildir keeps lines with `\n` endings.
    let raw = sink.wait_for_messages(1).await.remove(0).replace("\r\n", "\n");

    // No header came from the name: the line break stayed inside the encoded subject, and the
    // SMTP server was asked to deliver to the customer alone.
    let head = raw.split("\n\n").next().unwrap();
    assert!(!head.lines().any(|l| l.to_ascii_lowercase().starts_with("bcc:")), "{head}");
    assert!(head.lines().any(|l| l == "X-RcptTo: ada@example.com"), "{head}");
    let parts = parts(&raw);
    let html = &parts.iter().find(|(t, _)| t.starts_with("text/html")).expect("an HTML part").1;
    let text = &parts.iter().find(|(t, _)| t.starts_with("text/plain")).expect("a text part").1;
    // HTML: the markup is text, not elements.
    assert!(!html.contains("<script") && !html.contains("<img src=x"), "{html}");
    assert!(html.contains("&lt;script&gt;") && html.contains("&lt;img src=x"), "{html}");
    // Neither part evaluated the name as a template: the braces are still there, once.
    for body in [html, text] {
        assert!(body.contains("{{ capture_link }}"), "the name's braces printed as typed: {body}");
        assert!(body.contains("{% raw %}Desk"), "the title's tag printed as typed: {body}");
    }
    app.finish().await;
}
