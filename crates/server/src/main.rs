use clap::Parser;
use termino_server::cli::{Cli, run};
use termino_server::config::Settings;
use termino_server::telemetry;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(err) => {
            eprintln!("termino: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format);
    match run(cli, settings).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("termino: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
