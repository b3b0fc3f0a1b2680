//! Termino's sub-processors: the public list, changes announced to every
//! business ahead of their effective date, and a business's objection.

use crate::ConflictKind;
use chrono::{DateTime, Duration, Utc};
use termino_domain::account::Role;
use termino_store::commit;
use termino_store::repo::compliance::{
    self as repo, ObjectionRow, SubprocessorChangeRow, SubprocessorRow,
};
use uuid::Uuid;

use crate::auth::Principal;
use crate::{App, AppError, AppResult};

/// A change takes effect at the earliest this long after it is announced.
pub const NOTICE_DAYS: i64 = 30;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Subprocessor {
    pub name: String,
    pub purpose: String,
    pub location: String,
    pub transfer_mechanism: String,
}

impl From<&SubprocessorRow> for Subprocessor {
    fn from(r: &SubprocessorRow) -> Self {
        Self {
            name: r.name.clone(),
            purpose: r.purpose.clone(),
            location: r.location.clone(),
            transfer_mechanism: r.transfer_mechanism.clone(),
        }
    }
}

/// A version of the list that is announced but not yet in effect.
#[derive(Debug, Clone)]
pub struct PlannedChange {
    pub version: i32,
    pub announced_at: DateTime<Utc>,
    pub effective_at: DateTime<Utc>,
    pub summary: String,
    pub added: Vec<Subprocessor>,
    pub removed: Vec<Subprocessor>,
}

#[derive(Debug, Clone)]
pub struct SubprocessorList {
    pub version: i32,
    pub effective_at: DateTime<Utc>,
    pub entries: Vec<Subprocessor>,
    pub planned: Vec<PlannedChange>,
}

/// What an operator announces.
#[derive(Debug, Clone, Default)]
pub struct ChangeInput {
    pub add: Vec<Subprocessor>,
    /// Names of sub-processors to remove.
    pub remove: Vec<String>,
    pub effective_at: Option<DateTime<Utc>>,
    pub summary: String,
}

fn on_list(row: &SubprocessorRow, version: i32) -> bool {
    row.added_in <= version && row.removed_in.is_none_or(|r| r > version)
}

/// A business's objection and what follows from it.
#[derive(Debug, Clone)]
pub struct Objection {
    pub version: i32,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub effective_at: Option<DateTime<Utc>>,
}

impl App {
    pub async fn subprocessor_list(&self) -> AppResult<SubprocessorList> {
        let now = self.now();
        let db = self.db().connection();
        let rows = repo::subprocessors(db).await?;
        let changes = repo::subprocessor_changes(db).await?;
        let current = changes
            .iter()
            .filter(|c| c.effective_at <= now)
            .max_by_key(|c| c.version)
            .cloned()
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("no sub-processor list is in effect"))
            })?;
        let planned = changes
            .iter()
            .filter(|c| c.effective_at > now)
            .map(|c| PlannedChange {
                version: c.version,
                announced_at: c.announced_at,
                effective_at: c.effective_at,
                summary: c.summary.clone(),
                added: rows
                    .iter()
                    .filter(|r| r.added_in == c.version)
                    .map(Into::into)
                    .collect(),
                removed: rows
                    .iter()
                    .filter(|r| r.removed_in == Some(c.version))
                    .map(Into::into)
                    .collect(),
            })
            .collect();
        Ok(SubprocessorList {
            version: current.version,
            effective_at: current.effective_at,
            entries: rows
                .iter()
                .filter(|r| on_list(r, current.version))
                .map(Into::into)
                .collect(),
            planned,
        })
    }

    pub(crate) async fn subprocessor_list_version(&self) -> AppResult<i32> {
        Ok(self.subprocessor_list().await?.version)
    }

    /// Announces a new version of the list; every business's owners are
    /// told by e-mail and see it in the panel until it takes effect.
    pub async fn announce_subprocessor_change(&self, input: ChangeInput) -> AppResult<i32> {
        let now = self.now();
        let earliest = now + Duration::days(NOTICE_DAYS);
        let effective_at = input.effective_at.unwrap_or(earliest);
        let mut errors = termino_domain::ValidationErrors::new();
        if effective_at < earliest {
            errors.add(
                "effective_at",
                "too_soon",
                format!("a change takes effect at least {NOTICE_DAYS} days after it is announced"),
            );
        }
        if input.add.is_empty() && input.remove.is_empty() {
            errors.add(
                "add",
                "required",
                "add or remove at least one sub-processor",
            );
        }
        for s in &input.add {
            if [&s.name, &s.purpose, &s.location, &s.transfer_mechanism]
                .iter()
                .any(|f| f.trim().is_empty())
            {
                errors.add(
                    "add",
                    "required",
                    "a sub-processor needs a name, purpose, location and transfer mechanism",
                );
            }
        }
        let rows = repo::subprocessors(self.db().connection()).await?;
        let changes = repo::subprocessor_changes(self.db().connection()).await?;
        let latest = changes.iter().map(|c| c.version).max().unwrap_or(0);
        let mut removed = Vec::new();
        for name in &input.remove {
            match rows
                .iter()
                .find(|r| r.name.eq_ignore_ascii_case(name.trim()) && on_list(r, latest))
            {
                Some(r) => removed.push(r.id),
                None => errors.add("remove", "unknown", format!("{name:?} is not on the list")),
            }
        }
        errors.into_result()?;
        let version = latest + 1;
        let summary = if input.summary.trim().is_empty() {
            let mut parts: Vec<String> = input
                .add
                .iter()
                .map(|s| format!("adds {}", s.name))
                .collect();
            parts.extend(input.remove.iter().map(|n| format!("removes {n}")));
            parts.join("; ")
        } else {
            input.summary.trim().to_string()
        };
        let tx = self.db().begin().await?;
        repo::insert_subprocessor_change(
            &tx,
            SubprocessorChangeRow {
                version,
                announced_at: now,
                effective_at,
                summary: summary.clone(),
            },
            input
                .add
                .iter()
                .map(|s| SubprocessorRow {
                    id: Uuid::now_v7(),
                    name: s.name.trim().to_string(),
                    purpose: s.purpose.trim().to_string(),
                    location: s.location.trim().to_string(),
                    transfer_mechanism: s.transfer_mechanism.trim().to_string(),
                    added_in: version,
                    removed_in: None,
                })
                .collect(),
            &removed,
        )
        .await?;
        let tenants = repo::all_tenant_ids(&tx).await?;
        commit(tx).await?;
        let date = effective_at.format("%Y-%m-%d").to_string();
        let link = self.link("/app/dpa");
        for tenant in &tenants {
            self.mail_owners(
                *tenant,
                "Planned change of Termino's sub-processors / Planowana zmiana dalszych podmiotów przetwarzających".into(),
                format!(
                    "Termino plans to change its sub-processors on {date}: {summary}.\nYou can see the list and object before then: {link}\n\nTermino planuje zmianę dalszych podmiotów przetwarzających od {date}: {summary}.\nListę zobaczysz, a sprzeciw zgłosisz do tego dnia tutaj: {link}\n\n— Termino"
                ),
            )
            .await?;
        }
        tracing::info!(
            event = "subprocessor_change_announced",
            version,
            businesses_told = tenants.len(),
            "sub-processor change announced"
        );
        Ok(version)
    }

    /// The owner objects to a planned change.
    pub async fn object_to_subprocessor_change(
        &self,
        principal: &Principal,
        version: i32,
        reason: &str,
    ) -> AppResult<Objection> {
        let Some(user_id) = principal.user_id() else {
            return Err(AppError::Forbidden(
                "an objection is made by an owner signed in",
            ));
        };
        principal.require(principal.role() == Role::Owner, "only an owner can object")?;
        let list = self.subprocessor_list().await?;
        let Some(change) = list.planned.iter().find(|c| c.version == version) else {
            return Err(AppError::NotFound);
        };
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid(
                "reason",
                "required",
                "say why you object",
            ));
        }
        if reason.chars().count() > 2000 {
            return Err(AppError::invalid(
                "reason",
                "too_long",
                "at most 2000 characters",
            ));
        }
        let now = self.now();
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let result = repo::insert_objection(
            &tx,
            &principal.tenant,
            ObjectionRow {
                tenant_id: principal.tenant.id(),
                version,
                user_id,
                reason: reason.to_string(),
                created_at: now,
            },
        )
        .await;
        if let Err(e) = result {
            if e.is_unique(&["subprocessor_objections"]) {
                return Err(AppError::Conflict {
                    kind: ConflictKind::AlreadyObjected,
                    field: None,
                    message: "this business has already objected to this change".into(),
                });
            }
            return Err(e.into());
        }
        commit(tx).await?;
        tracing::info!(event = "subprocessor_objection", tenant_id = %principal.tenant.id(), version, "objection to a sub-processor change recorded");
        Ok(Objection {
            version,
            reason: reason.to_string(),
            created_at: now,
            effective_at: Some(change.effective_at),
        })
    }

    pub async fn subprocessor_objections(
        &self,
        principal: &Principal,
    ) -> AppResult<Vec<Objection>> {
        let changes = repo::subprocessor_changes(self.db().connection()).await?;
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let rows = repo::objections(&tx, &principal.tenant).await?;
        commit(tx).await?;
        Ok(rows
            .into_iter()
            .map(|r| Objection {
                effective_at: changes
                    .iter()
                    .find(|c| c.version == r.version)
                    .map(|c| c.effective_at),
                version: r.version,
                reason: r.reason,
                created_at: r.created_at,
            })
            .collect())
    }
}
