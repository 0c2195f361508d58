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
    /// Let the platform administrator move the center's clock forward
    /// (`POST /api/platform/clock`), for demos and browser tests of deadlines; never in
    /// production.
    #[arg(long)]
    pub time_travel: bool,
    /// The built web app (the agent desktop, the floor view), served at `/`.
    #[arg(long, env = "HOTLINE_WEB", default_value = "web/dist")]
    pub web: std::path::PathBuf,
    /// Lets `/metrics` be read from other hosts with this bearer token (without it, only
    /// from the loopback address).
    #[arg(long, env = "HOTLINE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Served over HTTPS (directly or behind a TLS proxy): cookies are marked `Secure`.
    #[arg(long, env = "HOTLINE_BEHIND_TLS")]
    pub behind_tls: bool,
    #[command(flatten)]
    pub sip: SipArgs,
}

/// Telephony: SIP, RTP, trunks, where recordings go.
#[derive(Debug, Clone, Args)]
pub struct SipArgs {
    /// SIP listens here on UDP and TCP.
    #[arg(long = "sip", env = "HOTLINE_SIP", default_value = "0.0.0.0:5060")]
    pub sip_listen: String,
    /// No SIP at all (the API alone).
    #[arg(long)]
    pub no_sip: bool,
    /// The address phones and trunks reach us at, if not the listen address (NAT).
    #[arg(long, env = "HOTLINE_SIP_PUBLIC_IP")]
    pub sip_public_ip: Option<std::net::IpAddr>,
    /// RTP port range, `low-high`.
    #[arg(long, env = "HOTLINE_RTP_PORTS", default_value = "20000-29999")]
    pub rtp_ports: String,
    /// A trunk peer allowed to send calls in, by address (repeat for several). With
    /// --demo, 127.0.0.1 is one.
    #[arg(long = "trunk", env = "HOTLINE_TRUNKS", value_delimiter = ',')]
    pub trunks: Vec<std::net::IpAddr>,
    /// The trunk calls out go through (agents' click-to-call, callbacks), `host:port`.
    /// Without one, agents cannot place calls.
    #[arg(long = "trunk-out", env = "HOTLINE_TRUNK_OUT")]
    pub trunk_out: Option<std::net::SocketAddr>,
    /// Recordings and voicemail go under here.
    #[arg(long, env = "HOTLINE_DATA_DIR", default_value = "data")]
    pub data_dir: std::path::PathBuf,
    /// Prompts: 8 kHz mono WAV files named as the IVR flows name them (scripts/prompts.sh
    /// makes the demo set).
    #[arg(long, env = "HOTLINE_PROMPTS", default_value = "data/prompts")]
    pub prompts: std::path::PathBuf,
    /// On Ctrl-C, live calls may go on this long before they are hung up.
    #[arg(long, default_value_t = 30)]
    pub drain_seconds: u64,
    /// A call whose phone or trunk sends no RTP for this many seconds is hung up (both legs).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub rtp_timeout: u64,
}

impl SipArgs {
    fn config(&self, demo: bool) -> Result<telephony::Config> {
        let listen: std::net::SocketAddr = self
            .sip_listen
            .parse()
            .with_context(|| format!("--sip {}: an address like 0.0.0.0:5060", self.sip_listen))?;
        let (low, high) = self
            .rtp_ports
            .split_once('-')
            .and_then(|(l, h)| Some((l.trim().parse::<u16>().ok()?, h.trim().parse::<u16>().ok()?)))
            .filter(|(l, h)| l < h)
            .with_context(|| format!("--rtp-ports {}: a range like 20000-29999", self.rtp_ports))?;
        let mut sources = self.trunks.clone();
        if demo {
            sources.push(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
        }
        Ok(telephony::Config {
            listen,
            public_ip: self.sip_public_ip,
            rtp_ports: (low, high),
            trunks: sources,
            outbound: self.trunk_out,
            data_dir: self.data_dir.clone(),
            prompts_dir: Some(self.prompts.clone()),
            drain: std::time::Duration::from_secs(self.drain_seconds),
            rtp_timeout: std::time::Duration::from_secs(self.rtp_timeout),
        })
    }
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
                .unwrap_or_else(|_| "info,sqlx=warn,rsipstack=warn".into()),
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
        let web = args.web.join("index.html").is_file().then(|| args.web.clone());
        let settings = Settings {
            web_dir: web.clone(),
            metrics_token: args.metrics_token.clone(),
            secure_cookies: args.behind_tls,
            ..Settings::default()
        };
        let clock = if args.time_travel {
            eprintln!("time travel on: the platform administrator may move the clock forward");
            Clock::Offset(std::sync::Arc::default())
        } else {
            Clock::System
        };
        let state = AppState::new(store.clone(), clock, settings);
        // Work orders' files go beside the recordings.
        state.app().set_files_dir(args.sip.data_dir.clone());
        let sealed = state.app().seal_sip_passwords().await?;
        if sealed > 0 {
            eprintln!("{sealed} SIP passwords stored in clear are now kept as HA1 only");
        }
        // Calls live when the center stopped are closed before any new call can come.
        let interrupted = state.app().close_interrupted().await?;
        let phones = if args.sip.no_sip {
            None
        } else {
            let config = args.sip.config(args.demo)?;
            let app = std::sync::Arc::new(app::switchboard::Switchboard(state.app().clone()));
            let t = telephony::Telephony::start(config, app)
                .await
                .map_err(anyhow::Error::msg)?;
            state.attach_telephony(t.clone());
            Some(t)
        };
        // What a crash (or a stop) left: agents signed in again, callbacks queued again.
        let mut r = state.app().start_centers().await?;
        // Work orders' time limits: warnings and breaches due while stopped are said now.
        let _sweep = state.app().start_order_sweep();
        let _callbacks = state.app().start_callback_sweep();
        let _rollups = state.app().start_rollups();
        let _saved_reports = state.app().start_report_schedules();
        r.interrupted = interrupted;
        if r != app::recovery::Recovered::default() {
            eprintln!(
                "recovered: {} calls closed as interrupted, {} callbacks queued again, {} agents signed in again",
                r.interrupted, r.callbacks, r.agents
            );
        }
        println!("Hotline 呼叫中心 is running at http://{addr}/");
        match &web {
            Some(_) => println!("  agent desktop: http://{addr}/desktop   floor: http://{addr}/floor   wallboard: http://{addr}/wallboard"),
            None => println!(
                "  no web app at {} (build it with `npm ci && npm run build` in web/, or run scripts/start.sh)",
                args.web.display()
            ),
        }
        println!("  API: http://{addr}/api   OpenAPI: http://{addr}/api/openapi.json");
        println!("  database: {}", args.database);
        if let Some(t) = &phones {
            println!("  SIP: udp and tcp {} (reached at {})", args.sip.sip_listen, t.sip_address());
        }
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
            if phones.is_some() {
                println!(
                    "  demo phones: extensions 1001-1006, SIP password secret<ext>; their agents log in as agent<ext> / secret<ext>"
                );
                println!("  call 96332 from 127.0.0.1 (the demo trunk): 1 repair, 2 complaint, 3 consultation");
            }
        } else if store.user_by_name(None, "root").await?.is_none() && store.tenants().await?.is_empty() {
            println!("  new installation: create the first administrator with `hotline admin create --username …`");
        }
        println!("Press Ctrl-C to stop.");
        server::run(listener, state, async move {
            let _ = tokio::signal::ctrl_c().await;
            if let Some(t) = phones {
                eprintln!("stopping: no new calls; live calls may finish (Ctrl-C again to hang up now)");
                tokio::select! {
                    () = t.shutdown() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
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
