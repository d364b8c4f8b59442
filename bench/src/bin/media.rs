//! `cargo run --release -p bench --bin media`
//!
//! Generates a 60 s 1080p clip (H.264/AAC, like a phone's) with ffmpeg, runs it through the
//! media worker (claim, probe, limits, transcode, poster, store, mark ready) on a fresh
//! Postgres database, and in the same run the bare ffmpeg commands the worker uses on the same
//! file. Prints both times and the overhead ratio.
//!
//! Environment: `BENCH_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`),
//! `BENCH_SECONDS` (default 60).

use bench::{ScratchDb, env_or};
use chrono::Utc;
use entity::RequestStatus;
use sea_orm::{ActiveModelTrait, EntityTrait};
use server::domain::media::{self, MediaLimits};
use std::process::Command;
use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let admin_url: String = env_or("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let seconds: u32 = env_or("BENCH_SECONDS", 60);
    println!("media: a {seconds} s 1080p H.264/AAC clip through the worker vs bare ffmpeg, Postgres");
    let work = tempfile::tempdir()?;
    let clip = work.path().join("clip.mp4");
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size=1920x1080:rate=30:duration={seconds}"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=frequency=440:duration={seconds}"))
        .args(["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"])
        .arg(&clip)
        .status()?;
    anyhow::ensure!(status.success(), "ffmpeg could not generate the clip");
    let bytes = std::fs::read(&clip)?;

    // --- through the worker ---
    let scratch = ScratchDb::create(&admin_url).await?;
    let data = tempfile::tempdir()?;
    let config = bench::server_config(data.path(), &scratch.url, "bench-secret");
    let app = server::Application::build(config).await?;
    let state = app.state().clone();
    let (shop_id, c) = bench::shop_with_campaign(state.db(), "bench.myshopify.com", 0).await?;
    let mut row = bench::request_row(shop_id, c.id, 0, 0, Utc::now(), Utc::now() + chrono::Duration::days(30));
    row.status = sea_orm::ActiveValue::Set(RequestStatus::Submitted);
    let request = row.insert(state.db()).await?;
    let asset = bench::uploaded_asset(&state, &request, bytes).await?;
    let start = Instant::now();
    let outcome = server::services::media::process(&state, shop_id, asset).await.map_err(anyhow::Error::msg)?;
    let worker = start.elapsed();
    anyhow::ensure!(outcome == server::services::media::Processed::Ready, "the worker did not finish: {outcome:?}");
    let done = entity::testimonial_media_assets::Entity::find_by_id(asset).one(state.db()).await?.expect("asset");
    drop(app);
    scratch.drop_now().await?;

    // --- baseline: the same ffmpeg commands, nothing else ---
    let limits = MediaLimits::default();
    let (i, o, p) = (
        clip.display().to_string(),
        work.path().join("out.mp4").display().to_string(),
        work.path().join("poster.jpg").display().to_string(),
    );
    let start = Instant::now();
    let variants: Vec<(u32, media::PosterFormat, String)> = media::POSTER_WIDTHS
        .into_iter()
        .flat_map(|w| {
            media::PosterFormat::ALL.map(|f| (w, f, work.path().join(media::poster_file(w, f)).display().to_string()))
        })
        .collect();
    for args in [
        media::transcode_args(&i, &o, &limits),
        media::poster_args(&i, &p, i64::from(seconds) * 1000, &limits),
        media::poster_variant_args(&p, &variants),
    ] {
        anyhow::ensure!(Command::new("ffmpeg").args(&args).status()?.success(), "bare ffmpeg failed");
    }
    let bare = start.elapsed();

    println!(
        "worker:  {:>7.2} s  ({}x{}, {} ms of video, playback and posters stored, asset ready)",
        worker.as_secs_f64(),
        done.width.unwrap_or_default(),
        done.height.unwrap_or_default(),
        done.duration_ms.unwrap_or_default()
    );
    println!("bare:    {:>7.2} s  (ffmpeg transcode, poster and its smaller sizes only)", bare.as_secs_f64());
    println!(
        "ratio:   worker / bare = {:.3} (overhead {:.1} %)",
        worker.as_secs_f64() / bare.as_secs_f64(),
        (worker.as_secs_f64() / bare.as_secs_f64() - 1.0) * 100.0
    );
    bench::result(
        &format!("media, a {seconds} s 1080p clip to ready"),
        &format!("{:.2} s", worker.as_secs_f64()),
        &format!("{:.2} s (bare ffmpeg)", bare.as_secs_f64()),
        &format!("{:.3}", worker.as_secs_f64() / bare.as_secs_f64()),
        "—",
    );
    Ok(())
}
