//! `reelproof`: the server binary. `serve` (default), `check-config`, `migrate`,
//! `shops add <domain>`, `shopify-config`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use server::config::{Mode, RawConfig};
use server::domain::shop_domain::ShopDomain;
use server::{Application, Role};

#[derive(Parser)]
#[command(name = "reelproof", version, about = "Video testimonials for Shopify stores")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: RawConfig,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server and background work (the default).
    Serve {
        #[arg(long, value_enum, default_value = "all", env = "REELPROOF_ROLE")]
        role: Role,
    },
    /// Check every setting and the systems they name (database, bucket, SMTP, ffmpeg), print
    /// what `serve` would run with (secrets masked), and exit 1 if anything is wrong.
    CheckConfig {
        #[arg(long, value_enum, default_value = "all", env = "REELPROOF_ROLE")]
        role: Role,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage shops without Shopify (local use and tests).
    Shops {
        #[command(subcommand)]
        command: ShopsCommand,
    },
    /// Print `shopify.app.toml` for a deployment (then `shopify app deploy`).
    ShopifyConfig {
        /// The server's public base URL, https://…
        #[arg(long = "public-url", env = "REELPROOF_PUBLIC_URL")]
        public_url: String,
        /// The app's client id.
        #[arg(long = "api-key", env = "SHOPIFY_API_KEY")]
        api_key: String,
    },
}

#[derive(Subcommand)]
enum ShopsCommand {
    /// Provision a shop, e.g. `reelproof shops add my-store.myshopify.com`.
    Add { domain: String },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Before any HTTP client exists (the trace exporter's is the first).
    server::install_crypto_provider();
    let cli = Cli::parse();
    // Printing the app configuration needs no database and no secrets.
    if let Some(Command::ShopifyConfig { public_url, api_key }) = &cli.command {
        server::telemetry::init_logging();
        let deployment = server::shopify::app_config::Deployment::parse(public_url, api_key)?;
        print!("{}", server::shopify::app_config::render(&deployment));
        return Ok(());
    }
    let traces = server::telemetry::init(cli.config.otlp_endpoint.as_ref()).map_err(anyhow::Error::msg)?;
    let config = cli.config.resolve().context("configuration")?;
    let result = run(cli.command.unwrap_or(Command::Serve { role: Role::All }), config).await;
    // The spans of the last moments (the shutdown's) are flushed before the process goes.
    tokio::task::spawn_blocking(move || traces.shutdown()).await.ok();
    result
}

async fn run(command: Command, config: server::config::Config) -> anyhow::Result<()> {
    match command {
        Command::Serve { role } => {
            let report = server::preflight::check(&config, scope(role)).await;
            if let Some(first) = report.errors().first() {
                // One clear line (the rest: `reelproof check-config`).
                eprintln!("reelproof: not starting: {first}");
                std::process::exit(1);
            }
            let app = Application::build(config).await.context("start-up")?;
            let state = app.state().clone();
            if state.is_dev() {
                print_dev_banner(&state);
            }
            tracing::info!(addr = %app.local_addr(), ?role, mode = ?state.config().mode, "listening");
            app.run(role, server::shutdown_signal()).await.context("serving")?;
            tracing::info!("stopped");
        }
        Command::CheckConfig { role } => {
            let report = server::preflight::check(&config, scope(role)).await;
            print!("{report}");
            let errors = report.errors();
            if !errors.is_empty() {
                eprintln!("reelproof: {} setting(s) would stop the server from starting:", errors.len());
                for e in &errors {
                    eprintln!("  - {e}");
                }
                std::process::exit(1);
            }
            println!("configuration ok: `reelproof serve --role {}` would start", format!("{role:?}").to_lowercase());
        }
        Command::Migrate => {
            let db = server::db::connect(&config.database_url).await.context("connecting")?;
            server::db::migrate(&db).await.context("migrating")?;
            println!("migrations applied");
        }
        Command::Shops { command: ShopsCommand::Add { domain } } => {
            let domain = ShopDomain::parse(&domain)?;
            let db = server::db::connect(&config.database_url).await.context("connecting")?;
            server::db::migrate(&db).await.context("migrating")?;
            let p = server::services::shops::provision(&db, &domain, chrono::Utc::now()).await?;
            let verb = if p.created { "provisioned" } else { "already present:" };
            println!("{verb} {} (id {})", p.profile.domain, p.profile.id);
        }
        Command::ShopifyConfig { .. } => unreachable!("handled before the configuration is read"),
    }
    Ok(())
}

fn scope(role: Role) -> server::preflight::Scope {
    server::preflight::Scope { runs_media: role != Role::Web }
}

/// Dev mode is announced loudly, once, with what a newcomer needs to use it.
fn print_dev_banner(state: &server::state::AppState) {
    debug_assert_eq!(state.config().mode, Mode::Dev);
    let c = state.config();
    let url = state.public_url().as_str().trim_end_matches('/');
    eprintln!(
        "\n=== REELPROOF DEV MODE (no SHOPIFY_API_KEY/SHOPIFY_API_SECRET set) ===\n\
         Not for production: the admin signs itself in as the demo shop.\n\
         dev API key:     {}\n\
         dev API secret:  {}   (kept in {}/dev-credentials.json)\n\
         demo shop:       {}\n\
         admin:           {url}/app/\n\
         GraphiQL:        {url}/graphiql   (pre-authorised for the demo shop)\n\
         =====================================================================\n",
        c.shopify.api_key,
        c.shopify.api_secret,
        c.data_dir.display(),
        server::DEV_SHOP,
    );
}
