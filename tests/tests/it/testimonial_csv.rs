//! CSV import and export of testimonials through the admin API: all-or-nothing import with
//! every problem named, server-side video fetching limited to public addresses, imported videos
//! processed like uploads and marked as imported in their compliance record, and the export.

use entity::{AssetStatus, testimonial_media_assets as assets, testimonial_submissions as submissions};
use reelproof_tests::{TestApp, media};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

const IMPORT: &str = "mutation($csv: String!) { importTestimonials(csv: $csv) { id status source displayName rating quote hasVideo productId media { status processingError } } }";

/// A tiny file server on loopback: what a merchant's CDN would be.
async fn serve(files: Vec<(&'static str, Vec<u8>)>) -> std::net::SocketAddr {
    let mut router = axum::Router::new();
    for (path, bytes) in files {
        router = router.route(
            path,
            axum::routing::get(move || {
                let bytes = bytes.clone();
                async move { ([("content-type", "video/mp4")], bytes) }
            }),
        );
    }
    router = router
        .route("/moved", axum::routing::get(|| async { (axum::http::StatusCode::FOUND, [("location", "/clip.mp4")]) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

async fn media_of(app: &TestApp, submission_id: &str) -> assets::Model {
    let all = assets::Entity::find().all(app.db()).await.unwrap();
    all.into_iter().find(|a| a.submission_id.to_string() == submission_id).expect("the import's asset")
}

#[tokio::test]
async fn a_bad_row_imports_nothing_and_every_problem_is_named() {
    let app = TestApp::spawn().await;
    let csv = "product_id,display_name,rating,quote,video_url,consent\n\
               42,Ada L.,5,Lovely,,yes\n\
               x,,7,,javascript:alert(1),no\n";
    let body = app.graphql(IMPORT, json!({"csv": csv})).await;
    let e = &body["errors"][0];
    assert_eq!(e["extensions"]["code"], "VALIDATION", "{body}");
    let cols: Vec<&str> =
        e["extensions"]["rows"].as_array().unwrap().iter().map(|r| r["column"].as_str().unwrap()).collect();
    assert_eq!(cols, ["product_id", "display_name", "rating", "video_url", "quote", "consent"], "{body}");
    assert!(e["extensions"]["rows"].as_array().unwrap().iter().all(|r| r["line"] == 3));
    assert_eq!(submissions::Entity::find().count(app.db()).await.unwrap(), 0, "nothing half-written");
    app.finish().await;
}

#[tokio::test]
async fn a_loopback_or_private_video_link_is_never_fetched() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let addr = serve(vec![("/clip.mp4", media::safari_mp4(dir.path()))]).await;
    let csv = format!(
        "product_id,display_name,quote,video_url,consent\n\
         42,Ada,Lovely,http://{addr}/clip.mp4,yes\n\
         43,Bo,Nice,http://169.254.169.254/latest/meta-data/,yes\n\
         44,Cy,Good,http://localhost:{}/clip.mp4,yes\n",
        addr.port()
    );
    let body = app.graphql(IMPORT, json!({"csv": csv})).await;
    let imported = body["data"]["importTestimonials"].as_array().unwrap_or_else(|| panic!("{body}")).clone();
    assert_eq!(imported.len(), 3);
    app.run_background_until_idle().await;
    for s in &imported {
        let a = media_of(&app, s["id"].as_str().unwrap()).await;
        assert_eq!(a.processing_status, AssetStatus::Failed);
        let error = a.processing_error.unwrap();
        assert!(error.contains("is not a public internet address"), "{error}");
    }
    let stored = app.state().storage().list(&server::providers::storage::shop_prefix(app.shop_id())).await.unwrap();
    assert!(stored.is_empty(), "nothing was fetched: {stored:?}");
    app.finish().await;
}

#[tokio::test]
async fn imported_testimonials_are_fetched_processed_marked_as_imported_and_exported() {
    let app = TestApp::spawn_with(|c| {
        // The test's "CDN" is on loopback; production refuses that (the test above).
        c.media.import.allow_private = true;
        c.media.limits.max_bytes = 2_000_000;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let clip = media::safari_mp4(dir.path());
    let addr = serve(vec![("/clip.mp4", clip), ("/huge.mp4", vec![0u8; 3_000_000])]).await;
    let csv = format!(
        "product_id,display_name,rating,quote,video_url,consent,date\n\
         gid://shopify/Product/42,Ada L.,5,\"=1+1, she said\",http://{addr}/moved,yes,2025-06-01\n\
         43,Bo,4,Nice,,yes,\n\
         44,Cy,,,http://{addr}/huge.mp4,yes,\n\
         45,Di,,,http://{addr}/missing.mp4,yes,\n"
    );
    let body = app.graphql(IMPORT, json!({"csv": csv})).await;
    let imported = body["data"]["importTestimonials"].as_array().unwrap_or_else(|| panic!("{body}")).clone();
    assert_eq!(imported.len(), 4);
    assert_eq!(imported[0]["source"], "IMPORT");
    assert_eq!(imported[0]["status"], "PENDING");
    assert_eq!(imported[0]["productId"], "42");
    assert_eq!(imported[0]["media"]["status"], "UPLOADED");
    assert_eq!(imported[1]["hasVideo"], false);
    app.run_background_until_idle().await;

    // Followed the redirect, fetched, transcoded: playable like an upload.
    let ada = media_of(&app, imported[0]["id"].as_str().unwrap()).await;
    assert_eq!(ada.processing_status, AssetStatus::Ready, "{:?}", ada.processing_error);
    assert!(ada.playback_key.is_some() && ada.poster_key.is_some());
    assert_eq!(ada.content_type, "video/mp4");
    let huge = media_of(&app, imported[2]["id"].as_str().unwrap()).await;
    assert!(huge.processing_error.as_deref().unwrap().contains("larger than the limit"), "{huge:?}");
    let missing = media_of(&app, imported[3]["id"].as_str().unwrap()).await;
    assert!(missing.processing_error.as_deref().unwrap().contains("404"), "{missing:?}");

    // The compliance record says it was imported, by whom, from where.
    let record =
        app.graphql("query($id: ID!) { complianceRecord(submissionId: $id) }", json!({"id": imported[0]["id"]})).await;
    let record = &record["data"]["complianceRecord"];
    assert_eq!(record["source"], "import", "{record}");
    assert!(record["imported"]["by"].as_str().unwrap().starts_with("user:"), "{record}");
    assert_eq!(record["imported"]["video_url"], format!("http://{addr}/moved"));
    assert_eq!(record["moderation"][0]["action"], "import");
    assert_eq!(record["consent"]["given_at"], "2025-06-01T00:00:00Z");

    // The export: one line per testimonial, quoted, formulas defused, a playable link.
    let csv = app.graphql("{ submissionsCsv }", json!({})).await["data"]["submissionsCsv"].as_str().unwrap().to_owned();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4);
    let col = |r: &csv::StringRecord, name: &str| r[headers.iter().position(|h| h == name).unwrap()].to_owned();
    let ada_row = rows.iter().find(|r| col(r, "display_name") == "Ada L.").unwrap();
    assert_eq!(col(ada_row, "quote"), "'=1+1, she said");
    assert_eq!(
        (col(ada_row, "source"), col(ada_row, "status"), col(ada_row, "rating")),
        ("import".into(), "pending".into(), "5".into())
    );
    assert_eq!(col(ada_row, "media_status"), "ready");
    let video = col(ada_row, "video_url");
    let r = reelproof_tests::http().get(&video).send().await.unwrap();
    assert_eq!(r.status(), 200, "{video}");
    let pending_only = app.graphql("{ submissionsCsv(status: APPROVED) }", json!({})).await;
    assert_eq!(pending_only["data"]["submissionsCsv"].as_str().unwrap().lines().count(), 1, "just the header");
    app.finish().await;
}

#[tokio::test]
async fn aliases_cannot_multiply_a_whole_shop_export() {
    let app = TestApp::spawn().await;
    let one = app.graphql("{ submissionsCsv }", serde_json::json!({})).await;
    assert!(one["errors"].is_null(), "{one}");
    let two = app.graphql("{ a: submissionsCsv b: submissionsCsv }", serde_json::json!({})).await;
    let message = two["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("too complex"), "{two}");
    assert!(two["data"].is_null(), "nothing ran: {two}");
    // Lists cost their page size: a page of 100 requests asking for much, times several aliases.
    let page = "requests(first: 100) { edges { node { id status timeline { type at } } } }";
    let one = app.graphql(&format!("{{ {page} }}"), serde_json::json!({})).await;
    assert!(one["errors"].is_null(), "one page is fine: {one}");
    let many = (0..8).map(|i| format!("a{i}: {page}")).collect::<Vec<_>>().join(" ");
    let many = format!("{{ {many} }}");
    let r = app.graphql(&many, serde_json::json!({})).await;
    assert!(r["errors"][0]["message"].as_str().unwrap_or_default().contains("too complex"), "{r}");
    app.finish().await;
}

#[tokio::test]
async fn a_shop_may_start_ten_imports_an_hour_and_the_eleventh_is_refused_with_a_sentence() {
    let app = TestApp::spawn().await;
    let csv = "product_id,display_name,quote,consent\n42,Ada,Lovely,yes\n";
    for i in 0..10 {
        let body = app.graphql(IMPORT, json!({"csv": csv})).await;
        assert!(body["errors"].is_null(), "import {i}: {body}");
    }
    // A file with a bad row is not an import, and costs nothing.
    let bad = app.graphql(IMPORT, json!({"csv": "product_id,display_name,consent\nx,,no\n"})).await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "VALIDATION", "{bad}");
    let refused = app.graphql(IMPORT, json!({"csv": csv})).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{refused}");
    assert_eq!(refused["errors"][0]["message"], "at most 10 imports an hour; please try again later");
    assert_eq!(submissions::Entity::find().count(app.db()).await.unwrap(), 10, "the refused one wrote nothing");
    // The budget is the shop's, not the replica's.
    let replica = app.replica().await;
    let other = reelproof_tests::json_of(
        app.client
            .post(replica.url("/api/graphql"))
            .bearer_auth(app.session_token())
            .json(&json!({"query": IMPORT, "variables": {"csv": csv}})),
    )
    .await;
    assert_eq!(other["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{other}");
    replica.stop().await;
    // The next hour, imports work again.
    app.advance_clock(chrono::Duration::hours(1));
    let body = app.graphql(IMPORT, json!({"csv": csv})).await;
    assert!(body["errors"].is_null(), "{body}");
    app.finish().await;
}

#[tokio::test]
async fn the_export_downloads_as_a_stream_in_pages_with_the_same_rows_as_the_api() {
    let app = TestApp::spawn().await;
    // 1 200 testimonials: more than two of the export's pages of 500.
    for batch in 0..2 {
        let mut csv = String::from("product_id,display_name,quote,consent\n");
        for i in 0..600 {
            csv.push_str(&format!("{},Buyer {batch}-{i},\"=HYPERLINK(\"\"x\"\"), ok\",yes\n", 40 + i % 7));
        }
        let r = app.graphql("mutation($c: String!) { importTestimonials(csv: $c) { id } }", json!({"c": csv})).await;
        assert!(r["errors"].is_null(), "{r}");
    }
    let reader = app
        .graphql("mutation { createApiToken(name: \"BI\", scopes: [READ]) { token } }", json!({}))
        .await["data"]["createApiToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let download = |bearer: Option<String>, query: &'static str| {
        let req = reelproof_tests::http().get(app.url(&format!("/api/exports/testimonials.csv{query}")));
        match bearer {
            Some(b) => req.bearer_auth(b),
            None => req,
        }
        .send()
    };
    let r = download(Some(reader.clone()), "").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("reelproof-testimonials.csv"));
    assert!(r.content_length().is_none(), "sent as it is read, not measured first");
    let streamed = r.text().await.unwrap();
    let whole =
        app.graphql("{ submissionsCsv }", json!({})).await["data"]["submissionsCsv"].as_str().unwrap().to_owned();
    assert_eq!(streamed, whole, "the download and the API give the same file");
    let mut rows = csv::Reader::from_reader(streamed.as_bytes());
    let names: Vec<String> = rows.records().map(|r| r.unwrap()[10].to_owned()).collect();
    assert_eq!(names.len(), 1_200);
    assert_eq!(names.iter().collect::<std::collections::HashSet<_>>().len(), 1_200, "no row twice, none lost");
    assert!(streamed.contains("\"'=HYPERLINK(\"\"x\"\"), ok\""), "formulas defused in the stream too");

    // The session token works as well; a filter narrows; a bad filter or no credential says why.
    let approved = download(Some(app.session_token()), "?status=APPROVED").await.unwrap();
    assert_eq!(approved.text().await.unwrap().lines().count(), 1, "just the header");
    let bad = download(Some(reader), "?status=lovely").await.unwrap();
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("pending, approved"), "{body}");
    assert_eq!(download(None, "").await.unwrap().status(), 401);
    // Another shop's credential exports that shop's (empty) testimonials, never these.
    let other = download(Some(app.other_shop_token().await), "").await.unwrap().text().await.unwrap();
    assert_eq!(other.lines().count(), 1, "{other}");
    app.finish().await;
}
