//! Businesses and the people who work in them: sign-up, invitations,
//! roles, password reset.

use crate::ConflictKind;
use chrono::{DateTime, Duration, Utc};
use termino_domain::ValidationErrors;
use termino_domain::account::Role;
use termino_domain::business::{
    Language, Slug, TimeZone, validate_company_name, validate_person_name,
};
use termino_domain::contact::{EmailAddress, PhoneNumber};
use termino_domain::password::check_new_password;
use termino_domain::plan::{PlanKind, trial_ends_at};
use termino_notify::texts;
use termino_store::repo::{accounts, api_keys, invitations, password_resets, tenants};
use termino_store::{StoreError, TenantScope, Tx, commit};
use uuid::Uuid;

use crate::auth::{NewSession, Principal};
use crate::kv::Taken;
use crate::secret::{hash_password, new_token, opaque_key, token_hash};
use crate::{App, AppError, AppResult};

pub const INVITATION_DAYS: i64 = 7;
pub const RESET_MINUTES: i64 = 60;
/// Reset links sent to one address an hour at most.
pub const RESET_MAILS_PER_HOUR: u64 = 3;

/// What a business gives when it signs up.
#[derive(Debug, Clone, Default)]
pub struct SignupInput {
    pub company_name: String,
    pub slug: String,
    pub owner_name: String,
    pub email: String,
    pub phone: String,
    pub password: String,
    pub time_zone: String,
    pub language: String,
    /// The web and REST sign-up ask for a phone; the CLI may leave it out.
    pub phone_optional: bool,
    /// The owner accepts the data-processing agreement while signing up
    /// (the company name is the business's).
    pub dpa: Option<(crate::dpa::DpaAcceptanceInput, crate::dpa::AcceptanceMeta)>,
}

struct ValidSignup {
    company_name: String,
    slug: Slug,
    owner_name: String,
    email: EmailAddress,
    phone: Option<PhoneNumber>,
    time_zone: TimeZone,
    language: Language,
}

fn validate_signup(input: &SignupInput) -> Result<ValidSignup, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let company_name = errors.check("company_name", validate_company_name(&input.company_name));
    let slug = errors.check("slug", Slug::parse(&input.slug));
    let owner_name = errors.check("owner_name", validate_person_name(&input.owner_name));
    let email = errors.check("email", EmailAddress::parse(&input.email));
    let phone = if input.phone_optional && input.phone.trim().is_empty() {
        Some(None)
    } else {
        errors
            .check("phone", PhoneNumber::parse(&input.phone, Some("PL")))
            .map(Some)
    };
    let time_zone = errors.check("time_zone", TimeZone::parse(&input.time_zone));
    let language = errors.check("language", Language::parse(&input.language));
    let inputs = [
        input.company_name.as_str(),
        input.slug.as_str(),
        input.owner_name.as_str(),
        input.email.as_str(),
    ];
    errors.check("password", check_new_password(&input.password, &inputs));
    match (
        company_name,
        slug,
        owner_name,
        email,
        phone,
        time_zone,
        language,
    ) {
        (
            Some(company_name),
            Some(slug),
            Some(owner_name),
            Some(email),
            Some(phone),
            Some(time_zone),
            Some(language),
        ) if errors.is_empty() => Ok(ValidSignup {
            company_name,
            slug,
            owner_name,
            email,
            phone,
            time_zone,
            language,
        }),
        _ => Err(errors),
    }
}

fn slug_taken() -> AppError {
    AppError::Conflict {
        kind: ConflictKind::SlugTaken,
        field: Some("slug"),
        message: "this address is already taken by another business".into(),
    }
}

fn email_taken() -> AppError {
    AppError::Conflict {
        kind: ConflictKind::EmailTaken,
        field: Some("email"),
        message: "an account with this e-mail already exists; log in instead".into(),
    }
}

/// The tenant row of a business, as the application shows it.
pub use termino_store::repo::tenants::Tenant as Business;

/// A member of a business.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
}

/// An invitation as shown to the business (the token is never kept).
#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What an invitee sees before accepting.
#[derive(Debug, Clone)]
pub struct InvitationPreview {
    pub business_name: String,
    pub email: String,
    pub role: Role,
    /// The invitee already has an account (log in with it) or needs one.
    pub has_account: bool,
}

impl From<invitations::Invitation> for Invitation {
    fn from(row: invitations::Invitation) -> Self {
        Self {
            id: row.id,
            email: row.email,
            role: Role::parse(&row.role).unwrap_or(Role::Staff),
            created_at: row.created_at,
            expires_at: row.expires_at,
        }
    }
}

impl App {
    /// Signs up a business with its owner and starts the trial; returns the
    /// owner's first session.
    pub async fn signup(&self, input: SignupInput) -> AppResult<NewSession> {
        let (tenant, user_id) = self.create_business(input).await?;
        self.open_session(user_id, tenant.id, tenant.slug).await
    }

    /// Creates a business and its owner (sign-up, `termino tenant create`,
    /// the demo), with the owner's acceptance of the agreement if given.
    pub async fn create_business(&self, mut input: SignupInput) -> AppResult<(Business, Uuid)> {
        // Both the sign-up and the acceptance are checked before the
        // business exists, so a bad NIP leaves nothing behind.
        let dpa = match input.dpa.take() {
            None => None,
            Some((dpa, meta)) => {
                let current = self.current_dpa().await?;
                let acceptance = crate::dpa::validate_acceptance(&current, &dpa);
                let sign_up = validate_signup(&input);
                match (sign_up, acceptance) {
                    (Ok(_), Ok(valid)) => Some((current, valid, meta)),
                    (sign_up, acceptance) => {
                        let mut all = sign_up.err().unwrap_or_default();
                        // The company is the business named above: one
                        // error for it is enough.
                        for e in acceptance.err().unwrap_or_default().0 {
                            if e.field != "company_name" {
                                all.add(&format!("dpa.{}", e.field), e.code, e.message);
                            }
                        }
                        return Err(AppError::Invalid(all));
                    }
                }
            }
        };
        let (tenant, user_id) = self.insert_business(input).await?;
        if let Some((current, valid, meta)) = dpa {
            let user = accounts::find_user(self.db().connection(), user_id)
                .await?
                .ok_or(AppError::NotFound)?;
            self.append_acceptance(tenant.id, (user_id, user.email), &current, valid, meta)
                .await?;
        }
        Ok((tenant, user_id))
    }

    async fn insert_business(&self, input: SignupInput) -> AppResult<(Business, Uuid)> {
        let valid = validate_signup(&input)?;
        let password_hash = hash_password(input.password).await?;
        let now = self.now();
        let tx = self.db().begin().await?;
        // Checked first for a clear answer; the unique indexes stay the
        // last word when two sign-ups race.
        if tenants::find_by_slug(&tx, valid.slug.as_str())
            .await?
            .is_some()
        {
            return Err(slug_taken());
        }
        if accounts::find_user_by_email(&tx, valid.email.as_str())
            .await?
            .is_some()
        {
            return Err(email_taken());
        }
        let tenant = tenants::insert(
            &tx,
            tenants::Tenant {
                id: Uuid::now_v7(),
                slug: valid.slug.as_str().to_string(),
                name: valid.company_name,
                time_zone: valid.time_zone.name().to_string(),
                language: valid.language.code().to_string(),
                plan: PlanKind::Trial.as_str().to_string(),
                plan_started_at: now,
                trial_ends_at: Some(trial_ends_at(now)),
                paid_until: None,
                created_at: now,
                updated_at: now,
                clients_revision: 0,
                cancellation_cutoff_hours: 24,
                polish_holidays: false,
                booking_intro: String::new(),
                privacy_notice_url: None,
                marketing_consent_text: None,
                plan_state: "active".into(),
                billing_interval: None,
                stripe_customer_id: None,
                stripe_subscription_id: None,
                stripe_account_id: None,
                stripe_account_ready: false,
                payment_hold_minutes: 15,
                tpay_credentials: None,
                refund_client_cancellations: true,
                plan_reminder_sent: None,
                dpa_version: None,
                dpa_accepted_at: None,
                purge_reminder_sent: None,
                deletion_requested_at: None,
                client_retention_months: None,
                sms_without_polish_characters: false,
                contact_email: None,
            },
        )
        .await
        .map_err(unique_to_conflict)?;
        let user = accounts::insert_user(
            &tx,
            accounts::User {
                id: Uuid::now_v7(),
                email: valid.email.as_str().to_string(),
                name: valid.owner_name,
                phone: valid.phone.map(|p| p.as_str().to_string()),
                password_hash,
                sessions_valid_after: now,
                created_at: now,
                updated_at: now,
            },
        )
        .await
        .map_err(unique_to_conflict)?;
        let scope = TenantScope::authenticated(tenant.id);
        accounts::insert_membership(&tx, &scope, user.id, Role::Owner.as_str(), now).await?;
        commit(tx).await?;
        tracing::info!(event = "business_created", tenant_id = %tenant.id, "business signed up");
        Ok((tenant, user.id))
    }

    pub async fn business(&self, principal: &Principal) -> AppResult<Business> {
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let found = tenants::get(&tx, &principal.tenant).await?;
        commit(tx).await?;
        found.ok_or(AppError::NotFound)
    }

    pub async fn members(&self, principal: &Principal) -> AppResult<Vec<Member>> {
        principal.require(principal.role().can_view_users(), "viewing the team")?;
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let rows = accounts::members(&tx, &principal.tenant).await?;
        commit(tx).await?;
        Ok(rows
            .into_iter()
            .map(|(m, u)| Member {
                user_id: u.id,
                name: u.name,
                email: u.email,
                role: Role::parse(&m.role).unwrap_or(Role::Staff),
                joined_at: m.created_at,
            })
            .collect())
    }

    /// The signed-in person's own account.
    pub async fn me(&self, principal: &Principal) -> AppResult<Option<Member>> {
        let Some(user_id) = principal.user_id() else {
            return Ok(None);
        };
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let user = accounts::find_user(&tx, user_id).await?;
        let membership = accounts::find_membership(&tx, &principal.tenant, user_id).await?;
        commit(tx).await?;
        match (user, membership) {
            (Some(u), Some(m)) => Ok(Some(Member {
                user_id: u.id,
                name: u.name,
                email: u.email,
                role: Role::parse(&m.role).unwrap_or(Role::Staff),
                joined_at: m.created_at,
            })),
            _ => Err(AppError::Unauthenticated),
        }
    }

    pub async fn change_role(
        &self,
        principal: &Principal,
        user_id: Uuid,
        role: &str,
    ) -> AppResult<Member> {
        self.check_writable(principal).await?;
        principal.require(principal.role().can_manage_users(), "managing the team")?;
        let role = Role::parse(role).map_err(|p| AppError::invalid("role", p.code, p.message))?;
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let current = accounts::find_membership(&tx, &principal.tenant, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.keep_an_owner(&tx, &principal.tenant, &current.role, Some(role))
            .await?;
        accounts::set_role(&tx, &principal.tenant, user_id, role.as_str()).await?;
        // Keys act with an admin's rights: a person who may no longer hold
        // keys loses theirs; an owner made admin keeps them (no key ever
        // had more than an admin's rights).
        if !role.can_manage_api_keys() {
            self.revoke_keys_of(&tx, principal, user_id, "role changed")
                .await?;
        }
        self.audit_in(
            &tx,
            &principal.tenant,
            crate::audit::AuditEvent::new(principal.audit_actor(), "role.changed")
                .on("user", user_id)
                .detail(format!("{} -> {}", current.role, role.as_str())),
        )
        .await?;
        let user = accounts::find_user(&tx, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        commit(tx).await?;
        tracing::info!(event = "role_changed", tenant_id = %principal.tenant.id(), user_id = %user_id, role = role.as_str(), "role changed");
        Ok(Member {
            user_id,
            name: user.name,
            email: user.email,
            role,
            joined_at: current.created_at,
        })
    }

    pub async fn remove_member(&self, principal: &Principal, user_id: Uuid) -> AppResult<()> {
        self.check_writable(principal).await?;
        principal.require(principal.role().can_manage_users(), "managing the team")?;
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let current = accounts::find_membership(&tx, &principal.tenant, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.keep_an_owner(&tx, &principal.tenant, &current.role, None)
            .await?;
        accounts::delete_membership(&tx, &principal.tenant, user_id).await?;
        self.revoke_keys_of(&tx, principal, user_id, "member removed")
            .await?;
        commit(tx).await?;
        tracing::info!(event = "member_removed", tenant_id = %principal.tenant.id(), user_id = %user_id, "member removed");
        Ok(())
    }

    /// The API keys a person made go with their right to hold keys, in the
    /// transaction that takes it away; each revocation is audited.
    async fn revoke_keys_of(
        &self,
        tx: &Tx,
        principal: &Principal,
        user_id: Uuid,
        why: &str,
    ) -> AppResult<()> {
        let revoked =
            api_keys::revoke_created_by(tx, &principal.tenant, user_id, self.now()).await?;
        for id in revoked {
            self.audit_in(
                tx,
                &principal.tenant,
                crate::audit::AuditEvent::new(principal.audit_actor(), "api_key.revoked")
                    .on("api_key", id)
                    .detail(why),
            )
            .await?;
            tracing::info!(event = "api_key_revoked", tenant_id = %principal.tenant.id(), api_key_id = %id, reason = why, "API key revoked with its maker's rights");
        }
        Ok(())
    }

    /// A business always keeps at least one owner.
    async fn keep_an_owner(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        current_role: &str,
        new_role: Option<Role>,
    ) -> AppResult<()> {
        if current_role == Role::Owner.as_str()
            && new_role != Some(Role::Owner)
            && accounts::count_owners(tx, scope).await? <= 1
        {
            return Err(AppError::Conflict {
                kind: ConflictKind::LastOwner,
                field: Some("role"),
                message: "a business needs at least one owner".into(),
            });
        }
        Ok(())
    }

    pub async fn invite(
        &self,
        principal: &Principal,
        email: &str,
        role: &str,
    ) -> AppResult<Invitation> {
        self.check_writable(principal).await?;
        principal.require(principal.role().can_manage_users(), "inviting people")?;
        let invited_by = principal
            .user_id()
            .ok_or(AppError::Forbidden("inviting people"))?;
        let mut errors = ValidationErrors::new();
        let email = errors.check("email", EmailAddress::parse(email));
        let role = errors.check("role", Role::parse(role));
        let (Some(email), Some(role)) = (email, role) else {
            return Err(errors.into());
        };
        let now = self.now();
        let token = new_token();
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let business = tenants::get(&tx, &principal.tenant)
            .await?
            .ok_or(AppError::NotFound)?;
        if let Some(user) = accounts::find_user_by_email(&tx, email.as_str()).await?
            && accounts::find_membership(&tx, &principal.tenant, user.id)
                .await?
                .is_some()
        {
            return Err(AppError::Conflict {
                kind: ConflictKind::AlreadyMember,
                field: Some("email"),
                message: "this person is already in the team".into(),
            });
        }
        let row = invitations::insert(
            &tx,
            &principal.tenant,
            invitations::Invitation {
                tenant_id: principal.tenant.id(),
                id: Uuid::now_v7(),
                email: email.as_str().to_string(),
                role: role.as_str().to_string(),
                token_hash: token_hash(&token),
                invited_by,
                created_at: now,
                expires_at: now + Duration::days(INVITATION_DAYS),
                accepted_at: None,
                revoked_at: None,
            },
        )
        .await?;
        let lang = Language::parse(&business.language).unwrap_or_default();
        let link = format!("{}/invite/{token}", self.config().public_url);
        let message =
            texts::invitation(lang, &business.name, role.as_str(), &link, INVITATION_DAYS);
        self.enqueue_mail(&tx, Some(principal.tenant.id()), email.as_str(), message)
            .await?;
        commit(tx).await?;
        self.wake_mail();
        tracing::info!(event = "invitation_sent", tenant_id = %principal.tenant.id(), invitation_id = %row.id, "invitation queued");
        Ok(row.into())
    }

    pub async fn invitations(&self, principal: &Principal) -> AppResult<Vec<Invitation>> {
        principal.require(principal.role().can_view_users(), "viewing the team")?;
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let rows = invitations::list_open(&tx, &principal.tenant, self.now()).await?;
        commit(tx).await?;
        Ok(rows.into_iter().map(Invitation::from).collect())
    }

    pub async fn revoke_invitation(&self, principal: &Principal, id: Uuid) -> AppResult<()> {
        self.check_writable(principal).await?;
        principal.require(principal.role().can_manage_users(), "managing the team")?;
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let found = invitations::revoke(&tx, &principal.tenant, id, self.now()).await?;
        commit(tx).await?;
        found.map(|_| ()).ok_or(AppError::NotFound)
    }

    async fn open_invitation(&self, tx: &Tx, token: &str) -> AppResult<invitations::Invitation> {
        let found = invitations::find_by_token_hash(tx, &token_hash(token)).await?;
        match found {
            Some(inv)
                if inv.accepted_at.is_none()
                    && inv.revoked_at.is_none()
                    && inv.expires_at > self.now() =>
            {
                Ok(inv)
            }
            // Used, revoked, expired and unknown links look the same.
            _ => Err(AppError::NotFound),
        }
    }

    pub async fn invitation_preview(&self, token: &str) -> AppResult<InvitationPreview> {
        let tx = self.db().begin().await?;
        let inv = self.open_invitation(&tx, token).await?;
        let business = tenants::find_by_id(&tx, inv.tenant_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let has_account = accounts::find_user_by_email(&tx, &inv.email)
            .await?
            .is_some();
        commit(tx).await?;
        Ok(InvitationPreview {
            business_name: business.name,
            email: inv.email,
            role: Role::parse(&inv.role).unwrap_or(Role::Staff),
            has_account,
        })
    }

    /// Accepts an invitation. A new person gives a name and password; a
    /// person with an account proves it with the password.
    pub async fn accept_invitation(
        &self,
        token: &str,
        name: Option<&str>,
        password: &str,
    ) -> AppResult<NewSession> {
        let now = self.now();
        let tx = self.db().begin().await?;
        let inv = self.open_invitation(&tx, token).await?;
        let existing = accounts::find_user_by_email(&tx, &inv.email).await?;
        let user_id = match existing {
            Some(user) => {
                if !crate::secret::verify_password(password.to_string(), user.password_hash).await {
                    return Err(AppError::BadCredentials);
                }
                user.id
            }
            None => {
                let mut errors = ValidationErrors::new();
                let name = errors.check("name", validate_person_name(name.unwrap_or("")));
                errors.check(
                    "password",
                    check_new_password(password, &[name.as_deref().unwrap_or(""), &inv.email]),
                );
                let Some(name) = name.filter(|_| errors.is_empty()) else {
                    return Err(errors.into());
                };
                let user = accounts::insert_user(
                    &tx,
                    accounts::User {
                        id: Uuid::now_v7(),
                        email: inv.email.clone(),
                        name,
                        phone: None,
                        password_hash: hash_password(password.to_string()).await?,
                        sessions_valid_after: now,
                        created_at: now,
                        updated_at: now,
                    },
                )
                .await
                .map_err(unique_to_conflict)?;
                user.id
            }
        };
        let scope = TenantScope::authenticated(inv.tenant_id);
        let role = inv.role.clone();
        let tenant_id = inv.tenant_id;
        invitations::mark_accepted(&tx, inv, now).await?;
        if accounts::find_membership(&tx, &scope, user_id)
            .await?
            .is_none()
        {
            accounts::insert_membership(&tx, &scope, user_id, &role, now).await?;
        }
        let tenant = tenants::find_by_id(&tx, tenant_id)
            .await?
            .ok_or(AppError::NotFound)?;
        commit(tx).await?;
        tracing::info!(event = "invitation_accepted", tenant_id = %tenant_id, user_id = %user_id, "invitation accepted");
        self.open_session(user_id, tenant.id, tenant.slug).await
    }

    /// Always succeeds, whether or not the address has an account, so that
    /// the answer tells nothing about who uses Termino. At most
    /// [`RESET_MAILS_PER_HOUR`] links go to one address an hour (so nobody
    /// can flood an inbox through us), and only the newest link works.
    pub async fn request_password_reset(&self, email: &str) -> AppResult<()> {
        let Ok(email) = EmailAddress::parse(email) else {
            return Ok(());
        };
        // Counted for every address, known or not: the answer stays the same.
        let throttle = format!("throttle:reset:{}", opaque_key("email", email.as_str()));
        let hour = std::time::Duration::from_secs(3600);
        if let Taken::No { .. } = self
            .kv()
            .take(&throttle, RESET_MAILS_PER_HOUR, hour)
            .await?
        {
            tracing::info!(
                event = "password_reset_throttled",
                "password reset not sent: enough this hour"
            );
            return Ok(());
        }
        let now = self.now();
        let tx = self.db().begin().await?;
        let Some(user) = accounts::find_user_by_email(&tx, email.as_str()).await? else {
            return Ok(());
        };
        let token = new_token();
        password_resets::void_open(&tx, user.id, now).await?;
        password_resets::insert(
            &tx,
            password_resets::PasswordReset {
                id: Uuid::now_v7(),
                user_id: user.id,
                token_hash: token_hash(&token),
                created_at: now,
                expires_at: now + Duration::minutes(RESET_MINUTES),
                used_at: None,
            },
        )
        .await?;
        // The person's language: that of their first business.
        let lang = accounts::memberships_of_user(&tx, user.id)
            .await?
            .first()
            .and_then(|(_, t)| Language::parse(&t.language).ok())
            .unwrap_or_default();
        let link = format!("{}/reset/{token}", self.config().public_url);
        let message = texts::password_reset(lang, &link, RESET_MINUTES);
        self.enqueue_mail(&tx, None, &user.email, message).await?;
        commit(tx).await?;
        self.wake_mail();
        tracing::info!(event = "password_reset_requested", user_id = %user.id, "password reset queued");
        Ok(())
    }

    /// Sets a new password from a reset link; every existing session ends.
    pub async fn reset_password(&self, token: &str, password: &str) -> AppResult<()> {
        let now = self.now();
        let tx = self.db().begin().await?;
        let found = password_resets::find_by_token_hash(&tx, &token_hash(token)).await?;
        let reset = match found {
            Some(r) if r.used_at.is_none() && r.expires_at > now => r,
            _ => return Err(invalid_reset_link()),
        };
        let user = accounts::find_user(&tx, reset.user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        check_new_password(password, &[&user.name, &user.email])
            .map_err(|p| AppError::invalid("password", p.code, p.message))?;
        let hash = hash_password(password.to_string()).await?;
        // Two requests with one link: the first spends it.
        if !password_resets::mark_used(&tx, reset, now).await? {
            return Err(invalid_reset_link());
        }
        change_password(&tx, user.id, hash, now).await?;
        commit(tx).await?;
        tracing::info!(event = "password_reset", user_id = %user.id, "password changed by reset link");
        Ok(())
    }

    /// Operator/CLI: sets a password directly (the demo account).
    pub async fn set_password_for_email(&self, email: &str, password: &str) -> AppResult<()> {
        let tx = self.db().begin().await?;
        let user = accounts::find_user_by_email(&tx, email)
            .await?
            .ok_or(AppError::NotFound)?;
        let hash = hash_password(password.to_string()).await?;
        change_password(&tx, user.id, hash, self.now()).await?;
        commit(tx).await?;
        Ok(())
    }
}

/// Every way a password changes: the sessions opened with the old one end
/// and the reset links sent before stop working.
async fn change_password(
    tx: &Tx,
    user_id: Uuid,
    hash: String,
    now: DateTime<Utc>,
) -> AppResult<()> {
    accounts::set_password(tx, user_id, hash, now).await?;
    password_resets::void_open(tx, user_id, now).await?;
    Ok(())
}

fn invalid_reset_link() -> AppError {
    AppError::invalid(
        "token",
        "invalid_token",
        "this link is invalid or has expired; ask for a new one",
    )
}

/// Two sign-ups racing past the pre-checks meet the unique indexes here.
fn unique_to_conflict(e: StoreError) -> AppError {
    if e.is_unique(&["tenants_slug_key", "tenants.slug"]) {
        slug_taken()
    } else if e.is_unique(&["users_email_key", "users.email"]) {
        email_taken()
    } else {
        e.into()
    }
}
