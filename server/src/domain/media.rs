//! What the media worker decides without running anything: reading ffprobe's report, checking
//! an upload against the limits with a message a customer or merchant can act on, and the
//! ffmpeg arguments of the transcode and the poster.

use serde_json::Value;

/// Limits every testimonial video must meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaLimits {
    pub max_duration_ms: i64,
    pub max_bytes: i64,
    /// Playback files are at most this tall (landscape) or wide (portrait): 1080p.
    pub max_short_side: u32,
}

impl Default for MediaLimits {
    fn default() -> Self {
        Self { max_duration_ms: 180_000, max_bytes: 500 * 1024 * 1024, max_short_side: 1080 }
    }
}

/// What ffprobe says about an upload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MediaInfo {
    pub duration_ms: Option<i64>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// Degrees the player must rotate (phones record portrait as rotated landscape).
    pub rotation: i32,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
}

/// Why an upload cannot become a playable video. The texts are shown to the merchant as the
/// asset's `processing_error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not a video we can read ({0})")]
    Unreadable(String),
    #[error("the file has no video track (audio only?)")]
    NoVideo,
    #[error("the video is {actual_s} s long; the limit is {limit_s} s")]
    TooLong { actual_s: i64, limit_s: i64 },
    #[error("the file is {actual_mb} MB; the limit is {limit_mb} MB")]
    TooBig { actual_mb: i64, limit_mb: i64 },
    /// Measured after a capped transcode (the file did not say how long it is).
    #[error("the video is longer than the limit of {limit_s} s")]
    LongerThan { limit_s: i64 },
    #[error("ffmpeg not installed")]
    FfmpegMissing,
    #[error("transcoding failed: {0}")]
    Transcode(String),
    /// The tool was killed from outside (the OOM killer, an operator, a restart): this says
    /// nothing about the file, so the job is tried again rather than the video failed.
    #[error("{0}")]
    Interrupted(String),
    /// An imported video's link could not be fetched (refused address, 404, too big…).
    #[error("the video could not be fetched: {0}")]
    Fetch(String),
}

/// Reads `ffprobe -print_format json -show_format -show_streams`.
pub fn parse_probe(json: &str) -> Result<MediaInfo, MediaError> {
    let v: Value = serde_json::from_str(json).map_err(|e| MediaError::Unreadable(format!("probe output: {e}")))?;
    let streams = v.get("streams").and_then(Value::as_array).cloned().unwrap_or_default();
    let of = |kind: &str| streams.iter().find(|s| s.get("codec_type").and_then(Value::as_str) == Some(kind));
    let video = of("video").filter(|s| {
        // Cover art in audio files is a one-frame "video" stream; it is not a video.
        s.get("disposition").and_then(|d| d.get("attached_pic")).and_then(Value::as_i64) != Some(1)
    });
    let seconds = |x: Option<&Value>| x.and_then(Value::as_str).and_then(|s| s.parse::<f64>().ok());
    let duration = seconds(v.get("format").and_then(|f| f.get("duration")))
        .or_else(|| seconds(video.and_then(|s| s.get("duration"))))
        .map(|s| (s * 1000.0).round() as i64);
    let rotation = video
        .and_then(|s| {
            let side = s.get("side_data_list").and_then(Value::as_array).and_then(|l| {
                l.iter().find_map(|d| d.get("rotation").and_then(|r| r.as_f64().or_else(|| r.as_str()?.parse().ok())))
            });
            side.or_else(|| s.get("tags")?.get("rotate")?.as_str()?.parse().ok())
        })
        .map(|r| (r.round() as i32).rem_euclid(360))
        .unwrap_or(0);
    let dim = |k: &str| video.and_then(|s| s.get(k)).and_then(Value::as_i64).and_then(|n| i32::try_from(n).ok());
    let codec = |s: Option<&Value>| s.and_then(|s| s.get("codec_name")).and_then(Value::as_str).map(str::to_owned);
    Ok(MediaInfo {
        duration_ms: duration,
        width: dim("width"),
        height: dim("height"),
        rotation,
        video_codec: codec(video),
        audio_codec: codec(of("audio")),
    })
}

/// The checks that need only the size and the probe.
pub fn check(info: &MediaInfo, size_bytes: i64, limits: &MediaLimits) -> Result<(), MediaError> {
    if size_bytes == 0 {
        return Err(MediaError::Empty);
    }
    if size_bytes > limits.max_bytes {
        return Err(MediaError::TooBig {
            actual_mb: size_bytes / (1024 * 1024),
            limit_mb: limits.max_bytes / (1024 * 1024),
        });
    }
    if info.video_codec.is_none() {
        return Err(MediaError::NoVideo);
    }
    // Browser recordings (MediaRecorder WebM) carry no duration: they are measured after a
    // transcode capped just past the limit (see `transcode_args`, `measured`).
    if let Some(ms) = info.duration_ms
        && ms > limits.max_duration_ms
    {
        return Err(MediaError::TooLong { actual_s: ms / 1000, limit_s: limits.max_duration_ms / 1000 });
    }
    Ok(())
}

/// The duration of a file that did not state one, from its capped transcode: anything that
/// reached the cap was longer than the limit.
pub fn measured(output_ms: Option<i64>, limits: &MediaLimits) -> Result<i64, MediaError> {
    match output_ms {
        Some(ms) if ms <= limits.max_duration_ms => Ok(ms),
        Some(_) => Err(MediaError::LongerThan { limit_s: limits.max_duration_ms / 1000 }),
        None => Err(MediaError::Transcode("the transcoded video has no length".into())),
    }
}

/// The scale filter: the short side at most `max` pixels, aspect kept, even dimensions (H.264).
/// ffmpeg applies the rotation metadata before filters, so portrait stays portrait.
/// Whether a file's first bytes are those of a container we accept: an ISO base media file
/// (MP4, MOV, 3GP: a box type such as `ftyp` at offset 4) or Matroska/WebM (the EBML magic).
/// Checked before any tool reads the file, so a file that only claims to be a video never
/// reaches a demuxer.
pub fn sniff(head: &[u8]) -> Result<(), MediaError> {
    const EBML: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];
    const BOXES: [&[u8; 4]; 6] = [b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"];
    let iso = head.len() >= 8 && BOXES.iter().any(|b| &head[4..8] == *b);
    if iso || head.starts_with(&EBML) {
        Ok(())
    } else {
        Err(MediaError::Unreadable("it does not start like an MP4, QuickTime or WebM file".into()))
    }
}

/// The containers the capture page and imports accept (MP4/MOV/3GP, Matroska/WebM), as the
/// names of ffmpeg's demuxers: anything else is refused before a decoder sees it.
pub const DEMUXERS: &str = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm";
/// The largest frame a decoder may allocate (8K): a file claiming a giant frame is refused.
pub const MAX_PIXELS: u64 = 7680 * 4320;
/// Threads per ffmpeg run: two workers' transcodes must not take every core of the machine.
pub const THREADS: &str = "2";

/// Options every ffprobe and ffmpeg run puts before its input: local files only (no protocol
/// an upload could name), the accepted containers only, a frame size limit.
pub fn input_guard() -> Vec<String> {
    ["-protocol_whitelist", "file", "-format_whitelist", DEMUXERS, "-max_pixels", &MAX_PIXELS.to_string()]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Arguments of the probe.
pub fn probe_args(input: &str) -> Vec<String> {
    let mut args: Vec<String> = ["-v", "error"].iter().map(|s| s.to_string()).collect();
    args.extend(input_guard());
    args.extend(["-print_format", "json", "-show_format", "-show_streams", input].iter().map(|s| s.to_string()));
    args
}

/// `args` with the input guard and the decoder's thread limit put just before `-i`.
fn guarded(args: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len() + 10);
    for a in args {
        if a == "-i" {
            out.extend(input_guard());
            out.extend(["-threads".to_owned(), THREADS.to_owned()]);
        }
        out.push(a);
    }
    out
}

fn scale(max: u32) -> String {
    format!("scale=w='if(gte(iw,ih),-2,min(iw,{max}))':h='if(gte(iw,ih),min(ih,{max}),-2)'")
}

/// Arguments of the playback transcode: H.264/AAC MP4 with the index up front (`+faststart`)
/// so playback starts before the download ends.
pub fn transcode_args(input: &str, output: &str, limits: &MediaLimits) -> Vec<String> {
    guarded(
        [
            "-nostdin",
            "-y",
            "-v",
            "error",
            "-i",
            input,
            "-map",
            "0:v:0",
            "-map",
            "0:a:0?",
            "-vf",
            &scale(limits.max_short_side),
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-ac",
            "2",
            "-threads",
            THREADS,
            "-movflags",
            "+faststart",
            // A cap just past the limit: a file that hid its length cannot keep the worker busy.
            "-t",
            &format!("{}", limits.max_duration_ms / 1000 + 1),
            output,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    )
}

/// Arguments of the poster: one JPEG frame a second in (or at the start of a shorter clip).
pub fn poster_args(input: &str, output: &str, duration_ms: i64, limits: &MediaLimits) -> Vec<String> {
    let at = format!("{:.3}", (duration_ms.min(2000) as f64 / 2000.0).min(1.0));
    guarded(
        [
            "-nostdin",
            "-y",
            "-v",
            "error",
            "-ss",
            &at,
            "-i",
            input,
            "-frames:v",
            "1",
            "-vf",
            &scale(limits.max_short_side),
            "-q:v",
            "3",
            output,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    )
}

/// The widths (CSS pixels times the screen's density) of the smaller posters the storefront
/// block picks from with `srcset`: a grid cell on a phone (about 180 px) at 1× to 3× and a
/// desktop cell at 2×. The full-size `poster.jpg` stays for search engines and exports.
pub const POSTER_WIDTHS: [u32; 3] = [240, 480, 720];

/// A smaller poster's format: WebP for browsers that take it (about a third smaller), JPEG for
/// the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PosterFormat {
    Webp,
    Jpeg,
}

impl PosterFormat {
    pub const ALL: [PosterFormat; 2] = [PosterFormat::Webp, PosterFormat::Jpeg];

    pub fn extension(self) -> &'static str {
        match self {
            Self::Webp => "webp",
            Self::Jpeg => "jpg",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Webp => "image/webp",
            Self::Jpeg => "image/jpeg",
        }
    }

    pub fn from_extension(ext: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.extension() == ext)
    }
}

/// The smaller posters worth making for a video shown `display_width` pixels wide: every
/// [`POSTER_WIDTHS`] below it (never an enlargement); all of them when the width is unknown.
pub fn poster_widths(display_width: Option<i32>) -> Vec<u32> {
    POSTER_WIDTHS.into_iter().filter(|w| display_width.is_none_or(|d| i64::from(*w) < i64::from(d))).collect()
}

/// The height of a smaller poster `width` pixels wide of a video `video_width`×`video_height`
/// as ffmpeg makes it (`scale=…:-2`: the aspect kept, rounded to an even number).
pub fn poster_height(width: u32, video_width: u32, video_height: u32) -> u32 {
    if video_width == 0 {
        return 0;
    }
    let width = width.min(video_width);
    ((f64::from(width) * f64::from(video_height) / f64::from(video_width) / 2.0).round() as u32) * 2
}

/// The widths as stored (`"240,480,720"`), and read back (unknown entries are skipped).
pub fn format_widths(widths: &[u32]) -> String {
    widths.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

pub fn parse_widths(stored: Option<&str>) -> Vec<u32> {
    stored
        .unwrap_or_default()
        .split(',')
        .filter_map(|w| w.trim().parse().ok())
        .filter(|w| POSTER_WIDTHS.contains(w))
        .collect()
}

/// The file name of a smaller poster (`poster-480.webp`), beside the full-size one.
pub fn poster_file(width: u32, format: PosterFormat) -> String {
    format!("poster-{width}.{}", format.extension())
}

/// The storage key of a smaller poster: the full poster's key with its file name replaced.
pub fn poster_variant_key(poster_key: &str, width: u32, format: PosterFormat) -> String {
    let dir = poster_key.rsplit_once('/').map_or("", |(d, _)| d);
    if dir.is_empty() { poster_file(width, format) } else { format!("{dir}/{}", poster_file(width, format)) }
}

/// Every key of an asset's smaller posters (for deletion).
pub fn poster_variant_keys(poster_key: &str, widths: &[u32]) -> Vec<String> {
    widths.iter().flat_map(|w| PosterFormat::ALL.map(|f| poster_variant_key(poster_key, *w, f))).collect()
}

/// Arguments that turn the full-size poster (a JPEG) into the smaller ones in one run:
/// `outputs` are (width, format, path). WebP at quality 70 and JPEG at `q:v 5` are visually
/// equal at these sizes; metadata is dropped. The input is the poster ffmpeg itself wrote, so
/// it gets only the local-files guard (the container allowlist is for uploads, and names no
/// image format).
pub fn poster_variant_args(input: &str, outputs: &[(u32, PosterFormat, String)]) -> Vec<String> {
    let labels: Vec<String> = (0..outputs.len()).map(|i| format!("[s{i}]")).collect();
    let mut graph = format!("[0:v]split={}{}", outputs.len(), labels.concat());
    for (i, (width, _, _)) in outputs.iter().enumerate() {
        graph.push_str(&format!(";[s{i}]scale='min(iw,{width})':-2[o{i}]"));
    }
    let mut args: Vec<String> = [
        "-nostdin",
        "-y",
        "-v",
        "error",
        "-protocol_whitelist",
        "file",
        "-threads",
        THREADS,
        "-i",
        input,
        "-filter_complex",
        &graph,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (i, (_, format, path)) in outputs.iter().enumerate() {
        args.extend(["-map".to_owned(), format!("[o{i}]"), "-frames:v".to_owned(), "1".to_owned()]);
        args.extend(["-map_metadata".to_owned(), "-1".to_owned()]);
        match format {
            PosterFormat::Webp => args.extend(["-c:v", "libwebp", "-quality", "70"].map(String::from)),
            PosterFormat::Jpeg => args.extend(["-c:v", "mjpeg", "-q:v", "5"].map(String::from)),
        }
        args.push(path.clone());
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_accepted_containers_pass_the_sniff() {
        let mp4 = [0, 0, 0, 0x20, b'f', b't', b'y', b'p', b'i', b's', b'o', b'm'];
        assert!(sniff(&mp4).is_ok());
        assert!(sniff(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F]).is_ok(), "WebM");
        let wav = *b"RIFF\x24\x00\x00\x00WAVEfmt ";
        let err = sniff(&wav).unwrap_err().to_string();
        assert!(err.contains("not a video we can read") && err.contains("MP4, QuickTime or WebM"), "{err}");
        assert!(sniff(b"<html>").is_err() && sniff(&[]).is_err());
    }

    #[test]
    fn every_tool_run_is_guarded_before_its_input() {
        let limits = MediaLimits::default();
        for args in [
            probe_args("in.mp4"),
            transcode_args("in.mp4", "out.mp4", &limits),
            poster_args("in.mp4", "p.jpg", 3000, &limits),
        ] {
            let input = args.iter().position(|a| a == "in.mp4").unwrap();
            let before = &args[..input];
            for (opt, value) in [("-protocol_whitelist", "file"), ("-format_whitelist", DEMUXERS)] {
                let at = before.iter().position(|a| a == opt).unwrap_or_else(|| panic!("{opt} in {args:?}"));
                assert_eq!(before[at + 1], value);
            }
            assert!(before.iter().any(|a| a == "-max_pixels"), "{args:?}");
        }
        let t = transcode_args("in.mp4", "out.mp4", &limits);
        assert_eq!(t.iter().filter(|a| *a == "-threads").count(), 2, "decoder and encoder: {t:?}");
    }

    const IPHONE: &str = r#"{"streams":[
        {"codec_type":"video","codec_name":"hevc","width":1920,"height":1080,
         "side_data_list":[{"side_data_type":"Display Matrix","rotation":-90}]},
        {"codec_type":"audio","codec_name":"aac"}],
        "format":{"duration":"12.345000"}}"#;

    #[test]
    fn reads_a_rotated_phone_video() {
        let i = parse_probe(IPHONE).unwrap();
        assert_eq!(i.duration_ms, Some(12_345));
        assert_eq!((i.width, i.height, i.rotation), (Some(1920), Some(1080), 270));
        assert_eq!((i.video_codec.as_deref(), i.audio_codec.as_deref()), (Some("hevc"), Some("aac")));
        let old = r#"{"streams":[{"codec_type":"video","codec_name":"h264","width":640,"height":480,"tags":{"rotate":"90"}}],"format":{}}"#;
        let i = parse_probe(old).unwrap();
        assert_eq!((i.rotation, i.duration_ms), (90, None));
    }

    #[test]
    fn cover_art_is_not_video() {
        let mp3 = r#"{"streams":[{"codec_type":"audio","codec_name":"mp3"},
            {"codec_type":"video","codec_name":"mjpeg","disposition":{"attached_pic":1}}],"format":{"duration":"3.0"}}"#;
        let i = parse_probe(mp3).unwrap();
        assert_eq!(check(&i, 100, &MediaLimits::default()), Err(MediaError::NoVideo));
    }

    #[test]
    fn limits_give_readable_errors() {
        let l = MediaLimits { max_duration_ms: 60_000, max_bytes: 10 * 1024 * 1024, max_short_side: 1080 };
        let ok = parse_probe(IPHONE).unwrap();
        assert_eq!(check(&ok, 1000, &l), Ok(()));
        assert_eq!(check(&ok, 0, &l), Err(MediaError::Empty));
        assert_eq!(check(&ok, 11 * 1024 * 1024, &l).unwrap_err().to_string(), "the file is 11 MB; the limit is 10 MB");
        let long = MediaInfo { duration_ms: Some(600_000), ..ok.clone() };
        assert_eq!(check(&long, 1000, &l).unwrap_err().to_string(), "the video is 600 s long; the limit is 60 s");
        let unknown = MediaInfo { duration_ms: None, ..ok };
        assert_eq!(check(&unknown, 1000, &l), Ok(()), "measured after the capped transcode");
        assert_eq!(measured(Some(59_000), &l), Ok(59_000));
        assert_eq!(measured(Some(61_000), &l).unwrap_err().to_string(), "the video is longer than the limit of 60 s");
        assert!(matches!(parse_probe("not json"), Err(MediaError::Unreadable(_))));
    }

    #[test]
    fn transcode_is_h264_aac_faststart_at_most_1080p() {
        let a = transcode_args("in.mov", "out.mp4", &MediaLimits::default()).join(" ");
        for part in
            ["-c:v libx264", "-c:a aac", "-movflags +faststart", "-pix_fmt yuv420p", "min(ih,1080)", "-map 0:a:0?"]
        {
            assert!(a.contains(part), "{part} in {a}");
        }
        assert!(poster_args("in", "p.jpg", 500, &MediaLimits::default()).join(" ").contains("-ss 0.250"));
    }

    #[test]
    fn smaller_posters_are_never_enlargements_and_live_beside_the_full_one() {
        assert_eq!(poster_widths(Some(1080)), [240, 480, 720]);
        assert_eq!(poster_widths(Some(480)), [240], "480 is the poster itself");
        assert_eq!(poster_widths(Some(200)), Vec::<u32>::new());
        assert_eq!(poster_widths(None), [240, 480, 720]);
        assert_eq!(parse_widths(Some(&format_widths(&[240, 480]))), [240, 480]);
        assert_eq!(parse_widths(Some("240, 999,x")), [240], "only known widths");
        assert_eq!(parse_widths(None), Vec::<u32>::new());
        assert_eq!((poster_height(240, 640, 360), poster_height(480, 640, 360)), (136, 270), "as ffmpeg rounds");
        assert_eq!(poster_height(720, 1080, 1920), 1280);
        assert_eq!(poster_variant_key("shops/7/a1/poster.jpg", 480, PosterFormat::Webp), "shops/7/a1/poster-480.webp");
        assert_eq!(poster_variant_keys("a/poster.jpg", &[240]), ["a/poster-240.webp", "a/poster-240.jpg"]);
        assert_eq!(PosterFormat::from_extension("jpg"), Some(PosterFormat::Jpeg));
        assert_eq!(PosterFormat::from_extension("png"), None);
        let args = poster_variant_args(
            "p.jpg",
            &[(240, PosterFormat::Webp, "a.webp".into()), (240, PosterFormat::Jpeg, "a.jpg".into())],
        );
        let line = args.join(" ");
        assert!(
            line.contains("split=2[s0][s1];[s0]scale='min(iw,240)':-2[o0];[s1]scale='min(iw,240)':-2[o1]"),
            "{line}"
        );
        assert!(line.contains("-map [o0] -frames:v 1 -map_metadata -1 -c:v libwebp -quality 70 a.webp"), "{line}");
        assert!(line.ends_with("-c:v mjpeg -q:v 5 a.jpg"), "{line}");
    }
}
