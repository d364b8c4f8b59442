//! Tenant isolation, generated from the schema: every query, mutation and subscription of the
//! admin API is called with shop B's credential and each of shop A's ids in every `ID` position
//! (arguments and input fields). Shop B must get `NOT_FOUND`/`FORBIDDEN` or an empty answer,
//! never A's data; afterwards A's rows are exactly as they were. A field added to the schema is
//! covered without touching this file.

use super::campaigns::active;
use entity::RequestEventType;
use entity::ShopId;
use reelproof_tests::{TestApp, fixtures};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Text planted in shop A's data; it must never reach shop B.
const MARKER: &str = "Zanzibar-secret";

const INTROSPECT: &str = r#"{ __schema {
  queryType { name } mutationType { name } subscriptionType { name }
  types { kind name
    fields { name args { name type { ...T } } type { ...T } }
    inputFields { name type { ...T } }
    enumValues { name } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"#;

/// Shop A: a campaign, a template, a request with its timeline, a submission with a (failed)
/// video, an alert, an API token and a privacy export, marked so a leak is recognisable.
async fn seed_shop_a(app: &TestApp) {
    let campaign = active(app, json!({"name": MARKER, "delayDays": 0})).await;
    let _ = campaign;
    let t = json!({"channel": "EMAIL", "kind": "REQUEST", "name": MARKER, "locale": "en", "subject": "Hi", "body": "{{ capture_link }}"});
    let created =
        app.graphql("mutation($i: TemplateInput!) { createTemplate(input: $i) { id } }", json!({"i": t})).await;
    assert!(created["errors"].is_null(), "{created}");
    let c = fixtures::campaign(app.db(), app.shop_id()).await;
    let token = server::domain::tokens::CaptureToken::generate().hash();
    let r = fixtures::request(app.db(), app.shop_id(), c.id, 42, &token, entity::RequestStatus::Submitted).await;
    for e in [RequestEventType::Scheduled, RequestEventType::Sent] {
        server::store::request_events::append(
            app.db(),
            app.shop_id(),
            r.id,
            server::store::request_events::NewEvent::new(e, app.now()),
        )
        .await
        .unwrap();
    }
    // Not a video: the media job fails it, which also raises an alert.
    fixtures::uploaded_asset(app.state(), &r, MARKER.as_bytes().to_vec(), "video/mp4").await;
    app.run_background_until_idle().await;
    let token = app
        .graphql("mutation { createApiToken(name: \"Zanzibar-secret\", scopes: [READ]) { token } }", json!({}))
        .await;
    assert!(token["errors"].is_null(), "{token}");
    let req = json!({"shop_id": 1, "shop_domain": app.shop().as_str(), "customer": {"id": 7, "email": "ada@example.com"},
        "orders_requested": [9_007_199_254_740_993i64], "data_request": {"id": 99}});
    assert_eq!(app.webhook("customers/data_request", &req).await.status(), 200);
}

/// Every row of shop A, table by table, to compare before and after.
async fn snapshot(app: &TestApp) -> Value {
    macro_rules! rows {
        ($($m:ident),*) => {{
            let mut out = Map::new();
            $(
                let rows = entity::$m::Entity::find()
                    .filter(entity::$m::Column::ShopId.eq(app.shop_id()))
                    .all(app.db())
                    .await
                    .unwrap();
                out.insert(stringify!($m).into(), serde_json::to_value(rows).unwrap());
            )*
            Value::Object(out)
        }};
    }
    rows!(
        campaigns,
        message_templates,
        testimonial_requests,
        testimonial_request_events,
        testimonial_submissions,
        testimonial_media_assets,
        moderation_log,
        alerts,
        api_tokens,
        privacy_exports,
        suppressions
    )
}

/// Every id shop A owns.
fn ids_in(snapshot: &Value) -> Vec<String> {
    let mut ids: Vec<String> = snapshot
        .as_object()
        .unwrap()
        .values()
        .flat_map(|rows| rows.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

struct Schema {
    types: BTreeMap<String, Value>,
}

/// The named type under NON_NULL/LIST wrappers, and whether the outermost is NON_NULL.
fn named(t: &Value) -> &Value {
    if t["ofType"].is_null() { t } else { named(&t["ofType"]) }
}

impl Schema {
    /// A value for a type: `id` in every ID position (optional ones too, top level of inputs);
    /// otherwise something valid for required positions, nothing for optional ones.
    fn value(&self, t: &Value, id: &str, required: bool, depth: usize) -> Option<Value> {
        match t["kind"].as_str().unwrap() {
            "NON_NULL" => self.value(&t["ofType"], id, true, depth),
            "LIST" => self.value(&t["ofType"], id, required, depth).map(|v| json!([v])),
            "SCALAR" => match t["name"].as_str().unwrap() {
                "ID" => Some(json!(id)),
                _ if !required => None,
                "String" => Some(json!("x")),
                "Int" => Some(json!(1)),
                "Float" => Some(json!(1.0)),
                "Boolean" => Some(json!(true)),
                "DateTime" => Some(json!("2026-11-01T00:00:00Z")),
                "NaiveDate" => Some(json!("2026-11-01")),
                "JSON" => Some(json!({})),
                other => panic!("no sample for scalar {other}: add one"),
            },
            "ENUM" if required => {
                let e = &self.types[t["name"].as_str().unwrap()];
                Some(e["enumValues"][0]["name"].clone())
            }
            "INPUT_OBJECT" if required || depth == 0 => {
                let input = &self.types[t["name"].as_str().unwrap()];
                let mut obj = Map::new();
                for f in input["inputFields"].as_array().unwrap() {
                    if let Some(v) = self.value(&f["type"], id, false, depth + 1) {
                        obj.insert(f["name"].as_str().unwrap().into(), v);
                    }
                }
                Some(Value::Object(obj))
            }
            _ => None,
        }
    }

    /// Whether an ID can be put anywhere in this argument.
    fn holds_id(&self, t: &Value, depth: usize) -> bool {
        let n = named(t);
        match n["kind"].as_str().unwrap() {
            "SCALAR" => n["name"] == "ID",
            "INPUT_OBJECT" if depth == 0 => self.types[n["name"].as_str().unwrap()]["inputFields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| self.holds_id(&f["type"], depth + 1)),
            _ => false,
        }
    }

    /// Every field reachable without arguments, three levels deep: what B could read.
    fn selection(&self, t: &Value, depth: usize) -> String {
        if !matches!(t["kind"].as_str().unwrap(), "OBJECT" | "INTERFACE") {
            return String::new();
        }
        let mut fields = vec!["__typename".to_owned()];
        for f in self.types[t["name"].as_str().unwrap()]["fields"].as_array().unwrap() {
            let required_arg = f["args"].as_array().unwrap().iter().any(|a| a["type"]["kind"] == "NON_NULL");
            let inner = named(&f["type"]);
            let composite = matches!(inner["kind"].as_str().unwrap(), "OBJECT" | "INTERFACE");
            if required_arg || (composite && depth >= 3) {
                continue;
            }
            fields.push(format!("{}{}", f["name"].as_str().unwrap(), self.selection(inner, depth + 1)));
        }
        format!(" {{ {} }}", fields.join(" "))
    }

    /// The GraphQL type as written in a variable definition.
    fn type_ref(t: &Value) -> String {
        match t["kind"].as_str().unwrap() {
            "NON_NULL" => format!("{}!", Self::type_ref(&t["ofType"])),
            "LIST" => format!("[{}]", Self::type_ref(&t["ofType"])),
            _ => t["name"].as_str().unwrap().to_owned(),
        }
    }

    /// An operation calling `field` with `id` in its ID positions, and its variables.
    fn operation(&self, op: &str, field: &Value, id: &str) -> (String, Value) {
        let (mut defs, mut args, mut vars) = (Vec::new(), Vec::new(), Map::new());
        for a in field["args"].as_array().unwrap() {
            let name = a["name"].as_str().unwrap();
            if let Some(v) = self.value(&a["type"], id, false, 0) {
                defs.push(format!("${name}: {}", Self::type_ref(&a["type"])));
                args.push(format!("{name}: ${name}"));
                vars.insert(name.into(), v);
            }
        }
        let selection = self.selection(named(&field["type"]), 0);
        let defs = if defs.is_empty() { String::new() } else { format!("({})", defs.join(", ")) };
        let args = if args.is_empty() { String::new() } else { format!("({})", args.join(", ")) };
        (format!("{op}{defs} {{ {}{args}{selection} }}", field["name"].as_str().unwrap()), Value::Object(vars))
    }
}

fn leaks(body: &Value, a_ids: &[String]) -> Option<String> {
    let data = body["data"].to_string();
    if data.contains(MARKER) {
        return Some("the marker".into());
    }
    a_ids.iter().find(|id| data.contains(id.as_str())).cloned()
}

#[tokio::test]
async fn shop_b_can_reach_nothing_of_shop_a_through_any_field_of_the_admin_api() {
    let app = TestApp::spawn().await;
    seed_shop_a(&app).await;
    let before = snapshot(&app).await;
    let a_ids = ids_in(&before);
    assert!(a_ids.len() >= 10, "A has one of everything: {before}");
    let b = app.other_shop_token().await;

    let introspection = app.graphql_with(Some(&b), INTROSPECT, json!({})).await.json::<Value>().await.unwrap();
    let s = &introspection["data"]["__schema"];
    let schema = Schema {
        types: s["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone()))
            .collect(),
    };

    let mut checked = 0;
    for (root, op) in [("queryType", "query"), ("mutationType", "mutation"), ("subscriptionType", "subscription")] {
        let root_type = &schema.types[s[root]["name"].as_str().unwrap()];
        for field in root_type["fields"].as_array().unwrap() {
            let name = field["name"].as_str().unwrap();
            // The shop comes from the credential only: no argument may name one.
            for a in field["args"].as_array().unwrap() {
                let arg = a["name"].as_str().unwrap().to_ascii_lowercase();
                assert!(!arg.contains("shop"), "{name}({arg}:) lets the caller name a shop");
            }
            let targets = field["args"].as_array().unwrap().iter().any(|a| schema.holds_id(&a["type"], 0));
            // Fields without an ID act on the caller's own shop: called once, they must not leak.
            let ids: Vec<&str> = if targets { a_ids.iter().map(String::as_str).collect() } else { vec!["-"] };
            if op == "subscription" && !targets {
                // A live feed: `shop_bs_live_feed_carries_its_own_events_and_never_shop_as`.
                continue;
            }
            for id in ids {
                let (query, vars) = schema.operation(op, field, id);
                let body = if op == "subscription" {
                    let mut lines = reelproof_tests::client_lines(reelproof_tests::graphql_ws_client(
                        &app.url("/api/graphql"),
                        &format!("Bearer {b}"),
                        &inline(&query, &vars),
                        1,
                    ))
                    .await;
                    lines.remove(1)
                } else {
                    app.graphql_with(Some(&b), &query, vars.clone()).await.json::<Value>().await.unwrap()
                };
                checked += 1;
                if let Some(leak) = leaks(&body, &a_ids) {
                    panic!("{query} with {vars} showed shop B {leak}: {body}");
                }
                if targets {
                    let code = body["errors"][0]["extensions"]["code"].as_str();
                    assert!(
                        matches!(code, None | Some("NOT_FOUND" | "FORBIDDEN")),
                        "{query} with {vars}: expected NOT_FOUND or FORBIDDEN, got {body}"
                    );
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} calls were made");
    assert_eq!(snapshot(&app).await, before, "shop A's rows changed");
    app.finish().await;
}

/// Subscriptions take the operation inline (the client script passes no variables).
fn inline(query: &str, vars: &Value) -> String {
    let Some(open) = query.find('(').filter(|i| query[..*i].starts_with("subscription")) else {
        return query.to_owned();
    };
    let close = query[open..].find(')').unwrap() + open;
    let mut q = format!("subscription{}", &query[close + 1..]);
    for (k, v) in vars.as_object().unwrap() {
        q = q.replace(&format!("${k}"), &v.to_string());
    }
    q
}

#[tokio::test]
async fn shop_bs_live_feed_carries_its_own_events_and_never_shop_as() {
    let app = TestApp::spawn().await;
    let b = app.other_shop_token().await;
    let b_shop = server::domain::shop_domain::ShopDomain::parse("other-shop.myshopify.com").unwrap();
    let b_id = server::services::shops::find_installed(app.db(), &b_shop).await.unwrap().unwrap().id;
    let client = reelproof_tests::graphql_ws_client(
        &app.url("/api/graphql"),
        &format!("Bearer {b}"),
        "subscription { moderationQueue { kind submissionId } }",
        1,
    );
    reelproof_tests::wait_for("B's subscription", std::time::Duration::from_secs(30), || async {
        (app.state().live().subscribers() >= 1).then_some(())
    })
    .await;
    // A's event first, then B's own: B's first event must be its own (one ordered channel).
    let publish = |shop_id: ShopId| {
        app.state().live().publish(server::providers::live::LiveEvent::SubmissionCreated {
            shop_id,
            // The shop's own id as the submission's: B's event is then recognisable.
            submission_id: entity::SubmissionId(shop_id.0),
            request_id: None,
            has_video: false,
        })
    };
    publish(app.shop_id());
    publish(b_id);
    let lines = reelproof_tests::client_lines(client).await;
    assert_eq!(lines[1]["data"]["moderationQueue"]["submissionId"], b_id.to_string(), "{lines:?}");
    app.finish().await;
}
