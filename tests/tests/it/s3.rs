//! The media store on an S3-compatible bucket (a local moto server): the customer uploads
//! straight to the bucket in presigned parts, a lost part is sent again without the others,
//! the server completes the upload from what the bucket holds, and playback is a presigned GET.

use super::capture::{SUBMIT, code, sent};
use entity::{AssetStatus, testimonial_media_assets as assets};
use reelproof_tests::{TestApp, media, s3::MotoS3};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use server::config::MediaStore;
use tokio::io::AsyncWriteExt;

const UPLOAD_PARTS: &str = "mutation($t: String!, $ct: String!, $n: Int!) { createUpload(token: $t, contentType: $ct, sizeBytes: $n) { url uploadKey parts { number offset size url } } }";

async fn app_on(s3: &MotoS3) -> TestApp {
    let settings = s3.settings();
    TestApp::spawn_with(move |c| c.media.store = MediaStore::S3(settings)).await
}

async fn put_part(part: &Value, file: &[u8]) -> reqwest::Response {
    let (offset, size) = (part["offset"].as_u64().unwrap() as usize, part["size"].as_u64().unwrap() as usize);
    reelproof_tests::http()
        .put(part["url"].as_str().unwrap())
        .body(file[offset..offset + size].to_vec())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_video_uploaded_to_the_bucket_becomes_playable_from_it() {
    let s3 = MotoS3::start().await;
    let app = app_on(&s3).await;
    let (_, token) = sent(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::chrome_webm(dir.path());

    let up = app.public_graphql(UPLOAD_PARTS, json!({"t": token, "ct": "video/webm", "n": video.len()})).await;
    let target = &up["data"]["createUpload"];
    let parts = target["parts"].as_array().unwrap_or_else(|| panic!("{up}"));
    assert_eq!(parts.len(), 1, "a small file is one part");
    assert!(parts[0]["url"].as_str().unwrap().starts_with(&s3.endpoint()), "the browser talks to the bucket");
    assert!(parts[0]["url"].as_str().unwrap().contains("X-Amz-Signature="), "presigned");
    let res = put_part(&parts[0], &video).await;
    assert!(res.status().is_success(), "{}", res.status());

    let input = json!({"uploadKey": target["uploadKey"], "displayName": "Ada Lovelace", "consentPublish": true, "consentVersion": 1});
    let s = app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    assert_eq!(s["data"]["submitTestimonial"]["hasVideo"], true, "{s}");
    assert_eq!(app.run_background_until_idle().await, 1);
    let a = assets::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert_eq!(a.processing_status, AssetStatus::Ready, "{:?}", a.processing_error);
    let keys = s3.keys().await;
    for k in [&a.original_key, a.playback_key.as_ref().unwrap(), a.poster_key.as_ref().unwrap()] {
        assert!(keys.contains(k), "{k} is in the bucket: {keys:?}");
    }

    // Playback: a presigned GET on the bucket, which serves ranges itself.
    let url =
        app.state().playback_url(a.playback_key.as_ref().unwrap(), std::time::Duration::from_secs(300)).await.unwrap();
    assert!(url.starts_with(&s3.endpoint()) && url.contains("X-Amz-Signature="), "{url}");
    let part = reelproof_tests::http().get(&url).header("range", "bytes=0-99").send().await.unwrap();
    assert_eq!(part.status(), 206);
    let head = part.bytes().await.unwrap();
    assert_eq!(&head[4..8], b"ftyp", "an MP4 comes back");
    app.finish().await;
}

#[tokio::test]
async fn an_interrupted_bucket_upload_resends_only_the_lost_part() {
    let s3 = MotoS3::start().await;
    let app = app_on(&s3).await;
    let (_, token) = sent(&app).await;
    // 9 MiB: two parts of a multipart upload (8 MiB + 1 MiB).
    let file: Vec<u8> = (0..9 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let up = app.public_graphql(UPLOAD_PARTS, json!({"t": token, "ct": "video/mp4", "n": file.len()})).await;
    let target = &up["data"]["createUpload"];
    let key = target["uploadKey"].as_str().unwrap().to_owned();
    let parts = target["parts"].as_array().unwrap_or_else(|| panic!("{up}")).clone();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0]["size"], 8 * 1024 * 1024);
    assert!(put_part(&parts[0], &file).await.status().is_success());

    // The phone loses its connection in the middle of the second part.
    let u = url::Url::parse(parts[1]["url"].as_str().unwrap()).unwrap();
    let mut s = tokio::net::TcpStream::connect((u.host_str().unwrap(), u.port().unwrap())).await.unwrap();
    let head = format!(
        "PUT {}?{} HTTP/1.1\r\nHost: {}:{}\r\nContent-Length: {}\r\n\r\n",
        u.path(),
        u.query().unwrap(),
        u.host_str().unwrap(),
        u.port().unwrap(),
        parts[1]["size"]
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&file[8 * 1024 * 1024..8 * 1024 * 1024 + 1000]).await.unwrap();
    s.flush().await.unwrap();
    drop(s);

    let input = json!({"uploadKey": key, "displayName": "Ada", "consentPublish": true, "consentVersion": 1});
    let early = app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    assert_eq!(code(&early), "VALIDATION", "a part is missing: {early}");
    assert!(early["errors"][0]["message"].as_str().unwrap().contains("has not arrived"), "{early}");

    // Sending the lost part again completes the file; the first part is not sent twice.
    assert!(put_part(&parts[1], &file).await.status().is_success());
    let s = app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    assert_eq!(s["data"]["submitTestimonial"]["hasVideo"], true, "{s}");
    assert_eq!(app.state().storage().get(&key).await.unwrap().as_ref(), file.as_slice(), "byte for byte");

    // Not a video: the worker reads it from the bucket and says so.
    app.run_background_until_idle().await;
    let a = assets::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert_eq!(a.processing_status, AssetStatus::Failed);
    assert!(a.processing_error.is_some());
    app.finish().await;
}

#[tokio::test]
async fn parts_adding_up_to_more_than_announced_are_thrown_away() {
    let s3 = MotoS3::start().await;
    let app = app_on(&s3).await;
    let (_, token) = sent(&app).await;
    let up = app.public_graphql(UPLOAD_PARTS, json!({"t": token, "ct": "video/mp4", "n": 1000})).await;
    let target = &up["data"]["createUpload"];
    let part = &target["parts"][0];
    // A client that sends more than the part it was given (moto, like S3 without a signed
    // length, takes it): the server refuses to complete the upload.
    let res = reelproof_tests::http().put(part["url"].as_str().unwrap()).body(vec![7u8; 5000]).send().await.unwrap();
    assert!(res.status().is_success());
    let input =
        json!({"uploadKey": target["uploadKey"], "displayName": "Ada", "consentPublish": true, "consentVersion": 1});
    let s = app.public_graphql(SUBMIT, json!({"t": token, "i": input})).await;
    assert_eq!(code(&s), "VALIDATION", "{s}");
    assert!(s["errors"][0]["message"].as_str().unwrap().contains("larger than the 1000 bytes"), "{s}");
    assert!(!s3.keys().await.iter().any(|k| k.contains("/uploads/")), "nothing of it is kept");
    app.finish().await;
}
