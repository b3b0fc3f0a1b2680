//! The `termino` command.

use clap::{Args, Parser, Subcommand};
use termino_app::Clock;
use termino_app::accounts::SignupInput;
use termino_crypto::{Kek, LocalKek, MasterKey};

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
    /// Encryption keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Retention: reminders, purges, deletion requests, client retention.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// The data-processing agreement.
    #[command(subcommand)]
    Dpa(DpaCommand),
    /// Termino's sub-processors.
    #[command(subcommand)]
    Subprocessors(SubprocessorsCommand),
    /// The businesses' audit logs.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Termino's operators (separate from every business's accounts).
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// The breach register (GDPR Art. 33).
    #[command(subcommand)]
    Breach(BreachCommand),
    /// Records of processing (GDPR Art. 30).
    #[command(subcommand)]
    Records(RecordsCommand),
    /// Background work (mail, webhooks, jobs).
    #[command(subcommand)]
    Jobs(JobsCommand),
}

#[derive(Subcommand, Debug)]
pub enum JobsCommand {
    /// Runs one step of the background worker now: everything due is sent
    /// or done, then it exits (for servers started with TERMINO_WORKER=false,
    /// or to drain a queue by hand).
    Run,
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Checks every business's chain (or one's); exits non-zero if any is
    /// edited, has a gap or is out of order.
    Verify {
        /// A business's slug; all businesses when absent.
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum OperatorCommand {
    /// Creates an operator account (the password from
    /// TERMINO_OPERATOR_PASSWORD, so it stays out of shell history).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Args, Debug)]
pub struct BreachOpen {
    /// The operator recording it (e-mail).
    #[arg(long)]
    pub operator: String,
    /// When Termino became aware (RFC 3339); the 72 hours run from here.
    #[arg(long)]
    pub aware_at: chrono::DateTime<chrono::FixedOffset>,
    #[arg(long)]
    pub window_start: chrono::DateTime<chrono::FixedOffset>,
    #[arg(long)]
    pub window_end: chrono::DateTime<chrono::FixedOffset>,
    /// What happened.
    #[arg(long)]
    pub nature: String,
    /// Systems involved, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub systems: Vec<String>,
    /// Data categories, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub categories: Vec<String>,
    /// `window` (data written or read in the window) or `stored`
    /// (everything stored at its end).
    #[arg(long, default_value = "window")]
    pub exposure: String,
    /// The data was encrypted.
    #[arg(long)]
    pub encrypted: bool,
    /// An encryption key was exposed.
    #[arg(long)]
    pub key_exposed: bool,
    #[arg(long, default_value = "")]
    pub consequences: String,
    #[arg(long, default_value = "")]
    pub measures: String,
    #[arg(long)]
    pub as_of: Option<chrono::DateTime<chrono::FixedOffset>>,
}

#[derive(Subcommand, Debug)]
pub enum BreachCommand {
    /// Opens an incident and notifies every affected business at once.
    Open(BreachOpen),
    /// The register, newest first, with each clock.
    List {
        #[arg(long)]
        as_of: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
    /// One incident: facts, clock, notices and their delivery.
    Show {
        reference: String,
        #[arg(long)]
        as_of: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
    /// Adds a phase of further information, sent to the businesses.
    Update {
        reference: String,
        #[arg(long)]
        operator: String,
        #[arg(long)]
        phase: String,
        #[arg(long)]
        body: String,
        #[arg(long)]
        as_of: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
    /// Sends the escalations due (24, 48, 60 h) as the server does each
    /// minute.
    Escalate {
        #[arg(long)]
        as_of: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
    /// Closes an incident with the decision and prints the report.
    Close {
        reference: String,
        /// Notified or not, and why (Art. 33(5)).
        #[arg(long)]
        decision: String,
        #[arg(long)]
        as_of: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
}

#[derive(Subcommand, Debug)]
pub enum RecordsCommand {
    /// Termino's record as processor, from the live configuration.
    Processor,
}

#[derive(Subcommand, Debug)]
pub enum RetentionCommand {
    /// Runs the retention job now (as the server does every hour), unless
    /// another node is running it.
    Run {
        /// Apply the rules as of this time (RFC 3339) instead of now.
        #[arg(long)]
        as_of: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
    /// Lists the deletion certificates and checks each one's digest.
    Certificates,
}

#[derive(Subcommand, Debug)]
pub enum DpaCommand {
    /// Checks every entry of the acceptance ledger and every link between
    /// them; exits non-zero at the first break.
    Verify,
    /// Publishes a new version; businesses that accepted an earlier one are
    /// told and have TERMINO_DPA_ACCEPT_DAYS to accept it.
    Publish {
        #[arg(long)]
        version: String,
        /// The English text (Markdown).
        #[arg(long)]
        en: std::path::PathBuf,
        /// The Polish text (Markdown).
        #[arg(long)]
        pl: std::path::PathBuf,
        #[arg(long)]
        as_of: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
}

#[derive(Subcommand, Debug)]
pub enum SubprocessorsCommand {
    /// Prints the list in force and the planned changes.
    List,
    /// Announces a change to every business (at least 30 days ahead).
    Announce {
        /// Name of a sub-processor to add (with --purpose, --location, --transfer).
        #[arg(long)]
        add: Option<String>,
        #[arg(long, default_value = "")]
        purpose: String,
        #[arg(long, default_value = "")]
        location: String,
        #[arg(long, default_value = "")]
        transfer: String,
        /// Name of a sub-processor to remove (repeatable).
        #[arg(long)]
        remove: Vec<String>,
        /// When it takes effect (RFC 3339); 30 days from now when absent.
        #[arg(long)]
        effective: Option<chrono::DateTime<chrono::FixedOffset>>,
        #[arg(long, default_value = "")]
        summary: String,
        #[arg(long)]
        as_of: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
}

/// A clock that reads `as_of` now (and moves on from there).
pub(crate) fn clock_at(as_of: Option<chrono::DateTime<chrono::FixedOffset>>) -> Clock {
    let clock = Clock::system();
    if let Some(t) = as_of {
        clock.advance(t.with_timezone(&chrono::Utc) - chrono::Utc::now());
    }
    clock
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// New data-key version for a business; every sealed value is
    /// re-encrypted, then the old version is destroyed. A rotation that was
    /// interrupted is finished first. Progress on stderr (on a terminal).
    Rotate {
        #[arg(long)]
        tenant: String,
    },
    /// Crypto-shredding: destroys every key of a business. Its client data
    /// becomes unreadable for good, backups included.
    Destroy {
        #[arg(long)]
        tenant: String,
        /// Required: there is no undo.
        #[arg(long)]
        yes: bool,
    },
    /// Re-wraps every tenant key under a new master key (no data is
    /// re-encrypted). The file is created with a fresh key if it does not
    /// exist. Afterwards start Termino with the new key.
    RotateMaster {
        #[arg(long)]
        new_key_file: std::path::PathBuf,
    },
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
        /// `area:read|write` (repeatable); every scope when absent.
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
}

pub(crate) fn describe(err: termino_app::AppError) -> anyhow::Error {
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
                    dpa: None,
                })
                .await
                .map_err(describe)?;
            println!("created business {} ({})", business.slug, business.id);
            Ok(())
        }
        Command::Keys(cmd) => keys(&settings, cmd).await,
        Command::Retention(cmd) => retention(&settings, cmd).await,
        Command::Dpa(cmd) => dpa(&settings, cmd).await,
        Command::Subprocessors(cmd) => subprocessors(&settings, cmd).await,
        Command::Audit(cmd) => crate::cli_accountability::audit(&settings, cmd).await,
        Command::Operator(cmd) => crate::cli_accountability::operator(&settings, cmd).await,
        Command::Breach(cmd) => crate::cli_accountability::breach(&settings, cmd).await,
        Command::Records(cmd) => crate::cli_accountability::records(&settings, cmd).await,
        Command::Jobs(JobsCommand::Run) => {
            let app = server::build_app(&settings, Clock::system()).await?;
            let done = app.run_pending_jobs().await;
            println!(
                "sent {} mails and {} webhook deliveries; jobs: {} done, {} to retry, {} failed",
                done.mail, done.webhooks, done.jobs.done, done.jobs.retried, done.jobs.failed
            );
            Ok(())
        }
        Command::ApiKey(ApiKeyCommand::Create {
            tenant,
            name,
            scopes,
        }) => {
            let app = server::build_app(&settings, Clock::system()).await?;
            let created = app
                .create_api_key_for_slug(&tenant, &name, &scopes)
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
            // A made-up business to look around in accepts the agreement
            // with a made-up tax id, so that its booking page works.
            dpa: Some((
                termino_app::dpa::DpaAcceptanceInput {
                    version: app.current_dpa().await.map_err(describe)?.version,
                    language: "en".into(),
                    company_name: "Studio Demo".into(),
                    tax_id: "1234567883".into(),
                    authority_confirmed: true,
                },
                termino_app::dpa::AcceptanceMeta {
                    ip: String::new(),
                    user_agent: "termino demo".into(),
                    method: "cli",
                },
            )),
        })
        .await;
    match created {
        Ok((business, owner)) => {
            demo_catalog(&app, &business, owner).await?;
            println!("created the demo business with a service and a staff member");
        }
        Err(termino_app::AppError::Conflict { .. }) => {
            app.set_password_for_email(email, &password)
                .await
                .map_err(describe)?;
            println!("the demo business exists; its password was renewed");
        }
        Err(other) => return Err(describe(other)),
    }
    println!("log in at {}/login", settings.public_url);
    println!("book at  {}/b/demo", settings.public_url);
    println!("  e-mail:   {email}");
    println!("  password: {password}");
    Ok(())
}

/// A staff member working weekdays and a service, so that the booking
/// page has times to show.
async fn demo_catalog(
    app: &termino_app::App,
    business: &termino_app::accounts::Business,
    owner: uuid::Uuid,
) -> anyhow::Result<()> {
    use termino_app::auth::{Actor, Principal};
    use termino_app::catalog::{ServiceInput, StaffInput};
    let owner = Principal {
        tenant: termino_app::TenantScope::authenticated(business.id),
        tenant_slug: business.slug.clone(),
        actor: Actor::User {
            user_id: owner,
            role: termino_domain::account::Role::Owner,
            csrf_token: String::new(),
        },
    };
    let staff = app
        .create_staff(
            &owner,
            StaffInput {
                name: "Ola".into(),
                user_id: None,
                time_zone: None,
                active: true,
            },
        )
        .await
        .map_err(describe)?;
    let weekday = vec![("09:00".to_string(), "17:00".to_string())];
    let week = [
        weekday.clone(),
        weekday.clone(),
        weekday.clone(),
        weekday.clone(),
        weekday,
        vec![("10:00".to_string(), "14:00".to_string())],
        Vec::new(),
    ];
    app.set_working_hours(&owner, staff.id, &week)
        .await
        .map_err(describe)?;
    app.create_service(
        &owner,
        ServiceInput {
            name: "Haircut".into(),
            description: "Wash, cut and style.".into(),
            duration_min: 45,
            price_minor: 12_000,
            currency: "PLN".into(),
            buffer_before_min: 0,
            buffer_after_min: 15,
            min_notice_min: 60,
            max_advance_days: 90,
            step_min: 15,
            capacity: 1,
            requires_approval: false,
            active: true,
            staff_ids: vec![staff.id],
            ..ServiceInput::default()
        },
    )
    .await
    .map_err(describe)?;
    Ok(())
}

async fn tenant_id(app: &termino_app::App, slug: &str) -> anyhow::Result<uuid::Uuid> {
    termino_store::repo::tenants::find_by_slug(app.db().connection(), slug)
        .await?
        .map(|t| t.id)
        .ok_or_else(|| anyhow::anyhow!("no business with the slug {slug:?}"))
}

async fn keys(settings: &Settings, cmd: KeysCommand) -> anyhow::Result<()> {
    let app = server::build_app(settings, Clock::system()).await?;
    match cmd {
        KeysCommand::Rotate { tenant } => {
            let id = tenant_id(&app, &tenant).await?;
            rotate(&app, &tenant, id).await?;
        }
        KeysCommand::Destroy { tenant, yes } => {
            if !yes {
                anyhow::bail!(
                    "this destroys every key of {tenant} and its client data for good; add --yes"
                );
            }
            let id = tenant_id(&app, &tenant).await?;
            let n = app.destroy_tenant_keys(id).await.map_err(describe)?;
            println!("{tenant}: {n} keys destroyed; its client data is now unreadable");
        }
        KeysCommand::RotateMaster { new_key_file } => {
            let new_key = if new_key_file.exists() {
                let text = std::fs::read_to_string(&new_key_file)?;
                MasterKey::from_base64(&text).map_err(|_| {
                    anyhow::anyhow!("{} does not hold a master key", new_key_file.display())
                })?
            } else {
                let key = MasterKey::generate();
                server::write_new_key_file(&new_key_file, &key)?;
                key
            };
            let new_kek = LocalKek::new(new_key);
            let n = app.keys().rewrap_all(&new_kek).await.map_err(describe)?;
            println!(
                "re-wrapped {n} tenant keys under master key {}; start Termino with TERMINO_MASTER_KEY_FILE={}",
                new_kek.id(),
                new_key_file.display()
            );
        }
    }
    Ok(())
}

/// `termino keys rotate`: a progress line per table on a terminal, then
/// what was done.
async fn rotate(app: &termino_app::App, tenant: &str, id: uuid::Uuid) -> anyhow::Result<()> {
    use std::io::{IsTerminal, Write};
    use termino_app::rotation::{ProgressFn, RotationOptions, RotationProgress};
    let progress = std::io::stderr().is_terminal().then(|| {
        Box::new(|p: &RotationProgress| {
            let mut err = std::io::stderr();
            let _ = write!(err, "\r\x1b[K{}: {} of {} rows", p.table, p.done, p.total);
            if p.done >= p.total {
                let _ = writeln!(err);
            }
        }) as ProgressFn
    });
    let options = RotationOptions {
        progress,
        ..RotationOptions::default()
    };
    let report = app
        .rotate_tenant_key_with(id, &options)
        .await
        .map_err(describe)?;
    for (table, rows) in &report.tables {
        println!("{table}: {rows} rows re-encrypted");
    }
    if report.unreadable > 0 {
        println!(
            "{} values do not decrypt (damaged); they keep their key version",
            report.unreadable
        );
    }
    if !report.finished {
        anyhow::bail!(
            "{tenant}: the rotation to version {} did not finish; run it again to finish it",
            report.version
        );
    }
    println!(
        "{tenant}: {} data key version {} is active; {} rows re-encrypted; destroyed versions {:?}",
        if report.resumed {
            "the interrupted rotation is finished:"
        } else {
            "rotated:"
        },
        report.version,
        report.reencrypted,
        report.destroyed
    );
    Ok(())
}

async fn retention(settings: &Settings, cmd: RetentionCommand) -> anyhow::Result<()> {
    match cmd {
        RetentionCommand::Run { as_of } => {
            let app = server::build_app(settings, clock_at(as_of)).await?;
            let holder = format!("cli-{}", std::process::id());
            let now = app.now();
            match app
                .run_retention(now, &holder, false)
                .await
                .map_err(describe)?
            {
                None => println!("another node is running the retention job; nothing done"),
                Some(report) => {
                    println!("retention as of {}", now.to_rfc3339());
                    for (tenant, days) in &report.reminders {
                        println!("reminded {tenant}: purge in {days} days");
                    }
                    for c in &report.purged {
                        println!(
                            "purged {} ({}): certificate {} digest {}",
                            c.tenant_id, c.reason, c.id, c.digest
                        );
                    }
                    for tenant in &report.failed {
                        println!("failed {tenant}: retried on the next run");
                    }
                    println!("{}", report.summary());
                    if !report.failed.is_empty() {
                        anyhow::bail!(
                            "retention failed for {} businesses (the others were done)",
                            report.failed.len()
                        );
                    }
                }
            }
        }
        RetentionCommand::Certificates => {
            let app = server::build_app(settings, Clock::system()).await?;
            let all = termino_store::repo::compliance::certificates(app.db().connection()).await?;
            let mut broken = 0;
            for c in &all {
                let ok = termino_app::retention::certificate_intact(c);
                if !ok {
                    broken += 1;
                }
                println!(
                    "{} business {} ({}) {} finished {} keys {} rows {} {}",
                    c.id,
                    c.tenant_id,
                    c.slug,
                    c.reason,
                    c.finished_at.to_rfc3339(),
                    c.keys_destroyed,
                    c.rows_deleted,
                    if ok { "intact" } else { "DIGEST MISMATCH" }
                );
            }
            if broken > 0 {
                anyhow::bail!("{broken} certificates do not match their digest");
            }
        }
    }
    Ok(())
}

async fn dpa(settings: &Settings, cmd: DpaCommand) -> anyhow::Result<()> {
    match cmd {
        DpaCommand::Verify => {
            let app = server::build_app(settings, Clock::system()).await?;
            match app.verify_dpa_ledger().await.map_err(describe)? {
                Ok(r) => println!(
                    "the acceptance ledger is intact: {} entries, {}",
                    r.entries,
                    keyed_text(&r)
                ),
                Err(b) => anyhow::bail!(
                    "the acceptance ledger is broken at entry {}: it {}",
                    b.seq,
                    b.problem
                ),
            }
        }
        DpaCommand::Publish {
            version,
            en,
            pl,
            as_of,
        } => {
            let app = server::build_app(settings, clock_at(as_of)).await?;
            let en = std::fs::read_to_string(&en)?;
            let pl = std::fs::read_to_string(&pl)?;
            if app
                .publish_dpa(&version, &en, &pl, app.now())
                .await
                .map_err(describe)?
            {
                println!("published version {version}");
            } else {
                println!("version {version} was already published");
            }
        }
    }
    Ok(())
}

/// Which entries of a chain that verified are keyed.
pub fn keyed_text(r: &termino_crypto::chain::ChainReport) -> String {
    match r.unkeyed {
        0 => "all keyed".into(),
        u if u == r.entries => {
            format!("all unkeyed (1–{u}, written before keyed chains, as recorded then)")
        }
        u => format!(
            "1–{u} unkeyed (written before keyed chains, as recorded then), {}–{} keyed",
            u + 1,
            r.entries
        ),
    }
}

async fn subprocessors(settings: &Settings, cmd: SubprocessorsCommand) -> anyhow::Result<()> {
    match cmd {
        SubprocessorsCommand::List => {
            let app = server::build_app(settings, Clock::system()).await?;
            let list = app.subprocessor_list().await.map_err(describe)?;
            println!(
                "version {} in effect since {}",
                list.version,
                list.effective_at.to_rfc3339()
            );
            for s in &list.entries {
                println!(
                    "  {} — {} — {} — {}",
                    s.name, s.purpose, s.location, s.transfer_mechanism
                );
            }
            for c in &list.planned {
                println!(
                    "planned version {} from {}: {}",
                    c.version,
                    c.effective_at.to_rfc3339(),
                    c.summary
                );
            }
        }
        SubprocessorsCommand::Announce {
            add,
            purpose,
            location,
            transfer,
            remove,
            effective,
            summary,
            as_of,
        } => {
            let app = server::build_app(settings, clock_at(as_of)).await?;
            let version = app
                .announce_subprocessor_change(termino_app::subprocessors::ChangeInput {
                    add: add
                        .into_iter()
                        .map(|name| termino_app::subprocessors::Subprocessor {
                            name,
                            purpose: purpose.clone(),
                            location: location.clone(),
                            transfer_mechanism: transfer.clone(),
                        })
                        .collect(),
                    remove,
                    effective_at: effective.map(|t| t.with_timezone(&chrono::Utc)),
                    summary,
                })
                .await
                .map_err(describe)?;
            println!(
                "announced version {version} of the sub-processor list; every business was told"
            );
        }
    }
    Ok(())
}
