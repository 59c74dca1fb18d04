//! The `shoutout` binary: parses the command line and hands over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = shoutout::cli::Cli::parse();
    match shoutout::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("shoutout: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
