//! Provider callbacks after their signature passed (a provider's bug, or a leaked key): the
//! SendGrid and Postmark JSON readers and the Twilio form reader. Nothing may panic, and an
//! event never claims a request the body did not name.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::providers::callbacks::{postmark, sendgrid, twilio};

fuzz_target!(|data: &[u8]| {
    let _ = sendgrid::parse(data);
    let _ = postmark::parse(data);
    let params: Vec<(String, String)> = url::form_urlencoded::parse(data).into_owned().collect();
    // The same check the handler makes, against the URL Twilio would have called.
    let url = "https://reelproof.example/webhooks/messaging/twilio?request_id=x";
    let signature = twilio::signature("token", url, &params);
    assert!(twilio::verify("token", url, &params, Some(&signature)));
    if let Some(event) = twilio::parse(&params, None) {
        assert!(event.request_id.is_none(), "a request id from nowhere");
    }
    // A signature header of any shape is refused, never a panic.
    let header = String::from_utf8_lossy(data);
    let _ = twilio::verify("token", url, &params, Some(&header));
    let key = sendgrid::PublicKey::from_base64_der(&header);
    if let Ok(key) = key {
        let _ = key.verify(Some(&header), Some("1"), data);
    }
});
