//! `hotline serve`, `hotline start` and `hotline admin`: running the center.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use server::{AppState, Clock, Settings};
use store::{NewUser, Role, Store};

pub const DEFAULT_DATABASE: &str = "sqlite://data/hotline.db";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// SQLite (`sqlite://path`, the default) or PostgreSQL (`postgres://…`).
    #[arg(long, env = "HOTLINE_DATABASE", default_value = DEFAULT_DATABASE)]
    pub database: String,
    /// Address to listen on; port 0 picks a free one (printed).
    #[arg(long, env = "HOTLINE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Create the demo tenant and users if they are not there (password `hotline-demo`).
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a platform administrator (the first one, on a new installation). The password
    /// is read from HOTLINE_ADMIN_PASSWORD, or from standard input.
    Create {
        #[arg(long, env = "HOTLINE_DATABASE", default_value = DEFAULT_DATABASE)]
        database: String,
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "Platform admin 平台管理员")]
        display_name: String,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
}

fn now_ms() -> i64 {
    Clock::System.now_ms()
}

pub fn serve(args: ServeArgs) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    runtime()?.block_on(async {
        let store = Store::open(&args.database)
            .await
            .with_context(|| format!("opening the database {}", args.database))?;
        if args.demo && server::demo::seed(&store, now_ms()).await? {
            eprintln!("created the demo center");
        }
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let addr = listener.local_addr()?;
        let state = AppState::new(store.clone(), Clock::System, Settings::default());
        println!("Hotline 呼叫中心 is running at http://{addr}/");
        println!("  API: http://{addr}/api   OpenAPI: http://{addr}/api/openapi.json");
        println!("  database: {}", args.database);
        if args.demo {
            println!(
                "  demo logins (password `{}`), tenant `{}`:",
                server::demo::DEMO_PASSWORD,
                server::demo::DEMO_TENANT
            );
            for (tenant, user, role) in server::demo::demo_logins() {
                println!(
                    "    {:<10} {:<18} {}",
                    user,
                    role.as_str(),
                    tenant.map_or("(platform)".to_string(), |t| format!("tenant {t}"))
                );
            }
        } else if store.user_by_name(None, "root").await?.is_none() && store.tenants().await?.is_empty() {
            println!("  new installation: create the first administrator with `hotline admin create --username …`");
        }
        println!("Press Ctrl-C to stop.");
        server::run(listener, state, async {
            let _ = tokio::signal::ctrl_c().await;
            eprintln!("stopping: finishing requests in flight and writing the event log");
        })
        .await?;
        store.close().await;
        Ok(())
    })
}

pub fn admin(command: AdminCommand) -> Result<()> {
    let AdminCommand::Create {
        database,
        username,
        display_name,
    } = command;
    let password = match std::env::var("HOTLINE_ADMIN_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            if std::io::stdin().is_terminal() {
                eprint!("password for {username}: ");
            }
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if password.chars().count() < 8 {
        bail!("the password must have at least 8 characters");
    }
    runtime()?.block_on(async {
        let store = Store::open(&database)
            .await
            .with_context(|| format!("opening the database {database}"))?;
        let hash = server::hash_password(&password).map_err(|e| anyhow::anyhow!(e.message))?;
        let user = store
            .create_user(
                &NewUser {
                    tenant: None,
                    username: username.clone(),
                    display_name,
                    role: Role::PlatformAdmin,
                    password_hash: hash,
                },
                now_ms(),
            )
            .await
            .with_context(|| format!("creating `{username}`"))?;
        store.close().await;
        println!(
            "created platform administrator `{}` (id {})",
            user.username, user.id.0
        );
        Ok(())
    })
}
