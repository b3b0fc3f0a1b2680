//! The breach register (GDPR Arts. 33 and 34). An operator opens an
//! incident; Termino computes the affected businesses and, for each, the
//! approximate numbers of data subjects and records, drafts the
//! processor-to-controller notice, sends it by e-mail and as a panel alert
//! and records the delivery. The 72-hour clock from awareness runs in UTC;
//! escalations go out at 24, 48 and 60 hours while anything is outstanding;
//! updates come in phases; the incident is closed with a report, and every
//! incident stays in the register.

use crate::ConflictKind;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, SubsecRound, Utc};
use termino_domain::breach::{self as rules, both_zones, clock_text, escalations_reached};
use termino_domain::breach::{AffectedBusiness, IncidentFacts, individuals_exempt};
use termino_domain::business::Language;
use termino_notify::breach_letters::{
    Draft, client_notice, closing_report, processor_notice, uodo_draft,
};
use termino_notify::texts::Message;
use termino_store::repo::accountability::{self as repo, IncidentRow, NoticeRow};
use termino_store::repo::{compliance, tenants};
use termino_store::{TenantScope, commit};
use uuid::Uuid;

use crate::audit::{AuditActor, AuditEvent};
use crate::auth::Principal;
use crate::clients::ClientRecord;
use crate::{App, AppError, AppResult};

/// What the operator records when opening an incident.
#[derive(Debug, Clone, Default)]
pub struct NewIncident {
    pub aware_at: Option<DateTime<Utc>>,
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
    pub nature: String,
    pub systems: Vec<String>,
    pub categories: Vec<String>,
    /// `window`: what was written or read in the window; `stored`:
    /// everything stored at its end (a copy of the database).
    pub exposure: String,
    pub encrypted: bool,
    pub key_exposed: bool,
    pub consequences: String,
    pub measures: String,
}

/// One business's share of an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affected {
    pub tenant: Uuid,
    pub slug: String,
    pub data_subjects: i64,
    pub records: i64,
}

/// An incident with its notices and updates.
#[derive(Debug, Clone)]
pub struct Incident {
    pub row: IncidentRow,
    pub notices: Vec<NoticeRow>,
    pub updates: Vec<termino_store::repo::accountability::IncidentUpdateRow>,
}

impl Incident {
    pub fn notify_by(&self) -> DateTime<Utc> {
        rules::notify_by(self.row.aware_at)
    }

    pub fn systems(&self) -> Vec<String> {
        serde_json::from_str(&self.row.systems).unwrap_or_default()
    }

    pub fn categories(&self) -> Vec<String> {
        serde_json::from_str(&self.row.categories).unwrap_or_default()
    }
}

/// An escalation sent by [`App::escalate_incidents`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    pub reference: String,
    /// 24, 48 or 60.
    pub hours: i64,
    /// `operators` or a business's slug.
    pub to: String,
}

/// The business's view of an incident that touched it.
#[derive(Debug, Clone)]
pub struct BusinessIncident {
    pub incident: IncidentRow,
    pub notice: NoticeRow,
    pub updates: Vec<termino_store::repo::accountability::IncidentUpdateRow>,
    pub notify_by: DateTime<Utc>,
    pub clock: String,
    /// Art. 34(3)(a): encrypted and no key exposed.
    pub individuals_exempt: bool,
    pub uodo_draft: Draft,
    pub client_notice: Draft,
}

/// One business's exposed data subjects and records.
type Exposure = (BTreeSet<Uuid>, BTreeSet<(String, Uuid)>);

fn list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

fn clean(items: &[String]) -> Vec<String> {
    items
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

impl App {
    fn facts<'a>(
        &'a self,
        row: &'a IncidentRow,
        systems: &'a [String],
        categories: &'a [String],
    ) -> IncidentFacts<'a> {
        IncidentFacts {
            reference: &row.reference,
            aware_at: row.aware_at,
            window_start: row.window_start,
            window_end: row.window_end,
            nature: &row.nature,
            systems,
            categories,
            encrypted: row.encrypted,
            key_exposed: row.key_exposed,
            consequences: &row.consequences,
            measures: &row.measures,
            contact: &self.config().privacy_contact,
        }
    }

    /// The businesses whose data the window (or the stored data) touches.
    pub async fn affected_by(
        &self,
        window_start: DateTime<Utc>,
        window_end: DateTime<Utc>,
        stored: bool,
    ) -> AppResult<Vec<Affected>> {
        let db = self.db().connection();
        let records = repo::exposed_records(db, window_start, window_end, stored, None).await?;
        let mut by_tenant: BTreeMap<Uuid, Exposure> = BTreeMap::new();
        for r in records {
            let entry = by_tenant.entry(r.tenant_id).or_default();
            if let Some(c) = r.client_id {
                entry.0.insert(c);
            }
            entry.1.insert((r.kind, r.record_id));
        }
        let mut out = Vec::new();
        for (tenant, (subjects, records)) in by_tenant {
            // A purged business has no one left to tell.
            let Some(t) = tenants::find_by_id(db, tenant).await? else {
                continue;
            };
            out.push(Affected {
                tenant,
                slug: t.slug,
                data_subjects: subjects.len() as i64,
                records: records.len() as i64,
            });
        }
        Ok(out)
    }

    /// Opens an incident and notifies every affected business at once.
    pub async fn open_incident(&self, operator: Uuid, input: NewIncident) -> AppResult<Incident> {
        let mut errors = termino_domain::ValidationErrors::new();
        let now = self.now().trunc_subsecs(6);
        let aware_at = input.aware_at.map(|t| t.trunc_subsecs(6));
        let window_start = input.window_start.map(|t| t.trunc_subsecs(6));
        let window_end = input.window_end.map(|t| t.trunc_subsecs(6));
        if aware_at.is_none() {
            errors.add("aware_at", "required", "when did Termino become aware?");
        }
        if aware_at.is_some_and(|a| a > now) {
            errors.add("aware_at", "in_future", "must not be in the future");
        }
        match (window_start, window_end) {
            (Some(s), Some(e)) if s > e => errors.add(
                "window_end",
                "before_start",
                "must not be before window_start",
            ),
            (None, _) => errors.add("window_start", "required", "when did the breach start?"),
            (_, None) => errors.add("window_end", "required", "when did it end (or now)?"),
            _ => {}
        }
        if input.nature.trim().is_empty() {
            errors.add("nature", "required", "what happened?");
        }
        let systems = clean(&input.systems);
        let categories = clean(&input.categories);
        if systems.is_empty() {
            errors.add("systems", "required", "which systems?");
        }
        if categories.is_empty() {
            errors.add("categories", "required", "which categories of data?");
        }
        let exposure = match input.exposure.trim() {
            "" | "window" => "window",
            "stored" => "stored",
            _ => {
                errors.add("exposure", "invalid", "must be window or stored");
                "window"
            }
        };
        for (field, text) in [
            ("nature", &input.nature),
            ("consequences", &input.consequences),
            ("measures", &input.measures),
        ] {
            if text.chars().count() > 5000 {
                errors.add(field, "too_long", "must be at most 5000 characters");
            }
        }
        errors.into_result()?;
        let (Some(aware_at), Some(window_start), Some(window_end)) =
            (aware_at, window_start, window_end)
        else {
            return Err(AppError::invalid("aware_at", "required", "missing"));
        };
        let db = self.db().connection();
        let year = now.year();
        let year_start = chrono::NaiveDate::from_ymd_opt(year, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
            .unwrap_or(now);
        let number = repo::count_incidents_since(db, year_start).await? + 1;
        let mut row = IncidentRow {
            id: Uuid::now_v7(),
            reference: format!("INC-{year}-{number:04}"),
            opened_by: operator,
            opened_at: now,
            aware_at,
            window_start,
            window_end,
            nature: input.nature.trim().to_string(),
            systems: list(&systems),
            categories: list(&categories),
            exposure: exposure.to_string(),
            encrypted: input.encrypted,
            key_exposed: input.key_exposed,
            consequences: input.consequences.trim().to_string(),
            measures: input.measures.trim().to_string(),
            status: "open".into(),
            escalations_sent: 0,
            decision: None,
            closed_at: None,
            report: None,
        };
        // Two operators at once would draw the same number: the second
        // takes the next one.
        let mut taken = 0;
        loop {
            match repo::insert_incident(db, &row).await {
                Ok(()) => break,
                Err(e) if taken < 5 && e.is_unique(&["reference"]) => {
                    taken += 1;
                    row.reference = format!("INC-{year}-{:04}", number + taken);
                }
                Err(e) => return Err(e.into()),
            }
        }
        tracing::warn!(event = "incident_opened", incident = %row.reference, "breach incident opened");
        let affected = self
            .affected_by(window_start, window_end, exposure == "stored")
            .await?;
        for a in &affected {
            self.notify_business(&row, &systems, &categories, a).await?;
        }
        self.incident(row.id).await
    }

    async fn notify_business(
        &self,
        row: &IncidentRow,
        systems: &[String],
        categories: &[String],
        a: &Affected,
    ) -> AppResult<()> {
        let db = self.db().connection();
        let tenant = tenants::find_by_id(db, a.tenant)
            .await?
            .ok_or(AppError::NotFound)?;
        let acceptance = compliance::acceptances_of(db, a.tenant).await?.pop();
        let name = acceptance
            .as_ref()
            .map(|x| x.company_name.clone())
            .unwrap_or_else(|| tenant.name.clone());
        let business = AffectedBusiness {
            name: &name,
            tax_id: acceptance.as_ref().map(|x| x.tax_id.as_str()),
            data_subjects: a.data_subjects as u64,
            records: a.records as u64,
        };
        let lang = Language::parse(&tenant.language).unwrap_or_default();
        let facts = self.facts(row, systems, categories);
        let draft = processor_notice(lang, &facts, &business);
        let link = self.link(&format!("/app/incidents/{}", row.id));
        let body = format!("{}\n\n{link}\n", draft.body);
        let scope = TenantScope::authenticated(a.tenant);
        let tx = self.db().begin_tenant(&scope).await?;
        let mut first_mail = None;
        for owner in crate::mail::owner_emails(&tx, &scope).await? {
            let id = self
                .enqueue_mail(
                    &tx,
                    Some(a.tenant),
                    &owner,
                    Message {
                        subject: draft.subject.clone(),
                        body: body.clone(),
                    },
                )
                .await?;
            first_mail.get_or_insert(id);
        }
        let notice = NoticeRow {
            id: Uuid::now_v7(),
            incident_id: row.id,
            tenant_id: a.tenant,
            data_subjects: a.data_subjects,
            records: a.records,
            subject: draft.subject,
            body: draft.body,
            created_at: self.now().trunc_subsecs(6),
            mail_id: first_mail,
            seen_at: None,
            business_decision: None,
            business_decided_at: None,
            client_notice_sent_at: None,
            client_notice_recipients: None,
            escalations_sent: 0,
        };
        repo::insert_notice(&tx, &notice).await?;
        self.audit_in(
            &tx,
            &scope,
            AuditEvent::new(AuditActor::System, "incident.notified")
                .on("incident", row.id)
                .detail(format!(
                    "{} data subjects, {} records",
                    a.data_subjects, a.records
                )),
        )
        .await?;
        commit(tx).await?;
        self.wake_mail();
        tracing::warn!(event = "incident_notice_sent", incident = %row.reference, tenant_id = %a.tenant, "business notified of a breach");
        Ok(())
    }

    pub async fn incident(&self, id: Uuid) -> AppResult<Incident> {
        let db = self.db().connection();
        let row = repo::incident(db, id).await?.ok_or(AppError::NotFound)?;
        Ok(Incident {
            notices: repo::notices_of_incident(db, id).await?,
            updates: repo::incident_updates(db, id).await?,
            row,
        })
    }

    pub async fn incident_by_reference(&self, reference: &str) -> AppResult<Incident> {
        let row = repo::incident_by_reference(self.db().connection(), reference)
            .await?
            .ok_or(AppError::NotFound)?;
        self.incident(row.id).await
    }

    /// The register, newest first.
    pub async fn incidents(&self) -> AppResult<Vec<Incident>> {
        let mut out = Vec::new();
        for row in repo::incidents(self.db().connection()).await? {
            out.push(self.incident(row.id).await?);
        }
        Ok(out)
    }

    /// When each notice's e-mail went out, if it has (the outbox knows).
    pub async fn notice_delivered_at(
        &self,
        notice: &NoticeRow,
    ) -> AppResult<Option<DateTime<Utc>>> {
        match notice.mail_id {
            Some(mail) => Ok(repo::mail_sent_at(self.db().connection(), mail).await?),
            None => Ok(None),
        }
    }

    /// A phase of further information (Art. 33(4)), sent to every notified
    /// business.
    pub async fn add_incident_update(
        &self,
        operator: Uuid,
        id: Uuid,
        phase: &str,
        body: &str,
    ) -> AppResult<Incident> {
        let incident = self.incident(id).await?;
        if incident.row.status != "open" {
            return Err(AppError::Conflict {
                kind: ConflictKind::IncidentClosed,
                field: None,
                message: "this incident is closed".into(),
            });
        }
        let (phase, body) = (phase.trim(), body.trim());
        if phase.is_empty() || phase.chars().count() > 100 {
            return Err(AppError::invalid(
                "phase",
                "required",
                "name the phase (1 to 100 characters)",
            ));
        }
        if body.is_empty() || body.chars().count() > 5000 {
            return Err(AppError::invalid(
                "body",
                "required",
                "say what is new (up to 5000 characters)",
            ));
        }
        let db = self.db().connection();
        repo::add_incident_update(db, id, self.now().trunc_subsecs(6), operator, phase, body)
            .await?;
        for notice in &incident.notices {
            let subject = format!("{}: update ({phase})", incident.row.reference);
            let text = format!(
                "Further information on {} (Art. 33(4) GDPR), phase: {phase}\n\n{body}\n\n{}\n",
                incident.row.reference,
                self.link(&format!("/app/incidents/{id}"))
            );
            self.mail_owners(notice.tenant_id, subject, text).await?;
        }
        self.incident(id).await
    }

    /// Closes an incident with the decision (notified or not, and why) and
    /// the report; it stays in the register.
    pub async fn close_incident(&self, id: Uuid, decision: &str) -> AppResult<Incident> {
        let incident = self.incident(id).await?;
        let decision = decision.trim();
        if decision.is_empty() {
            return Err(AppError::invalid(
                "decision",
                "required",
                "record whether the businesses were notified, and why (Art. 33(5))",
            ));
        }
        let systems = incident.systems();
        let categories = incident.categories();
        let db = self.db().connection();
        let mut names = Vec::new();
        for n in &incident.notices {
            let name = match tenants::find_by_id(db, n.tenant_id).await? {
                Some(t) => t.name,
                None => format!("(business {} since deleted)", n.tenant_id),
            };
            names.push((
                name,
                n.data_subjects,
                n.records,
                self.notice_delivered_at(n).await?,
            ));
        }
        let notified: Vec<(AffectedBusiness, Option<DateTime<Utc>>)> = names
            .iter()
            .map(|(name, s, r, at)| {
                (
                    AffectedBusiness {
                        name,
                        tax_id: None,
                        data_subjects: *s as u64,
                        records: *r as u64,
                    },
                    *at,
                )
            })
            .collect();
        let now = self.now().trunc_subsecs(6);
        let facts = self.facts(&incident.row, &systems, &categories);
        let report = closing_report(&facts, &notified, decision, now);
        if !repo::close_incident(db, id, decision, now, &report).await? {
            return Err(AppError::Conflict {
                kind: ConflictKind::IncidentClosed,
                field: None,
                message: "this incident is already closed".into(),
            });
        }
        tracing::warn!(event = "incident_closed", incident = %incident.row.reference, "breach incident closed");
        self.incident(id).await
    }

    /// Sends the escalations due at `now`: to the operators while the
    /// incident is open, to each business that has not recorded what it
    /// did. Each stage goes once, however many nodes run this.
    pub async fn escalate_incidents(&self, now: DateTime<Utc>) -> AppResult<Vec<Escalation>> {
        let db = self.db().connection();
        let mut sent = Vec::new();
        let operators = self.operator_emails().await?;
        for row in repo::open_incidents(db).await? {
            let stage = escalations_reached(row.aware_at, now) as i32;
            if stage == 0 {
                continue;
            }
            let hours = rules::ESCALATE_AT_HOURS[(stage - 1) as usize];
            let clock = clock_text(row.aware_at, now);
            let notices = repo::notices_of_incident(db, row.id).await?;
            if repo::advance_incident_escalation(db, row.id, stage).await? {
                let mut undelivered = 0;
                let mut undecided = 0;
                for n in &notices {
                    if self.notice_delivered_at(n).await?.is_none() {
                        undelivered += 1;
                    }
                    if n.business_decision.is_none() {
                        undecided += 1;
                    }
                }
                let body = format!(
                    "{} has been open {hours} hours. The 72-hour clock: {clock} (deadline {}).\n\n\
                     Affected businesses: {}; notices not yet delivered: {undelivered}; \
                     businesses that have not recorded their decision: {undecided}.\n\n\
                     Close the incident with `termino breach close` once nothing is outstanding.\n",
                    row.reference,
                    both_zones(rules::notify_by(row.aware_at)),
                    notices.len(),
                );
                let tx = self.db().begin().await?;
                for to in &operators {
                    self.enqueue_mail(
                        &tx,
                        None,
                        to,
                        Message {
                            subject: format!(
                                "{}: {hours} h since awareness, {clock}",
                                row.reference
                            ),
                            body: body.clone(),
                        },
                    )
                    .await?;
                }
                commit(tx).await?;
                sent.push(Escalation {
                    reference: row.reference.clone(),
                    hours,
                    to: "operators".into(),
                });
            }
            for n in notices.iter().filter(|n| n.business_decision.is_none()) {
                if !repo::advance_notice_escalation(db, n.id, stage).await? {
                    continue;
                }
                let Some(tenant) = tenants::find_by_id(db, n.tenant_id).await? else {
                    continue;
                };
                let body = format!(
                    "Reminder: {} touched your clients' data. Your 72-hour deadline to notify the \
                     supervisory authority (UODO) runs out at {} — {clock}.\n\n\
                     The draft notification and the client notice are ready in your panel; record \
                     there what you decided:\n{}\n",
                    row.reference,
                    both_zones(rules::notify_by(row.aware_at)),
                    self.link(&format!("/app/incidents/{}", row.id)),
                );
                self.mail_owners(
                    n.tenant_id,
                    format!("{}: {hours} h since awareness, {clock}", row.reference),
                    body,
                )
                .await?;
                sent.push(Escalation {
                    reference: row.reference.clone(),
                    hours,
                    to: tenant.slug,
                });
            }
        }
        if !sent.is_empty() {
            self.wake_mail();
        }
        Ok(sent)
    }

    // ---- The business's side ------------------------------------------------

    fn require_incident_reader(principal: &Principal) -> AppResult<()> {
        principal.require(
            principal.user_id().is_some()
                && matches!(
                    principal.role(),
                    termino_domain::account::Role::Owner | termino_domain::account::Role::Admin
                ),
            "only the owner or an admin handles security incidents",
        )
    }

    /// Incidents that touched this business, newest first.
    pub async fn business_incidents(
        &self,
        principal: &Principal,
    ) -> AppResult<Vec<BusinessIncident>> {
        Self::require_incident_reader(principal)?;
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let notices = repo::notices_of_business(&tx, &principal.tenant).await?;
        commit(tx).await?;
        let mut out = Vec::new();
        for n in notices {
            out.push(self.business_incident_of(principal, n).await?);
        }
        Ok(out)
    }

    /// Incidents still waiting for the business's decision, for the panel
    /// alert: (incident id, reference, clock).
    pub async fn incident_alerts(
        &self,
        principal: &Principal,
    ) -> AppResult<Vec<(Uuid, String, String)>> {
        if Self::require_incident_reader(principal).is_err() {
            return Ok(Vec::new());
        }
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let notices = repo::notices_of_business(&tx, &principal.tenant).await?;
        commit(tx).await?;
        let now = self.now();
        let mut out = Vec::new();
        for n in notices
            .into_iter()
            .filter(|n| n.business_decision.is_none())
        {
            if let Some(i) = repo::incident(self.db().connection(), n.incident_id).await? {
                out.push((i.id, i.reference, clock_text(i.aware_at, now)));
            }
        }
        Ok(out)
    }

    async fn business_incident_of(
        &self,
        principal: &Principal,
        notice: NoticeRow,
    ) -> AppResult<BusinessIncident> {
        let db = self.db().connection();
        let incident = repo::incident(db, notice.incident_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let updates = repo::incident_updates(db, incident.id).await?;
        let systems: Vec<String> = serde_json::from_str(&incident.systems).unwrap_or_default();
        let categories: Vec<String> =
            serde_json::from_str(&incident.categories).unwrap_or_default();
        let tenant = self.business(principal).await?;
        let acceptance = compliance::acceptances_of(db, principal.tenant.id())
            .await?
            .pop();
        let name = acceptance
            .as_ref()
            .map(|x| x.company_name.clone())
            .unwrap_or_else(|| tenant.name.clone());
        let lang = Language::parse(&tenant.language).unwrap_or_default();
        let facts = self.facts(&incident, &systems, &categories);
        let business = AffectedBusiness {
            name: &name,
            tax_id: acceptance.as_ref().map(|x| x.tax_id.as_str()),
            data_subjects: notice.data_subjects as u64,
            records: notice.records as u64,
        };
        Ok(BusinessIncident {
            notify_by: rules::notify_by(incident.aware_at),
            clock: clock_text(incident.aware_at, self.now()),
            individuals_exempt: individuals_exempt(&facts),
            uodo_draft: uodo_draft(lang, &facts, &business),
            client_notice: client_notice(lang, &facts, &tenant.name),
            incident,
            notice,
            updates,
        })
    }

    /// One incident as the business sees it; opening it records that the
    /// panel alert was seen.
    pub async fn business_incident(
        &self,
        principal: &Principal,
        incident: Uuid,
    ) -> AppResult<BusinessIncident> {
        Self::require_incident_reader(principal)?;
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        let notice = repo::notice_of_business(&tx, &scope, incident)
            .await?
            .ok_or(AppError::NotFound)?;
        if notice.seen_at.is_none() {
            repo::update_notice(
                &tx,
                notice.id,
                "seen_at = $1",
                vec![self.now().trunc_subsecs(6).into()],
            )
            .await?;
            self.audit_in(
                &tx,
                &scope,
                AuditEvent::new(principal.audit_actor(), "incident.seen").on("incident", incident),
            )
            .await?;
        }
        commit(tx).await?;
        let tx = self.db().begin_tenant(&scope).await?;
        let notice = repo::notice_of_business(&tx, &scope, incident)
            .await?
            .ok_or(AppError::NotFound)?;
        commit(tx).await?;
        self.business_incident_of(principal, notice).await
    }

    /// What the business did about it: notified UODO (and when), or not
    /// and why. Stops the reminders.
    pub async fn record_incident_decision(
        &self,
        principal: &Principal,
        incident: Uuid,
        decision: &str,
    ) -> AppResult<BusinessIncident> {
        Self::require_incident_reader(principal)?;
        let decision = decision.trim();
        if decision.is_empty() || decision.chars().count() > 2000 {
            return Err(AppError::invalid(
                "decision",
                "required",
                "say whether you notified UODO (when, with what reference) or why not; up to 2000 characters",
            ));
        }
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        let notice = repo::notice_of_business(&tx, &scope, incident)
            .await?
            .ok_or(AppError::NotFound)?;
        repo::update_notice(
            &tx,
            notice.id,
            "business_decision = $1, business_decided_at = $2",
            vec![decision.into(), self.now().trunc_subsecs(6).into()],
        )
        .await?;
        self.audit_in(
            &tx,
            &scope,
            AuditEvent::new(principal.audit_actor(), "incident.decision_recorded")
                .on("incident", incident),
        )
        .await?;
        commit(tx).await?;
        self.business_incident(principal, incident).await
    }

    /// Sends the client notice to exactly the business's affected clients
    /// who have an e-mail address; once.
    pub async fn send_incident_client_notice(
        &self,
        principal: &Principal,
        incident: Uuid,
    ) -> AppResult<BusinessIncident> {
        let view = self.business_incident(principal, incident).await?;
        if view.notice.client_notice_sent_at.is_some() {
            return Err(already_sent());
        }
        let scope = principal.tenant;
        let i = &view.incident;
        let exposed = {
            let tx = self.db().begin_tenant(&scope).await?;
            let r = repo::exposed_records(
                &tx,
                i.window_start,
                i.window_end,
                i.exposure == "stored",
                Some(scope.id()),
            )
            .await?;
            commit(tx).await?;
            r
        };
        let clients: BTreeSet<Uuid> = exposed.iter().filter_map(|r| r.client_id).collect();
        // Read before the write transaction (SQLite has one writer).
        let mut emails = Vec::new();
        for client in &clients {
            // Erased since: nobody left to tell.
            if let Ok(ClientRecord::Readable(c)) = self.client_in(&scope, *client).await
                && let Some(email) = c.email
            {
                emails.push(email);
            }
        }
        let tx = self.db().begin_tenant(&scope).await?;
        // The claim comes first, in the transaction that queues the mail:
        // of two requests racing past the check above, one sends.
        let now = self.now().trunc_subsecs(6);
        if !repo::claim_client_notice(&tx, view.notice.id, now).await? {
            return Err(already_sent());
        }
        let keyring = self.sealing_keys(&tx, &scope).await?;
        let mut sent = 0i64;
        for email in &emails {
            self.enqueue_sealed_mail(
                &tx,
                &keyring,
                email,
                Message {
                    subject: view.client_notice.subject.clone(),
                    body: view.client_notice.body.clone(),
                },
                None,
            )
            .await?;
            sent += 1;
        }
        repo::update_notice(
            &tx,
            view.notice.id,
            "client_notice_recipients = $1",
            vec![sent.into()],
        )
        .await?;
        self.audit_in(
            &tx,
            &scope,
            AuditEvent::new(principal.audit_actor(), "incident.clients_notified")
                .on("incident", incident)
                .detail(format!("{sent} clients")),
        )
        .await?;
        commit(tx).await?;
        self.wake_mail();
        self.business_incident(principal, incident).await
    }
}

fn already_sent() -> AppError {
    AppError::Conflict {
        kind: ConflictKind::AlreadySent,
        field: None,
        message: "the client notice for this incident has been sent".into(),
    }
}
