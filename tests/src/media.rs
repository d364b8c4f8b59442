//! Test media, generated at test time with ffmpeg (lavfi `testsrc` + `sine`) in the formats real
//! phones and browsers produce, and the broken files customers upload by accident.

use std::path::Path;
use std::process::Command;

/// A clip in `dir`, made by ffmpeg with `args` between the inputs and the output name.
fn make(dir: &Path, name: &str, size: &str, seconds: u32, with_audio: bool, args: &[&str]) -> Vec<u8> {
    let out = dir.join(name);
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i"])
        .arg(format!("testsrc=size={size}:rate=15:duration={seconds}"));
    if with_audio {
        cmd.args(["-f", "lavfi", "-i"]).arg(format!("sine=frequency=440:duration={seconds}"));
    }
    cmd.args(args).arg(&out);
    let status = cmd.status().expect("ffmpeg runs (install ffmpeg)");
    assert!(status.success(), "ffmpeg made {name}");
    std::fs::read(out).expect("read generated clip")
}

/// Safari / Android: H.264 + AAC in MP4, landscape.
pub fn safari_mp4(dir: &Path) -> Vec<u8> {
    make(
        dir,
        "safari.mp4",
        "640x360",
        2,
        true,
        &["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"],
    )
}

/// Chrome's MediaRecorder: VP8 + Opus in WebM.
pub fn chrome_webm(dir: &Path) -> Vec<u8> {
    make(
        dir,
        "chrome.webm",
        "320x240",
        2,
        true,
        &["-c:v", "libvpx", "-deadline", "realtime", "-b:v", "300k", "-c:a", "libopus", "-shortest"],
    )
}

/// Firefox: VP9 + Opus in WebM.
pub fn firefox_webm(dir: &Path) -> Vec<u8> {
    make(
        dir,
        "firefox.webm",
        "320x240",
        2,
        true,
        &[
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            "300k",
            "-c:a",
            "libopus",
            "-shortest",
        ],
    )
}

/// iPhone: HEVC + AAC in QuickTime, recorded portrait (landscape pixels, rotated 90°).
pub fn iphone_mov(dir: &Path) -> Vec<u8> {
    make(
        dir,
        "iphone-raw.mov",
        "320x240",
        2,
        true,
        &["-c:v", "libx265", "-x265-params", "log-level=error", "-tag:v", "hvc1", "-c:a", "aac", "-shortest"],
    );
    // The display matrix is written only when remuxing (ffmpeg 5 ignores it while encoding).
    let out = dir.join("iphone.mov");
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-y", "-v", "error", "-i"])
        .arg(dir.join("iphone-raw.mov"))
        .args(["-c", "copy", "-metadata:s:v:0", "rotate=90"])
        .arg(&out)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    std::fs::read(out).unwrap()
}

/// Audio only (an `.m4a` renamed by the customer).
pub fn audio_only(dir: &Path) -> Vec<u8> {
    let out = dir.join("audio.m4a");
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac"])
        .arg(&out)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    std::fs::read(out).unwrap()
}

/// A WAV file: a container the worker does not accept, whatever its name says.
pub fn wav_audio(dir: &Path) -> Vec<u8> {
    let out = dir.join("audio.wav");
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1"])
        .arg(&out)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    std::fs::read(out).unwrap()
}

/// Ten minutes of tiny video: over any sensible limit, quick to make.
pub fn ten_minutes(dir: &Path) -> Vec<u8> {
    make(
        dir,
        "long.mp4",
        "64x48",
        600,
        false,
        &["-r", "1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
    )
}

/// The first half of a valid MP4 (an upload cut off, the index never written).
pub fn truncated_mp4(dir: &Path) -> Vec<u8> {
    let mut v = safari_mp4(dir);
    v.truncate(v.len() / 2);
    v
}

/// Bytes that are no media at all.
pub fn random_bytes() -> Vec<u8> {
    (0..64 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()
}

/// ffprobe's JSON about a file.
pub fn probe(path: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json", "-show_format", "-show_streams"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    serde_json::from_slice(&out.stdout).expect("ffprobe json")
}

/// What a browser's MediaRecorder uploads: VP8 + Opus WebM written as a stream, so the file
/// states no duration (and has no cues).
pub fn streamed_webm(seconds: u32, size: &str) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-f", "lavfi", "-i"])
        .arg(format!("testsrc=size={size}:rate=5:duration={seconds}"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=frequency=440:duration={seconds}"))
        .args(["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "100k", "-c:a", "libopus"])
        .args(["-shortest", "-f", "webm", "pipe:1"])
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// An `ffmpeg` in `dir` that runs the shell snippet `on_transcode` before the transcode (the run
/// that writes `playback.mp4`) and is the real ffmpeg otherwise: how the fault suite kills or
/// holds the tool at the moment that matters. Point `media.tools.ffmpeg` at it.
pub fn ffmpeg_wrapper(dir: &Path, on_transcode: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("ffmpeg");
    let body = format!("#!/bin/sh\ncase \"$*\" in *playback.mp4*)\n{on_transcode}\n;;\nesac\nexec ffmpeg \"$@\"\n");
    std::fs::write(&script, body).expect("write the ffmpeg wrapper");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("make it executable");
    script
}
