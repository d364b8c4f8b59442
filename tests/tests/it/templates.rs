//! Templates: every shop gets the built-ins at install, a template is checked when saved, the
//! customer's locale picks the template (with fallback), and a campaign's chosen template wins.
//! Also Twilio as the SMS provider, through a fake that speaks its wire format.

use super::campaigns::active;
use super::messaging::{decode_qp, only_request};
use entity::{Channel, RequestStatus, TemplateChannel, TemplateKind, message_templates};
use reelproof_tests::twilio::FakeTwilio;
use reelproof_tests::{TestApp, fixtures};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde_json::json;
use server::services::templates::{TemplateInput, TemplateSaveError, create};

const EMAIL: &str = "ada@example.com";

fn outbox_messages(app: &TestApp) -> Vec<String> {
    let dir = app.state().config().data_dir.join("outbox");
    let mut files: Vec<_> = std::fs::read_dir(dir).map(|d| d.map(|e| e.unwrap().path()).collect()).unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| decode_qp(&std::fs::read_to_string(p).unwrap()))
        .collect()
}

fn email_input(name: &str, locale: &str, subject: &str, body: &str) -> TemplateInput {
    TemplateInput {
        channel: TemplateChannel::Email,
        kind: TemplateKind::Request,
        name: name.into(),
        locale: locale.into(),
        subject: Some(subject.into()),
        body: body.into(),
        body_text: Some("{{ capture_link }}".into()),
    }
}

#[tokio::test]
async fn a_shop_starts_with_the_builtin_templates() {
    let app = TestApp::spawn().await;
    let rows = message_templates::Entity::find()
        .filter(message_templates::Column::ShopId.eq(app.shop_id()))
        .all(app.db())
        .await
        .unwrap();
    let mut kinds: Vec<_> = rows.iter().map(|t| format!("{}/{}/{}/{}", t.channel, t.kind, t.name, t.locale)).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["email/reminder/Default/en", "email/request/Default/en", "sms/reminder/Default/en", "sms/request/Default/en"]
    );
    // Provisioning again (a reinstall) does not duplicate them.
    server::services::shops::provision(app.db(), app.shop(), app.now()).await.unwrap();
    assert_eq!(message_templates::Entity::find().all(app.db()).await.unwrap().len(), 4);
    app.finish().await;
}

#[tokio::test]
async fn broken_templates_are_refused_when_saved_with_a_clear_message() {
    let app = TestApp::spawn().await;
    let (db, shop, now) = (app.db(), app.shop_id(), app.now());
    let cases = [
        (email_input("X", "en", "Hi {{ customer_first_name }", "{{ capture_link }}"), "subject"),
        (email_input("X", "en", "Hi", "{{ costumer_first_name }} {{ capture_link }}"), "body"),
        (email_input("X", "en", "Hi", "Hello, no link here"), "capture_link"),
        (email_input("X", "en", "", "{{ capture_link }}"), "subject"),
    ];
    for (input, mentions) in cases {
        let err = create(db, shop, input, now).await.unwrap_err();
        assert!(err.to_string().contains(mentions), "{err} should mention {mentions}");
    }
    assert_eq!(message_templates::Entity::find().all(db).await.unwrap().len(), 4, "nothing half-saved");
    let dup = create(db, shop, email_input("Default", "en", "Hi", "{{ capture_link }}"), now).await.unwrap_err();
    assert!(matches!(dup, TemplateSaveError::Duplicate), "{dup:?}");
    let sms = TemplateInput {
        channel: TemplateChannel::Sms,
        kind: TemplateKind::Request,
        subject: None,
        body_text: None,
        ..email_input("Short", "en", "", "{{ shop_name }}: tell us about {{ product_title }} {{ capture_link }}")
    };
    let saved = create(db, shop, sms, now).await.unwrap();
    assert_eq!(saved.sms_segments, Some(1));
    app.finish().await;
}

#[tokio::test]
async fn the_customers_locale_picks_the_template_and_a_campaigns_choice_wins() {
    let app = TestApp::spawn().await;
    let (db, shop, now) = (app.db(), app.shop_id(), app.now());
    create(
        db,
        shop,
        email_input(
            "Default",
            "fr",
            "Bonjour {{ customer_first_name }} !",
            "<a href=\"{{ capture_link }}\">Filmer</a>",
        ),
        now,
    )
    .await
    .unwrap();
    let campaign_id = active(&app, json!({"delayDays": 0})).await;

    // A Canadian French customer gets the shop's French (fr-CA → fr); a German one, the shop
    // having no German template, our built-in German.
    let mut fr = fixtures::order(6_001, &[(11, 101)], Some(EMAIL));
    fr["customer_locale"] = json!("fr-CA");
    app.webhook("orders/paid", &fr).await;
    let mut de = fixtures::order(6_002, &[(12, 102)], Some("bob@example.com"));
    de["customer_locale"] = json!("de");
    app.webhook("orders/paid", &de).await;
    assert_eq!(app.run_scheduler_once().await.sent, 2);
    let msgs = outbox_messages(&app);
    assert!(msgs.iter().any(|m| m.contains("Subject: Bonjour Ada !") && m.contains("To: ada@example.com")), "{msgs:?}");
    assert!(
        msgs.iter().any(|m| m.contains("To: bob@example.com")
            && super::conversion::mime_part(m, "text/plain").starts_with("Hallo Ada,")),
        "{msgs:?}"
    );

    // The campaign names its own template.
    let holiday = create(
        db,
        shop,
        email_input("Holiday", "en", "Happy holidays, {{ customer_first_name }}", "{{ capture_link }}"),
        now,
    )
    .await
    .unwrap()
    .template;
    let c = entity::campaigns::Entity::find_by_id(campaign_id.parse::<entity::CampaignId>().unwrap())
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let mut c = c.into_active_model();
    c.request_email_template_id = Set(Some(holiday.id));
    c.update(db).await.unwrap();
    app.webhook("orders/paid", &fixtures::order(6_003, &[(13, 103)], Some("cy@example.com"))).await;
    assert_eq!(app.run_scheduler_once().await.sent, 1);
    assert!(
        outbox_messages(&app)
            .iter()
            .any(|m| m.contains("Subject: Happy holidays, Ada") && m.contains("To: cy@example.com"))
    );
    app.finish().await;
}

/// A test app sending its SMS through a fake Twilio (account `AC0123`, token `tok`).
pub(crate) async fn with_twilio() -> (FakeTwilio, TestApp) {
    let twilio = FakeTwilio::start().await;
    let base = twilio.base_url();
    let app = TestApp::spawn_with(|c| {
        c.sms = server::config::SmsConfig::Twilio(server::config::TwilioConfig {
            account_sid: "AC0123".into(),
            auth_token: "tok".into(),
            from_number: Some("+15550000000".into()),
            messaging_service_sid: None,
            api_base: base,
        })
    })
    .await;
    (twilio, app)
}

#[tokio::test]
async fn twilio_sends_sms_with_a_status_callback_and_refusals_fail_clearly() {
    let (twilio, app) = with_twilio().await;
    active(&app, json!({"delayDays": 0, "channel": "SMS"})).await;
    app.webhook("orders/paid", &fixtures::order(6_101, &[(11, 101)], Some(EMAIL))).await;
    assert_eq!(app.run_scheduler_once().await.sent, 1);
    let r = only_request(&app).await;
    assert_eq!((r.status, r.channel), (RequestStatus::Sent, Channel::Sms));
    let got = twilio.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].account_sid, "AC0123");
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode("AC0123:tok");
    assert_eq!(got[0].authorization.as_deref(), Some(format!("Basic {basic}").as_str()));
    assert_eq!(got[0].param("To"), Some("+15550101234"));
    assert_eq!(got[0].param("From"), Some("+15550000000"));
    // The SMS carries the short form of the link (`/r/{code}`), which leads to the capture link.
    assert!(got[0].param("Body").unwrap().contains(&app.url("/r/")), "{:?}", got[0].param("Body"));
    assert_eq!(
        got[0].param("StatusCallback"),
        Some(app.url(&format!("/webhooks/messaging/twilio?request_id={}", r.id)).as_str())
    );
    assert_eq!(r.provider_message_id.as_deref(), Some(format!("SM{:032x}", 1).as_str()));

    // An invalid number is Twilio's 400: permanent, failed at once, Twilio's words kept.
    twilio.fail_next(400, 21211, "Invalid 'To' Phone Number");
    app.webhook("orders/paid", &fixtures::order(6_102, &[(12, 102)], Some(EMAIL))).await;
    assert_eq!(app.run_scheduler_once().await.failed, 1);
    let failed = entity::testimonial_requests::Entity::find()
        .filter(entity::testimonial_requests::Column::Status.eq("failed"))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert!(failed.last_error.unwrap().contains("Invalid 'To' Phone Number"));
    app.finish().await;
}

#[tokio::test]
async fn the_merchant_lists_previews_edits_and_deletes_templates_through_graphql() {
    let app = TestApp::spawn().await;
    let list = app.graphql("{ templates { id channel kind name locale } }", json!({})).await;
    let all = list["data"]["templates"].as_array().unwrap_or_else(|| panic!("{list}"));
    assert_eq!(all.len(), 4, "the built-ins");

    let email = json!({"channel": "EMAIL", "kind": "REQUEST", "name": "Warm", "locale": "en",
        "subject": "How is your {{ product_title }}?", "body": "<p>Hi {{ customer_first_name }}, <a href=\"{{ capture_link }}\">record</a></p>",
        "bodyText": "Record: {{ capture_link }}"});
    let preview = app
        .graphql(
            "query($i: TemplateInput!) { previewTemplate(input: $i) { subject body bodyText smsSegments } }",
            json!({"i": email}),
        )
        .await;
    let p = &preview["data"]["previewTemplate"];
    assert!(p["subject"].as_str().unwrap().starts_with("How is your "), "{preview}");
    assert!(p["body"].as_str().unwrap().contains("href=\"http"), "the sample link is filled in: {preview}");
    assert!(p["smsSegments"].is_null());

    let broken = json!({"channel": "SMS", "kind": "REQUEST", "name": "Short", "locale": "en", "body": "Hi {{ frist_name }} {{ capture_link }}"});
    let bad =
        app.graphql("query($i: TemplateInput!) { previewTemplate(input: $i) { body } }", json!({"i": broken})).await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "VALIDATION", "{bad}");
    // The field at fault and the line, for the editor to show next to the field.
    let field = &bad["errors"][0]["extensions"]["fields"][0];
    assert_eq!(field["field"], "body", "{bad}");
    assert!(field["message"].as_str().unwrap().starts_with("line 1: "), "{bad}");
    let broken_subject = json!({"channel": "EMAIL", "kind": "REQUEST", "name": "S", "locale": "en",
        "subject": "Hi", "body": "<p>{{ capture_link }}</p>\n<p>{% if %}</p>"});
    let bad = app
        .graphql("query($i: TemplateInput!) { previewTemplate(input: $i) { body } }", json!({"i": broken_subject}))
        .await;
    let field = &bad["errors"][0]["extensions"]["fields"][0];
    assert_eq!(
        (field["field"].as_str(), field["message"].as_str().map(|m| m.starts_with("line 2: "))),
        (Some("body"), Some(true)),
        "{bad}"
    );

    const SAVE: &str = "mutation($i: TemplateInput!) { createTemplate(input: $i) { id name smsSegments } }";
    let sms = json!({"channel": "SMS", "kind": "REQUEST", "name": "Short", "locale": "en", "body": "Hi {{ customer_first_name }}, a quick video? {{ capture_link }}"});
    let created = app.graphql(SAVE, json!({"i": sms})).await;
    let id = created["data"]["createTemplate"]["id"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();
    assert_eq!(created["data"]["createTemplate"]["smsSegments"], 1);
    assert_eq!(
        app.graphql(SAVE, json!({"i": sms})).await["errors"][0]["extensions"]["code"],
        "VALIDATION",
        "duplicate"
    );

    let mut changed = sms.clone();
    changed["body"] = json!("{{ shop_name }}: {{ capture_link }}");
    changed["channel"] = json!("EMAIL");
    let updated = app
        .graphql(
            "mutation($id: ID!, $i: TemplateInput!) { updateTemplate(id: $id, input: $i) { channel body } }",
            json!({"id": id, "i": changed}),
        )
        .await;
    assert_eq!(updated["data"]["updateTemplate"]["channel"], "SMS", "the channel stays: {updated}");
    assert_eq!(updated["data"]["updateTemplate"]["body"], "{{ shop_name }}: {{ capture_link }}");

    // In use by a campaign: refused; unused: deleted.
    let c = fixtures::campaign(app.db(), app.shop_id()).await;
    let mut c = c.into_active_model();
    c.request_sms_template_id = Set(Some(id.parse().unwrap()));
    c.update(app.db()).await.unwrap();
    const DELETE: &str = "mutation($id: ID!) { deleteTemplate(id: $id) }";
    let refused = app.graphql(DELETE, json!({"id": id})).await;
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("uses this template"), "{refused}");
    let warm = app.graphql(SAVE, json!({"i": email})).await["data"]["createTemplate"]["id"].clone();
    assert_eq!(app.graphql(DELETE, json!({"id": warm})).await["data"]["deleteTemplate"], warm);

    let theirs = app.other_shop_token().await;
    let r: serde_json::Value = app.graphql_with(Some(&theirs), DELETE, json!({"id": id})).await.json().await.unwrap();
    assert_eq!(r["errors"][0]["extensions"]["code"], "NOT_FOUND");
    app.finish().await;
}
