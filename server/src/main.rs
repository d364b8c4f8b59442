//! `reelproof`: the server binary. `serve` (default), `migrate`, `shops add <domain>`,
//! `shopify-config`.

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
    server::telemetry::init_logging();
    let cli = Cli::parse();
    // Printing the app configuration needs no database and no secrets.
    if let Some(Command::ShopifyConfig { public_url, api_key }) = &cli.command {
        let deployment = server::shopify::app_config::Deployment::parse(public_url, api_key)?;
        print!("{}", server::shopify::app_config::render(&deployment));
        return Ok(());
    }
    let config = cli.config.resolve().context("configuration")?;
    match cli.command.unwrap_or(Command::Serve { role: Role::All }) {
        Command::Serve { role } => {
            let app = Application::build(config).await.context("start-up")?;
            let state = app.state().clone();
            if state.is_dev() {
                print_dev_banner(&state);
            }
            tracing::info!(addr = %app.local_addr(), ?role, mode = ?state.config().mode, "listening");
            app.run(role, server::shutdown_signal()).await.context("serving")?;
            tracing::info!("stopped");
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
