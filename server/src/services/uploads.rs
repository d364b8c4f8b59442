//! Resumable uploads for phones on flaky networks. The client sends the file in ranges
//! (`Content-Range: bytes start-end/total`) to the same signed URL; the bytes are staged on disk
//! as they arrive, so a dropped connection keeps what got through. `offset` says where to go on,
//! and the range that completes the file moves it into the media store in one piece.
//!
//! The staging area is the replica's local disk: a client resumes against the replica that
//! holds its bytes (sticky sessions), or starts over elsewhere.

use crate::domain::signed_url::UploadGrant;
use crate::state::AppState;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the upload is larger than the {0} bytes announced")]
    TooLarge(i64),
    #[error("this range does not continue the upload; resume at byte {0}")]
    WrongOffset(i64),
    #[error("the range header does not match the announced size of {0} bytes")]
    BadRange(i64),
    #[error("the upload was interrupted after {0} bytes; resume from there")]
    Interrupted(i64),
    #[error("storage: {0}")]
    Storage(String),
}

/// Where an upload stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub received: i64,
    pub complete: bool,
}

/// The staging folder of one upload prefix (a request's uploads), named by its hash so that no
/// path component comes from a client.
fn staging_dir(state: &AppState, prefix: &str) -> PathBuf {
    state.config().data_dir.join("staging").join(crate::domain::tokens::TokenHash::of(prefix).as_str())
}

fn staging_file(state: &AppState, key: &str) -> PathBuf {
    let prefix = key.rsplit_once('/').map(|(p, _)| format!("{p}/")).unwrap_or_default();
    staging_dir(state, &prefix).join(crate::domain::tokens::TokenHash::of(key).as_str())
}

/// Staged parts older than this belong to uploads nobody will finish (the signed upload URL
/// lasts half an hour).
pub const STAGING_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Deletes staged parts older than [`STAGING_MAX_AGE`] on this replica's disk (uploads left
/// half-way); returns how many files went. Run from the scheduler's round, once an hour.
pub async fn sweep_stale_staging(state: &AppState) -> usize {
    let root = state.config().data_dir.join("staging");
    let cutoff = std::time::SystemTime::now() - STAGING_MAX_AGE;
    let mut removed = 0;
    let Ok(mut dirs) = tokio::fs::read_dir(&root).await else { return 0 };
    while let Ok(Some(dir)) = dirs.next_entry().await {
        let Ok(mut files) = tokio::fs::read_dir(dir.path()).await else { continue };
        while let Ok(Some(f)) = files.next_entry().await {
            let stale = f.metadata().await.and_then(|m| m.modified()).is_ok_and(|t| t < cutoff);
            if stale && tokio::fs::remove_file(f.path()).await.is_ok() {
                removed += 1;
            }
        }
        // An emptied folder goes too (fails harmlessly when something is still staged).
        let _ = tokio::fs::remove_dir(dir.path()).await;
    }
    if removed > 0 {
        tracing::info!(removed, "stale staged uploads deleted");
    }
    removed
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Storage(#[from] crate::providers::storage::StorageError),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

/// An uploaded original nobody submitted is deleted this long after it was written (the
/// capture page submits within seconds of the upload; the signed URL lasts half an hour).
pub const ORPHAN_MAX_AGE: chrono::Duration = chrono::Duration::days(1);

/// Deletes uploaded originals that no media asset refers to and that were written before
/// `before` (a customer who uploaded and then closed the page, a bot with a valid link);
/// returns how many went. Global by design, like every sweep: it serves every shop.
pub async fn sweep_orphan_uploads(
    state: &AppState,
    before: chrono::DateTime<chrono::Utc>,
) -> Result<usize, SweepError> {
    let candidates: Vec<String> = state
        .storage()
        .list_written_before("shops/", before)
        .await?
        .into_iter()
        .filter(|k| k.split('/').nth(2) == Some("uploads"))
        .collect();
    let mut removed = 0;
    for chunk in candidates.chunks(500) {
        let kept = crate::store::media_assets::original_keys_among_all_shops(state.db(), chunk).await?;
        for key in chunk.iter().filter(|k| !kept.contains(*k)) {
            state.storage().delete(key).await?;
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, "orphaned uploads deleted");
    }
    Ok(removed)
}

/// Deletes whatever is staged under an upload prefix (a redacted customer's unfinished uploads).
pub async fn discard_staging(state: &AppState, prefix: &str) {
    match tokio::fs::remove_dir_all(staging_dir(state, prefix)).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(error = %e, "staged upload not deleted"),
    }
}

/// Bytes of `key` received so far (0 when nothing is staged; the full size once stored).
pub async fn offset(state: &AppState, grant: &UploadGrant) -> Result<Progress, UploadError> {
    if let Ok(Some(size)) = state.storage().size(&grant.key).await {
        return Ok(Progress { received: size as i64, complete: true });
    }
    let len = tokio::fs::metadata(staging_file(state, &grant.key)).await.map(|m| m.len() as i64).unwrap_or(0);
    Ok(Progress { received: len, complete: false })
}

/// Appends the range starting at `start` of a file of `total` bytes.
pub async fn append<S, E>(
    state: &AppState,
    grant: &UploadGrant,
    start: i64,
    total: i64,
    mut body: S,
) -> Result<Progress, UploadError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    if total != grant.max_bytes {
        return Err(UploadError::BadRange(grant.max_bytes));
    }
    let path = staging_file(state, &grant.key);
    tokio::fs::create_dir_all(path.parent().expect("has a parent"))
        .await
        .map_err(|e| UploadError::Storage(e.to_string()))?;
    let have = tokio::fs::metadata(&path).await.map(|m| m.len() as i64).unwrap_or(0);
    // A client may resend bytes it was not sure about (overlap), never skip ahead (a gap).
    if start > have {
        return Err(UploadError::WrongOffset(have));
    }
    let file = tokio::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&path)
        .await
        .map_err(|e| UploadError::Storage(e.to_string()))?;
    file.set_len(start as u64).await.map_err(|e| UploadError::Storage(e.to_string()))?;
    let mut file = tokio::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .await
        .map_err(|e| UploadError::Storage(e.to_string()))?;
    let mut received = start;
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(_) => {
                // What arrived is kept; the client resumes from here.
                let _ = file.flush().await;
                return Err(UploadError::Interrupted(received));
            }
        };
        received += chunk.len() as i64;
        if received > total {
            let _ = file.set_len(start as u64).await;
            return Err(UploadError::TooLarge(total));
        }
        file.write_all(&chunk).await.map_err(|e| UploadError::Storage(e.to_string()))?;
    }
    file.flush().await.map_err(|e| UploadError::Storage(e.to_string()))?;
    if received < total {
        return Ok(Progress { received, complete: false });
    }
    // Complete: into the media store in one piece, then the staging file goes.
    let mut reader = tokio::fs::File::open(&path).await.map_err(|e| UploadError::Storage(e.to_string()))?;
    let mut writer = state.storage().writer(&grant.key);
    tokio::io::copy(&mut reader, &mut writer).await.map_err(|e| UploadError::Storage(e.to_string()))?;
    writer.shutdown().await.map_err(|e| UploadError::Storage(e.to_string()))?;
    let _ = tokio::fs::remove_file(&path).await;
    Ok(Progress { received, complete: true })
}

/// Parses `bytes start-end/total`.
pub fn parse_content_range(v: &str) -> Option<(i64, i64, i64)> {
    let rest = v.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let (start, end, total) = (start.parse().ok()?, end.parse().ok()?, total.parse().ok()?);
    (start <= end && end < total).then_some((start, end, total))
}

#[cfg(test)]
mod tests {
    use super::parse_content_range;

    #[test]
    fn content_ranges() {
        assert_eq!(parse_content_range("bytes 0-99/300"), Some((0, 99, 300)));
        assert_eq!(parse_content_range("bytes 200-299/300"), Some((200, 299, 300)));
        assert_eq!(parse_content_range("bytes 200-300/300"), None);
        assert_eq!(parse_content_range("bytes 5-4/300"), None);
        assert_eq!(parse_content_range("bytes */300"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }
}
