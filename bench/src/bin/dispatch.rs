//! `cargo run --release -p bench --bin dispatch`
//!
//! N due requests on a fresh Postgres database, sent by W concurrent schedulers (as W replicas
//! would, each with its own pools) through SMTP into a local sink; prints sends/s and the
//! due→sent lag p50/p99. Then, in the same run and into the same sink, a plain lettre loop (W
//! tasks, one pooled transport) sends the same rendered messages with no database at all;
//! prints its rate and the ratio.
//! Checks that every request was sent and the sink received each message once.
//!
//! Environment: `BENCH_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`),
//! `BENCH_N` (default 10000), `BENCH_WORKERS` (default 4).

use bench::{Latencies, ScratchDb, SmtpSink, env_or};
use chrono::{Duration as ChronoDuration, Utc};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sea_orm::EntityTrait;
use server::config::{Config, EmailConfig};
use server::domain::templates::{self, MessageVars};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const SHOP: &str = "bench.myshopify.com";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let admin_url: String = env_or("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let n: usize = env_or("BENCH_N", 10_000);
    let workers: usize = env_or("BENCH_WORKERS", 4);
    println!("dispatch: {n} due requests, {workers} concurrent schedulers, SMTP into a local sink, Postgres");

    // --- through the server's scheduler ---
    let sink = SmtpSink::start().await?;
    let scratch = ScratchDb::create(&admin_url).await?;
    let data = tempfile::tempdir()?;
    let config = Config {
        public_url: Some("https://reelproof.example.com".parse()?),
        email: EmailConfig { smtp_url: Some(sink.url()), from: "no-reply@reelproof.example.com".into() },
        ..bench::server_config(data.path(), &scratch.url, "bench-secret")
    };
    // One application per scheduler, as each replica has its own pools (database and SMTP).
    let mut apps = Vec::with_capacity(workers);
    for _ in 0..workers {
        apps.push(server::Application::build(config.clone()).await?);
    }
    let state = apps[0].state().clone();
    bench::maybe_drop_scale_indexes(state.db()).await?;
    let (shop_id, c) = bench::shop_with_campaign(state.db(), SHOP, 0).await?;
    let due = Utc::now();
    // Planned as intake plans them: each with its capture link's hash.
    let rows: Vec<_> = (0..n)
        .map(|i| {
            let mut row = bench::request_row(shop_id, c.id, i, 0, due, due + ChronoDuration::days(30));
            let id = row.id.clone().unwrap();
            row.token_hash = sea_orm::ActiveValue::Set(state.links().capture_token(id).hash().as_str().to_owned());
            row
        })
        .collect();
    for chunk in rows.chunks(1000) {
        entity::testimonial_requests::Entity::insert_many(chunk.to_vec()).exec_without_returning(state.db()).await?;
    }

    let cpu_before = bench::CpuClock::read();
    let start = Instant::now();
    let started_at = Utc::now();
    // Each scheduler is its own task, as each replica's is.
    let rounds: Vec<_> = apps
        .iter()
        .map(|app| {
            let state = app.state().clone();
            tokio::spawn(async move {
                loop {
                    let r = server::services::messaging::dispatch_due(&state).await?;
                    if r.claimed == 0 {
                        return anyhow::Ok(());
                    }
                }
            })
        })
        .collect();
    for r in rounds {
        r.await??;
    }
    let server_elapsed = start.elapsed();
    let (server_ours, server_pg) = bench::CpuClock::read().per_unit_since(&cpu_before, n);
    let sent = entity::testimonial_requests::Entity::find().all(state.db()).await?;
    let lags: Vec<Duration> =
        sent.iter().filter_map(|r| r.first_sent_at).map(|t| (t - started_at).to_std().unwrap_or_default()).collect();
    anyhow::ensure!(lags.len() == n, "{} of {n} requests were sent", lags.len());
    anyhow::ensure!(
        sink.received.load(Ordering::Relaxed) == n,
        "the sink received {} messages",
        sink.received.load(Ordering::Relaxed)
    );
    anyhow::ensure!(
        sink.repeated.load(Ordering::Relaxed) == 0,
        "{} messages were sent twice",
        sink.repeated.load(Ordering::Relaxed)
    );
    let server_rate = n as f64 / server_elapsed.as_secs_f64();
    let lag = Latencies::new(lags);
    drop(state);
    drop(apps);
    scratch.drop_now().await?;

    // --- baseline: lettre alone, the same messages, the same sink ---
    let sink = SmtpSink::start().await?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&sink.url())?.build();
    let src = templates::builtin_one("en", entity::TemplateChannel::Email, entity::TemplateKind::Request);
    let cpu_before = bench::CpuClock::read();
    let start = Instant::now();
    let results: Vec<_> = (0..workers)
        .map(|w| {
            let transport = transport.clone();
            let src = src.clone();
            tokio::spawn(async move {
                for i in (w..n).step_by(workers) {
                    let vars = MessageVars {
                        customer_first_name: "C".into(),
                        product_title: "Product 0".into(),
                        shop_name: "bench".into(),
                        capture_link: format!("https://reelproof.example.com/t/{i:043}"),
                        ..MessageVars::sample()
                    };
                    let r = templates::render(&src, &vars, true)?;
                    let msg = lettre::Message::builder()
                        .from("bench <no-reply@reelproof.example.com>".parse()?)
                        .to(format!("c{i}@example.com").parse()?)
                        .subject(r.subject.unwrap_or_default())
                        .multipart(lettre::message::MultiPart::alternative_plain_html(
                            r.body_text.unwrap_or_default(),
                            r.body,
                        ))?;
                    transport.send(msg).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for r in results {
        r.await??;
    }
    let plain_elapsed = start.elapsed();
    let (plain_ours, plain_pg) = bench::CpuClock::read().per_unit_since(&cpu_before, n);
    anyhow::ensure!(
        sink.received.load(Ordering::Relaxed) == n,
        "the plain loop delivered {} messages",
        sink.received.load(Ordering::Relaxed)
    );
    let plain_rate = n as f64 / plain_elapsed.as_secs_f64();

    println!(
        "server:  {server_rate:>8.1} sends/s over {:.2} s; due->sent lag {}",
        server_elapsed.as_secs_f64(),
        lag.summary()
    );
    println!("plain:   {plain_rate:>8.1} sends/s over {:.2} s (lettre loop, no database)", plain_elapsed.as_secs_f64());
    println!("ratio:   server / plain = {:.1} %", server_rate / plain_rate * 100.0);
    let (server_cpu, plain_cpu) = (server_ours + server_pg, plain_ours + plain_pg);
    println!(
        "CPU per send: server {server_cpu:.0} us (this process {server_ours:.0}, Postgres {server_pg:.0}); plain {plain_cpu:.0} us (this process {plain_ours:.0}, Postgres {plain_pg:.0}); plain / server = {:.1} %",
        plain_cpu / server_cpu * 100.0
    );
    bench::result(
        &format!("dispatch, {n} due requests, {workers} schedulers, SMTP"),
        &format!("{server_rate:.0} sends/s, lag p99 {:.1} s", lag.percentile(0.99).as_secs_f64()),
        &format!("{plain_rate:.0} sends/s (plain lettre)"),
        &format!("{:.1} %", server_rate / plain_rate * 100.0),
        "≥ 3000 sends/s, ≥ 40 %, lag p99 ≤ 2 s",
    );
    // The same comparison in CPU time, which the machine's other tenants move less than rates:
    // the sink's work counts in both, the database's in the server's only.
    bench::result(
        "dispatch, CPU per send (this process + Postgres)",
        &format!("{server_cpu:.0} µs ({server_ours:.0} + {server_pg:.0})"),
        &format!("{plain_cpu:.0} µs (plain lettre)"),
        &format!("{:.1} %", plain_cpu / server_cpu * 100.0),
        "—",
    );
    Ok(())
}
