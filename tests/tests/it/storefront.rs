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
    let r = fixtures::submitted_request(app.db(), app.shop_id(), product).await;
    let dir = tempfile::tempdir().unwrap();
    let a = fixtures::uploaded_asset(app.state(), &r, media::safari_mp4(dir.path()), "video/mp4").await;
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

fn json_ld(html: &str) -> Vec<Value> {
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
    // An uninstalled shop's storefront shows nothing at all.
    server::store::shops::mark_uninstalled(app.db(), app.shop_id(), app.now()).await.unwrap();
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
