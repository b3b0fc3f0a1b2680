//! `termino audit`, `termino operator`, `termino breach` and `termino
//! records`.

use chrono::Utc;
use termino_app::Clock;
use termino_app::breach::NewIncident;
use termino_domain::breach::{both_zones, clock_text};

use crate::cli::{
    AuditCommand, BreachCommand, OperatorCommand, RecordsCommand, clock_at, describe,
};
use crate::config::Settings;
use crate::server;

pub async fn audit(settings: &Settings, cmd: AuditCommand) -> anyhow::Result<()> {
    let AuditCommand::Verify { tenant } = cmd;
    let app = server::build_app(settings, Clock::system()).await?;
    let verdicts = match tenant {
        Some(slug) => {
            let t = termino_store::repo::tenants::find_by_slug(app.db().connection(), &slug)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no such business"))?;
            vec![app.verify_audit(t.id).await.map_err(describe)?]
        }
        None => app.verify_all_audit().await.map_err(describe)?,
    };
    let mut broken = 0;
    for v in &verdicts {
        match &v.result {
            Ok(r) => println!(
                "{}: intact, {} entries, {}",
                v.tenant,
                r.entries,
                crate::cli::keyed_text(r)
            ),
            Err(b) => {
                broken += 1;
                println!("{}: BROKEN at entry {}: it {}", v.tenant, b.seq, b.problem);
            }
        }
    }
    if broken > 0 {
        anyhow::bail!("{broken} of {} audit logs are broken", verdicts.len());
    }
    println!("{} audit logs intact", verdicts.len());
    Ok(())
}

pub async fn operator(settings: &Settings, cmd: OperatorCommand) -> anyhow::Result<()> {
    let OperatorCommand::Create { email, name } = cmd;
    let password = std::env::var("TERMINO_OPERATOR_PASSWORD").map_err(|_| {
        anyhow::anyhow!("set TERMINO_OPERATOR_PASSWORD to the new operator's password")
    })?;
    let app = server::build_app(settings, Clock::system()).await?;
    let id = app
        .create_operator(&email, &name, &password)
        .await
        .map_err(describe)?;
    println!("created operator {id}");
    Ok(())
}

async fn operator_id(app: &termino_app::App, email: &str) -> anyhow::Result<uuid::Uuid> {
    termino_store::repo::accountability::operator_by_email(
        app.db().connection(),
        &email.trim().to_lowercase(),
    )
    .await?
    .map(|o| o.id)
    .ok_or_else(|| {
        anyhow::anyhow!("no operator with this e-mail; create one with `termino operator create`")
    })
}

fn print_incident(app: &termino_app::App, i: &termino_app::breach::Incident) {
    let now = app.now();
    let r = &i.row;
    println!("{} ({})", r.reference, r.status);
    println!("aware: {}", both_zones(r.aware_at));
    println!("notify by: {}", both_zones(i.notify_by()));
    println!("notify by (UTC): {}", i.notify_by().to_rfc3339());
    if r.status == "open" {
        println!("clock: {}", clock_text(r.aware_at, now));
    }
    println!(
        "window: {} .. {}",
        r.window_start.to_rfc3339(),
        r.window_end.to_rfc3339()
    );
    println!(
        "exposure: {}; encrypted: {}; key exposed: {}",
        r.exposure, r.encrypted, r.key_exposed
    );
    println!("affected businesses: {}", i.notices.len());
}

pub async fn breach(settings: &Settings, cmd: BreachCommand) -> anyhow::Result<()> {
    match cmd {
        BreachCommand::Open(o) => {
            let app = server::build_app(settings, clock_at(o.as_of)).await?;
            let operator = operator_id(&app, &o.operator).await?;
            let incident = app
                .open_incident(
                    operator,
                    NewIncident {
                        aware_at: Some(o.aware_at.with_timezone(&Utc)),
                        window_start: Some(o.window_start.with_timezone(&Utc)),
                        window_end: Some(o.window_end.with_timezone(&Utc)),
                        nature: o.nature,
                        systems: o.systems,
                        categories: o.categories,
                        exposure: o.exposure,
                        encrypted: o.encrypted,
                        key_exposed: o.key_exposed,
                        consequences: o.consequences,
                        measures: o.measures,
                    },
                )
                .await
                .map_err(describe)?;
            print_incident(&app, &incident);
            for n in &incident.notices {
                let slug =
                    termino_store::repo::tenants::find_by_id(app.db().connection(), n.tenant_id)
                        .await?
                        .map(|t| t.slug)
                        .unwrap_or_default();
                println!(
                    "notified {slug}: {} data subjects, {} records",
                    n.data_subjects, n.records
                );
            }
        }
        BreachCommand::List { as_of } => {
            let app = server::build_app(settings, clock_at(as_of)).await?;
            for i in app.incidents().await.map_err(describe)? {
                let clock = if i.row.status == "open" {
                    clock_text(i.row.aware_at, app.now())
                } else {
                    format!(
                        "closed {}",
                        i.row.closed_at.map(|t| t.to_rfc3339()).unwrap_or_default()
                    )
                };
                println!(
                    "{}  {}  {} businesses  {clock}  {}",
                    i.row.reference,
                    i.row.status,
                    i.notices.len(),
                    i.row.nature
                );
            }
        }
        BreachCommand::Show { reference, as_of } => {
            let app = server::build_app(settings, clock_at(as_of)).await?;
            let i = app
                .incident_by_reference(&reference)
                .await
                .map_err(describe)?;
            print_incident(&app, &i);
            for n in &i.notices {
                let delivered = app.notice_delivered_at(n).await.map_err(describe)?;
                println!(
                    "notice to {}: {} data subjects, {} records; e-mail {}; panel {}; decision: {}",
                    n.tenant_id,
                    n.data_subjects,
                    n.records,
                    delivered.map_or("not yet delivered".into(), |t| format!(
                        "delivered {}",
                        t.to_rfc3339()
                    )),
                    n.seen_at.map_or("not yet seen".into(), |t| format!(
                        "seen {}",
                        t.to_rfc3339()
                    )),
                    n.business_decision.as_deref().unwrap_or("none yet"),
                );
            }
            for u in &i.updates {
                println!(
                    "update {} [{}] {}: {}",
                    u.seq,
                    u.at.to_rfc3339(),
                    u.phase,
                    u.body
                );
            }
            if let Some(report) = &i.row.report {
                println!("\n{report}");
            }
        }
        BreachCommand::Update {
            reference,
            operator,
            phase,
            body,
            as_of,
        } => {
            let app = server::build_app(settings, clock_at(as_of)).await?;
            let operator = operator_id(&app, &operator).await?;
            let i = app
                .incident_by_reference(&reference)
                .await
                .map_err(describe)?;
            let i = app
                .add_incident_update(operator, i.row.id, &phase, &body)
                .await
                .map_err(describe)?;
            println!(
                "{}: update {} sent to {} businesses",
                reference,
                i.updates.len(),
                i.notices.len()
            );
        }
        BreachCommand::Escalate { as_of } => {
            let app = server::build_app(settings, clock_at(as_of)).await?;
            let now = app.now();
            let sent = app.escalate_incidents(now).await.map_err(describe)?;
            println!("escalations as of {}: {}", now.to_rfc3339(), sent.len());
            for e in sent {
                println!("escalated {} at {} h to {}", e.reference, e.hours, e.to);
            }
        }
        BreachCommand::Close {
            reference,
            decision,
            as_of,
        } => {
            let app = server::build_app(settings, clock_at(as_of)).await?;
            let i = app
                .incident_by_reference(&reference)
                .await
                .map_err(describe)?;
            let i = app
                .close_incident(i.row.id, &decision)
                .await
                .map_err(describe)?;
            println!("{}", i.row.report.unwrap_or_default());
        }
    }
    Ok(())
}

pub async fn records(settings: &Settings, cmd: RecordsCommand) -> anyhow::Result<()> {
    let RecordsCommand::Processor = cmd;
    let app = server::build_app(settings, Clock::system()).await?;
    print!("{}", app.processor_record().await.map_err(describe)?);
    Ok(())
}
