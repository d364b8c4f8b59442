//! Object storage for media (originals, playback MP4s, posters) through `object_store`.
//!
//! Keys are laid out per shop — `shops/<shop_id>/…` — so erasing a shop is one prefix delete
//! and no key can name another tenant's object by accident.
//!
//! Two backends: a local folder (the embedded default, served by our own signed `/uploads` and
//! `/media` routes) and an S3-compatible bucket, where browsers upload and play straight from the
//! bucket with presigned URLs — resumably, as a multipart upload whose parts are presigned one by
//! one (see [`S3Store`]).

use bytes::Bytes;
use entity::ShopId;
use futures_util::TryStreamExt;
use object_store::ObjectStoreExt;
use object_store::aws::AmazonS3;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    description: String,
    /// The folder of the local store (served by `/media` with range requests).
    local_root: Option<std::path::PathBuf>,
    /// The bucket, when the store is S3-compatible.
    s3: Option<S3Store>,
}

/// Where a bucket is and how to reach it. Unset credentials fall back to the standard AWS
/// environment chain (`AWS_*` variables, web identity, instance metadata).
#[derive(Clone, Default)]
pub struct S3Settings {
    pub bucket: String,
    pub region: Option<String>,
    /// `AWS_ENDPOINT_URL`, for S3-compatible services (MinIO, R2, moto…); path-style requests.
    pub endpoint: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("object storage: {0}")]
pub struct StorageError(#[from] object_store::Error);

impl Storage {
    /// A folder on the local disk (the embedded default: `<data dir>/media`).
    pub fn local(dir: &std::path::Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| object_store::Error::Generic { store: "local", source: Box::new(e) })?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
        Ok(Self {
            store: Arc::new(store),
            description: format!("local folder {}", dir.display()),
            local_root: Some(dir.canonicalize().unwrap_or_else(|_| dir.to_owned())),
            s3: None,
        })
    }

    /// An S3-compatible bucket.
    pub fn s3(settings: &S3Settings) -> Result<Self, StorageError> {
        let mut b = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(&settings.bucket);
        if let Some(r) = &settings.region {
            b = b.with_region(r);
        }
        if let Some(e) = &settings.endpoint {
            b = b.with_endpoint(e).with_allow_http(e.starts_with("http://")).with_virtual_hosted_style_request(false);
        }
        if let Some(k) = &settings.access_key_id {
            b = b.with_access_key_id(k);
        }
        if let Some(k) = &settings.secret_access_key {
            b = b.with_secret_access_key(k);
        }
        if let Some(t) = &settings.session_token {
            b = b.with_token(t);
        }
        let s3 = Arc::new(b.build()?);
        let description = match &settings.endpoint {
            Some(e) => format!("s3://{} at {e}", settings.bucket),
            None => format!("s3://{}", settings.bucket),
        };
        Ok(Self {
            store: s3.clone(),
            description,
            local_root: None,
            s3: Some(S3Store { s3, http: reqwest::Client::new() }),
        })
    }

    /// A URL a browser can play (or download) `key` from until `expires` (Unix seconds): the
    /// bucket's presigned `GET`, or for the local store our own `/media` route under
    /// `public_base`, signed with `links`. Both honour `Range`.
    pub async fn playback_url(
        &self,
        key: &str,
        expires: i64,
        ttl: std::time::Duration,
        public_base: &str,
        links: &crate::domain::tokens::LinkKey,
    ) -> Result<String, StorageError> {
        if let Some(s3) = self.s3_store() {
            return s3.presigned_get(key, ttl).await;
        }
        let query = crate::domain::signed_url::media_query(links, key, expires);
        Ok(format!("{}/media/{key}?{query}", public_base.trim_end_matches('/')))
    }

    /// The bucket, for presigned uploads and playback; `None` for the local store.
    pub fn s3_store(&self) -> Option<&S3Store> {
        self.s3.as_ref()
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), StorageError> {
        self.store.put(&Path::from(key), PutPayload::from(bytes)).await?;
        Ok(())
    }

    /// The file behind `key` in the local store; `None` for remote stores.
    pub fn local_path(&self, key: &str) -> Option<std::path::PathBuf> {
        let root = self.local_root.as_ref()?;
        // `Path::from` normalises the key; anything with `..` or empty segments never gets here
        // (keys come from signed URLs we made), but refuse them anyway.
        if key.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
            return None;
        }
        Some(root.join(key))
    }

    /// A streaming writer: the object appears (whole) only after `shutdown`, and `abort` leaves
    /// nothing behind.
    pub fn writer(&self, key: &str) -> object_store::buffered::BufWriter {
        object_store::buffered::BufWriter::new(self.store.clone(), Path::from(key))
    }

    /// The object's size, or `None` when it does not exist.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, StorageError> {
        match self.store.head(&Path::from(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Streams `key` into the file at `to` (never the whole object in memory); returns its size.
    pub async fn download_to(&self, key: &str, to: &std::path::Path) -> Result<u64, StorageError> {
        use futures_util::StreamExt;
        use tokio::io::AsyncWriteExt;
        let io =
            |e: std::io::Error| StorageError(object_store::Error::Generic { store: "download", source: Box::new(e) });
        let mut stream = self.store.get(&Path::from(key)).await?.into_stream();
        let mut file = tokio::fs::File::create(to).await.map_err(io)?;
        let mut size = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            size += chunk.len() as u64;
            file.write_all(&chunk).await.map_err(io)?;
        }
        file.flush().await.map_err(io)?;
        Ok(size)
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, StorageError> {
        Ok(self.store.get(&Path::from(key)).await?.bytes().await?)
    }

    pub async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        match self.store.head(&Path::from(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes one object; deleting what is already gone is success (redaction is retried).
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        let prefix = Path::from(prefix);
        let metas: Vec<_> = self.store.list(Some(&prefix)).try_collect().await?;
        Ok(metas.into_iter().map(|m| m.location.to_string()).collect())
    }

    /// The keys under `prefix` last written before `before` (object_store lists both stores
    /// with their modification time).
    pub async fn list_written_before(
        &self,
        prefix: &str,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<String>, StorageError> {
        let prefix = Path::from(prefix);
        let metas: Vec<_> = self.store.list(Some(&prefix)).try_collect().await?;
        Ok(metas.into_iter().filter(|m| m.last_modified < before).map(|m| m.location.to_string()).collect())
    }

    /// Deletes every object under a prefix; returns how many.
    pub async fn delete_prefix(&self, prefix: &str) -> Result<usize, StorageError> {
        let keys = self.list(prefix).await?;
        for k in &keys {
            self.delete(k).await?;
        }
        Ok(keys.len())
    }
}

/// An S3 bucket's presigning side. Browsers never hold credentials: the server starts a
/// multipart upload, presigns each `UploadPart`, and afterwards asks the bucket itself which parts
/// arrived (so it never trusts a client's list of ETags) before completing the upload.
#[derive(Clone)]
pub struct S3Store {
    s3: Arc<AmazonS3>,
    http: reqwest::Client,
}

/// One part a browser uploads: bytes `offset .. offset + size` of its file, `PUT` to `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedPart {
    pub number: u32,
    pub offset: u64,
    pub size: u64,
    pub url: String,
}

/// A part the bucket holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPart {
    pub number: u32,
    pub etag: String,
    pub size: u64,
}

/// S3's smallest part (except the last one).
pub const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;

impl S3Store {
    /// Starts a multipart upload of `size` bytes of `content_type` and presigns its parts.
    pub async fn start_upload(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        part_bytes: u64,
        ttl: Duration,
    ) -> Result<Vec<PresignedPart>, StorageError> {
        use object_store::multipart::MultipartStore;
        let mut attributes = object_store::Attributes::new();
        attributes.insert(object_store::Attribute::ContentType, content_type.to_owned().into());
        let opts = object_store::PutMultipartOptions { attributes, ..Default::default() };
        let path = Path::from(key);
        let upload_id = self.s3.create_multipart_opts(&path, opts).await?;
        let part_bytes = part_bytes.max(MIN_PART_BYTES);
        let mut parts = Vec::new();
        let mut offset = 0;
        let mut number = 1;
        while offset < size {
            let len = part_bytes.min(size - offset);
            let url = self
                .presign(
                    &path,
                    http::Method::PUT,
                    ttl,
                    [("partNumber", number.to_string()), ("uploadId", upload_id.clone())],
                )
                .await?;
            parts.push(PresignedPart { number, offset, size: len, url });
            offset += len;
            number += 1;
        }
        Ok(parts)
    }

    /// A presigned `GET` (playback; the bucket serves ranges itself).
    pub async fn presigned_get(&self, key: &str, ttl: Duration) -> Result<String, StorageError> {
        use object_store::signer::Signer;
        Ok(self.s3.signed_url(http::Method::GET, &Path::from(key), ttl).await?.to_string())
    }

    async fn presign<const N: usize>(
        &self,
        path: &Path,
        method: http::Method,
        ttl: Duration,
        query: [(&str, String); N],
    ) -> Result<String, StorageError> {
        use object_store::signer::{SignedUrlOptions, Signer};
        let opts = SignedUrlOptions::default().with_query(query);
        Ok(self.s3.signed_url_opts(method, path, ttl, &opts).await?.to_string())
    }

    /// Asks the bucket with a presigned request of our own (object_store has no call for it).
    async fn fetch_xml<T: serde::de::DeserializeOwned, const N: usize>(
        &self,
        path: &Path,
        query: [(&str, String); N],
    ) -> Result<T, StorageError> {
        let url = self.presign(path, http::Method::GET, Duration::from_secs(60), query).await?;
        let generic = |e: String| StorageError(object_store::Error::Generic { store: "S3", source: e.into() });
        let res = self.http.get(url).send().await.map_err(|e| generic(e.to_string()))?;
        let status = res.status();
        let body = res.text().await.map_err(|e| generic(e.to_string()))?;
        if !status.is_success() {
            return Err(generic(format!("{status}: {}", body.chars().take(300).collect::<String>())));
        }
        quick_xml::de::from_str(&body).map_err(|e| generic(format!("unreadable S3 answer: {e}")))
    }

    /// The multipart upload in progress for `key`, if any (the newest, should there be several).
    pub async fn open_upload(&self, key: &str) -> Result<Option<String>, StorageError> {
        let listing: ListMultipartUploads =
            self.fetch_xml(&Path::from(""), [("uploads", String::new()), ("prefix", key.to_owned())]).await?;
        Ok(listing.uploads.into_iter().filter(|u| u.key == key).map(|u| u.upload_id).next_back())
    }

    /// The parts of an upload the bucket holds, in order.
    pub async fn parts(&self, key: &str, upload_id: &str) -> Result<Vec<StoredPart>, StorageError> {
        let listing: ListParts = self.fetch_xml(&Path::from(key), [("uploadId", upload_id.to_owned())]).await?;
        let mut parts: Vec<StoredPart> =
            listing.parts.into_iter().map(|p| StoredPart { number: p.number, etag: p.etag, size: p.size }).collect();
        parts.sort_by_key(|p| p.number);
        Ok(parts)
    }

    /// Completes an upload from the parts the bucket holds.
    pub async fn complete(&self, key: &str, upload_id: &str, parts: &[StoredPart]) -> Result<(), StorageError> {
        use object_store::multipart::{MultipartStore, PartId};
        let ids = parts.iter().map(|p| PartId { content_id: p.etag.clone() }).collect();
        self.s3.complete_multipart(&Path::from(key), &upload_id.to_owned(), ids).await?;
        Ok(())
    }

    pub async fn abort(&self, key: &str, upload_id: &str) -> Result<(), StorageError> {
        use object_store::multipart::MultipartStore;
        self.s3.abort_multipart(&Path::from(key), &upload_id.to_owned()).await?;
        Ok(())
    }
}

#[derive(serde::Deserialize)]
struct ListMultipartUploads {
    #[serde(rename = "Upload", default)]
    uploads: Vec<OpenUpload>,
}

#[derive(serde::Deserialize)]
struct OpenUpload {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "UploadId")]
    upload_id: String,
}

#[derive(serde::Deserialize)]
struct ListParts {
    #[serde(rename = "Part", default)]
    parts: Vec<ListedPart>,
}

#[derive(serde::Deserialize)]
struct ListedPart {
    #[serde(rename = "PartNumber")]
    number: u32,
    #[serde(rename = "ETag")]
    etag: String,
    #[serde(rename = "Size")]
    size: u64,
}

/// `shops/<shop_id>/` — everything of one shop lives below it.
pub fn shop_prefix(shop_id: ShopId) -> String {
    format!("shops/{shop_id}/")
}

/// Where a request's uploads go (and what a customer's redaction deletes, submitted or not).
pub fn upload_prefix(shop_id: ShopId, request_id: entity::RequestId) -> String {
    format!("{}uploads/{request_id}/", shop_prefix(shop_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_list_and_delete_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path()).unwrap();
        let a = entity::ShopId::new_v7();
        let b = entity::ShopId::new_v7();
        s.put(&format!("{}x/original.mp4", shop_prefix(a)), Bytes::from_static(b"1")).await.unwrap();
        s.put(&format!("{}y/poster.jpg", shop_prefix(a)), Bytes::from_static(b"2")).await.unwrap();
        s.put(&format!("{}z/original.mp4", shop_prefix(b)), Bytes::from_static(b"3")).await.unwrap();
        assert_eq!(s.list(&shop_prefix(a)).await.unwrap().len(), 2);
        assert_eq!(s.delete_prefix(&shop_prefix(a)).await.unwrap(), 2);
        assert!(s.list(&shop_prefix(a)).await.unwrap().is_empty());
        assert_eq!(s.list(&shop_prefix(b)).await.unwrap().len(), 1, "other shops untouched");
        s.delete("shops/none/missing").await.unwrap();
        assert!(!s.exists("shops/none/missing").await.unwrap());
    }
}
