//! Object storage for media (originals, playback MP4s, posters) through `object_store`.
//!
//! Keys are laid out per shop — `shops/<shop_id>/…` — so erasing a shop is one prefix delete
//! and no key can name another tenant's object by accident.

use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    description: String,
    /// The folder of the local store (served by `/media` with range requests).
    local_root: Option<std::path::PathBuf>,
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
        })
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

    /// Deletes every object under a prefix; returns how many.
    pub async fn delete_prefix(&self, prefix: &str) -> Result<usize, StorageError> {
        let keys = self.list(prefix).await?;
        for k in &keys {
            self.delete(k).await?;
        }
        Ok(keys.len())
    }
}

/// `shops/<shop_id>/` — everything of one shop lives below it.
pub fn shop_prefix(shop_id: Uuid) -> String {
    format!("shops/{shop_id}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_list_and_delete_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path()).unwrap();
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
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
