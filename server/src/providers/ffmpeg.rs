//! ffprobe and ffmpeg as child processes (never on the request path: only the media job calls
//! them). A missing binary is reported as such, so the asset says "ffmpeg not installed"
//! instead of the worker crashing.

use crate::domain::media::{self, MediaError, MediaInfo, MediaLimits};
use std::path::{Path, PathBuf};

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

async fn run(bin: &Path, args: &[String]) -> Result<std::process::Output, MediaError> {
    tokio::process::Command::new(bin).args(args).kill_on_drop(true).output().await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            MediaError::FfmpegMissing
        } else {
            MediaError::Transcode(e.to_string())
        }
    })
}

impl Ffmpeg {
    /// Whether both tools can be started (for `/readyz`).
    pub async fn available(&self) -> bool {
        for bin in [&self.ffmpeg, &self.ffprobe] {
            if run(bin, &["-version".to_owned()]).await.is_err() {
                return false;
            }
        }
        true
    }

    pub async fn probe(&self, input: &Path) -> Result<MediaInfo, MediaError> {
        let args: Vec<String> = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams"]
            .iter()
            .map(|s| s.to_string())
            .chain(std::iter::once(input.display().to_string()))
            .collect();
        let out = run(&self.ffprobe, &args).await?;
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
        let out = run(&self.ffmpeg, &media::transcode_args(&i, &o, limits)).await?;
        if !out.status.success() {
            return Err(MediaError::Transcode(tail(&out.stderr)));
        }
        let duration_ms = match duration_ms {
            Some(ms) => ms,
            None => media::measured(self.probe(playback).await?.duration_ms, limits)?,
        };
        let out = run(&self.ffmpeg, &media::poster_args(&i, &p, duration_ms, limits)).await?;
        if !out.status.success() {
            return Err(MediaError::Transcode(format!("poster: {}", tail(&out.stderr))));
        }
        Ok(duration_ms)
    }
}
