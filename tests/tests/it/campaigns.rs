//! Campaigns through the admin API.

use reelproof_tests::TestApp;
use serde_json::{Value, json};

const FIELDS: &str = "id name status trigger channel delayDays fallbackDays maxReminders tokenTtlDays frequencyCap30d consentVersion consentText eligibility { includeProductIds excludeProductIds minOrderTotal skipGiftCards skipTestOrders requireContactConsent }";

pub async fn create(app: &TestApp, input: Value) -> Value {
    let body = app
        .graphql(
            &format!("mutation($input: CreateCampaignInput!) {{ createCampaign(input: $input) {{ {FIELDS} }} }}"),
            json!({"input": input}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["createCampaign"].clone()
}

pub async fn set_status(app: &TestApp, mutation: &str, id: &str) -> Value {
    app.graphql(&format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ {FIELDS} }} }}"), json!({"id": id})).await
}

/// An active campaign with the given input merged over sensible defaults; returns its id.
pub async fn active(app: &TestApp, extra: Value) -> String {
    let mut input = json!({"name": "Ask", "trigger": "ORDER_PAID", "channel": "EMAIL", "delayDays": 7});
    input.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    let c = create(app, input).await;
    let id = c["id"].as_str().unwrap().to_owned();
    let body = set_status(app, "activateCampaign", &id).await;
    assert_eq!(body["data"]["activateCampaign"]["status"], "ACTIVE", "{body}");
    id
}

#[tokio::test]
async fn a_campaign_is_created_as_draft_and_moves_through_its_lifecycle() {
    let app = TestApp::spawn().await;
    let c = create(
        &app,
        json!({"name": "After delivery", "trigger": "ORDER_DELIVERED", "channel": "BOTH", "delayDays": 3,
               "frequencyCap30d": 2,
               "eligibility": {"excludeProductIds": ["9007199254740993"], "minOrderTotal": "25.00"}}),
    )
    .await;
    assert_eq!(c["status"], "DRAFT");
    assert_eq!(c["trigger"], "ORDER_DELIVERED");
    assert_eq!(c["channel"], "BOTH");
    assert_eq!(c["fallbackDays"], 14);
    assert_eq!(c["eligibility"]["excludeProductIds"], json!(["9007199254740993"]), "ids beyond 2^53 kept exactly");
    assert_eq!(c["eligibility"]["minOrderTotal"], "25.00");
    assert_eq!(c["eligibility"]["skipGiftCards"], true);
    let id = c["id"].as_str().unwrap();

    for (mutation, status) in
        [("activateCampaign", "ACTIVE"), ("pauseCampaign", "PAUSED"), ("activateCampaign", "ACTIVE")]
    {
        let body = set_status(&app, mutation, id).await;
        assert_eq!(body["data"][mutation]["status"], status, "{body}");
    }
    let body = app
        .graphql(
            "mutation($id: ID!) { updateCampaign(id: $id, input: {delayDays: 10, consentText: \"New words\", frequencyCap30d: null}) { delayDays consentVersion consentText frequencyCap30d status } }",
            json!({"id": id}),
        )
        .await;
    let u = &body["data"]["updateCampaign"];
    assert_eq!((u["delayDays"].as_i64(), u["consentVersion"].as_i64()), (Some(10), Some(2)), "{body}");
    assert_eq!(u["frequencyCap30d"], Value::Null);
    assert_eq!(u["status"], "ACTIVE");

    let body = set_status(&app, "archiveCampaign", id).await;
    assert_eq!(body["data"]["archiveCampaign"]["status"], "ARCHIVED");
    let body = set_status(&app, "activateCampaign", id).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "INVALID_TRANSITION", "{body}");
    let body = app
        .graphql("mutation($id: ID!) { updateCampaign(id: $id, input: {name: \"x\"}) { id } }", json!({"id": id}))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "INVALID_TRANSITION");

    let list = app.graphql("{ campaigns { id status } }", json!({})).await;
    assert_eq!(list["data"]["campaigns"].as_array().unwrap().len(), 1);
    app.finish().await;
}

#[tokio::test]
async fn invalid_settings_are_refused_with_every_field_named() {
    let app = TestApp::spawn().await;
    let body = app
        .graphql(
            "mutation { createCampaign(input: {name: \"\", trigger: ORDER_PAID, channel: EMAIL, delayDays: 91, maxReminders: 6, tokenTtlDays: 0}) { id } }",
            json!({}),
        )
        .await;
    let err = &body["errors"][0];
    assert_eq!(err["extensions"]["code"], "VALIDATION", "{body}");
    let fields: Vec<_> =
        err["extensions"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["delayDays", "maxReminders", "tokenTtlDays", "name"]);
    let body = app
        .graphql(
            "mutation { createCampaign(input: {name: \"x\", trigger: ORDER_PAID, channel: EMAIL, eligibility: {includeProductIds: [\"abc\"]}}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION");
    let list = app.graphql("{ campaigns { id } }", json!({})).await;
    assert_eq!(list["data"]["campaigns"], json!([]), "nothing half-written");
    app.finish().await;
}

#[tokio::test]
async fn another_shop_cannot_see_or_touch_a_campaign() {
    let app = TestApp::spawn().await;
    let id = active(&app, json!({})).await;
    app.add_shop("intruder.myshopify.com").await;
    let intruder = server::domain::shop_domain::ShopDomain::parse("intruder.myshopify.com").unwrap();
    let token = app.session_token_for(&intruder);
    for q in [
        "query($id: ID!) { campaign(id: $id) { id } }",
        "mutation($id: ID!) { pauseCampaign(id: $id) { id } }",
        "mutation($id: ID!) { archiveCampaign(id: $id) { id } }",
        "mutation($id: ID!) { updateCampaign(id: $id, input: {name: \"mine\"}) { id } }",
    ] {
        let body: Value = app.graphql_with(Some(&token), q, json!({"id": id})).await.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND", "{q}: {body}");
    }
    let body: Value = app.graphql_with(Some(&token), "{ campaigns { id } }", json!({})).await.json().await.unwrap();
    assert_eq!(body["data"]["campaigns"], json!([]));
    let mine = app.graphql("query($id: ID!) { campaign(id: $id) { status name } }", json!({"id": id})).await;
    assert_eq!(mine["data"]["campaign"]["status"], "ACTIVE", "unchanged");
    app.finish().await;
}

#[tokio::test]
async fn a_campaign_chooses_its_templates_and_cannot_send_on_a_channel_without_one() {
    let app = TestApp::spawn().await;
    let templates = app.graphql("{ templates { id channel kind name } }", json!({})).await;
    let find = |channel: &str, kind: &str| {
        templates["data"]["templates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["channel"] == channel && t["kind"] == kind)
            .unwrap_or_else(|| panic!("a built-in {channel} {kind} template: {templates}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (sms_request, email_request) = (find("SMS", "REQUEST"), find("EMAIL", "REQUEST"));
    const CREATE: &str =
        "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id templates { requestEmail requestSms } } }";

    // A chosen template is kept and shown; the wrong channel's template is refused by name.
    let ok = app
        .graphql(
            CREATE,
            json!({"i": {"name": "A", "trigger": "ORDER_PAID", "channel": "EMAIL", "templates": {"requestEmail": email_request}}}),
        )
        .await;
    assert_eq!(ok["data"]["createCampaign"]["templates"]["requestEmail"], email_request.as_str(), "{ok}");
    let wrong = app
        .graphql(
            CREATE,
            json!({"i": {"name": "B", "trigger": "ORDER_PAID", "channel": "EMAIL", "templates": {"requestEmail": sms_request}}}),
        )
        .await;
    assert_eq!(wrong["errors"][0]["extensions"]["code"], "VALIDATION", "{wrong}");
    assert_eq!(wrong["errors"][0]["extensions"]["fields"][0]["field"], "templates.requestEmail", "{wrong}");

    // An SMS draft on the shop's `Default` template; then that template is deleted.
    let draft = app
        .graphql(
            CREATE,
            json!({"i": {"name": "D", "trigger": "ORDER_PAID", "channel": "SMS", "reminderEnabled": false}}),
        )
        .await;
    let draft = draft["data"]["createCampaign"]["id"].as_str().unwrap_or_else(|| panic!("{draft}")).to_owned();
    // Once the shop has no SMS request template, an SMS campaign is refused at save …
    app.graphql("mutation($id: ID!) { deleteTemplate(id: $id) }", json!({"id": sms_request})).await;
    let no_sms = app
        .graphql(
            CREATE,
            json!({"i": {"name": "C", "trigger": "ORDER_PAID", "channel": "BOTH", "reminderEnabled": false}}),
        )
        .await;
    assert_eq!(no_sms["errors"][0]["extensions"]["code"], "VALIDATION", "{no_sms}");
    assert!(no_sms["errors"][0]["message"].as_str().unwrap().contains("needs a sms request template"), "{no_sms}");

    // … the draft cannot be activated, and an email campaign cannot switch to SMS.
    let stuck = set_status(&app, "activateCampaign", &draft).await;
    assert_eq!(stuck["errors"][0]["extensions"]["code"], "VALIDATION", "{stuck}");
    let id = ok["data"]["createCampaign"]["id"].as_str().unwrap();
    let switch = app
        .graphql("mutation($id: ID!) { updateCampaign(id: $id, input: {channel: SMS}) { channel } }", json!({"id": id}))
        .await;
    assert_eq!(switch["errors"][0]["extensions"]["code"], "VALIDATION", "{switch}");
    let fine = set_status(&app, "activateCampaign", id).await;
    assert_eq!(fine["data"]["activateCampaign"]["status"], "ACTIVE", "{fine}");
    app.finish().await;
}
