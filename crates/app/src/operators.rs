//! Termino's operators: people of Termino, with accounts of their own made
//! on the command line, separate from every business. They keep the breach
//! register; they see a business's client data only inside a time-limited
//! support grant that the business gives in its panel, and every look is
//! in that business's audit log.

use crate::ConflictKind;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use termino_domain::account::Role;
use termino_domain::contact::EmailAddress;
use termino_store::repo::accountability::{self as repo, GrantRow, OperatorRow};
use termino_store::repo::tenants;
use termino_store::{TenantScope, commit};
use uuid::Uuid;

use crate::audit::{AuditActor, AuditEvent};
use crate::auth::{Actor, Principal};
use crate::secret::{hash_password, new_token, token_hash, verify_password};
use crate::{App, AppError, AppResult};

/// The longest support grant a business can give.
pub const MAX_GRANT_HOURS: i64 = 7 * 24;

/// A signed-in operator.
#[derive(Debug, Clone)]
pub struct Operator {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub csrf_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct OperatorSession {
    operator_id: Uuid,
    csrf_token: String,
    created_at: DateTime<Utc>,
}

/// Operators work from the office: shorter sessions than businesses'.
const OPERATOR_SESSION: std::time::Duration = std::time::Duration::from_secs(8 * 3600);

fn operator_session_key(token: &str) -> String {
    format!("ops:{}", token_hash(token))
}

/// A support grant as the business sees it.
#[derive(Debug, Clone)]
pub struct SupportGrant {
    pub id: Uuid,
    pub granted_by: Uuid,
    pub granted_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub reason: String,
}

impl SupportGrant {
    pub fn active_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.granted_at <= now && now < self.expires_at
    }
}

impl From<GrantRow> for SupportGrant {
    fn from(r: GrantRow) -> Self {
        Self {
            id: r.id,
            granted_by: r.granted_by,
            granted_at: r.granted_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            reason: r.reason,
        }
    }
}

impl App {
    /// `termino operator create`.
    pub async fn create_operator(
        &self,
        email: &str,
        name: &str,
        password: &str,
    ) -> AppResult<Uuid> {
        let email = EmailAddress::parse(email)
            .map_err(|p| AppError::invalid("email", p.code, p.message))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::invalid("name", "required", "must not be empty"));
        }
        termino_domain::password::check_new_password(password, &[email.as_str(), name])
            .map_err(|p| AppError::invalid("password", p.code, p.message))?;
        let row = OperatorRow {
            id: Uuid::now_v7(),
            email: email.as_str().to_string(),
            name: name.to_string(),
            password_hash: hash_password(password.to_string()).await?,
            created_at: self.now().trunc_subsecs(6),
        };
        repo::insert_operator(self.db().connection(), &row)
            .await
            .map_err(|e| {
                if e.is_unique(&["operators_email", "operators.email", "email"]) {
                    AppError::Conflict {
                        kind: ConflictKind::EmailTaken,
                        field: Some("email"),
                        message: "an operator with this e-mail exists".into(),
                    }
                } else {
                    e.into()
                }
            })?;
        tracing::info!(event = "operator_created", operator_id = %row.id, "operator created");
        Ok(row.id)
    }

    pub async fn operator_emails(&self) -> AppResult<Vec<String>> {
        Ok(repo::operators(self.db().connection())
            .await?
            .into_iter()
            .map(|o| o.email)
            .collect())
    }

    /// Signs an operator in; a new opaque session token back.
    pub async fn operator_login(
        &self,
        email: &str,
        password: &str,
    ) -> AppResult<(String, Operator)> {
        let throttle = format!("ops-login:{}", token_hash(&email.trim().to_lowercase()));
        let window = self.config().login_window;
        let limit = self.config().login_failures_per_account;
        self.take_attempts(&[(Some(&throttle), limit)], window)
            .await?;
        let found =
            repo::operator_by_email(self.db().connection(), &email.trim().to_lowercase()).await?;
        let hash = match &found {
            Some(o) => o.password_hash.clone(),
            None => crate::secret::dummy_hash().await,
        };
        let ok = verify_password(password.to_string(), hash).await;
        let Some(op) = found.filter(|_| ok) else {
            tracing::info!(event = "operator_login_failed", "operator log-in refused");
            return Err(AppError::BadCredentials);
        };
        self.kv().delete(&throttle).await?;
        let token = new_token();
        let session = OperatorSession {
            operator_id: op.id,
            csrf_token: new_token(),
            created_at: self.now(),
        };
        let json = serde_json::to_string(&session).map_err(anyhow::Error::from)?;
        self.kv()
            .set(&operator_session_key(&token), &json, OPERATOR_SESSION)
            .await?;
        tracing::info!(event = "operator_login", operator_id = %op.id, "operator logged in");
        Ok((
            token,
            Operator {
                id: op.id,
                email: op.email,
                name: op.name,
                csrf_token: session.csrf_token,
            },
        ))
    }

    pub async fn authenticate_operator(&self, token: &str) -> AppResult<Operator> {
        let json = self
            .kv()
            .get(&operator_session_key(token))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let session: OperatorSession =
            serde_json::from_str(&json).map_err(|_| AppError::Unauthenticated)?;
        let op = repo::operator(self.db().connection(), session.operator_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok(Operator {
            id: op.id,
            email: op.email,
            name: op.name,
            csrf_token: session.csrf_token,
        })
    }

    pub async fn operator_logout(&self, token: &str) -> AppResult<()> {
        self.kv().delete(&operator_session_key(token)).await?;
        Ok(())
    }

    /// The business lets Termino's support in for `hours`.
    pub async fn grant_support(
        &self,
        principal: &Principal,
        hours: i64,
        reason: &str,
    ) -> AppResult<SupportGrant> {
        let user = principal
            .user_id()
            .filter(|_| matches!(principal.role(), Role::Owner | Role::Admin));
        let Some(user) = user else {
            return Err(AppError::Forbidden(
                "only the owner or an admin can let Termino's support in",
            ));
        };
        if !(1..=MAX_GRANT_HOURS).contains(&hours) {
            return Err(AppError::invalid(
                "hours",
                "out_of_range",
                format!("must be between 1 and {MAX_GRANT_HOURS}"),
            ));
        }
        let reason = reason.trim();
        if reason.chars().count() > 500 {
            return Err(AppError::invalid(
                "reason",
                "too_long",
                "must be at most 500 characters",
            ));
        }
        let now = self.now().trunc_subsecs(6);
        let row = GrantRow {
            id: Uuid::now_v7(),
            tenant_id: principal.tenant.id(),
            granted_by: user,
            granted_at: now,
            expires_at: now + Duration::hours(hours),
            revoked_at: None,
            reason: reason.to_string(),
        };
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        repo::insert_grant(&tx, &row).await?;
        self.audit_in(
            &tx,
            &principal.tenant,
            AuditEvent::new(principal.audit_actor(), "support_access.granted")
                .on("support_grant", row.id)
                .detail(format!("{hours} h")),
        )
        .await?;
        commit(tx).await?;
        Ok(row.into())
    }

    pub async fn revoke_support(&self, principal: &Principal, id: Uuid) -> AppResult<()> {
        principal.require(
            principal.user_id().is_some() && matches!(principal.role(), Role::Owner | Role::Admin),
            "only the owner or an admin can end support access",
        )?;
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        if !repo::revoke_grant(&tx, &principal.tenant, id, self.now()).await? {
            return Err(AppError::NotFound);
        }
        self.audit_in(
            &tx,
            &principal.tenant,
            AuditEvent::new(principal.audit_actor(), "support_access.revoked")
                .on("support_grant", id),
        )
        .await?;
        commit(tx).await?;
        Ok(())
    }

    pub async fn support_grants(&self, principal: &Principal) -> AppResult<Vec<SupportGrant>> {
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let rows = repo::grants(&tx, &principal.tenant).await?;
        commit(tx).await?;
        Ok(rows.into_iter().map(SupportGrant::from).collect())
    }

    /// An operator's way into one business: only inside an active grant,
    /// read-only, and recorded in the business's audit log either way.
    pub async fn support_principal(&self, operator: &Operator, slug: &str) -> AppResult<Principal> {
        let tenant = tenants::find_by_slug(self.db().connection(), slug)
            .await?
            .ok_or(AppError::NotFound)?;
        let scope = TenantScope::authenticated(tenant.id);
        let now = self.now();
        let tx = self.db().begin_tenant(&scope).await?;
        let grant = repo::grants(&tx, &scope)
            .await?
            .into_iter()
            .map(SupportGrant::from)
            .find(|g| g.active_at(now));
        let actor = AuditActor::Operator(operator.id);
        match &grant {
            Some(g) => {
                self.audit_in(
                    &tx,
                    &scope,
                    AuditEvent::new(actor, "support_access.used").on("support_grant", g.id),
                )
                .await?
            }
            None => {
                self.audit_in(&tx, &scope, AuditEvent::new(actor, "support_access.denied"))
                    .await?
            }
        }
        commit(tx).await?;
        let Some(grant) = grant else {
            tracing::info!(event = "support_access_denied", tenant_id = %tenant.id, operator_id = %operator.id, "no support grant");
            return Err(AppError::Forbidden(
                "this business has not granted support access, or the grant has expired",
            ));
        };
        Ok(Principal {
            tenant: scope,
            tenant_slug: tenant.slug,
            actor: Actor::Operator {
                operator_id: operator.id,
                grant_id: grant.id,
            },
        })
    }
}
