//! GraphQL at `/graphql`: the same use cases as REST (no business logic
//! here), DataLoaders so that a list of bookings with their clients, staff
//! and services costs a fixed number of queries, depth and complexity
//! limits, GraphiQL on GET, and `bookingEvents` over WebSocket.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{
    Context, ErrorExtensions, ID, InputObject, Object, Schema, SimpleObject, Subscription,
};
use async_graphql_poem::{GraphQLRequest, GraphQLResponse};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use poem::web::Data;
use poem::{IntoResponse, Request, Response, handler};
use termino_app::auth::Principal;
use termino_app::bookings::{BookingRequest, BookingStatus, ClientDetails};
use termino_app::clients::{ClientRecord, NewClient};
use termino_app::{App, AppError};
use termino_domain::scope::{Access, Area};
use termino_store::repo::scheduling::BookingFilter;
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::graphql_ws::SocketSession;
use crate::rest::auth::principal_from_request;
use crate::rest::problem::ApiError;
use crate::rest::rate_limit::RateBucket;

pub type TerminoSchema = Schema<Query, Mutation, Subscription>;

/// The same kinds as REST problem types, in `extensions.code`.
fn gql_error(e: AppError) -> async_graphql::Error {
    let problem = ApiError::from(e).0;
    let code = problem
        .kind
        .rsplit('/')
        .next()
        .unwrap_or("internal")
        .to_string();
    let fields: Vec<String> = problem
        .invalid_params
        .iter()
        .map(|p| p.name.clone())
        .collect();
    async_graphql::Error::new(problem.title.clone()).extend_with(|_, ext| {
        ext.set("code", code.clone());
        if !fields.is_empty() {
            ext.set("fields", fields.clone());
        }
    })
}

fn principal<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    ctx.data::<Principal>().map_err(|_| {
        async_graphql::Error::new("Authentication required")
            .extend_with(|_, e| e.set("code", "unauthenticated"))
    })
}

/// A mutation: the key's scope, as REST checks it. The read-only gate is
/// inside each use case.
async fn writer<'a>(ctx: &Context<'a>, area: Area) -> async_graphql::Result<&'a Principal> {
    allowed(ctx, area, Access::Write)
}

/// API-key scopes, as REST checks them.
fn allowed<'a>(
    ctx: &Context<'a>,
    area: Area,
    access: Access,
) -> async_graphql::Result<&'a Principal> {
    let p = principal(ctx)?;
    if p.allows(area, access) {
        Ok(p)
    } else {
        Err(async_graphql::Error::new(format!(
            "This API key needs the scope {}:{}",
            area.as_str(),
            access.as_str()
        ))
        .extend_with(|_, e| e.set("code", "insufficient-scope")))
    }
}

#[derive(SimpleObject, Clone)]
pub struct Service {
    id: ID,
    name: String,
    duration_min: i32,
    price_minor: i64,
    currency: String,
    capacity: i32,
}

#[derive(SimpleObject, Clone)]
pub struct Staff {
    id: ID,
    name: String,
    time_zone: String,
}

impl From<termino_app::catalog::Service> for Service {
    fn from(s: termino_app::catalog::Service) -> Self {
        Service {
            id: ID(s.id.to_string()),
            name: s.name,
            duration_min: s.duration_min,
            price_minor: s.price_minor,
            currency: s.currency,
            capacity: s.capacity,
        }
    }
}

impl From<termino_app::catalog::StaffMember> for Staff {
    fn from(s: termino_app::catalog::StaffMember) -> Self {
        Staff {
            id: ID(s.id.to_string()),
            name: s.name,
            time_zone: s.time_zone,
        }
    }
}

/// A client; personal fields are absent when the business's keys were
/// destroyed (`state` "erased") or a value failed its check ("damaged").
#[derive(SimpleObject, Clone)]
pub struct Client {
    id: ID,
    state: String,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    notes: Option<String>,
    /// The language of the client's mail; absent on clients from before.
    language: Option<ClientLanguage>,
}

/// The language a client reads their mail and text messages in.
#[derive(async_graphql::Enum, Copy, Clone, PartialEq, Eq)]
pub enum ClientLanguage {
    Pl,
    En,
}

impl From<ClientLanguage> for termino_domain::business::Language {
    fn from(l: ClientLanguage) -> Self {
        match l {
            ClientLanguage::Pl => Self::Pl,
            ClientLanguage::En => Self::En,
        }
    }
}

impl From<termino_domain::business::Language> for ClientLanguage {
    fn from(l: termino_domain::business::Language) -> Self {
        match l {
            termino_domain::business::Language::Pl => Self::Pl,
            termino_domain::business::Language::En => Self::En,
        }
    }
}

impl From<ClientRecord> for Client {
    fn from(r: ClientRecord) -> Self {
        match r {
            ClientRecord::Readable(c) => Client {
                id: ID(c.id.to_string()),
                state: "active".into(),
                name: Some(c.name),
                email: c.email,
                phone: c.phone,
                notes: c.notes,
                language: c.language.map(Into::into),
            },
            ClientRecord::Erased { id, .. } | ClientRecord::Damaged { id, .. } => Client {
                id: ID(id.to_string()),
                state: if matches!(r, ClientRecord::Erased { .. }) {
                    "erased"
                } else {
                    "damaged"
                }
                .into(),
                name: None,
                email: None,
                phone: None,
                notes: None,
                language: None,
            },
        }
    }
}

#[derive(Clone)]
pub struct Booking(termino_app::bookings::Booking);

#[Object]
impl Booking {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn status(&self) -> &str {
        self.0.status.as_str()
    }
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// When the client confirmed the visit from the manage link.
    async fn confirmed_by_client_at(&self) -> Option<DateTime<Utc>> {
        self.0.confirmed_by_client_at
    }
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Service>> {
        ctx.data_unchecked::<DataLoader<ServiceLoader>>()
            .load_one(self.0.service_id)
            .await
            .map_err(|e| e.as_ref().clone())
    }
    async fn staff(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Staff>> {
        ctx.data_unchecked::<DataLoader<StaffLoader>>()
            .load_one(self.0.staff_id)
            .await
            .map_err(|e| e.as_ref().clone())
    }
    async fn client(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Client>> {
        allowed(ctx, Area::Clients, Access::Read)?;
        ctx.data_unchecked::<DataLoader<ClientLoader>>()
            .load_one(self.0.client_id)
            .await
            .map_err(|e| e.as_ref().clone())
    }
}

/// Loaders answer for one caller (one request): they hold its principal,
/// and read each list once however many batches the request makes, so a
/// request costs the same number of queries for 10 bookings or 100.
pub struct ServiceLoader(App, Principal, OnceCell<Vec<termino_app::catalog::Service>>);
pub struct StaffLoader(
    App,
    Principal,
    OnceCell<Vec<termino_app::catalog::StaffMember>>,
);
pub struct ClientLoader(
    App,
    Principal,
    OnceCell<termino_app::clients::ClientSnapshot>,
);

type Shared = Arc<async_graphql::Error>;

impl Loader<Uuid> for ServiceLoader {
    type Value = Service;
    type Error = Shared;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Service>, Shared> {
        let all = self
            .2
            .get_or_try_init(|| self.0.services_of(&self.1.tenant, false))
            .await
            .map_err(|e| Arc::new(gql_error(e)))?
            .clone();
        Ok(all
            .into_iter()
            .filter(|s| keys.contains(&s.id))
            .map(|s| (s.id, Service::from(s)))
            .collect())
    }
}

impl Loader<Uuid> for StaffLoader {
    type Value = Staff;
    type Error = Shared;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Staff>, Shared> {
        let all = self
            .2
            .get_or_try_init(|| self.0.staff_of(&self.1.tenant, false))
            .await
            .map_err(|e| Arc::new(gql_error(e)))?
            .clone();
        Ok(all
            .into_iter()
            .filter(|s| keys.contains(&s.id))
            .map(|s| (s.id, Staff::from(s)))
            .collect())
    }
}

impl Loader<Uuid> for ClientLoader {
    type Value = Client;
    type Error = Shared;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Client>, Shared> {
        let snapshot = self
            .2
            .get_or_try_init(|| self.0.client_snapshot(&self.1))
            .await
            .map_err(|e| Arc::new(gql_error(e)))?;
        Ok(keys
            .iter()
            .filter_map(|id| snapshot.get(*id).map(|r| (*id, Client::from(r.clone()))))
            .collect())
    }
}

fn uuid_of(id: &ID, field: &str) -> async_graphql::Result<Uuid> {
    id.parse::<Uuid>().map_err(|_| {
        let field = field.to_string();
        async_graphql::Error::new(format!("{field} is not an id")).extend_with(move |_, e| {
            e.set("code", "invalid-input");
            e.set("fields", vec![field.clone()]);
        })
    })
}

pub struct Query;

#[Object]
impl Query {
    /// The business's services.
    async fn services(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Service>> {
        let p = allowed(ctx, Area::Catalog, Access::Read)?;
        let app = ctx.data_unchecked::<App>();
        let list = app.services_of(&p.tenant, false).await.map_err(gql_error)?;
        Ok(list.into_iter().map(Service::from).collect())
    }

    /// Clients, oldest first; `query` searches name, e-mail, phone, notes.
    async fn clients(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
        first: Option<i32>,
        after: Option<ID>,
    ) -> async_graphql::Result<Vec<Client>> {
        let p = allowed(ctx, Area::Clients, Access::Read)?;
        let app = ctx.data_unchecked::<App>();
        let after = after.as_ref().map(|a| uuid_of(a, "after")).transpose()?;
        let page = app
            .clients(
                p,
                query.as_deref(),
                after,
                first.unwrap_or(50).clamp(1, 200) as usize,
            )
            .await
            .map_err(gql_error)?;
        Ok(page.items.into_iter().map(Client::from).collect())
    }

    /// Bookings ordered by start.
    async fn bookings(
        &self,
        ctx: &Context<'_>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<Booking>> {
        let p = allowed(ctx, Area::Bookings, Access::Read)?;
        let app = ctx.data_unchecked::<App>();
        let list = app
            .bookings(
                p,
                BookingFilter {
                    from,
                    to,
                    limit: first.unwrap_or(50).clamp(1, 200) as u64,
                    ..Default::default()
                },
            )
            .await
            .map_err(gql_error)?;
        Ok(list.into_iter().map(Booking).collect())
    }

    /// The business.
    async fn business(&self, ctx: &Context<'_>) -> async_graphql::Result<Business> {
        let p = allowed(ctx, Area::Business, Access::Read)?;
        let b = ctx
            .data_unchecked::<App>()
            .business(p)
            .await
            .map_err(gql_error)?;
        Ok(Business::from(b))
    }

    /// Its staff members.
    async fn staff(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Staff>> {
        let p = allowed(ctx, Area::Catalog, Access::Read)?;
        let list = ctx
            .data_unchecked::<App>()
            .staff_of(&p.tenant, false)
            .await
            .map_err(gql_error)?;
        Ok(list.into_iter().map(Staff::from).collect())
    }

    async fn client(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Client> {
        let p = allowed(ctx, Area::Clients, Access::Read)?;
        let app = ctx.data_unchecked::<App>();
        Ok(Client::from(
            app.client(p, uuid_of(&id, "id")?)
                .await
                .map_err(gql_error)?,
        ))
    }

    /// Free slots for a service, dates inclusive in `zone`; `staffId`
    /// absent means anyone.
    async fn availability(
        &self,
        ctx: &Context<'_>,
        service_id: ID,
        staff_id: Option<ID>,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        zone: String,
    ) -> async_graphql::Result<Vec<Slot>> {
        let p = allowed(ctx, Area::Bookings, Access::Read)?;
        let app = ctx.data_unchecked::<App>();
        let tz = termino_app::bookings::parse_zone("zone", &zone).map_err(gql_error)?;
        let staff = staff_id
            .as_ref()
            .map(|s| uuid_of(s, "staffId"))
            .transpose()?;
        let slots = app
            .availability(
                &p.tenant,
                uuid_of(&service_id, "serviceId")?,
                staff,
                from,
                to,
                tz,
            )
            .await
            .map_err(gql_error)?;
        Ok(slots
            .into_iter()
            .map(|s| Slot {
                start: s.start,
                end: s.end,
                staff_ids: s.staff.iter().map(|(id, _)| ID(id.to_string())).collect(),
            })
            .collect())
    }

    async fn booking(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Booking> {
        let p = allowed(ctx, Area::Bookings, Access::Read)?;
        let app = ctx.data_unchecked::<App>();
        Ok(Booking(
            app.booking(p, uuid_of(&id, "id")?)
                .await
                .map_err(gql_error)?,
        ))
    }
}

#[derive(InputObject)]
pub struct ClientInput {
    name: String,
    email: Option<String>,
    phone: Option<String>,
    notes: Option<String>,
    /// The language of the client's mail; absent: a new client gets the
    /// business's, a known one keeps theirs.
    language: Option<ClientLanguage>,
}

#[derive(InputObject)]
pub struct BookingInput {
    service_id: ID,
    /// Absent: anyone who performs the service.
    staff_id: Option<ID>,
    start: DateTime<Utc>,
    zone: String,
    client: ClientInput,
}

#[derive(SimpleObject)]
pub struct CreatedBooking {
    booking: Booking,
    manage_token: String,
}

pub struct Mutation;

#[Object]
impl Mutation {
    async fn create_client(
        &self,
        ctx: &Context<'_>,
        input: ClientInput,
    ) -> async_graphql::Result<Client> {
        let p = writer(ctx, Area::Clients).await?;
        let app = ctx.data_unchecked::<App>();
        let c = app
            .create_client(
                p,
                NewClient {
                    name: input.name,
                    email: input.email,
                    phone: input.phone,
                    notes: input.notes,
                    language: input.language.map(Into::into),
                    ..Default::default()
                },
            )
            .await
            .map_err(gql_error)?;
        Ok(Client::from(ClientRecord::Readable(c)))
    }

    async fn book(
        &self,
        ctx: &Context<'_>,
        input: BookingInput,
    ) -> async_graphql::Result<CreatedBooking> {
        let p = writer(ctx, Area::Bookings).await?;
        let app = ctx.data_unchecked::<App>();
        let created = app
            .book_by(
                &p.tenant,
                BookingRequest {
                    service_id: uuid_of(&input.service_id, "serviceId")?,
                    staff_id: input
                        .staff_id
                        .as_ref()
                        .map(|s| uuid_of(s, "staffId"))
                        .transpose()?,
                    start: input.start,
                    client_zone: input.zone,
                    client: ClientDetails {
                        name: input.client.name,
                        email: input.client.email,
                        phone: input.client.phone,
                        notes: input.client.notes,
                        marketing_consent: false,
                        sms_consent: false,
                        language: input.client.language.map(Into::into),
                    },
                },
                None,
                termino_app::changes::actor_of(p),
            )
            .await
            .map_err(gql_error)?;
        Ok(CreatedBooking {
            booking: Booking(created.booking),
            manage_token: created.manage_token,
        })
    }

    /// Change a client; absent fields stay.
    async fn update_client(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ClientPatchInput,
    ) -> async_graphql::Result<Client> {
        let p = writer(ctx, Area::Clients).await?;
        let app = ctx.data_unchecked::<App>();
        let patch = termino_app::clients::ClientPatch {
            name: input.name,
            email: input.email.map(Some),
            phone: input.phone.map(Some),
            notes: input.notes.map(Some),
            ..Default::default()
        };
        let c = app
            .update_client(p, uuid_of(&id, "id")?, patch)
            .await
            .map_err(gql_error)?;
        Ok(Client::from(ClientRecord::Readable(c)))
    }

    async fn delete_client(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let p = writer(ctx, Area::Clients).await?;
        ctx.data_unchecked::<App>()
            .delete_client(p, uuid_of(&id, "id")?)
            .await
            .map_err(gql_error)?;
        Ok(true)
    }

    /// Move a booking (optionally to another staff member).
    async fn reschedule_booking(
        &self,
        ctx: &Context<'_>,
        id: ID,
        start: DateTime<Utc>,
        staff_id: Option<ID>,
    ) -> async_graphql::Result<Booking> {
        let p = writer(ctx, Area::Bookings).await?;
        let staff = staff_id
            .as_ref()
            .map(|s| uuid_of(s, "staffId"))
            .transpose()?;
        let b = ctx
            .data_unchecked::<App>()
            .reschedule_booking(p, uuid_of(&id, "id")?, start, staff)
            .await
            .map_err(gql_error)?;
        Ok(Booking(b))
    }

    /// Move a booking along its states: CONFIRMED approves a requested
    /// booking; COMPLETED and NO_SHOW come after its start.
    async fn set_booking_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: BookingState,
    ) -> async_graphql::Result<Booking> {
        let p = writer(ctx, Area::Bookings).await?;
        let to = match status {
            BookingState::Confirmed => BookingStatus::Confirmed,
            BookingState::Completed => BookingStatus::Completed,
            BookingState::NoShow => BookingStatus::NoShow,
        };
        let b = ctx
            .data_unchecked::<App>()
            .change_booking_status(p, uuid_of(&id, "id")?, to, None)
            .await
            .map_err(gql_error)?;
        Ok(Booking(b))
    }

    /// Add a service (owners and admins).
    async fn create_service(
        &self,
        ctx: &Context<'_>,
        input: ServiceInput,
    ) -> async_graphql::Result<Service> {
        let p = writer(ctx, Area::Catalog).await?;
        let app = ctx.data_unchecked::<App>();
        let staff_ids = input
            .staff_ids
            .iter()
            .map(|s| uuid_of(s, "staffIds"))
            .collect::<async_graphql::Result<Vec<_>>>()?;
        let d = termino_app::catalog::ServiceInput::default();
        let created = app
            .create_service(
                p,
                termino_app::catalog::ServiceInput {
                    name: input.name,
                    description: input.description.unwrap_or_default(),
                    duration_min: input.duration_min,
                    price_minor: input.price_minor.unwrap_or(d.price_minor),
                    currency: input.currency.unwrap_or(d.currency),
                    buffer_before_min: input.buffer_before_min.unwrap_or(d.buffer_before_min),
                    buffer_after_min: input.buffer_after_min.unwrap_or(d.buffer_after_min),
                    min_notice_min: input.min_notice_min.unwrap_or(d.min_notice_min),
                    max_advance_days: input.max_advance_days.unwrap_or(d.max_advance_days),
                    step_min: input.step_min.unwrap_or(d.step_min),
                    capacity: input.capacity.unwrap_or(d.capacity),
                    requires_approval: input.requires_approval.unwrap_or(false),
                    active: true,
                    staff_ids,
                    ..d
                },
            )
            .await
            .map_err(gql_error)?;
        Ok(Service::from(created))
    }

    /// Add a staff member (the business's zone unless given).
    async fn create_staff(
        &self,
        ctx: &Context<'_>,
        name: String,
        time_zone: Option<String>,
    ) -> async_graphql::Result<Staff> {
        let p = writer(ctx, Area::Catalog).await?;
        let s = ctx
            .data_unchecked::<App>()
            .create_staff(
                p,
                termino_app::catalog::StaffInput {
                    name,
                    user_id: None,
                    time_zone,
                    active: true,
                },
            )
            .await
            .map_err(gql_error)?;
        Ok(Staff::from(s))
    }

    /// Replace a staff member's weekly hours: seven lists, Monday first, of
    /// "HH:MM-HH:MM" intervals.
    async fn set_working_hours(
        &self,
        ctx: &Context<'_>,
        staff_id: ID,
        week: Vec<Vec<String>>,
    ) -> async_graphql::Result<bool> {
        let p = writer(ctx, Area::Catalog).await?;
        if week.len() != 7 {
            return Err(
                async_graphql::Error::new("week has seven days, Monday first").extend_with(
                    |_, e| {
                        e.set("code", "invalid-input");
                        e.set("fields", vec!["week"]);
                    },
                ),
            );
        }
        let mut days: [Vec<(String, String)>; 7] = Default::default();
        for (i, day) in week.iter().enumerate() {
            days[i] = day
                .iter()
                .map(|range| match range.split_once('-') {
                    Some((a, b)) => (a.trim().to_string(), b.trim().to_string()),
                    None => (range.clone(), String::new()),
                })
                .collect();
        }
        ctx.data_unchecked::<App>()
            .set_working_hours(p, uuid_of(&staff_id, "staffId")?, &days)
            .await
            .map_err(gql_error)?;
        Ok(true)
    }

    /// Close the business on some days (inclusive).
    async fn create_closure(
        &self,
        ctx: &Context<'_>,
        starts_on: chrono::NaiveDate,
        ends_on: chrono::NaiveDate,
        reason: Option<String>,
    ) -> async_graphql::Result<ID> {
        let p = writer(ctx, Area::Catalog).await?;
        let c = ctx
            .data_unchecked::<App>()
            .create_closure(p, starts_on, ends_on, reason.as_deref().unwrap_or(""))
            .await
            .map_err(gql_error)?;
        Ok(ID(c.id.to_string()))
    }

    /// Change business settings; absent fields stay.
    #[allow(clippy::too_many_arguments)] // one GraphQL argument per setting
    async fn update_business(
        &self,
        ctx: &Context<'_>,
        name: Option<String>,
        time_zone: Option<String>,
        language: Option<String>,
        cancellation_cutoff_hours: Option<i64>,
        polish_holidays: Option<bool>,
        #[graphql(desc = "Shown at the top of the booking page (plain text).")]
        booking_intro: Option<String>,
        #[graphql(desc = "An https address; an empty string removes the link.")]
        privacy_notice_url: Option<String>,
        #[graphql(desc = "An empty string stops asking for marketing consent.")]
        marketing_consent_text: Option<String>,
        #[graphql(
            desc = "Reply-To of mail to clients; an empty string removes it."
        )]
        contact_email: Option<String>,
    ) -> async_graphql::Result<Business> {
        let p = writer(ctx, Area::Business).await?;
        let b = ctx
            .data_unchecked::<App>()
            .update_business(
                p,
                termino_app::business::BusinessUpdate {
                    name,
                    time_zone,
                    language,
                    cancellation_cutoff_hours,
                    polish_holidays,
                    booking_intro,
                    privacy_notice_url,
                    marketing_consent_text,
                    contact_email,
                    ..Default::default()
                },
            )
            .await
            .map_err(gql_error)?;
        Ok(Business::from(b))
    }

    /// Register a webhook endpoint; the signing secret is returned once.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        url: String,
        events: Vec<String>,
        include_personal_data: Option<bool>,
    ) -> async_graphql::Result<CreatedWebhookEndpoint> {
        let p = writer(ctx, Area::Business).await?;
        let created = ctx
            .data_unchecked::<App>()
            .create_webhook_endpoint(
                p,
                termino_app::webhooks::EndpointInput {
                    url,
                    description: String::new(),
                    events,
                    include_personal_data: include_personal_data.unwrap_or(false),
                },
            )
            .await
            .map_err(gql_error)?;
        Ok(CreatedWebhookEndpoint {
            id: ID(created.endpoint.id.to_string()),
            secret: created.secret,
        })
    }

    async fn cancel_booking(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> async_graphql::Result<Booking> {
        let p = writer(ctx, Area::Bookings).await?;
        let app = ctx.data_unchecked::<App>();
        let b = app
            .change_booking_status(
                p,
                uuid_of(&id, "id")?,
                BookingStatus::Cancelled,
                reason.as_deref(),
            )
            .await
            .map_err(gql_error)?;
        Ok(Booking(b))
    }
}

#[derive(SimpleObject, Clone)]
pub struct Business {
    id: ID,
    slug: String,
    name: String,
    time_zone: String,
    language: String,
    plan: String,
    trial_ends_at: Option<DateTime<Utc>>,
    cancellation_cutoff_hours: i32,
    polish_holidays: bool,
    booking_intro: String,
    privacy_notice_url: Option<String>,
    marketing_consent_text: Option<String>,
    contact_email: Option<String>,
}

impl From<termino_app::accounts::Business> for Business {
    fn from(b: termino_app::accounts::Business) -> Self {
        Self {
            id: ID(b.id.to_string()),
            slug: b.slug,
            name: b.name,
            time_zone: b.time_zone,
            language: b.language,
            plan: b.plan,
            trial_ends_at: b.trial_ends_at,
            cancellation_cutoff_hours: b.cancellation_cutoff_hours,
            polish_holidays: b.polish_holidays,
            booking_intro: b.booking_intro,
            privacy_notice_url: b.privacy_notice_url,
            marketing_consent_text: b.marketing_consent_text,
            contact_email: b.contact_email,
        }
    }
}

#[derive(InputObject)]
pub struct ServiceInput {
    name: String,
    description: Option<String>,
    duration_min: i64,
    price_minor: Option<i64>,
    currency: Option<String>,
    buffer_before_min: Option<i64>,
    buffer_after_min: Option<i64>,
    min_notice_min: Option<i64>,
    max_advance_days: Option<i64>,
    step_min: Option<i64>,
    capacity: Option<i64>,
    requires_approval: Option<bool>,
    #[graphql(default)]
    staff_ids: Vec<ID>,
}

#[derive(SimpleObject)]
pub struct CreatedWebhookEndpoint {
    id: ID,
    /// `whsec_…`; shown only now.
    secret: String,
}

#[derive(SimpleObject, Clone)]
pub struct Slot {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    staff_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct ClientPatchInput {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    notes: Option<String>,
}

#[derive(async_graphql::Enum, Copy, Clone, PartialEq, Eq)]
pub enum BookingState {
    Confirmed,
    Completed,
    NoShow,
}

#[derive(SimpleObject, Clone)]
pub struct BookingEvent {
    /// booking.created, booking.rescheduled, booking.confirmed, booking.cancelled, …
    kind: String,
    booking_id: ID,
}

pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Changes to the business's bookings as they happen (on this node).
    async fn booking_events(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = BookingEvent>> {
        let p = allowed(ctx, Area::Bookings, Access::Read)?;
        let tenant = p.tenant.id();
        let app = ctx.data_unchecked::<App>().clone();
        let socket = ctx.data_opt::<Arc<SocketSession>>().cloned();
        let rx = match &socket {
            Some(socket) => socket.booking_events(&app),
            None => app.booking_events(),
        };
        Ok(futures_util::stream::unfold(
            (rx, app, socket),
            move |(mut rx, app, socket)| async move {
                use tokio::sync::broadcast::error::RecvError;
                loop {
                    match rx.recv().await {
                        Ok(n) if n.tenant == tenant => {
                            // A key revoked or a session ended since the
                            // socket opened: close it instead of telling.
                            if let Some(socket) = &socket
                                && !socket.still_valid(&app).await
                            {
                                socket.end();
                                return None;
                            }
                            let event = BookingEvent {
                                kind: n.kind.to_string(),
                                booking_id: ID(n.booking_id.to_string()),
                            };
                            return Some((event, (rx, app, socket)));
                        }
                        // Another business's event, or missed ones: go on.
                        Ok(_) | Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    }
                }
            },
        ))
    }
}

pub fn schema(app: App) -> TerminoSchema {
    Schema::build(Query, Mutation, Subscription)
        .data(app)
        .limit_depth(8)
        .limit_complexity(2_000)
        .extension(crate::graphql_guard::Guard)
        .finish()
}

pub(crate) fn per_request(app: &App, principal: Principal) -> async_graphql::Data {
    let mut data = async_graphql::Data::default();
    data.insert(DataLoader::new(
        ServiceLoader(app.clone(), principal.clone(), OnceCell::new()),
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        StaffLoader(app.clone(), principal.clone(), OnceCell::new()),
        tokio::spawn,
    ));
    data.insert(DataLoader::new(
        ClientLoader(app.clone(), principal.clone(), OnceCell::new()),
        tokio::spawn,
    ));
    data.insert(principal);
    data
}

#[handler]
pub async fn graphql_post(
    req: &Request,
    app: Data<&App>,
    schema: Data<&TerminoSchema>,
    gql: GraphQLRequest,
) -> Response {
    let principal = match principal_from_request(&app, req).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let mut request = gql.0;
    request.data = per_request(&app, principal);
    if let Some(bucket) = req.extensions().get::<RateBucket>() {
        request.data.insert(bucket.clone());
    }
    GraphQLResponse::from(schema.execute(request).await).into_response()
}

/// For the SDL snapshot.
pub fn sdl(schema: &TerminoSchema) -> String {
    schema.sdl()
}
