//! A real S3-compatible server for tests: moto's standalone server (`python3 -m moto.server`),
//! one per test, with a fresh bucket. It speaks the S3 REST API our store uses — multipart
//! uploads, presigned URLs, ranged GETs — over plain HTTP on loopback.

use std::process::Stdio;
use std::time::Duration;

pub struct MotoS3 {
    pub port: u16,
    pub bucket: String,
    _child: tokio::process::Child,
}

impl MotoS3 {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = tokio::process::Command::new(std::env::var("PYTHON").unwrap_or_else(|_| "python3".into()))
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 with moto (pip install 'moto[server]'; .ci/lib.sh does it)");
        let endpoint = format!("http://127.0.0.1:{port}");
        let http = crate::http();
        crate::wait_for("moto to answer", Duration::from_secs(60), || {
            let (http, endpoint) = (http.clone(), endpoint.clone());
            async move { http.get(&endpoint).send().await.ok().map(|_| ()) }
        })
        .await;
        let bucket = format!("reelproof-{}", uuid::Uuid::new_v4().simple());
        // moto does not check signatures unless asked to, so the bucket is made with a bare PUT.
        let res = http.put(format!("{endpoint}/{bucket}")).send().await.expect("create bucket");
        assert!(res.status().is_success(), "moto refused to create the bucket: {}", res.status());
        Self { port, bucket, _child: child }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's media store settings for this bucket.
    pub fn settings(&self) -> server::providers::storage::S3Settings {
        server::providers::storage::S3Settings {
            bucket: self.bucket.clone(),
            region: Some("us-east-1".into()),
            endpoint: Some(self.endpoint()),
            access_key_id: Some("testing".into()),
            secret_access_key: Some("testing".into()),
            session_token: None,
        }
    }

    /// The keys in the bucket (ListObjectsV2, parsed just enough).
    pub async fn keys(&self) -> Vec<String> {
        let body = crate::http()
            .get(format!("{}/{}?list-type=2", self.endpoint(), self.bucket))
            .send()
            .await
            .expect("list bucket")
            .text()
            .await
            .unwrap();
        body.split("<Key>").skip(1).filter_map(|s| s.split_once("</Key>").map(|(k, _)| k.to_owned())).collect()
    }
}
