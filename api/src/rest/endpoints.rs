use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, OpenApi, Tags};
use termino_app::App;
use termino_app::accounts::SignupInput;
use termino_app::auth::{Actor, ClientInfo, NewSession};
use termino_app::business::BusinessUpdate as AppBusinessUpdate;
use termino_app::clients::{ClientPatch, NewClient as AppNewClient};
use termino_http::{CookiePolicy, clear_session_cookie, client_ip, session_cookie};
use uuid::Uuid;

use super::auth::{BusinessAuth, authorize, session_token};
use super::json::JsonBody;
use super::problem::{ApiError, Problem};
use super::types::*;

#[derive(Tags)]
enum Tag {
    /// Sign-up, log-in, log-out, password reset, invitations.
    Auth,
    /// The business and the caller.
    Business,
    /// People and their roles.
    Team,
    /// Keys for integrations.
    ApiKeys,
    /// The business's clients, encrypted under its own key.
    Clients,
}

#[derive(ApiResponse)]
enum SessionCreated {
    /// Signed in; the session cookie is set.
    #[oai(status = 201)]
    Created(Json<SessionResponse>, #[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse)]
enum LoggedIn {
    /// Signed in; the session cookie is set.
    #[oai(status = 200)]
    Ok(Json<SessionResponse>, #[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse)]
enum LoggedOut {
    /// The session is over and the cookie cleared.
    #[oai(status = 204)]
    Done(#[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse)]
enum Accepted {
    /// Accepted. If the address has an account, a link is on its way.
    #[oai(status = 202)]
    Accepted,
}

use super::responses::{Created, NoContent, Result, patch_value};

fn session_body(s: NewSession) -> Json<SessionResponse> {
    Json(SessionResponse {
        business: s.tenant_slug,
        csrf_token: s.csrf_token,
    })
}

pub struct Api;

#[OpenApi]
impl Api {
    /// Sign up a business
    ///
    /// Creates the business, its owner account and a 14-day trial, and
    /// signs the owner in.
    #[oai(path = "/auth/signup", method = "post", tag = "Tag::Auth")]
    async fn signup(
        &self,
        app: Data<&App>,
        cookies: Data<&CookiePolicy>,
        req: &Request,
        body: JsonBody<SignupRequest>,
    ) -> Result<SessionCreated> {
        let b = body.0;
        let dpa = b.dpa.map(|d| {
            (
                termino_app::dpa::DpaAcceptanceInput {
                    version: d.version,
                    language: d.language,
                    company_name: b.company_name.clone(),
                    tax_id: d.tax_id,
                    authority_confirmed: d.authority_confirmed,
                },
                termino_http::acceptance_meta(req, "api"),
            )
        });
        let session = app
            .signup(SignupInput {
                dpa,
                company_name: b.company_name,
                slug: b.slug,
                owner_name: b.owner_name,
                email: b.email,
                phone: b.phone,
                password: b.password,
                time_zone: b.time_zone,
                language: b.language,
                phone_optional: false,
            })
            .await?;
        let cookie = session_cookie(&session.token, **cookies);
        Ok(SessionCreated::Created(session_body(session), cookie))
    }

    /// Log in
    ///
    /// One answer for an unknown e-mail and a wrong password. Repeated
    /// failures for one account or from one address answer 429.
    #[oai(path = "/auth/login", method = "post", tag = "Tag::Auth")]
    async fn login(
        &self,
        app: Data<&App>,
        cookies: Data<&CookiePolicy>,
        req: &Request,
        body: JsonBody<LoginRequest>,
    ) -> Result<LoggedIn> {
        let b = body.0;
        let client = ClientInfo { ip: client_ip(req) };
        let session = app
            .login(&b.email, &b.password, b.business.as_deref(), &client)
            .await?;
        let cookie = session_cookie(&session.token, **cookies);
        Ok(LoggedIn::Ok(session_body(session), cookie))
    }

    /// Log out
    #[oai(path = "/auth/logout", method = "post", tag = "Tag::Auth")]
    async fn logout(
        &self,
        app: Data<&App>,
        cookies: Data<&CookiePolicy>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<LoggedOut> {
        authorize(&app, req, &auth).await?;
        if let Some(token) = session_token(&auth) {
            app.logout(token).await?;
        }
        Ok(LoggedOut::Done(clear_session_cookie(**cookies)))
    }

    /// Ask for a password-reset link
    #[oai(path = "/auth/password-reset", method = "post", tag = "Tag::Auth")]
    async fn request_password_reset(
        &self,
        app: Data<&App>,
        body: JsonBody<PasswordResetRequest>,
    ) -> Result<Accepted> {
        app.request_password_reset(&body.0.email).await?;
        Ok(Accepted::Accepted)
    }

    /// Set a new password with a reset link's token
    ///
    /// Every session of the account ends.
    #[oai(
        path = "/auth/password-reset/confirm",
        method = "post",
        tag = "Tag::Auth"
    )]
    async fn confirm_password_reset(
        &self,
        app: Data<&App>,
        body: JsonBody<PasswordResetConfirm>,
    ) -> Result<NoContent> {
        app.reset_password(&body.0.token, &body.0.password).await?;
        Ok(NoContent::Done)
    }

    /// See an invitation before accepting it
    #[oai(path = "/auth/invitations/:token", method = "get", tag = "Tag::Auth")]
    async fn invitation_preview(
        &self,
        app: Data<&App>,
        token: Path<String>,
    ) -> Result<Json<InvitationPreview>> {
        let p = app.invitation_preview(&token.0).await?;
        Ok(Json(InvitationPreview {
            business_name: p.business_name,
            email: p.email,
            role: p.role.as_str().to_string(),
            has_account: p.has_account,
        }))
    }

    /// Accept an invitation
    ///
    /// A new person gives a name and a password; a person with an account
    /// gives that account's password. Signs the person in to the business.
    #[oai(path = "/auth/accept-invitation", method = "post", tag = "Tag::Auth")]
    async fn accept_invitation(
        &self,
        app: Data<&App>,
        cookies: Data<&CookiePolicy>,
        body: JsonBody<AcceptInvitationRequest>,
    ) -> Result<SessionCreated> {
        let b = body.0;
        let session = app
            .accept_invitation(&b.token, b.name.as_deref(), &b.password)
            .await?;
        let cookie = session_cookie(&session.token, **cookies);
        Ok(SessionCreated::Created(session_body(session), cookie))
    }

    /// The caller: business, role, account
    #[oai(path = "/me", method = "get", tag = "Tag::Business")]
    async fn me(&self, app: Data<&App>, req: &Request, auth: BusinessAuth) -> Result<Json<Me>> {
        let principal = authorize(&app, req, &auth).await?;
        let business = app.business(&principal).await?;
        let user = app.me(&principal).await?;
        let csrf_token = match &principal.actor {
            Actor::User { csrf_token, .. } => Some(csrf_token.clone()),
            Actor::ApiKey { .. } | Actor::Operator { .. } => None,
        };
        Ok(Json(Me {
            business: business.into(),
            role: principal.role().as_str().to_string(),
            user: user.map(Member::from),
            csrf_token,
        }))
    }

    /// Business settings
    #[oai(path = "/business", method = "get", tag = "Tag::Business")]
    async fn business(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<Business>> {
        let principal = authorize(&app, req, &auth).await?;
        Ok(Json(app.business(&principal).await?.into()))
    }

    /// Change business settings
    ///
    /// Owners and admins. Absent fields stay as they are.
    #[oai(path = "/business", method = "patch", tag = "Tag::Business")]
    async fn update_business(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        body: JsonBody<BusinessUpdate>,
    ) -> Result<Json<Business>> {
        let principal = authorize(&app, req, &auth).await?;
        let b = body.0;
        let saved = app
            .update_business(
                &principal,
                AppBusinessUpdate {
                    name: b.name,
                    time_zone: b.time_zone,
                    language: b.language,
                    cancellation_cutoff_hours: b.cancellation_cutoff_hours,
                    polish_holidays: b.polish_holidays,
                    booking_intro: b.booking_intro,
                    privacy_notice_url: b.privacy_notice_url,
                    marketing_consent_text: b.marketing_consent_text,
                    payment_hold_minutes: b.payment_hold_minutes,
                    refund_client_cancellations: b.refund_client_cancellations,
                    sms_without_polish_characters: b.sms_without_polish_characters,
                    contact_email: b.contact_email,
                },
            )
            .await?;
        Ok(Json(saved.into()))
    }

    /// People in the business
    #[oai(path = "/users", method = "get", tag = "Tag::Team")]
    async fn users(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<Vec<Member>>> {
        let principal = authorize(&app, req, &auth).await?;
        let members = app.members(&principal).await?;
        Ok(Json(members.into_iter().map(Member::from).collect()))
    }

    /// Change a person's role
    ///
    /// Owners only. A business keeps at least one owner.
    #[oai(path = "/users/:id", method = "patch", tag = "Tag::Team")]
    async fn change_role(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
        body: JsonBody<RoleChange>,
    ) -> Result<Json<Member>> {
        let principal = authorize(&app, req, &auth).await?;
        let member = app.change_role(&principal, id.0, &body.0.role).await?;
        Ok(Json(member.into()))
    }

    /// Remove a person from the business
    #[oai(path = "/users/:id", method = "delete", tag = "Tag::Team")]
    async fn remove_user(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<NoContent> {
        let principal = authorize(&app, req, &auth).await?;
        app.remove_member(&principal, id.0).await?;
        Ok(NoContent::Done)
    }

    /// Open invitations
    #[oai(path = "/invitations", method = "get", tag = "Tag::Team")]
    async fn invitations(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<Vec<Invitation>>> {
        let principal = authorize(&app, req, &auth).await?;
        let list = app.invitations(&principal).await?;
        Ok(Json(list.into_iter().map(Invitation::from).collect()))
    }

    /// Invite a person by e-mail
    ///
    /// Owners only. The link in the e-mail is valid for 7 days.
    #[oai(path = "/invitations", method = "post", tag = "Tag::Team")]
    async fn invite(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        body: JsonBody<NewInvitation>,
    ) -> Result<Created<Invitation>> {
        let principal = authorize(&app, req, &auth).await?;
        let inv = app.invite(&principal, &body.0.email, &body.0.role).await?;
        Ok(Created::Created(Json(inv.into())))
    }

    /// Withdraw an invitation
    #[oai(path = "/invitations/:id", method = "delete", tag = "Tag::Team")]
    async fn revoke_invitation(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<NoContent> {
        let principal = authorize(&app, req, &auth).await?;
        app.revoke_invitation(&principal, id.0).await?;
        Ok(NoContent::Done)
    }

    /// API keys of the business
    #[oai(path = "/api-keys", method = "get", tag = "Tag::ApiKeys")]
    async fn api_keys(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<Vec<ApiKey>>> {
        let principal = authorize(&app, req, &auth).await?;
        let keys = app.api_keys(&principal).await?;
        Ok(Json(keys.into_iter().map(ApiKey::from).collect()))
    }

    /// Create an API key
    ///
    /// Owners only. The secret is in this response and nowhere else.
    #[oai(path = "/api-keys", method = "post", tag = "Tag::ApiKeys")]
    async fn create_api_key(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        body: JsonBody<NewApiKey>,
    ) -> Result<Created<CreatedApiKey>> {
        let principal = authorize(&app, req, &auth).await?;
        let b = body.0;
        let created = app
            .create_api_key(&principal, &b.name, &b.scopes.unwrap_or_default())
            .await?;
        Ok(Created::Created(Json(CreatedApiKey {
            key: created.key.into(),
            secret: created.secret,
        })))
    }

    /// Revoke an API key
    #[oai(path = "/api-keys/:id", method = "delete", tag = "Tag::ApiKeys")]
    async fn revoke_api_key(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Json<ApiKey>> {
        let principal = authorize(&app, req, &auth).await?;
        Ok(Json(app.revoke_api_key(&principal, id.0).await?.into()))
    }

    /// List clients
    ///
    /// Oldest first. `q` searches name, e-mail, phone and notes (any part,
    /// any case). Pages of `limit` (default 50, at most 200); pass
    /// `next_cursor` as `cursor` for the next page.
    #[oai(path = "/clients", method = "get", tag = "Tag::Clients")]
    async fn clients(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        q: Query<Option<String>>,
        cursor: Query<Option<String>>,
        limit: Query<Option<u32>>,
    ) -> Result<Json<ClientList>> {
        let principal = authorize(&app, req, &auth).await?;
        let after = match cursor.0.as_deref() {
            None | Some("") => None,
            Some(c) => Some(Uuid::parse_str(c).map_err(|_| {
                ApiError::from(
                    Problem::new(
                        poem::http::StatusCode::BAD_REQUEST,
                        "invalid-cursor",
                        "The cursor is not one this API gave",
                    )
                    .field(
                        "cursor",
                        "invalid_cursor",
                        "use next_cursor from the previous page",
                    ),
                )
            })?),
        };
        let page = app
            .clients(
                &principal,
                q.0.as_deref(),
                after,
                limit.0.unwrap_or(50) as usize,
            )
            .await?;
        Ok(Json(ClientList {
            items: page.items.into_iter().map(Client::from).collect(),
            next_cursor: page.next.map(|id| id.to_string()),
        }))
    }

    /// Create a client
    ///
    /// A client's e-mail and phone are unique within the business.
    #[oai(path = "/clients", method = "post", tag = "Tag::Clients")]
    async fn create_client(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        body: JsonBody<NewClient>,
    ) -> Result<Created<Client>> {
        let principal = authorize(&app, req, &auth).await?;
        let b = body.0;
        let client = app
            .create_client(
                &principal,
                AppNewClient {
                    name: b.name,
                    email: b.email,
                    phone: b.phone,
                    notes: b.notes,
                    date_of_birth: b.date_of_birth,
                    custom_fields: b.custom_fields.unwrap_or_default(),
                    marketing_consent: b.marketing_consent.unwrap_or(false),
                    sms_consent: b.sms_consent.unwrap_or(false),
                    language: b.language.map(Into::into),
                },
            )
            .await?;
        Ok(Created::Created(Json(client.into())))
    }

    /// A client
    #[oai(path = "/clients/:id", method = "get", tag = "Tag::Clients")]
    async fn client(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Client>> {
        let principal = authorize(&app, req, &auth).await?;
        Ok(Json(app.client(&principal, id.0).await?.into()))
    }

    /// Change a client
    #[oai(path = "/clients/:id", method = "patch", tag = "Tag::Clients")]
    async fn update_client(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
        body: JsonBody<ClientUpdate>,
    ) -> Result<Json<Client>> {
        let principal = authorize(&app, req, &auth).await?;
        let b = body.0;
        let patch = ClientPatch {
            name: match b.name {
                MaybeUndefined::Value(n) => Some(n),
                MaybeUndefined::Null => Some(String::new()),
                MaybeUndefined::Undefined => None,
            },
            email: patch_value(b.email),
            phone: patch_value(b.phone),
            notes: patch_value(b.notes),
            date_of_birth: patch_value(b.date_of_birth),
            custom_fields: match b.custom_fields {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(Default::default()),
                MaybeUndefined::Value(f) => Some(f),
            },
            marketing_consent: match b.marketing_consent {
                MaybeUndefined::Value(v) => Some(v),
                MaybeUndefined::Null => Some(false),
                MaybeUndefined::Undefined => None,
            },
            sms_consent: match b.sms_consent {
                MaybeUndefined::Value(v) => Some(v),
                MaybeUndefined::Null => Some(false),
                MaybeUndefined::Undefined => None,
            },
            language: None,
        };
        Ok(Json(
            app.update_client(&principal, id.0, patch).await?.into(),
        ))
    }

    /// Delete a client
    #[oai(path = "/clients/:id", method = "delete", tag = "Tag::Clients")]
    async fn delete_client(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<NoContent> {
        let principal = authorize(&app, req, &auth).await?;
        app.delete_client(&principal, id.0).await?;
        Ok(NoContent::Done)
    }
}
