//! The command line: `serve` (the default), `migrate`, `token`, `openapi` and `db`.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};

use crate::auth::{self, Role};
use crate::config::Config;
use crate::db::embedded::EmbeddedPostgres;
use crate::startup::Application;
use crate::{db, demo, routes, telemetry};

/// The database the embedded cluster holds.
const EMBEDDED_DATABASE: &str = "shoutout";

#[derive(Debug, Parser)]
#[command(
    name = "shoutout",
    version,
    about = "Year-round peer recognition with the H.E.A.R.T. values"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve(Box<Config>),
    /// Apply pending database migrations and exit.
    Migrate(Box<Config>),
    /// Mint a development token signed with SHOUTOUT_JWT_SECRET (or the embedded database's
    /// generated secret).
    Token {
        /// The subject: the employee's external_id.
        #[arg(long)]
        sub: String,
        /// A role; repeat for several (employee, manager, admin).
        #[arg(long = "role", value_enum, default_value = "employee")]
        roles: Vec<RoleArg>,
        /// Hours until the token expires.
        #[arg(long, default_value_t = 12)]
        ttl_hours: i64,
        #[command(flatten)]
        config: Box<Config>,
    },
    /// Queue the weekly digests due on a local date (SHOUTOUT_TIMEZONE) for the managers whose
    /// digest day it is, covering the seven days before it; a running instance sends them. A
    /// digest already queued for a manager and date is not queued again.
    Digests {
        /// The date the digests are for, e.g. 2025-03-10 (a Monday: the week of 3-9 March).
        #[arg(long)]
        on: chrono::NaiveDate,
        #[command(flatten)]
        config: Box<Config>,
    },
    /// Print the OpenAPI document (YAML) the server serves.
    Openapi,
    /// Train, judge or tune the value suggester from the labelled messages.
    Suggester {
        #[command(subcommand)]
        action: SuggesterAction,
        /// The labelled messages (language,value,split,message).
        #[arg(long, default_value = "data/suggest/messages.csv")]
        data: std::path::PathBuf,
    },
    /// Manage the embedded PostgreSQL cluster.
    Db {
        #[command(subcommand)]
        action: DbAction,
        #[command(flatten)]
        config: Box<Config>,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    Employee,
    Manager,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Employee => Role::Employee,
            RoleArg::Manager => Role::Manager,
            RoleArg::Admin => Role::Admin,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum SuggesterAction {
    /// Train on the training split and write the model (the build ships
    /// data/suggest/model.bin: rebuild after training).
    Train {
        #[arg(long, default_value = "data/suggest/model.bin")]
        out: std::path::PathBuf,
    },
    /// Judge the shipped model and the keyword baseline on the held-out test split: accuracy
    /// overall and per language, how often each would ask, the confusion matrices.
    Evaluate,
    /// Suggest a value for one message with the shipped model, and say why.
    Try { message: String },
    /// 5-fold cross-validation on the training split for a few settings (how the shipped
    /// settings were chosen; never reads the test split).
    CrossValidate,
}

#[derive(Debug, Subcommand)]
pub enum DbAction {
    /// Start the cluster (if it is not running) and print its connection string.
    Start,
    /// Stop the cluster.
    Stop,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = match cli.command {
        Some(command) => command,
        None => {
            // No subcommand: serve, with settings from the environment.
            match Cli::parse_from(["shoutout", "serve"]).command {
                Some(serve) => serve,
                None => unreachable!("`serve` parses as a command"),
            }
        }
    };
    match command {
        Command::Serve(config) => serve(*config).await,
        Command::Migrate(config) => {
            let mut config = *config;
            telemetry::init(config.log_format);
            let embedded = use_embedded_if_unset(&mut config).await?;
            let url = config
                .database_url
                .as_ref()
                .expect("resolved")
                .expose_secret()
                .to_owned();
            db::run_migrations(&url).await?;
            if let Some((pg, true)) = embedded {
                pg.stop()?;
            }
            Ok(())
        }
        Command::Digests { on, config } => {
            let mut config = *config;
            telemetry::init(config.log_format);
            let embedded = use_embedded_if_unset(&mut config).await?;
            let url = config
                .database_url
                .as_ref()
                .expect("resolved")
                .expose_secret()
                .to_owned();
            let queued = crate::mail::rounds::queue_digests_on(&url, &config, on).await?;
            println!("{queued} digest(s) queued for {on}");
            if let Some((pg, true)) = embedded {
                pg.stop()?;
            }
            Ok(())
        }
        Command::Token {
            sub,
            roles,
            ttl_hours,
            config,
        } => {
            let mut config = *config;
            resolve_jwt_secret(&mut config, false)?;
            let roles: Vec<Role> = roles.into_iter().map(Into::into).collect();
            let token =
                auth::mint_token(&config, &sub, &roles, chrono::Duration::hours(ttl_hours))?;
            println!("{token}");
            Ok(())
        }
        Command::Suggester { action, data } => suggester(action, &data),
        Command::Openapi => {
            print!("{}", routes::openapi().to_yaml()?);
            Ok(())
        }
        Command::Db { action, config } => {
            let pg = EmbeddedPostgres::new(&config.data_dir.join("postgres"))?;
            match action {
                DbAction::Start => {
                    let runner = pg.clone();
                    tokio::task::spawn_blocking(move || runner.ensure_running(&[])).await??;
                    pg.ensure_database(EMBEDDED_DATABASE).await?;
                    println!("{}", pg.url(EMBEDDED_DATABASE));
                }
                DbAction::Stop => pg.stop()?,
            }
            Ok(())
        }
    }
}

fn suggester(action: SuggesterAction, data: &Path) -> anyhow::Result<()> {
    use crate::domain::suggest::{self, labelled, model::Model, train};
    let text =
        std::fs::read_to_string(data).with_context(|| format!("reading {}", data.display()))?;
    let rows = labelled::read(&text).map_err(|e| anyhow::anyhow!("{}: {e}", data.display()))?;
    match action {
        SuggesterAction::Train { out } => {
            let examples = labelled::training_examples(&rows);
            let bytes = Model::encode(&train::train(&examples, train::Settings::default()));
            std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
            println!(
                "trained on {} messages; wrote {} ({} bytes, sha256 {})",
                examples.len(),
                out.display(),
                bytes.len(),
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes))
            );
        }
        SuggesterAction::Evaluate => {
            let learned = labelled::evaluate(&rows, labelled::Split::Test, suggest::suggest);
            let keywords =
                labelled::evaluate(&rows, labelled::Split::Test, suggest::keywords::suggest);
            println!(
                "## Value suggester on the held-out test split ({})
",
                data.display()
            );
            println!("{}", learned.markdown("Learned model (shipped)"));
            println!("{}", keywords.markdown("Keyword baseline (English cues)"));
        }
        SuggesterAction::Try { message } => {
            let s = suggest::suggest(&message);
            println!(
                "{} (confidence {:.3}{})",
                s.value.code(),
                s.confidence,
                if s.unsure { ", would ask" } else { "" }
            );
            for (value, cue) in &s.cues {
                println!("  {cue:<20} {}", value.code());
            }
        }
        SuggesterAction::CrossValidate => {
            let base = train::Settings::default();
            println!("| epochs | learning rate | l2 | 5-fold accuracy (train split) |");
            println!("|---:|---:|---:|---:|");
            for (epochs, learning_rate, l2) in [
                (20, 0.5, 1e-5),
                (40, 0.5, 1e-5),
                (40, 1.0, 1e-5),
                (40, 0.2, 1e-5),
                (40, 0.2, 1e-4),
                (40, 0.2, 1e-3),
                (40, 0.1, 1e-5),
            ] {
                let settings = train::Settings {
                    epochs,
                    learning_rate,
                    l2,
                    ..base
                };
                let (accuracy, _, _) =
                    labelled::rates(&labelled::cross_validate(&rows, settings, 5), 0.0);
                println!(
                    "| {epochs} | {learning_rate} | {l2} | {:.1}% |",
                    accuracy * 100.0
                );
            }
            let shipped = labelled::cross_validate(&rows, base, 5);
            println!("\nWith the shipped settings, asking below a confidence of:\n");
            println!("| threshold | valued messages asked about | no-value messages asked about |");
            println!("|---:|---:|---:|");
            for threshold in [0.3, 0.4, 0.5, 0.6, 0.7] {
                let (_, asked, none_asked) = labelled::rates(&shipped, threshold);
                let mark = if threshold == suggest::ASK_BELOW {
                    " (shipped)"
                } else {
                    ""
                };
                println!(
                    "| {threshold}{mark} | {:.1}% | {:.1}% |",
                    asked * 100.0,
                    none_asked * 100.0
                );
            }
        }
    }
    Ok(())
}

async fn serve(mut config: Config) -> anyhow::Result<()> {
    telemetry::init(config.log_format);
    let embedded = use_embedded_if_unset(&mut config).await?;
    resolve_jwt_secret(&mut config, embedded.is_some())?;
    let demo_data = config.demo;
    let timezone = config.timezone;
    let printable_config = config.clone();
    let application = Application::build(config).await?;
    let mut praise_handle = None;
    if demo_data {
        demo::seed_if_empty(application.pool(), chrono::Utc::now(), timezone).await?;
        praise_handle = demo::praise_handle(application.pool()).await?;
    }
    print_banner(
        &printable_config,
        application.port(),
        embedded.is_some(),
        praise_handle.as_deref(),
    );
    let outcome = application.run_until_stopped().await;
    if let Some((pg, true)) = &embedded {
        pg.stop()?;
    }
    outcome.context("running the HTTP server")
}

/// Without `DATABASE_URL`, starts (or reuses) the embedded cluster and points the config at it.
/// Returns the cluster and whether this process started it.
async fn use_embedded_if_unset(
    config: &mut Config,
) -> anyhow::Result<Option<(EmbeddedPostgres, bool)>> {
    if config.database_url.is_some() {
        return Ok(None);
    }
    let pg = EmbeddedPostgres::new(&config.data_dir.join("postgres"))?;
    let runner = pg.clone();
    let started = tokio::task::spawn_blocking(move || runner.ensure_running(&[])).await??;
    pg.ensure_database(EMBEDDED_DATABASE).await?;
    config.database_url = Some(SecretString::from(pg.url(EMBEDDED_DATABASE)));
    Ok(Some((pg, started)))
}

/// With the embedded database and no `SHOUTOUT_JWT_SECRET`, a random secret is generated once
/// into the data folder, so `serve` and `token` agree without any set-up. With a real database
/// the secret must be configured. `embedded`: the database is the embedded one, started for
/// this run (its address is not always under the data folder: a deep folder puts its socket
/// in a short one elsewhere).
fn resolve_jwt_secret(config: &mut Config, embedded: bool) -> anyhow::Result<()> {
    if config.jwt_secret.is_some() {
        config.checked_jwt_secret()?;
        return Ok(());
    }
    if config.mode == crate::config::Mode::Production
        || (config.database_url.is_some() && !embedded)
    {
        anyhow::bail!(
            "SHOUTOUT_JWT_SECRET is not set (at least 32 bytes; e.g. `openssl rand -hex 32`)"
        );
    }
    config.jwt_secret = Some(SecretString::from(dev_secret(&config.data_dir)?));
    Ok(())
}

fn dev_secret(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("jwt-secret");
    if let Ok(secret) = std::fs::read_to_string(&path) {
        return Ok(secret.trim().to_owned());
    }
    std::fs::create_dir_all(data_dir)?;
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    Ok(secret)
}

fn print_banner(config: &Config, port: u16, embedded: bool, praise_handle: Option<&str>) {
    let host = config.bind.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
    let host = if host == "0.0.0.0" || host == "[::]" {
        "127.0.0.1"
    } else {
        host
    };
    let base = format!("http://{host}:{port}");
    println!();
    println!("  Shoutout is running at {base}");
    println!("  API reference:  {base}/docs/");
    println!(
        "  Database:       {}",
        if embedded {
            format!(
                "embedded PostgreSQL in {}",
                config.data_dir.join("postgres").display()
            )
        } else {
            "DATABASE_URL".to_owned()
        }
    );
    if config.demo {
        let admin = auth::mint_token(
            config,
            demo::ADMIN_SUBJECT,
            &[Role::Admin, Role::Manager],
            chrono::Duration::hours(12),
        );
        let staff = auth::mint_token(
            config,
            demo::STAFF_SUBJECT,
            &[Role::Employee],
            chrono::Duration::hours(12),
        );
        println!("  Demo intranet page (widgets, live wall): {base}/demo");
        println!("  Console (development sign-in, pick anyone): {base}/console/");
        if let (Ok(admin), Ok(staff)) = (admin, staff) {
            println!();
            println!("  Demo tokens (12 hours):");
            println!("    export ADMIN_TOKEN={admin}");
            println!("    export TOKEN={staff}");
            println!("  Try:");
            println!(
                "    curl -H \"Authorization: Bearer $TOKEN\" {base}/api/v1/shoutouts?limit=3"
            );
        }
        if let Some(handle) = praise_handle {
            println!("  Thank the demo employee as a customer would: {base}/praise/{handle}");
            println!(
                "  then approve it: curl -H \"Authorization: Bearer $ADMIN_TOKEN\" {base}/api/v1/moderation/shoutouts"
            );
        }
    }
    println!("  Stop with Ctrl-C.");
    println!();
}
