//! Message templates: a merchant's template source (saved through the API, so hostile if a
//! token leaks) and a customer's name or a product title inside the built-in templates. A
//! template cannot panic or run away, and no variable adds markup to an HTML email.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::domain::templates::{MessageVars, TemplateSource, builtin, render, sms_segments, validate};

fn hostile(text: &str) -> MessageVars {
    MessageVars {
        customer_first_name: text.to_owned(),
        product_title: text.to_owned(),
        shop_name: text.to_owned(),
        incentive: Some(text.to_owned()),
        ..MessageVars::sample()
    }
}

/// The same text with every character HTML gives meaning to replaced: the same length and
/// truthiness, so the template takes the same branches.
fn plain(text: &str) -> MessageVars {
    hostile(&text.replace(['<', '>', '"', '\'', '&'], "x"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    if mode % 2 == 0 {
        // The text is the merchant's template.
        let src = TemplateSource { subject: Some(text.to_owned()), body: text.to_owned(), body_text: None };
        let _ = validate(&src, mode % 4 == 0);
        if let Ok(r) = render(&src, &MessageVars::sample(), true) {
            let _ = sms_segments(&r.body);
        }
    } else {
        // The text is the customer's (or the product's) and the template is ours.
        for t in builtin("en").into_iter().chain(builtin("fr")) {
            let src = t.source();
            let html = t.channel == entity::TemplateChannel::Email;
            let with = render(&src, &hostile(text), html).expect("the built-in templates render any text");
            let without = render(&src, &plain(text), html).expect("the built-in templates render");
            if html {
                for c in ['<', '>', '"', '\''] {
                    let n = |s: &str| s.matches(c).count();
                    assert_eq!(n(&with.body), n(&without.body), "customer text added {c:?} to the HTML");
                }
            }
            let _ = sms_segments(&with.body);
        }
    }
});
