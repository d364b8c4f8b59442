//! `bench/scale`: the admin's heavy reads when a shop has a year of data. Seeds, on Postgres,
//! 1 000 shops with a campaign each, 1 000 000 requests (200 000 of them the largest shop's)
//! with three timeline events each, 100 000 submissions (30 000 the largest shop's) and a year
//! of daily analytics per campaign; then, for the largest shop, times each read through the
//! service the admin API calls (first page of 25, as the admin asks) and prints its p50/p99
//! and the plan Postgres chose (`EXPLAIN ANALYZE`).
//!
//! The baseline, measured in the same run, is the primary-key lookup of one request: what
//! one indexed round trip costs here. `BENCH_WITHOUT_SCALE_INDEXES=1` drops migration 7's
//! indexes after seeding, to see what they change.

use bench::{Latencies, ScratchDb, env_or, result, server_config};
use sea_orm::{ConnectionTrait, DbBackend, QueryTrait, Statement};
use server::store::requests::LogFilter;
use std::time::{Duration, Instant};

const SHOPS: usize = 1000;
const REQUESTS: usize = 1_000_000;
const BIG_REQUESTS: usize = 200_000;
const SUBMISSIONS: usize = 100_000;
const BIG_SUBMISSIONS: usize = 30_000;

/// A time-ordered UUID from a timestamp expression and a seed, as UUIDv7 orders ours.
fn time_uuid(at: &str, seed: &str) -> String {
    format!(
        "(lpad(to_hex((extract(epoch from {at}) * 1000)::bigint), 12, '0') || substr(md5({seed}::text), 1, 20))::uuid"
    )
}

async fn seed(db: &sea_orm::DatabaseConnection, url: &str) -> anyhow::Result<()> {
    let shops = "WITH s AS (SELECT array_agg(c.shop_id ORDER BY sh.shop_domain) AS shops, array_agg(c.id ORDER BY sh.shop_domain) AS camps FROM campaigns c JOIN shops sh ON sh.id = c.shop_id)";
    let at = "now() - ((g.n::bigint * 7919) % 31536000) * interval '1 second'";
    let requests = format!(
        "{shops}, g AS (SELECT n, CASE WHEN n <= {BIG_REQUESTS} THEN 1 ELSE 2 + (n % {}) END AS k FROM generate_series(1, {REQUESTS}) n)
         INSERT INTO testimonial_requests (id, shop_id, campaign_id, shopify_order_id, order_name, line_item_id, product_id,
           variant_id, product_title, customer_key, customer_first_name, customer_last_name, customer_email, locale, channel,
           token_hash, status, scheduled_for, attempts, expires_at, reminder_count, postpone_count, created_at, updated_at)
         SELECT {}, s.shops[g.k], s.camps[g.k], 5000000 + g.n, '#' || (1000 + g.n), g.n, 100 + g.n % 50, 'v', 'Walnut desk',
           'c' || (g.n % 50000),
           (ARRAY['Ada','Grace','Alan','Edsger','Barbara','Donald','Margaret','Ken'])[1 + g.n % 8],
           (ARRAY['Lovelace','Hopper','Turing','Dijkstra','Liskov','Knuth','Hamilton','Thompson'])[1 + (g.n / 8) % 8] || (g.n % 1000),
           'customer' || g.n || '@example.com', 'en', 'email', md5('t' || g.n),
           (ARRAY['scheduled','sent','sent','clicked','submitted','expired','failed','sent'])[1 + g.n % 8],
           {at}, 0, {at} + interval '30 days', 0, 0, {at}, {at}
         FROM g, s",
        SHOPS - 1,
        time_uuid(at, "g.n"),
    );
    let events = "INSERT INTO testimonial_request_events (id, shop_id, request_id, event_type, event_at, created_at)
         SELECT gen_random_uuid(), r.shop_id, r.id,
           CASE WHEN e.k = 2 THEN (CASE WHEN r.status = 'failed' THEN 'failed' ELSE 'delivered' END) ELSE e.t END,
           r.created_at + e.k * interval '1 minute', r.created_at + e.k * interval '1 minute'
         FROM testimonial_requests r CROSS JOIN (VALUES (0, 'scheduled'), (1, 'sent'), (2, '')) e(k, t)";
    let sat = "now() - ((g.n::bigint * 104729) % 31536000) * interval '1 second'";
    let submissions = format!(
        "{shops}, g AS (SELECT n, CASE WHEN n <= {BIG_SUBMISSIONS} THEN 1 ELSE 2 + (n % {}) END AS k FROM generate_series(1, {SUBMISSIONS}) n)
         INSERT INTO testimonial_submissions (id, shop_id, product_id, display_name, rating, quote, has_video, consent_publish,
           consent_text, consent_version, consented_at, flagged, status, published, published_at, placement_home,
           placement_product, featured, sort_order, source, incentivised, created_at, updated_at)
         SELECT {}, s.shops[g.k], 100 + g.n % 50, 'Customer ' || g.n, 1 + g.n % 5, 'Sturdy and beautiful.', false, true,
           'ok', 1, {sat}, false,
           (ARRAY['approved','approved','pending','pending','approved','pending','rejected','archived','approved','pending'])[1 + g.n % 10],
           g.n % 10 IN (0, 1, 4, 8), CASE WHEN g.n % 10 IN (0, 1, 4, 8) THEN {sat} END, true, true, false, 0, 'import', false,
           {sat}, {sat}
         FROM g, s",
        SHOPS - 1,
        time_uuid(sat, "g.n"),
    );
    let analytics =
        "INSERT INTO daily_analytics (id, shop_id, campaign_id, day, requests_created, sent, failed, delivered,
           opened, clicked, star_clicked, reminders_sent, submitted, approved, published, expired, updated_at)
         SELECT gen_random_uuid(), c.shop_id, c.id, current_date - d, 40, 38, 2, 36, 20, 9, 3, 10, 4, 3, 2, 1, now()
         FROM campaigns c CROSS JOIN generate_series(0, 364) d";
    for (what, sql) in [
        ("requests", requests.as_str()),
        ("events", events),
        ("submissions", submissions.as_str()),
        ("daily analytics", analytics),
    ] {
        let t = Instant::now();
        // The server's connections stop a statement after 30 s; seeding takes longer.
        db.execute_unprepared(&format!("BEGIN; SET LOCAL statement_timeout = 0; {sql}; COMMIT")).await?;
        println!("  seeded {what} in {:.1} s", t.elapsed().as_secs_f64());
    }
    // Vacuumed and analysed now, so autovacuum does not wake up in the middle of a measurement.
    // (On a connection of its own: the server's stop a statement after 30 s.)
    let t = Instant::now();
    let own = sea_orm::Database::connect(url).await?;
    own.execute_unprepared("VACUUM (ANALYZE)").await?;
    let _ = own.execute_unprepared("CHECKPOINT").await; // superusers only; the vacuum is what matters
    own.close().await?;
    println!("  vacuumed and analysed in {:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}

/// Times `f` `runs` times after two warm-up calls.
async fn time<F, Fut, T>(runs: usize, mut f: F) -> anyhow::Result<(Latencies, T)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    f().await?;
    f().await?;
    let mut lat = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f().await?);
        lat.push(t.elapsed());
    }
    Ok((Latencies::new(lat), last.expect("at least one run")))
}

async fn explain(db: &sea_orm::DatabaseConnection, sql: &str) -> anyhow::Result<()> {
    let rows = db
        .query_all_raw(Statement::from_string(DbBackend::Postgres, format!("EXPLAIN (ANALYZE, COSTS OFF) {sql}")))
        .await?;
    for r in rows {
        let line: String = r.try_get_by_index(0)?;
        println!("      {line}");
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Prints a read's p50/p99 and its row of the table, against the primary-key baseline.
fn report(what: &str, rows: usize, lat: &Latencies, base: &Latencies, goal: &str) {
    let (p99, base99) = (lat.percentile(0.99), base.percentile(0.99));
    println!("\n  {what}: {rows} rows, p50 {:.2} ms, p99 {:.2} ms", ms(lat.percentile(0.5)), ms(p99));
    result(
        what,
        &format!("p99 {:.1} ms", ms(p99)),
        &format!("{:.2} ms (one request by key)", ms(base99)),
        &format!("{:.0}×", ms(p99) / ms(base99)),
        goal,
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    server::install_crypto_provider();
    let admin_url: String = env_or("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let runs: usize = env_or("BENCH_RUNS", 50);
    let scratch = ScratchDb::create(&admin_url).await?;
    let dir = tempfile::tempdir()?;
    let app = server::Application::build(server_config(dir.path(), &scratch.url, "bench-secret")).await?;
    let state = app.state().clone();
    let db = state.db().clone();

    println!(
        "scale: {SHOPS} shops, {REQUESTS} requests ×3 events, {SUBMISSIONS} submissions, a year of analytics; Postgres"
    );
    let t = Instant::now();
    let mut big = None;
    for i in 0..SHOPS {
        let (shop, _) = bench::shop_with_campaign(&db, &format!("scale-{i:04}.myshopify.com"), 0).await?;
        big.get_or_insert(shop);
    }
    let big = big.expect("shops");
    println!("  seeded {SHOPS} shops and campaigns in {:.1} s", t.elapsed().as_secs_f64());
    seed(&db, &scratch.url).await?;
    bench::maybe_drop_scale_indexes(&db).await?;

    // The baseline: one request by primary key.
    let any: (entity::RequestId,) = {
        let r = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT id FROM testimonial_requests WHERE shop_id = $1 LIMIT 1",
                [big.0.into()],
            ))
            .await?
            .ok_or_else(|| anyhow::anyhow!("no request"))?;
        (entity::RequestId(r.try_get_by_index(0)?),)
    };
    let (base, _) = time(runs, || async { Ok(server::store::requests::get(&db, big, any.0).await?) }).await?;
    println!(
        "\nbaseline: a request by primary key, p50 {:.2} ms, p99 {:.2} ms",
        ms(base.percentile(0.5)),
        ms(base.percentile(0.99))
    );

    let campaign = server::store::campaigns::list(&db, big).await?.first().map(|c| c.id);
    let month_ago = chrono::Utc::now() - chrono::Duration::days(30);
    let filters: Vec<(&str, LogFilter)> = vec![
        ("requests log, no filter", LogFilter::default()),
        (
            "requests log, status failed",
            LogFilter { statuses: vec![entity::RequestStatus::Failed], ..Default::default() },
        ),
        ("requests log, one campaign", LogFilter { campaign_id: campaign, ..Default::default() }),
        ("requests log, last 30 days", LogFilter { from: Some(month_ago), ..Default::default() }),
        (
            "requests log, with a failed event",
            LogFilter { event_type: Some(entity::RequestEventType::Failed), ..Default::default() },
        ),
        ("requests log, search order #1777", LogFilter { search: Some("#1777".into()), ..Default::default() }),
        ("requests log, search name Hopper42", LogFilter { search: Some("Hopper42".into()), ..Default::default() }),
        (
            "requests log, search email",
            LogFilter { search: Some("customer12345@example.com".into()), ..Default::default() },
        ),
    ];
    for (what, filter) in &filters {
        let (lat, (rows, _)) =
            time(runs, || async { Ok(server::services::requests_log::page(&state, big, filter, None, 25).await?) })
                .await?;
        report(what, rows.len(), &lat, &base, "p99 ≤ 50 ms");
        explain(&db, &server::store::requests::log_query(big, filter, None, 26).build(DbBackend::Postgres).to_string())
            .await?;
        let ids: Vec<entity::RequestId> = rows.iter().map(|(r, _)| r.id).collect();
        println!("    and its timelines:");
        explain(&db, &server::store::request_events::timelines_query(big, &ids).build(DbBackend::Postgres).to_string())
            .await?;
    }

    let (lat, (rows, _)) = time(runs, || async {
        Ok(server::services::moderation::page(&state, big, Some(entity::SubmissionStatus::Pending), None, 25).await?)
    })
    .await?;
    report("moderation queue (pending)", rows.len(), &lat, &base, "p99 ≤ 50 ms");
    let q = server::store::submissions::list_query(big, Some(entity::SubmissionStatus::Pending), None, 26);
    explain(&db, &q.build(DbBackend::Postgres).to_string()).await?;

    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Duration::days(364);
    let (lat, (days, _)) =
        time(runs, || async { Ok(server::services::analytics::report(&state, big, from, today, None).await?) }).await?;
    report("analytics, a year (days)", days.len(), &lat, &base, "p99 ≤ 200 ms");

    // The CSV export, streamed page by page (what `/api/exports/testimonials.csv` sends) against
    // the same rows built in memory (the GraphQL field). Peak memory is the most the process
    // held allocated at once above where it stood before each (the counting allocator below).
    let pending = Some(entity::SubmissionStatus::Pending);
    let before = reset_peak();
    let (whole_lat, csv) =
        time(5, || async { Ok(server::services::testimonial_csv::export(&state, big, pending).await?) }).await?;
    let whole_peak = peak_held().saturating_sub(before);
    let rows = csv.lines().count().saturating_sub(1);
    let bytes = csv.len();
    drop(csv);
    let before = reset_peak();
    let (lat, (streamed_rows, largest)) = time(5, || async {
        use futures_util::StreamExt;
        let mut stream = std::pin::pin!(server::services::testimonial_csv::export_stream(state.clone(), big, pending));
        let (mut lines, mut largest) = (0usize, 0usize);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            largest = largest.max(chunk.len());
            lines += chunk.iter().filter(|b| **b == b'\n').count();
        }
        Ok((lines.saturating_sub(1), largest))
    })
    .await?;
    let streamed_peak = peak_held().saturating_sub(before);
    anyhow::ensure!(streamed_rows == rows, "the stream gave {streamed_rows} rows, the export {rows}");
    println!(
        "\n  CSV export: {rows} rows, {:.1} MB\n    in memory: p50 {:.0} ms, max {:.0} ms, peak memory +{:.1} MB\n    streamed:  p50 {:.0} ms, max {:.0} ms, peak memory +{:.1} MB, largest chunk {:.0} KB",
        bytes as f64 / 1e6,
        ms(whole_lat.percentile(0.5)),
        ms(whole_lat.percentile(1.0)),
        whole_peak as f64 / 1e6,
        ms(lat.percentile(0.5)),
        ms(lat.percentile(1.0)),
        streamed_peak as f64 / 1e6,
        largest as f64 / 1e3,
    );
    result(
        &format!("CSV export streamed, {rows} rows"),
        &format!("{:.2} s", lat.percentile(1.0).as_secs_f64()),
        &format!("{:.2} s in memory", whole_lat.percentile(1.0).as_secs_f64()),
        &format!("{:.2}", lat.percentile(1.0).as_secs_f64() / whole_lat.percentile(1.0).as_secs_f64()),
        "≤ 5 s, streamed",
    );
    result(
        "CSV export, peak memory",
        &format!("+{:.1} MB (chunk ≤ {:.0} KB)", streamed_peak as f64 / 1e6, largest as f64 / 1e3),
        &format!("+{:.1} MB in memory", whole_peak as f64 / 1e6),
        &format!("{:.2}", streamed_peak as f64 / whole_peak.max(1) as f64),
        "flat",
    );

    drop(app);
    if env_or("BENCH_KEEP_DB", 0u8) == 1 {
        println!("kept {}", scratch.url);
        return Ok(());
    }
    scratch.drop_now().await?;
    Ok(())
}

/// Counts the bytes the process holds allocated and the most it held since the last reset, so
/// the export's memory is measured exactly (resident-set figures hide reused free memory).
struct Counting;

static HELD: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[global_allocator]
static ALLOCATOR: Counting = Counting;

// SAFETY: every call is passed on to the system allocator unchanged; only counters are added.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        let held = HELD.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(held, Relaxed);
        // SAFETY: the caller's layout contract is the system allocator's.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        HELD.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

/// Starts a peak measurement; returns the bytes held now.
fn reset_peak() -> u64 {
    let held = HELD.load(std::sync::atomic::Ordering::Relaxed);
    PEAK.store(held, std::sync::atomic::Ordering::Relaxed);
    held as u64
}

/// The most held at once since [`reset_peak`].
fn peak_held() -> u64 {
    PEAK.load(std::sync::atomic::Ordering::Relaxed) as u64
}
