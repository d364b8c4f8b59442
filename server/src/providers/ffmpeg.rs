//! ffprobe and ffmpeg as child processes (never on the request path: only the media job calls
//! them). A missing binary is reported as such, so the asset says "ffmpeg not installed"
//! instead of the worker crashing.

use crate::domain::media::{self, MediaError, MediaInfo, MediaLimits};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Ffmpeg {
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
}

impl Default for Ffmpeg {
    fn default() -> Self {
        Self { ffmpeg: "ffmpeg".into(), ffprobe: "ffprobe".into() }
    }
}

/// The last lines of a tool's stderr: enough to say what went wrong, bounded for the database.
fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(3);
    lines[start..].join(" | ").chars().take(400).collect()
}

/// How long one probe may take: reading a header, never minutes.
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a transcode may take at the most, whatever the file says about itself.
const TRANSCODE_TIMEOUT: Duration = Duration::from_secs(900);
/// How long a poster may take.
const POSTER_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs a tool to the end or until `limit`; a child that outlives it is killed (the future is
/// dropped, and the child with it).
async fn run(bin: &Path, args: &[String], limit: Duration) -> Result<std::process::Output, MediaError> {
    use std::os::unix::process::ExitStatusExt;
    let child = tokio::process::Command::new(bin).args(args).kill_on_drop(true).output();
    let out = match tokio::time::timeout(limit, child).await {
        Err(_) => return Err(MediaError::Transcode(format!("stopped after {} s", limit.as_secs()))),
        Ok(result) => result.map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                MediaError::FfmpegMissing
            } else {
                MediaError::Transcode(e.to_string())
            }
        })?,
    };
    match out.status.signal() {
        // Our own timeout is handled above; a signal is someone else's doing.
        Some(signal) => Err(MediaError::Interrupted(format!(
            "{} was killed by signal {signal} before it finished",
            bin.file_name().map_or_else(|| bin.display().to_string(), |n| n.to_string_lossy().into_owned())
        ))),
        None => Ok(out),
    }
}

impl Ffmpeg {
    /// Whether both tools can be started (for `/readyz`), found out at most once a minute per
    /// process: a readiness probe every few seconds must not fork two processes each time.
    pub async fn available(&self) -> bool {
        type Seen = std::collections::HashMap<(PathBuf, PathBuf), (std::time::Instant, bool)>;
        static LAST: std::sync::Mutex<Option<Seen>> = std::sync::Mutex::new(None);
        let key = (self.ffmpeg.clone(), self.ffprobe.clone());
        let seen = LAST.lock().unwrap_or_else(|e| e.into_inner()).as_ref().and_then(|m| m.get(&key).copied());
        if let Some((at, ok)) = seen
            && at.elapsed() < Duration::from_secs(60)
        {
            return ok;
        }
        let ok = self.versions().await.is_ok();
        LAST.lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(Seen::new)
            .insert(key, (std::time::Instant::now(), ok));
        ok
    }

    /// Both tools' version lines, or why one cannot be started.
    pub async fn versions(&self) -> Result<String, String> {
        let mut lines = Vec::new();
        for bin in [&self.ffmpeg, &self.ffprobe] {
            let out = run(bin, &["-version".to_owned()], PROBE_TIMEOUT).await.map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(format!("{} -version failed", bin.display()));
            }
            let text = String::from_utf8_lossy(&out.stdout);
            let first = text.lines().next().unwrap_or_default();
            lines.push(first.split(" Copyright").next().unwrap_or(first).to_owned());
        }
        Ok(lines.join("; "))
    }

    pub async fn probe(&self, input: &Path) -> Result<MediaInfo, MediaError> {
        let out = run(&self.ffprobe, &media::probe_args(&input.display().to_string()), PROBE_TIMEOUT).await?;
        if !out.status.success() {
            return Err(MediaError::Unreadable(tail(&out.stderr)));
        }
        media::parse_probe(&String::from_utf8_lossy(&out.stdout))
    }

    /// Transcodes to the playback MP4 and grabs the poster; returns the duration (the input's,
    /// or measured on the output when the input did not state it).
    pub async fn transcode(
        &self,
        input: &Path,
        playback: &Path,
        poster: &Path,
        duration_ms: Option<i64>,
        limits: &MediaLimits,
    ) -> Result<i64, MediaError> {
        let (i, o, p) = (input.display().to_string(), playback.display().to_string(), poster.display().to_string());
        let out = run(&self.ffmpeg, &media::transcode_args(&i, &o, limits), TRANSCODE_TIMEOUT).await?;
        if !out.status.success() {
            return Err(MediaError::Transcode(tail(&out.stderr)));
        }
        let duration_ms = match duration_ms {
            Some(ms) => ms,
            None => media::measured(self.probe(playback).await?.duration_ms, limits)?,
        };
        let out = run(&self.ffmpeg, &media::poster_args(&i, &p, duration_ms, limits), POSTER_TIMEOUT).await?;
        if !out.status.success() {
            return Err(MediaError::Transcode(format!("poster: {}", tail(&out.stderr))));
        }
        Ok(duration_ms)
    }

    /// Writes the smaller posters (`outputs`: width, format, path) from the full-size one.
    pub async fn poster_variants(
        &self,
        poster: &Path,
        outputs: &[(u32, media::PosterFormat, String)],
    ) -> Result<(), MediaError> {
        let args = media::poster_variant_args(&poster.display().to_string(), outputs);
        let out = run(&self.ffmpeg, &args, POSTER_TIMEOUT).await?;
        if !out.status.success() {
            return Err(MediaError::Transcode(format!("poster sizes: {}", tail(&out.stderr))));
        }
        Ok(())
    }
}
