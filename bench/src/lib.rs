//! Shared pieces of the benchmarks: a scratch Postgres database and latency statistics.

use sea_orm::{ConnectionTrait, Database};
use std::time::Duration;

/// A fresh database on the Postgres server at `admin_url`, dropped by [`ScratchDb::drop_now`].
pub struct ScratchDb {
    admin_url: String,
    name: String,
    pub url: String,
}

impl ScratchDb {
    pub async fn create(admin_url: &str) -> anyhow::Result<Self> {
        let name = format!("reelproof_bench_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url).await?;
        admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await?;
        admin.close().await?;
        let mut url = url::Url::parse(admin_url)?;
        url.set_path(&name);
        Ok(Self { admin_url: admin_url.to_owned(), name, url: url.to_string() })
    }

    pub async fn drop_now(self) -> anyhow::Result<()> {
        let admin = Database::connect(&self.admin_url).await?;
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)).await?;
        admin.close().await?;
        Ok(())
    }
}

/// CPU time (user and system) spent so far by this process and by the local PostgreSQL's
/// processes. A phase's cost is the difference of two readings: what the work cost the
/// machine, which the load of the machine's other tenants moves far less than it moves a rate.
/// A Postgres process that ends between the readings takes its share with it, so read the
/// second one before the phase's connections close.
#[derive(Clone, Copy)]
pub struct CpuClock {
    pub ours: Duration,
    pub postgres: Duration,
}

impl CpuClock {
    pub fn read() -> Self {
        // SAFETY: `getrusage` fills the zeroed struct it is given and reads nothing else.
        let ours = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_SELF, &mut usage);
            let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
            Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
        };
        Self { ours, postgres: postgres_cpu() }
    }

    /// The CPU spent since `earlier`, per unit of work (`n` units), in microseconds: ours and
    /// Postgres's.
    pub fn per_unit_since(&self, earlier: &CpuClock, n: usize) -> (f64, f64) {
        let per = |a: Duration, b: Duration| a.saturating_sub(b).as_secs_f64() * 1e6 / n.max(1) as f64;
        (per(self.ours, earlier.ours), per(self.postgres, earlier.postgres))
    }
}

/// The summed `utime + stime` of every process named `postgres` (`/proc/<pid>/stat`).
fn postgres_cpu() -> Duration {
    // SAFETY: `sysconf` only reads a constant of the system.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    let mut total = 0u64;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // `pid (comm) state ppid …`: the name can hold spaces, so split after its `)`.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        if &stat[open + 1..close] != "postgres" {
            continue;
        }
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        // After the name: state is field 0, utime field 11, stime field 12.
        let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
        total += field(11) + field(12);
    }
    Duration::from_micros(total * 1_000_000 / ticks)
}

/// p50/p99/max of a set of latencies.
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn new(mut v: Vec<Duration>) -> Self {
        v.sort();
        Self(v)
    }

    pub fn percentile(&self, p: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        let idx = ((self.0.len() as f64 - 1.0) * p).round() as usize;
        self.0[idx.min(self.0.len() - 1)]
    }

    pub fn summary(&self) -> String {
        format!(
            "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.percentile(0.50).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
            self.percentile(1.0).as_secs_f64() * 1e3
        )
    }
}

/// The server's configuration for a benchmark: production mode with bench credentials, a
/// scratch database, files under `data_dir`, outbox email unless the caller changes it.
pub fn server_config(data_dir: &std::path::Path, database_url: &str, api_secret: &str) -> server::config::Config {
    use server::config::{Config, EmailConfig, Mode, ShopifyCredentials, SmsConfig};
    Config {
        mode: Mode::Production,
        data_dir: data_dir.to_owned(),
        database_url: database_url.to_owned(),
        listen: "127.0.0.1:0".parse().expect("valid address"),
        public_url: None,
        ui_dir: data_dir.join("dist"),
        shopify: ShopifyCredentials::new("bench", api_secret),
        encryption_key: server::domain::secrets::EncryptionKey::generate(),
        previous_encryption_key: None,
        email: EmailConfig::outbox(),
        sms: SmsConfig::Outbox,
        callbacks: Default::default(),
        media: Default::default(),
        capture: Default::default(),
        dispatch: Default::default(),
        otlp_endpoint: None,
    }
}

/// The bench shop (provisioned, send window always open) and an active email campaign with no
/// reminders, `delay_days` after payment.
pub async fn shop_with_campaign(
    db: &sea_orm::DatabaseConnection,
    domain: &str,
    delay_days: i32,
) -> anyhow::Result<(entity::ShopId, entity::campaigns::Model)> {
    use chrono::Utc;
    use server::domain::campaign::CampaignSettings;
    let domain = server::domain::shop_domain::ShopDomain::parse(domain)?;
    let shop = server::services::shops::provision(db, &domain, Utc::now()).await?.profile;
    server::store::shops::set_send_window(db, shop.id, "UTC", "00:00", "00:00").await?;
    let settings = CampaignSettings {
        delay_days,
        reminder_enabled: false,
        max_reminders: 0,
        ..CampaignSettings::new("bench", entity::CampaignTrigger::OrderPaid, entity::Channel::Email)
    };
    let c = server::services::campaigns::create(db, shop.id, settings, Utc::now()).await?;
    let c =
        server::services::campaigns::set_status(db, shop.id, c.id, entity::CampaignStatus::Active, Utc::now()).await?;
    Ok((shop.id, c))
}

/// A submitted request's upload, stored and registered as an `uploaded` asset (what
/// `submitTestimonial` leaves behind); returns the asset id.
pub async fn uploaded_asset(
    state: &server::state::AppState,
    request: &entity::testimonial_requests::Model,
    bytes: Vec<u8>,
) -> anyhow::Result<entity::AssetId> {
    let now = chrono::Utc::now();
    let new = server::store::submissions::NewCaptureSubmission {
        request,
        display_name: "Bench".into(),
        rating: None,
        quote: None,
        has_video: true,
        consent_text: "ok".into(),
        consent_version: 1,
        flagged_reason: None,
        incentivised: false,
    };
    let submission = server::store::submissions::insert_capture(state.db(), request.shop_id, new, now).await?;
    let key = format!(
        "{}{}/original",
        server::providers::storage::shop_prefix(request.shop_id),
        entity::new_id::<uuid::Uuid>()
    );
    let size = bytes.len() as i64;
    state.storage().put(&key, bytes.into()).await?;
    let asset = server::store::media_assets::insert_uploaded(
        state.db(),
        request.shop_id,
        submission.id,
        key,
        "video/mp4".into(),
        size,
        now,
    )
    .await?;
    Ok(asset.id)
}

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The `testimonial_requests` row of line item `k` of bench order `i`, due at `due`: what the
/// server writes for it, built directly for baselines and for seeding due work.
pub fn request_row(
    shop_id: entity::ShopId,
    campaign_id: entity::CampaignId,
    i: usize,
    k: i64,
    due: chrono::DateTime<chrono::Utc>,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> entity::testimonial_requests::ActiveModel {
    use entity::{Channel, RequestStatus};
    use sea_orm::ActiveValue::Set;
    entity::testimonial_requests::ActiveModel {
        id: Set(entity::new_id()),
        shop_id: Set(shop_id),
        campaign_id: Set(campaign_id),
        shopify_order_id: Set(5_000_000_000_000_000_000 + i as i64),
        order_name: Set(Some(format!("#{i}"))),
        line_item_id: Set(i as i64 * 10 + k + 1),
        product_id: Set(9_000_000_000 + k),
        variant_id: Set(((9_000_000_000 + k) * 10).to_string()),
        product_title: Set(format!("Product {k}")),
        product_image_url: Set(None),
        shopify_customer_id: Set(Some(i as i64 + 1)),
        customer_key: Set(Some(format!("{i:064}"))),
        customer_first_name: Set(Some("C".into())),
        customer_last_name: Set(None),
        customer_email: Set(Some(format!("c{i}@example.com"))),
        customer_phone: Set(None),
        locale: Set(None),
        channel: Set(Channel::Email),
        token_hash: Set(format!("{:064x}", uuid::Uuid::new_v4().as_u128())),
        short_code_hash: Set(None),
        status: Set(RequestStatus::Scheduled),
        scheduled_for: Set(due),
        next_attempt_at: Set(Some(due)),
        attempts: Set(0),
        lease_until: Set(None),
        first_sent_at: Set(None),
        last_sent_at: Set(None),
        clicked_at: Set(None),
        submitted_at: Set(None),
        expires_at: Set(expires_at),
        expired_at: Set(None),
        expire_reason: Set(None),
        reminder_count: Set(0),
        next_reminder_at: Set(None),
        postpone_count: Set(0),
        last_error: Set(None),
        provider_message_id: Set(None),
        created_at: Set(due),
        updated_at: Set(due),
    }
}

/// A minimal SMTP server that accepts every message and counts it: the local sink both sides
/// of `bench/dispatch` send to, so neither pays for a slow peer.
pub struct SmtpSink {
    pub addr: std::net::SocketAddr,
    pub received: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// Messages whose `Message-ID` the sink had already received: a send repeated.
    pub repeated: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> anyhow::Result<Self> {
        use std::sync::atomic::Ordering;
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let received = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let repeated = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = std::sync::Arc::new(std::sync::Mutex::new(std::collections::HashSet::<String>::new()));
        let counter = received.clone();
        let repeats = repeated.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let counter = counter.clone();
                let repeats = repeats.clone();
                let seen = seen.clone();
                // lettre's client leaves Nagle on and writes a message in several pieces; if the
                // sink delayed its ACKs (Linux does, 40 ms), that stall would set the pace of
                // both sides and hide the cost we are here to measure. So: no delayed ACKs.
                let _ = stream.set_nodelay(true);
                let fd = std::os::fd::AsRawFd::as_raw_fd(&stream);
                tokio::spawn(async move {
                    let (r, mut w) = stream.into_split();
                    let mut lines = BufReader::new(r).lines();
                    let _ = w.write_all(b"220 sink ESMTP\r\n").await;
                    let mut in_data = false;
                    loop {
                        quickack(fd);
                        let Ok(Some(line)) = lines.next_line().await else { break };
                        let reply: &[u8] = if in_data {
                            if let Some(id) = line.strip_prefix("Message-ID: ")
                                && !seen.lock().expect("the sink's set").insert(id.to_owned())
                            {
                                repeats.fetch_add(1, Ordering::Relaxed);
                            }
                            if line != "." {
                                continue;
                            }
                            in_data = false;
                            counter.fetch_add(1, Ordering::Relaxed);
                            b"250 queued\r\n"
                        } else {
                            match line.get(..4).map(|v| v.to_ascii_uppercase()).as_deref() {
                                Some("EHLO") => b"250-sink\r\n250 8BITMIME\r\n",
                                Some("DATA") => {
                                    in_data = true;
                                    b"354 go ahead\r\n"
                                }
                                Some("QUIT") => {
                                    let _ = w.write_all(b"221 bye\r\n").await;
                                    return;
                                }
                                _ => b"250 ok\r\n",
                            }
                        };
                        if w.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Ok(Self { addr, received, repeated, task })
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }
}

/// TCP_QUICKACK is not sticky on Linux: it is set again before each read.
fn quickack(fd: std::os::fd::RawFd) {
    let one: libc::c_int = 1;
    // SAFETY: `fd` is the sink's own open socket for the life of its connection task, and the
    // option value is a properly sized int.
    unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One row of the table `.ci/bench` prints and `BENCHMARKS.md` keeps: what was measured, the
/// figure, the baseline measured in the same run, their ratio, and the goal.
pub fn result(what: &str, figure: &str, baseline: &str, ratio: &str, goal: &str) {
    println!("RESULT | {what} | {figure} | {baseline} | {ratio} | {goal} |");
}

/// Migration 7's indexes (`bench/scale`'s reads), dropped again with
/// `BENCH_WITHOUT_SCALE_INDEXES=1`: what they cost the write paths, measured in the same run.
pub async fn maybe_drop_scale_indexes(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    if env_or("BENCH_WITHOUT_SCALE_INDEXES", 0u8) != 1 {
        return Ok(());
    }
    for name in [
        "idx_requests_shop_id",
        "idx_requests_shop_email",
        "idx_events_shop_type",
        "idx_submissions_shop_status_id",
        "idx_submissions_shop_id",
        "idx_requests_search",
    ] {
        db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
    }
    println!("  without migration 7's indexes");
    Ok(())
}
