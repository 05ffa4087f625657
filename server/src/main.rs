//! `keyward`: the server (`keyward serve`, the default) and its admin subcommands.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use keyward_server::{ServeConfig, Server, admin};

#[derive(Parser)]
#[command(
    name = "keyward",
    version,
    about = "keyward: API tokens, service tokens and login sessions for a multi-project platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site and the API (the default). Configured by KEYWARD_ADDR,
    /// KEYWARD_DATABASE_URL and KEYWARD_SITE_ROOT.
    Serve,
    /// Administration for scripts; safe to run while the server is running.
    Admin(admin::AdminArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KEYWARD_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        // Colour only on a terminal: a log file should hold plain `key=value` text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve().await,
            Command::Admin(args) => admin::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), String> {
    let config = ServeConfig::from_env()?;
    let server = Server::bind(&config).await?;
    let addr = server.local_addr();
    if let Some(code) = &server.setup_code {
        // Printed once, on purpose: the only way to the first administrator account.
        println!(
            "keyward has no users yet. Create the first administrator (this link works once):\n  http://{addr}/setup?code={}",
            code.expose()
        );
    }
    tracing::info!(%addr, database = %keyward_backend::db::describe(&config.database_url), "keyward listening");
    server
        .run(shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
