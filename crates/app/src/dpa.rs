//! The data-processing agreement (GDPR Art. 28) in the product: versions
//! shipped in `legal/dpa/`, acceptance by a business's owner recorded in an
//! append-only, hash-chained ledger, and the rule that a business processes
//! client data only under an accepted version (with a period to accept a
//! new one).

use crate::ConflictKind;
use chrono::{DateTime, Duration, Utc};
use termino_crypto::chain::{self, ChainBreak, ChainEntry};
use termino_domain::account::Role;
use termino_store::repo::compliance::{self as repo, AcceptanceRow, DpaVersionRow};
use termino_store::repo::tenants::Tenant;
use termino_store::{TenantScope, commit};
use uuid::Uuid;

use crate::auth::Principal;
use crate::{App, AppError, AppResult};

/// The versions in the repository, oldest first.
const BUNDLED: &[(&str, &str, &str)] = &[(
    "2026-11",
    include_str!("../../../legal/dpa/2026-11.en.md"),
    include_str!("../../../legal/dpa/2026-11.pl.md"),
)];

/// A business that accepted an earlier version has this long to accept a
/// new one before processing is suspended.
pub const DEFAULT_ACCEPT_DAYS: i64 = 30;

/// What the owner confirms, in the language of the text shown.
pub fn authority_statement(language: &str, company: &str) -> String {
    if language == "pl" {
        format!("Oświadczam, że jestem upoważniony(-a) do zawarcia tej umowy w imieniu {company}.")
    } else {
        format!("I confirm that I am authorised to conclude this agreement on behalf of {company}.")
    }
}

/// Where a business stands with the agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DpaState {
    /// The current version is accepted.
    Accepted,
    /// An earlier version is accepted; the new one must be accepted by then.
    Pending { accept_by: DateTime<Utc> },
    /// Nothing accepted, or the period ran out: no processing.
    Required,
}

/// Whether the business may process client data under the agreement.
pub fn dpa_state(tenant: &Tenant, current: &DpaVersionRow, now: DateTime<Utc>) -> DpaState {
    match tenant.dpa_version.as_deref() {
        Some(v) if v == current.version => DpaState::Accepted,
        Some(_) if now < current.accept_by => DpaState::Pending {
            accept_by: current.accept_by,
        },
        _ => DpaState::Required,
    }
}

#[derive(Debug, Clone)]
pub struct DpaStatus {
    pub current: DpaVersionRow,
    pub state: DpaState,
    pub accepted_version: Option<String>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub acceptances: Vec<AcceptanceRow>,
}

impl DpaStatus {
    pub fn text(&self, language: &str) -> &str {
        if language == "pl" {
            &self.current.text_pl
        } else {
            &self.current.text_en
        }
    }
}

/// What the owner submits.
#[derive(Debug, Clone, Default)]
pub struct DpaAcceptanceInput {
    pub version: String,
    pub language: String,
    pub company_name: String,
    pub tax_id: String,
    pub authority_confirmed: bool,
}

/// Where the acceptance came from.
#[derive(Debug, Clone, Default)]
pub struct AcceptanceMeta {
    pub ip: String,
    pub user_agent: String,
    /// `panel` or `api`.
    pub method: &'static str,
}

/// The fields an entry's hash covers, in order.
pub fn entry_fields(row: &AcceptanceRow) -> Vec<(&'static str, String)> {
    vec![
        ("seq", row.seq.to_string()),
        ("id", row.id.to_string()),
        ("tenant_id", row.tenant_id.to_string()),
        ("dpa_version", row.dpa_version.clone()),
        ("text_sha256", row.text_sha256.clone()),
        ("language", row.language.clone()),
        (
            "subprocessor_list_version",
            row.subprocessor_list_version.to_string(),
        ),
        (
            "user_id",
            row.user_id.map(|u| u.to_string()).unwrap_or_default(),
        ),
        ("user_email", row.user_email.clone()),
        ("authority_statement", row.authority_statement.clone()),
        ("company_name", row.company_name.clone()),
        ("tax_id", row.tax_id.clone()),
        ("accepted_at", row.accepted_at.to_rfc3339()),
        ("ip", row.ip.clone()),
        ("user_agent", row.user_agent.clone()),
        ("method", row.method.clone()),
    ]
}

/// The ledger's name in the key store's checkpoints.
pub const CHAIN: &str = "dpa";

fn mac_entry(key: &termino_crypto::DataKey, row: &AcceptanceRow) -> String {
    let fields = entry_fields(row);
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    chain::chain_mac(key, &row.prev_hash, &borrowed)
}

fn dpa_required(version: &str) -> AppError {
    AppError::Conflict {
        kind: ConflictKind::DpaRequired,
        field: None,
        message: format!(
            "not available yet: this business has not accepted the data-processing agreement (version {version}), so client data cannot be processed"
        ),
    }
}

impl App {
    /// Publishes the versions shipped with this build that the database
    /// does not have yet (at start-up; every node may try).
    pub async fn publish_bundled_dpa(&self) -> AppResult<()> {
        for (version, en, pl) in BUNDLED {
            self.publish_dpa(version, en, pl, self.now()).await?;
        }
        Ok(())
    }

    /// Publishes a version at `at`; businesses that accepted an earlier one
    /// are told and have the acceptance period from then. Returns whether
    /// the version is new.
    pub async fn publish_dpa(
        &self,
        version: &str,
        text_en: &str,
        text_pl: &str,
        at: DateTime<Utc>,
    ) -> AppResult<bool> {
        if version.trim().is_empty() || text_en.trim().is_empty() || text_pl.trim().is_empty() {
            return Err(AppError::invalid(
                "version",
                "required",
                "a version needs a name and both texts",
            ));
        }
        let accept_by = at + Duration::days(self.config().dpa_accept_days);
        let tx = self.db().begin().await?;
        let added = repo::publish_dpa_version(
            &tx,
            DpaVersionRow {
                version: version.to_string(),
                published_at: at,
                accept_by,
                text_en: text_en.to_string(),
                text_pl: text_pl.to_string(),
            },
        )
        .await?;
        let behind = if added {
            repo::tenants_behind(&tx, version).await?
        } else {
            Vec::new()
        };
        commit(tx).await?;
        if !added {
            return Ok(false);
        }
        tracing::info!(
            event = "dpa_published",
            version,
            businesses_told = behind.len(),
            "data-processing agreement published"
        );
        let date = accept_by.format("%Y-%m-%d").to_string();
        let link = self.link("/app/dpa");
        for tenant in behind {
            self.mail_owners(
                tenant,
                format!("New data-processing agreement {version} / Nowa umowa powierzenia {version}"),
                format!(
                    "Termino has published version {version} of the data-processing agreement. Please read and accept it by {date}: {link}\nIf it is not accepted by then, new bookings and changes to client records are suspended until it is.\n\nTermino opublikował wersję {version} umowy powierzenia przetwarzania danych. Przeczytaj ją i zaakceptuj do {date}: {link}\nJeśli nie zostanie zaakceptowana do tego dnia, nowe rezerwacje i zmiany danych klientów zostaną wstrzymane do czasu akceptacji.\n\n— Termino"
                ),
            )
            .await?;
        }
        Ok(true)
    }

    pub async fn current_dpa(&self) -> AppResult<DpaVersionRow> {
        repo::current_dpa_version(self.db().connection(), self.now())
            .await?
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("no data-processing agreement is published"))
            })
    }

    pub async fn dpa_status(&self, principal: &Principal) -> AppResult<DpaStatus> {
        let tenant = self.business(principal).await?;
        let current = self.current_dpa().await?;
        let acceptances = repo::acceptances_of(self.db().connection(), tenant.id).await?;
        Ok(DpaStatus {
            state: dpa_state(&tenant, &current, self.now()),
            current,
            accepted_version: tenant.dpa_version,
            accepted_at: tenant.dpa_accepted_at,
            acceptances,
        })
    }

    /// The business may process client data: its account works (not
    /// expired, not being deleted) and it accepted the agreement. Returns the
    /// business's row, read in the caller's transaction.
    pub(crate) async fn check_processing(
        &self,
        tx: &termino_store::Tx,
        scope: &TenantScope,
    ) -> AppResult<Tenant> {
        let now = self.now();
        let tenant = termino_store::repo::tenants::get(tx, scope)
            .await?
            .ok_or(AppError::NotFound)?;
        check_standing(&tenant, now)?;
        let current = repo::current_dpa_version(tx, now).await?.ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("no data-processing agreement is published"))
        })?;
        if dpa_state(&tenant, &current, now) == DpaState::Required {
            return Err(dpa_required(&current.version));
        }
        Ok(tenant)
    }

    /// Writes other than client data (services, staff, settings) need only
    /// a working account. Every use case that changes business data asks
    /// this itself, so REST, GraphQL and the panel cannot differ.
    pub async fn check_writable(&self, principal: &Principal) -> AppResult<()> {
        check_standing(&self.business(principal).await?, self.now())
    }

    /// The owner accepts the current version.
    pub async fn accept_dpa(
        &self,
        principal: &Principal,
        input: DpaAcceptanceInput,
        meta: AcceptanceMeta,
    ) -> AppResult<AcceptanceRow> {
        let owner = self.accepting_owner(principal).await?;
        let current = self.current_dpa().await?;
        let valid = validate_acceptance(&current, &input)?;
        self.append_acceptance(principal.tenant.id(), owner, &current, valid, meta)
            .await
    }

    /// Appends a checked acceptance to the ledger and records it on the
    /// business.
    pub(crate) async fn append_acceptance(
        &self,
        tenant: Uuid,
        (user_id, email): (Uuid, String),
        current: &DpaVersionRow,
        valid: ValidAcceptance,
        meta: AcceptanceMeta,
    ) -> AppResult<AcceptanceRow> {
        let ValidAcceptance {
            language,
            company,
            tax_id,
        } = valid;
        let text = if language == "pl" {
            &current.text_pl
        } else {
            &current.text_en
        };
        let list_version = self.subprocessor_list_version().await?;
        // Stored with microseconds (PostgreSQL): hash what is stored.
        let now = chrono::SubsecRound::trunc_subsecs(self.now(), 6);
        let key = self.keys().chain_key(self.now()).await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let tx = self.db().begin().await?;
            let last = repo::last_acceptance(&tx).await?;
            let mut row = AcceptanceRow {
                seq: last.as_ref().map(|r| r.seq + 1).unwrap_or(1),
                id: Uuid::now_v7(),
                tenant_id: tenant,
                dpa_version: current.version.clone(),
                text_sha256: chain::sha256_hex(text.as_bytes()),
                language: language.clone(),
                subprocessor_list_version: list_version,
                user_id: Some(user_id),
                user_email: email.clone(),
                authority_statement: authority_statement(&language, &company),
                company_name: company.clone(),
                tax_id: tax_id.clone(),
                accepted_at: now,
                ip: meta.ip.clone(),
                user_agent: meta.user_agent.chars().take(500).collect(),
                method: meta.method.to_string(),
                prev_hash: last
                    .map(|r| r.entry_hash)
                    .unwrap_or_else(|| chain::GENESIS.to_string()),
                entry_hash: String::new(),
                mac_version: chain::KEYED,
            };
            row.entry_hash = mac_entry(&key, &row);
            match repo::append_acceptance(&tx, row.clone()).await {
                Ok(()) => {}
                // Another acceptance took this place in the chain: retry on
                // the new tail.
                Err(e) if attempt < 5 && e.is_unique(&["dpa_acceptances"]) => continue,
                Err(e) => return Err(e.into()),
            }
            repo::set_tenant_dpa(&tx, tenant, &current.version, now).await?;
            commit(tx).await?;
            tracing::info!(event = "dpa_accepted", tenant_id = %tenant, version = %current.version, seq = row.seq, method = meta.method, "data-processing agreement accepted");
            return Ok(row);
        }
    }
}

/// An acceptance whose every field was checked.
pub(crate) struct ValidAcceptance {
    language: String,
    company: String,
    tax_id: String,
}

pub(crate) fn validate_acceptance(
    current: &DpaVersionRow,
    input: &DpaAcceptanceInput,
) -> Result<ValidAcceptance, termino_domain::ValidationErrors> {
    let mut errors = termino_domain::ValidationErrors::new();
    if input.version.trim() != current.version {
        errors.add(
            "version",
            "not_current",
            format!(
                "the current version is {}; read and accept that one",
                current.version
            ),
        );
    }
    let language = input.language.trim().to_ascii_lowercase();
    if language != "pl" && language != "en" {
        errors.add("language", "invalid_language", "must be pl or en");
    }
    let company = input.company_name.trim().to_string();
    if company.is_empty() {
        errors.add("company_name", "required", "the company's name is required");
    } else if company.chars().count() > 200 {
        errors.add("company_name", "too_long", "at most 200 characters");
    }
    let tax_id = errors
        .check(
            "tax_id",
            termino_domain::retention::parse_tax_id(&input.tax_id),
        )
        .unwrap_or_default();
    if !input.authority_confirmed {
        errors.add(
            "authority_confirmed",
            "required",
            "confirm that you may accept the agreement on the company's behalf",
        );
    }
    errors.into_result()?;
    Ok(ValidAcceptance {
        language,
        company,
        tax_id,
    })
}

impl App {
    async fn accepting_owner(&self, principal: &Principal) -> AppResult<(Uuid, String)> {
        let Some(user_id) = principal.user_id() else {
            return Err(AppError::Forbidden(
                "the agreement is accepted by an owner signed in, not with an API key",
            ));
        };
        principal.require(
            principal.role() == Role::Owner,
            "only an owner can accept the agreement",
        )?;
        let user = termino_store::repo::accounts::find_user(self.db().connection(), user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok((user_id, user.email))
    }

    /// The signed acceptance as a text document: the record, its place in
    /// the ledger and the exact text accepted.
    pub async fn acceptance_document(&self, principal: &Principal, id: Uuid) -> AppResult<String> {
        let rows = repo::acceptances_of(self.db().connection(), principal.tenant.id()).await?;
        let row = rows
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(AppError::NotFound)?;
        let version = repo::dpa_version(self.db().connection(), &row.dpa_version)
            .await?
            .ok_or(AppError::NotFound)?;
        let text = if row.language == "pl" {
            version.text_pl
        } else {
            version.text_en
        };
        let mut doc = String::new();
        doc.push_str("ACCEPTANCE OF THE TERMINO DATA-PROCESSING AGREEMENT\n");
        doc.push_str("====================================================\n\n");
        for (k, v) in entry_fields(&row) {
            doc.push_str(&format!("{k}: {v}\n"));
        }
        doc.push_str(&format!(
            "prev_hash: {}\nentry_hash: {}\n",
            row.prev_hash, row.entry_hash
        ));
        doc.push_str(&format!(
            "\nThe SHA-256 of the text below is {}; the entry hash chains this record into Termino's ledger (termino dpa verify).\n\n",
            row.text_sha256
        ));
        doc.push_str("----------------------------------------------------\n\n");
        doc.push_str(&text);
        Ok(doc)
    }

    /// Checks the whole ledger: every MAC and every link (entries older
    /// than keyed chains by their unkeyed hash, as far as recorded).
    pub async fn verify_dpa_ledger(&self) -> AppResult<Result<chain::ChainReport, ChainBreak>> {
        let key = self.keys().chain_key(self.now()).await?;
        let checkpoint = self.keys().chain_checkpoint(CHAIN).await?;
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let page = repo::acceptances_page(self.db().connection(), after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            all.extend(page);
        }
        let fields: Vec<Vec<(&'static str, String)>> = all.iter().map(entry_fields).collect();
        let start = checkpoint.as_ref().map(|c| chain::UnkeyedStart {
            entries: c.unkeyed_entries,
            last_hash: &c.last_hash,
        });
        Ok(chain::verify_chain(
            &key,
            start,
            all.iter().zip(&fields).map(|(row, f)| ChainEntry {
                seq: row.seq,
                prev_hash: &row.prev_hash,
                entry_hash: &row.entry_hash,
                mac_version: row.mac_version,
                fields: f.iter().map(|(k, v)| (*k, v.as_str())).collect(),
            }),
        ))
    }
}

/// Expired accounts are read-only; a business being deleted is too (the
/// rule is `termino_domain::plan::gate`).
pub fn check_standing(tenant: &Tenant, now: DateTime<Utc>) -> AppResult<()> {
    use termino_domain::plan::{Change, Closed, gate};
    let standing = crate::billing::standing_of(tenant, now);
    match gate(
        standing,
        tenant.deletion_requested_at.is_some(),
        Change::BusinessData,
    ) {
        Ok(()) => Ok(()),
        Err(Closed::PlanEnded { purge_at }) => Err(AppError::Conflict {
            kind: ConflictKind::PlanExpired,
            field: None,
            message: format!(
                "this account is read-only: its plan has ended; its data is kept until {} — choose a plan to continue",
                purge_at.format("%Y-%m-%d")
            ),
        }),
        Err(Closed::DeletionRequested) => Err(AppError::Conflict {
            kind: ConflictKind::DeletionRequested,
            field: None,
            message: "this business is being deleted at its owner's request; cancel the request to continue".into(),
        }),
    }
}
