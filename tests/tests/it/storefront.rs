//! The storefront: the public GraphQL API (visibility, public-safe fields, caching, immediate
//! unpublish, persisted queries, CORS) and the app proxy (signature, server-rendered HTML,
//! structured data).

use entity::{
    AssetStatus, SubmissionStatus, testimonial_media_assets as assets, testimonial_submissions as submissions,
};
use reelproof_tests::{TestApp, fixtures, media};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use server::domain::visibility::{Candidate, Placement, is_visible};
use std::collections::BTreeSet;

const LIST: &str = "query($shop: String!, $p: StorefrontPlacement!, $product: ID, $first: Int, $after: String) { testimonials(shop: $shop, placement: $p, productId: $product, first: $first, after: $after) { edges { cursor node { id displayName rating quote videoUrl posterUrl durationSeconds width height productId publishedAt } } pageInfo { hasNextPage endCursor } } }";

/// A submission with an asset, written directly with exactly the given facts.
async fn candidate(app: &TestApp, shop_id: entity::ShopId, c: &Candidate) -> entity::SubmissionId {
    let now = app.now();
    let id = entity::new_id();
    submissions::ActiveModel {
        id: Set(id),
        status: Set(c.status),
        published: Set(c.published),
        published_at: Set(c.published.then_some(now)),
        placement_home: Set(c.placement_home),
        placement_product: Set(c.placement_product),
        moderated_at: Set(None),
        source: Set(entity::SubmissionSource::Import),
        ..fixtures::shown_submission(shop_id, c.product_id, now)
    }
    .insert(app.db())
    .await
    .unwrap();
    if let Some(status) = c.asset_status {
        let key = format!("{}{id}", server::providers::storage::shop_prefix(shop_id));
        let a = server::store::media_assets::insert_uploaded(
            app.db(),
            shop_id,
            id,
            format!("{key}/o"),
            "video/mp4".into(),
            1,
            now,
        )
        .await
        .unwrap();
        let mut a: assets::ActiveModel = a.into();
        a.processing_status = Set(status);
        a.playback_key = Set(Some(format!("{key}/playback.mp4")));
        a.poster_key = Set(Some(format!("{key}/poster.jpg")));
        a.width = Set(Some(720));
        a.height = Set(Some(1280));
        a.update(app.db()).await.unwrap();
    }
    id
}

/// Every testimonial id the storefront lists for a placement, following the pages.
async fn listed(app: &TestApp, shop: &str, placement: Placement) -> BTreeSet<String> {
    let (p, product) = match placement {
        Placement::Home => ("HOME", Value::Null),
        Placement::Product(id) => ("PRODUCT", json!(id.to_string())),
    };
    let mut out = BTreeSet::new();
    let mut after = Value::Null;
    loop {
        let vars = json!({"shop": shop, "p": p, "product": product, "first": 50, "after": after});
        let body = storefront_post(app, LIST, vars).await;
        let c = &body["data"]["testimonials"];
        for e in c["edges"].as_array().unwrap_or_else(|| panic!("{body}")) {
            out.insert(e["node"]["id"].as_str().unwrap().to_owned());
        }
        if c["pageInfo"]["hasNextPage"] != true {
            return out;
        }
        after = c["pageInfo"]["endCursor"].clone();
    }
}

async fn storefront_post(app: &TestApp, query: &str, variables: Value) -> Value {
    let r = app
        .client
        .post(app.url("/api/storefront/graphql"))
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn storefront_get_url(app: &TestApp, query: &str, variables: &Value) -> String {
    let mut u = url::Url::parse(&app.url("/api/storefront/graphql")).unwrap();
    u.query_pairs_mut().append_pair("query", query).append_pair("variables", &variables.to_string());
    u.to_string()
}

#[tokio::test]
async fn only_approved_published_ready_and_placed_testimonials_of_the_shop_are_listed() {
    use sea_orm::Iterable;
    let app = TestApp::spawn().await;
    let other = app.add_shop("other-shop.myshopify.com").await;
    let mut expected_home = BTreeSet::new();
    let mut expected_product = BTreeSet::new();
    for status in SubmissionStatus::iter() {
        for published in [false, true] {
            for asset_status in AssetStatus::iter().map(Some).chain([None]) {
                for (placement_home, placement_product) in [(false, false), (true, false), (false, true), (true, true)]
                {
                    for product_id in [42, 43] {
                        let c = Candidate {
                            status,
                            published,
                            asset_status,
                            placement_home,
                            placement_product,
                            product_id,
                        };
                        let id = candidate(&app, app.shop_id(), &c).await.to_string();
                        if is_visible(&c, Placement::Home) {
                            expected_home.insert(id.clone());
                        }
                        if is_visible(&c, Placement::Product(42)) {
                            expected_product.insert(id);
                        }
                    }
                }
            }
        }
    }
    // Another shop's visible testimonial is never this shop's.
    let visible = Candidate {
        status: SubmissionStatus::Approved,
        published: true,
        asset_status: Some(AssetStatus::Ready),
        placement_home: true,
        placement_product: true,
        product_id: 42,
    };
    candidate(&app, other, &visible).await;
    assert_eq!(expected_home.len(), 4, "the rule's own count");
    assert_eq!(listed(&app, app.shop().as_str(), Placement::Home).await, expected_home, "SQL = is_visible (home)");
    assert_eq!(
        listed(&app, app.shop().as_str(), Placement::Product(42)).await,
        expected_product,
        "SQL = is_visible (product)"
    );
    assert_eq!(listed(&app, "other-shop.myshopify.com", Placement::Home).await.len(), 1);

    let unknown = storefront_post(&app, LIST, json!({"shop": "nobody.myshopify.com", "p": "HOME", "first": 5})).await;
    assert_eq!(unknown["errors"][0]["extensions"]["code"], "NOT_FOUND", "{unknown}");
    let no_product =
        storefront_post(&app, LIST, json!({"shop": app.shop().as_str(), "p": "PRODUCT", "first": 5})).await;
    assert_eq!(no_product["errors"][0]["extensions"]["code"], "VALIDATION", "{no_product}");
    let too_many = storefront_post(&app, LIST, json!({"shop": app.shop().as_str(), "p": "HOME", "first": 500})).await;
    assert!(too_many["errors"].is_array(), "{too_many}");
    app.finish().await;
}

/// A real testimonial through the pipeline: a request, an uploaded video processed by ffmpeg,
/// approved and published by the merchant. Returns the submission id.
pub(crate) async fn published(app: &TestApp, product: i64) -> String {
    let dir = tempfile::tempdir().unwrap();
    published_video(app, product, media::safari_mp4(dir.path()), "video/mp4").await
}

/// As [`published`], with the customer's own video file.
pub(crate) async fn published_video(app: &TestApp, product: i64, video: Vec<u8>, content_type: &str) -> String {
    let r = fixtures::submitted_request(app.db(), app.shop_id(), product).await;
    let a = fixtures::uploaded_asset(app.state(), &r, video, content_type).await;
    app.run_background_until_idle().await;
    let id = a.submission_id.to_string();
    for m in ["approveSubmission(id: $id)", "publishSubmission(id: $id, placements: [HOME, PRODUCT])"] {
        let body = app.graphql(&format!("mutation($id: ID!) {{ {m} {{ status }} }}"), json!({"id": id})).await;
        assert!(body["errors"].is_null(), "{body}");
    }
    id
}

#[tokio::test]
async fn the_storefront_shows_public_fields_caches_and_forgets_an_unpublished_testimonial_at_once() {
    let app = TestApp::spawn().await;
    let id = published(&app, 101).await;
    let vars = json!({"shop": app.shop().as_str(), "p": "PRODUCT", "product": "101", "first": 20});
    let url = storefront_get_url(&app, LIST, &vars);

    let r = app.client.get(&url).header("origin", "https://acme-store.com").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["cache-control"], "public, max-age=30, stale-while-revalidate=300");
    assert_eq!(h["access-control-allow-origin"], "*");
    let etag = h["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    let text = r.text().await.unwrap();
    for private in ["ada@example.com", "#1001", "Lovelace", "9007199254740993", "consent"] {
        assert!(!text.contains(private), "{private} leaked: {text}");
    }
    let body: Value = serde_json::from_str(&text).unwrap();
    let node = &body["data"]["testimonials"]["edges"][0]["node"];
    assert_eq!(node["id"], id.as_str());
    assert_eq!(node["displayName"], "Ada L.");
    assert_eq!(node["productId"], "101");
    assert_eq!((node["width"].clone(), node["height"].clone()), (json!(640), json!(360)));
    assert!(node["durationSeconds"].as_f64().unwrap() > 0.5);
    // The video's stable link leads, uncached, to a short-lived storage link that serves ranges.
    let link = node["videoUrl"].as_str().unwrap().to_owned();
    assert_eq!(link, app.url(&format!("/s/{}/{id}/video.mp4", app.shop_id())));
    let hop = app.client.get(&link).send().await.unwrap();
    assert_eq!(hop.status(), 302);
    assert_eq!(hop.headers()["cache-control"], "no-store");
    let video =
        app.client.get(hop.headers()["location"].to_str().unwrap()).header("range", "bytes=0-99").send().await.unwrap();
    assert_eq!(video.status(), 206);
    let poster = app.client.get(node["posterUrl"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(poster.status(), 302);

    // Revalidation: nothing changed, 304; the same second, the merchant unpublishes: 200, empty.
    let again = app.client.get(&url).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    app.graphql("mutation($id: ID!) { unpublishSubmission(id: $id) { published } }", json!({"id": id})).await;
    let after = app.client.get(&url).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(after.status(), 200, "the ETag changed with the unpublish");
    assert_ne!(after.headers()["etag"].to_str().unwrap(), etag);
    let body: Value = after.json().await.unwrap();
    assert_eq!(body["data"]["testimonials"]["edges"], json!([]), "{body}");
    // The link stops working with it: nobody watches an unpublished video from a copied link.
    assert_eq!(app.client.get(&link).send().await.unwrap().status(), 404);
    let forged = link.replace(&id, &uuid::Uuid::new_v4().to_string());
    assert_eq!(app.client.get(&forged).send().await.unwrap().status(), 404);

    // Summary follows the same rule.
    app.graphql(
        "mutation($id: ID!) { publishSubmission(id: $id, placements: [PRODUCT]) { published } }",
        json!({"id": id}),
    )
    .await;
    let s = storefront_post(
        &app,
        "query($shop: String!) { productTestimonialSummary(shop: $shop, productId: \"gid://shopify/Product/101\") { productId count ratedCount averageRating } }",
        json!({"shop": app.shop().as_str()}),
    )
    .await;
    assert_eq!(
        s["data"]["productTestimonialSummary"],
        json!({"productId": "101", "count": 1, "ratedCount": 1, "averageRating": 5.0}),
        "{s}"
    );

    // CORS preflight for a JSON POST.
    let pre = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/storefront/graphql"))
        .header("origin", "https://acme-store.com")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), 204);
    assert_eq!(pre.headers()["access-control-allow-origin"], "*");
    app.finish().await;
}

#[tokio::test]
async fn persisted_queries_are_served_by_hash_over_get() {
    use sha2::Digest;
    let app = TestApp::spawn().await;
    let query = "query($shop: String!) { testimonials(shop: $shop, placement: HOME) { edges { node { id } } } }";
    let hash = hex::encode(sha2::Sha256::digest(query.as_bytes()));
    let ext = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}}).to_string();
    let vars = json!({"shop": app.shop().as_str()}).to_string();
    let by_hash = |with_query: bool| {
        let mut u = url::Url::parse(&app.url("/api/storefront/graphql")).unwrap();
        u.query_pairs_mut().append_pair("variables", &vars).append_pair("extensions", &ext);
        if with_query {
            u.query_pairs_mut().append_pair("query", query);
        }
        u.to_string()
    };
    let unknown: Value = app.client.get(by_hash(false)).send().await.unwrap().json().await.unwrap();
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound", "{unknown}");
    let registered = app.client.get(by_hash(true)).send().await.unwrap();
    assert_eq!(registered.status(), 200);
    let known = app.client.get(by_hash(false)).send().await.unwrap();
    assert_eq!(known.headers()["cache-control"], "public, max-age=30, stale-while-revalidate=300");
    let known: Value = known.json().await.unwrap();
    assert_eq!(known["data"]["testimonials"]["edges"], json!([]), "{known}");
    app.finish().await;
}

pub(crate) fn proxy_url(app: &TestApp, path: &str, extra: &[(&str, &str)], secret: &str) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("shop", app.shop().as_str())
        .append_pair("logged_in_customer_id", "")
        .append_pair("path_prefix", "/apps/reelproof")
        .append_pair("timestamp", &app.now().timestamp().to_string());
    for (k, v) in extra {
        q.append_pair(k, v);
    }
    let unsigned = q.finish();
    let sig = server::shopify::app_proxy::sign(secret, &unsigned);
    app.url(&format!("/proxy{path}?{unsigned}&signature={sig}"))
}

pub(crate) fn json_ld(html: &str) -> Vec<Value> {
    html.split("<script type=\"application/ld+json\">")
        .skip(1)
        .map(|s| serde_json::from_str(&s[..s.find("</script>").unwrap()]).expect("JSON-LD is JSON"))
        .collect()
}

#[tokio::test]
async fn the_app_proxy_verifies_shopifys_signature_and_serves_html_with_one_product_markup() {
    let app = TestApp::spawn().await;
    published(&app, 101).await;
    let secret = reelproof_tests::TEST_API_SECRET;

    let r = app.client.get(proxy_url(&app, "/products/101", &[], secret)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/liquid");
    let html = r.text().await.unwrap();
    assert!(html.contains("<video controls playsinline preload=\"none\""), "{html}");
    assert!(html.contains("aspect-ratio:640/360"), "{html}");
    assert!(html.contains("Ada L.") && !html.contains("ada@example.com"), "{html}");
    let ld = json_ld(&html);
    assert_eq!(ld.len(), 1, "one block of structured data: {html}");
    assert_eq!(ld[0]["@type"], "Product");
    assert_eq!(ld[0]["name"], "Walnut desk");
    assert_eq!(ld[0]["aggregateRating"]["ratingValue"], 5.0);
    assert_eq!(ld[0]["subjectOf"][0]["@type"], "VideoObject");
    let content = ld[0]["subjectOf"][0]["contentUrl"].as_str().unwrap();
    assert!(content.ends_with("/video.mp4") && content.contains("/s/"), "a stable link for search engines: {content}");

    // The theme's own rating markup: ours leaves ratings out; the videos stay.
    let off = app.client.get(proxy_url(&app, "/products/101", &[("rating_markup", "0")], secret)).send().await.unwrap();
    let ld = json_ld(&off.text().await.unwrap());
    assert!(ld[0].get("aggregateRating").is_none() && ld[0]["subjectOf"].is_array());
    // The home page: testimonials, no structured data; a bare fragment on request.
    let home = app.client.get(proxy_url(&app, "", &[("format", "fragment")], secret)).send().await.unwrap();
    assert_eq!(home.headers()["content-type"], "text/html; charset=utf-8");
    let html = home.text().await.unwrap();
    assert!(html.contains("data-count=\"1\"") && json_ld(&html).is_empty(), "{html}");

    // Forged, tampered or unsigned: 401.
    let forged = app.client.get(proxy_url(&app, "/products/101", &[], "not-the-secret")).send().await.unwrap();
    assert_eq!(forged.status(), 401);
    let tampered = proxy_url(&app, "/products/101", &[], secret).replace("test-shop", "other-shop");
    assert_eq!(app.client.get(tampered).send().await.unwrap().status(), 401);
    let added = format!("{}&limit=1", proxy_url(&app, "/products/101", &[], secret));
    assert_eq!(app.client.get(added).send().await.unwrap().status(), 401);
    let unsigned = app.url(&format!("/proxy/products/101?shop={}", app.shop().as_str()));
    assert_eq!(app.client.get(unsigned).send().await.unwrap().status(), 401);
    app.finish().await;
}

#[tokio::test]
async fn a_rejected_testimonial_and_an_uninstalled_shop_are_listed_nowhere() {
    let app = TestApp::spawn().await;
    let id = published(&app, 7).await;
    assert_eq!(listed(&app, app.shop().as_str(), Placement::Home).await.len(), 1);
    app.graphql("mutation($id: ID!) { rejectSubmission(id: $id) { status } }", json!({"id": id})).await;
    assert!(listed(&app, app.shop().as_str(), Placement::Home).await.is_empty());
    assert!(listed(&app, app.shop().as_str(), Placement::Product(7)).await.is_empty());
    let row = submissions::Entity::find_by_id(id.parse::<entity::SubmissionId>().unwrap())
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert!(!row.published, "rejecting unpublishes");
    // An uninstalled shop's storefront shows nothing at all. Uninstalled as Shopify does it, by
    // webhook: a write straight to the store would skip the request's cache bookkeeping and
    // race the LISTEN notice on PostgreSQL.
    app.webhook("app/uninstalled", &json!({ "id": 1, "myshopify_domain": app.shop().as_str() })).await;
    let gone = storefront_post(&app, LIST, json!({"shop": app.shop().as_str(), "p": "HOME"})).await;
    assert_eq!(gone["errors"][0]["extensions"]["code"], "NOT_FOUND", "{gone}");
    app.finish().await;
}

#[tokio::test]
async fn customer_text_is_inert_as_liquid_html_and_script_everywhere_the_app_proxy_puts_it() {
    let app = TestApp::spawn().await;
    let hostile_name = "<script>alert(1)</script> {{ shop.name }} Eve\"'";
    let hostile_quote = "{% render 'evil' %} {{ customer.email }} </script><img src=x onerror=alert(2)> {{";
    let id = candidate(
        &app,
        app.shop_id(),
        &Candidate {
            status: SubmissionStatus::Approved,
            published: true,
            asset_status: Some(AssetStatus::Ready),
            placement_home: true,
            placement_product: true,
            product_id: 909,
        },
    )
    .await;
    submissions::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        display_name: Set(hostile_name.into()),
        quote: Set(Some(hostile_quote.into())),
        ..Default::default()
    }
    .update(app.db())
    .await
    .unwrap();
    for extra in [vec![], vec![("format", "fragment")]] {
        let r = app
            .client
            .get(proxy_url(&app, "/products/909", &extra, reelproof_tests::TEST_API_SECRET))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        assert!(body.contains(&id.to_string()), "the testimonial is shown: {body}");
        for bad in ["{{", "{%", "<script>alert", "<img"] {
            assert!(!body.contains(bad), "{bad:?} is live in the proxy's answer ({extra:?}): {body}");
        }
        // The only scripts are the structured data, which still parses and holds the quote.
        assert_eq!(body.matches("<script").count(), 1, "{body}");
        let ld = body.split("<script type=\"application/ld+json\">").nth(1).unwrap().split("</script>").next().unwrap();
        let ld: Value = serde_json::from_str(ld).unwrap();
        assert_eq!(ld["review"][0]["reviewBody"], hostile_quote, "shown as typed, never run");
    }
    app.finish().await;
}

/// Each replica keeps storefront answers in memory. A change made through one replica — an
/// unpublish, a settings change — shows on the other's very next request: on SQLite the
/// version is read every time; on Postgres the merchant's answer waits until replica B has
/// acknowledged the change's notice (`LISTEN/NOTIFY`). Replica B trusts a version for an hour
/// here, so only the notice can carry the change.
#[tokio::test]
async fn a_replica_serving_answers_from_memory_shows_a_change_made_through_another_replica() {
    use std::time::Duration;
    let app = TestApp::spawn().await;
    let id = published(&app, 101).await;
    let b = app.replica().await;
    b.state().storefront_cache().set_trust(Duration::from_secs(3600));
    let query = "query($shop: String!) { testimonials(shop: $shop, placement: PRODUCT, productId: \"101\") { edges { node { id } } } collectionNote(shop: $shop) }";
    let vars = json!({"shop": app.shop().as_str()});
    let on_b = storefront_get_url(&app, query, &vars).replace(&app.url(""), &b.url(""));
    let ids = |v: &Value| -> Vec<String> {
        let edges = v["data"]["testimonials"]["edges"].as_array().unwrap_or_else(|| panic!("{v}"));
        edges.iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()).collect()
    };
    let fetch = || async { app.client.get(&on_b).send().await.unwrap().json::<Value>().await.unwrap() };
    // B answers, then answers again without executing the query (its cache counts both).
    let first = fetch().await;
    assert_eq!(ids(&first), std::slice::from_ref(&id));
    assert_eq!(fetch().await, first);
    let metrics = app.client.get(b.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("reelproof_storefront_answers_total{from=\"cache\"}"), "{metrics}");

    // The merchant unpublishes on A; B stops listing it.
    let r = app.graphql("mutation($id: ID!) { unpublishSubmission(id: $id) { published } }", json!({"id": id})).await;
    assert_eq!(r["data"]["unpublishSubmission"]["published"], false, "{r}");
    assert_eq!(ids(&fetch().await), Vec::<String>::new(), "B's very next answer leaves it out");
    // A settings change on A (the storefront's note) reaches B the same way.
    let r = app
        .graphql(
            "mutation($n: String) { updateShopSettings(input: {collectionNote: $n}) { settings { collectionNote } } }",
            json!({"n": "Every video comes from a real order."}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    assert_eq!(fetch().await["data"]["collectionNote"], "Every video comes from a real order.");
    b.stop().await;
    app.finish().await;
}

/// Postgres: when a replica's `LISTEN` connection drops, notices sent meanwhile are lost, so the
/// replica trusts nothing it learnt before: a change made then still shows at once, and the
/// connection comes back by itself.
#[tokio::test]
async fn a_replica_whose_listen_connection_drops_trusts_nothing_old_and_listens_again() {
    use reelproof_tests::db::TestDb;
    use std::time::Duration;
    if !TestDb::is_postgres() {
        println!("LISTEN connection loss: PostgreSQL only (SQLite reads the version every time)");
        return;
    }
    let app = TestApp::spawn().await;
    let id = published(&app, 101).await;
    let b = app.replica().await;
    let cache = b.state().storefront_cache().clone();
    cache.set_trust(Duration::from_secs(3600));
    assert!(cache.listening());
    let query = "query($shop: String!) { testimonials(shop: $shop, placement: HOME) { edges { node { id } } } }";
    let on_b = storefront_get_url(&app, query, &json!({"shop": app.shop().as_str()})).replace(&app.url(""), &b.url(""));
    let count = || async {
        let v: Value = app.client.get(&on_b).send().await.unwrap().json().await.unwrap();
        v["data"]["testimonials"]["edges"].as_array().unwrap_or_else(|| panic!("{v}")).len()
    };
    assert_eq!(count().await, 1);

    // Every storefront LISTEN connection of this database is cut; the merchant unpublishes.
    use sea_orm::ConnectionTrait;
    app.db()
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'reelproof storefront'",
        )
        .await
        .unwrap();
    app.graphql("mutation($id: ID!) { unpublishSubmission(id: $id) { published } }", json!({"id": id})).await;
    reelproof_tests::wait_for("replica B to drop the unpublished testimonial", Duration::from_secs(20), || async {
        (count().await == 0).then_some(())
    })
    .await;
    reelproof_tests::wait_for("replica B to listen again", Duration::from_secs(20), || async {
        cache.listening().then_some(())
    })
    .await;
    // Listening again, it hears the next change.
    app.graphql(
        "mutation($id: ID!) { publishSubmission(id: $id, placements: [HOME]) { published } }",
        json!({"id": id}),
    )
    .await;
    reelproof_tests::wait_for("replica B to show it again", Duration::from_secs(20), || async {
        (count().await == 1).then_some(())
    })
    .await;
    b.stop().await;
    app.finish().await;
}

/// Postgres: a replica that hears a change but never acknowledges it (wedged, or a listener
/// of some other program under the storefront's name) holds the merchant's answer back at most
/// a second, and is reported; once it is gone, changes are confirmed without it.
#[tokio::test]
async fn a_replica_that_does_not_acknowledge_a_change_delays_the_merchant_a_second_at_most_and_is_reported() {
    use reelproof_tests::db::TestDb;
    use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
    use std::str::FromStr;
    use std::time::{Duration, Instant};
    if !TestDb::is_postgres() {
        println!("storefront acknowledgements: PostgreSQL only (SQLite reads the version every time)");
        return;
    }
    let app = TestApp::spawn().await;
    let id = published(&app, 101).await;
    let options = PgConnectOptions::from_str(&app.state().config().database_url)
        .unwrap()
        .application_name("reelproof storefront");
    let pool = PgPoolOptions::new().max_connections(1).connect_lazy_with(options);
    let mut silent = PgListener::connect_with(&pool).await.unwrap();
    silent.listen("reelproof_storefront").await.unwrap();
    const LATE: &str = "reelproof_storefront_acks_late_total";
    let started = Instant::now();
    let r = app.graphql("mutation($id: ID!) { unpublishSubmission(id: $id) { published } }", json!({"id": id})).await;
    assert_eq!(r["data"]["unpublishSubmission"]["published"], false, "{r}");
    assert!(started.elapsed() >= Duration::from_secs(1), "the answer waited for the silent replica");
    assert_eq!(app.metric(LATE).await, 1.0, "and reported it");
    let n = silent.try_recv().await.unwrap().expect("the silent replica heard the change");
    assert!(n.payload().starts_with(&format!("{}:", app.shop_id())), "{}", n.payload());

    drop(silent);
    pool.close().await;
    reelproof_tests::wait_for("the silent replica's connection to end", Duration::from_secs(20), || async {
        use sea_orm::{ConnectionTrait, Statement};
        let sql = "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'reelproof storefront'";
        let row = app.db().query_one_raw(Statement::from_string(app.db().get_database_backend(), sql)).await.unwrap();
        (row.unwrap().try_get::<i64>("", "n").unwrap() == 1).then_some(())
    })
    .await;
    let r = app
        .graphql(
            "mutation($id: ID!) { publishSubmission(id: $id, placements: [HOME]) { published } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r["data"]["publishSubmission"]["published"], true, "{r}");
    assert_eq!(app.metric(LATE).await, 1.0, "the live replica acknowledged the next change; no one was late");
    app.finish().await;
}

/// Follows a storefront media link to its bytes.
async fn media_bytes(app: &TestApp, link: &str) -> (u16, Vec<u8>) {
    let hop = app.client.get(link).send().await.unwrap();
    if hop.status() != 302 {
        return (hop.status().as_u16(), Vec::new());
    }
    let to = hop.headers()["location"].to_str().unwrap().to_owned();
    let r = app.client.get(&to).send().await.unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn posters_come_in_the_sizes_the_block_shows_as_webp_and_jpeg_and_portrait_stays_portrait() {
    let app = TestApp::spawn().await;
    let id = published(&app, 101).await;
    let query = "query($shop: String!) { testimonials(shop: $shop, placement: HOME, first: 5) { edges { node { id width height posterUrl posterImages { url width height mimeType } } } } }";
    let body = storefront_post(&app, query, json!({"shop": app.shop().as_str()})).await;
    let node = &body["data"]["testimonials"]["edges"][0]["node"];
    assert_eq!(node["id"], id.as_str(), "{body}");
    let images = node["posterImages"].as_array().unwrap();
    let listed: Vec<(i64, i64, &str)> = images
        .iter()
        .map(|i| (i["width"].as_i64().unwrap(), i["height"].as_i64().unwrap(), i["mimeType"].as_str().unwrap()))
        .collect();
    // The 640×360 video: 240 and 480 wide (720 would be an enlargement), each as WebP and JPEG.
    assert_eq!(
        listed,
        [(240, 136, "image/webp"), (480, 270, "image/webp"), (240, 136, "image/jpeg"), (480, 270, "image/jpeg")],
        "{body}"
    );
    let dir = tempfile::tempdir().unwrap();
    let (_, full) = media_bytes(&app, node["posterUrl"].as_str().unwrap()).await;
    for image in images {
        let url = image["url"].as_str().unwrap();
        assert!(url.starts_with(&app.url(&format!("/s/{}/{id}/poster-", app.shop_id()))), "{url}");
        let (status, bytes) = media_bytes(&app, url).await;
        assert_eq!(status, 200, "{url}");
        let webp = image["mimeType"] == "image/webp";
        if webp {
            assert!(bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP", "{url} is WebP");
        } else {
            assert!(bytes.starts_with(&[0xFF, 0xD8]), "{url} is JPEG");
        }
        assert!(
            bytes.len() < full.len(),
            "{url}: {} bytes, smaller than the full poster's {}",
            bytes.len(),
            full.len()
        );
        let path = dir.path().join(if webp { "p.webp" } else { "p.jpg" });
        std::fs::write(&path, &bytes).unwrap();
        let stream = &media::probe(&path)["streams"][0];
        assert_eq!((&stream["width"], &stream["height"]), (&image["width"], &image["height"]), "{url}");
    }
    // The block's HTML offers them with srcset, lazily, over a box of the right shape.
    let fragment = super::widget::fragment(&app, 101).await;
    assert!(
        fragment.contains("<picture class=\"reelproof__poster\"><source type=\"image/webp\" srcset=\""),
        "{fragment}"
    );
    assert!(fragment.contains("poster-480.jpg 480w\" sizes=\"") && fragment.contains("loading=\"lazy\""), "{fragment}");
    assert!(
        fragment.contains(
            "<picture class=\"reelproof__poster\" data-rp-deferred><source type=\"image/webp\" data-srcset=\""
        ),
        "with JavaScript, the addresses wait for the page's load: {fragment}"
    );
    assert!(!fragment.contains(" poster=\""), "the video itself loads no second poster: {fragment}");
    // Unpublished: every size stops answering with the video.
    app.graphql("mutation($id: ID!) { unpublishSubmission(id: $id) { published } }", json!({"id": id})).await;
    assert_eq!(media_bytes(&app, images[0]["url"].as_str().unwrap()).await.0, 404);

    // A phone's portrait clip (stored as rotated landscape) shows in a portrait box.
    let phone = published_video(&app, 303, media::iphone_mov(dir.path()), "video/quicktime").await;
    let body = storefront_post(&app, query, json!({"shop": app.shop().as_str()})).await;
    let node = &body["data"]["testimonials"]["edges"][0]["node"];
    assert_eq!(node["id"], phone.as_str(), "{body}");
    assert_eq!((node["width"].as_i64(), node["height"].as_i64()), (Some(240), Some(320)), "{body}");
    app.finish().await;
}
