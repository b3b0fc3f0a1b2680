//! The `termino` command.

use clap::{Args, Parser, Subcommand};
use termino_app::Clock;
use termino_app::accounts::SignupInput;

use crate::config::Settings;
use crate::server;

#[derive(Parser, Debug)]
#[command(
    name = "termino",
    version,
    about = "Online booking for businesses, with the law built in."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Create (or refresh) a demo business to look around in.
    Demo,
    /// Businesses.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// API keys.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
}

#[derive(Subcommand, Debug)]
pub enum TenantCommand {
    /// Create a business with its owner (the trial starts now).
    Create(TenantCreate),
}

#[derive(Args, Debug)]
pub struct TenantCreate {
    #[arg(long)]
    pub slug: String,
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub owner_email: String,
    #[arg(long)]
    pub password: String,
    #[arg(long)]
    pub owner_name: Option<String>,
    #[arg(long, default_value = "")]
    pub phone: String,
    #[arg(long, default_value = "Europe/Warsaw")]
    pub time_zone: String,
    #[arg(long, default_value = "pl")]
    pub language: String,
}

#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Create an API key; the key is printed once, as the last line.
    Create {
        /// The business's slug.
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
    },
}

fn describe(err: termino_app::AppError) -> anyhow::Error {
    match err {
        termino_app::AppError::Invalid(errors) => {
            let lines: Vec<String> = errors
                .0
                .iter()
                .map(|e| format!("  {}: {}", e.field, e.message))
                .collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        termino_app::AppError::NotFound => anyhow::anyhow!("no such business"),
        other => anyhow::anyhow!("{other}"),
    }
}

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => server::serve(settings).await,
        Command::Migrate => {
            server::build_app(&settings, Clock::system()).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Demo => demo(&settings).await,
        Command::Tenant(TenantCommand::Create(args)) => {
            let app = server::build_app(&settings, Clock::system()).await?;
            let owner_name = args.owner_name.unwrap_or_else(|| {
                args.owner_email
                    .split('@')
                    .next()
                    .unwrap_or("Owner")
                    .to_string()
            });
            let (business, _) = app
                .create_business(SignupInput {
                    company_name: args.name,
                    slug: args.slug,
                    owner_name,
                    email: args.owner_email,
                    phone: args.phone,
                    password: args.password,
                    time_zone: args.time_zone,
                    language: args.language,
                    phone_optional: true,
                })
                .await
                .map_err(describe)?;
            println!("created business {} ({})", business.slug, business.id);
            Ok(())
        }
        Command::ApiKey(ApiKeyCommand::Create { tenant, name }) => {
            let app = server::build_app(&settings, Clock::system()).await?;
            let created = app
                .create_api_key_for_slug(&tenant, &name)
                .await
                .map_err(describe)?;
            println!(
                "created API key {} for {tenant}; it is shown only now:",
                created.key.id
            );
            println!("{}", created.secret);
            Ok(())
        }
    }
}

/// The demo business: `demo` / demo@termino.localhost with a fresh random
/// password printed each time.
async fn demo(settings: &Settings) -> anyhow::Result<()> {
    let app = server::build_app(settings, Clock::system()).await?;
    let email = "demo@termino.localhost";
    let password = format!("demo-{}", hex::encode(rand::random::<[u8; 6]>()));
    let created = app
        .create_business(SignupInput {
            company_name: "Studio Demo".into(),
            slug: "demo".into(),
            owner_name: "Dana Demo".into(),
            email: email.into(),
            phone: "+48 601 234 567".into(),
            password: password.clone(),
            time_zone: "Europe/Warsaw".into(),
            language: "en".into(),
            phone_optional: true,
        })
        .await;
    match created {
        Ok(_) => println!("created the demo business"),
        Err(termino_app::AppError::Conflict { .. }) => {
            app.set_password_for_email(email, &password)
                .await
                .map_err(describe)?;
            println!("the demo business exists; its password was renewed");
        }
        Err(other) => return Err(describe(other)),
    }
    println!("log in at {}/login", settings.public_url);
    println!("  e-mail:   {email}");
    println!("  password: {password}");
    Ok(())
}
