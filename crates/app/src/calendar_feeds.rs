//! Private calendar feeds: a staff member's bookings (or the whole
//! business's) at a secret address that Google Calendar, Outlook and Apple
//! Calendar subscribe to (`webcal://`). The secret is kept as a hash; a
//! feed is revoked or regenerated (a new secret) at will. An event names
//! the service and, unless the owner chose "no client details", the
//! client's first name; nothing else of the client. Each fetch is a read of
//! client data and goes into the business's audit log.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use termino_notify::calendar::{CalendarEvent, feed_ics};
use termino_store::repo::calendar_feeds::{self as repo, FeedRow};
use termino_store::repo::scheduling::{self as scheduling, BookingFilter};
use termino_store::repo::{clients, tenants};
use termino_store::{TenantScope, commit, sealed};
use uuid::Uuid;

use crate::audit::{AuditActor, AuditEvent};
use crate::auth::Principal;
use crate::bookings::{BookingStatus, calendar_status};
use crate::calendar::booking_uid;
use crate::secret::{new_token, token_hash};
use crate::{App, AppError, AppResult};

/// How much a feed shows of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedClientDetails {
    /// The client's first name beside the service (the default).
    FirstName,
    /// The service only.
    None,
}

impl FeedClientDetails {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedClientDetails::FirstName => "first_name",
            FeedClientDetails::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "first_name" => Some(FeedClientDetails::FirstName),
            "none" => Some(FeedClientDetails::None),
            _ => None,
        }
    }
}

/// A feed as its owner sees it (the secret only when just made).
#[derive(Debug, Clone)]
pub struct CalendarFeed {
    pub id: Uuid,
    /// None: every staff member's bookings.
    pub staff_id: Option<Uuid>,
    pub client_details: FeedClientDetails,
    pub created_at: DateTime<Utc>,
}

impl From<FeedRow> for CalendarFeed {
    fn from(r: FeedRow) -> Self {
        Self {
            id: r.id,
            staff_id: r.staff_id,
            client_details: FeedClientDetails::parse(&r.client_details)
                .unwrap_or(FeedClientDetails::None),
            created_at: r.created_at,
        }
    }
}

/// A new feed and its address, shown once.
#[derive(Debug, Clone)]
pub struct NewFeed {
    pub feed: CalendarFeed,
    /// `https://…/calendar/<secret>.ics`
    pub url: String,
    /// The same as `webcal://…`, which calendar programs open to subscribe.
    pub webcal_url: String,
}

/// Bookings from this long ago appear in a feed, and up to a year ahead.
const PAST: Duration = Duration::days(31);
const AHEAD: Duration = Duration::days(366);

impl App {
    /// A feed of one staff member (their own, or anyone's for owners and
    /// admins) or, without one, of the business (owners and admins).
    pub async fn create_calendar_feed(
        &self,
        principal: &Principal,
        staff_id: Option<Uuid>,
        client_details: FeedClientDetails,
    ) -> AppResult<NewFeed> {
        self.check_writable(principal).await?;
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        match staff_id {
            Some(staff) => self.may_manage_calendars_of(&tx, principal, staff).await?,
            None => principal.require(
                principal.role().can_edit_business_settings(),
                "a calendar feed of the whole business",
            )?,
        }
        let token = new_token();
        let row = repo::insert(
            &tx,
            &scope,
            FeedRow {
                id: Uuid::now_v7(),
                tenant_id: scope.id(),
                staff_id,
                token_hash: token_hash(&token),
                client_details: client_details.as_str().into(),
                created_at: self.now(),
                revoked_at: None,
            },
        )
        .await?;
        commit(tx).await?;
        Ok(self.new_feed(row, &token))
    }

    fn new_feed(&self, row: FeedRow, token: &str) -> NewFeed {
        let url = self.link(&format!("/calendar/{token}.ics"));
        let webcal_url = match url.split_once("://") {
            Some((_, rest)) => format!("webcal://{rest}"),
            None => url.clone(),
        };
        NewFeed {
            feed: row.into(),
            url,
            webcal_url,
        }
    }

    /// The feeds the caller may manage.
    pub async fn calendar_feeds(&self, principal: &Principal) -> AppResult<Vec<CalendarFeed>> {
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let mut mine = Vec::new();
        for row in repo::active(&tx, &principal.tenant).await? {
            let allowed = match row.staff_id {
                Some(staff) => self
                    .may_manage_calendars_of(&tx, principal, staff)
                    .await
                    .is_ok(),
                None => principal.role().can_edit_business_settings(),
            };
            if allowed {
                mine.push(row.into());
            }
        }
        commit(tx).await?;
        Ok(mine)
    }

    async fn managed_feed(
        &self,
        tx: &termino_store::Tx,
        principal: &Principal,
        id: Uuid,
    ) -> AppResult<FeedRow> {
        let row = repo::get(tx, &principal.tenant, id)
            .await?
            .ok_or(AppError::NotFound)?;
        match row.staff_id {
            Some(staff) => self.may_manage_calendars_of(tx, principal, staff).await?,
            None => principal.require(
                principal.role().can_edit_business_settings(),
                "a calendar feed of the whole business",
            )?,
        }
        Ok(row)
    }

    /// The address stops working at once.
    pub async fn revoke_calendar_feed(&self, principal: &Principal, id: Uuid) -> AppResult<()> {
        self.check_writable(principal).await?;
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        self.managed_feed(&tx, principal, id).await?;
        repo::revoke(&tx, &principal.tenant, id, self.now()).await?;
        commit(tx).await?;
        Ok(())
    }

    /// A new secret address for the same feed; the old one stops working.
    pub async fn regenerate_calendar_feed(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> AppResult<NewFeed> {
        self.check_writable(principal).await?;
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        let old = self.managed_feed(&tx, principal, id).await?;
        repo::revoke(&tx, &scope, id, self.now()).await?;
        let token = new_token();
        let row = repo::insert(
            &tx,
            &scope,
            FeedRow {
                id: Uuid::now_v7(),
                token_hash: token_hash(&token),
                created_at: self.now(),
                revoked_at: None,
                ..old
            },
        )
        .await?;
        commit(tx).await?;
        Ok(self.new_feed(row, &token))
    }

    /// The calendar at a feed's secret address; `NotFound` for an unknown
    /// or revoked one.
    pub async fn calendar_feed_ics(&self, token: &str) -> AppResult<String> {
        let feed = repo::by_hash(self.db().connection(), &token_hash(token))
            .await?
            .ok_or(AppError::NotFound)?;
        let scope = TenantScope::authenticated(feed.tenant_id);
        let now = self.now();
        let tx = self.db().begin_tenant(&scope).await?;
        let tenant = tenants::get(&tx, &scope).await?.ok_or(AppError::NotFound)?;
        let rows = scheduling::bookings(
            &tx,
            &scope,
            &BookingFilter {
                from: Some(now - PAST),
                to: Some(now + AHEAD),
                staff_id: feed.staff_id,
                limit: 5000,
                ..BookingFilter::default()
            },
        )
        .await?;
        let services: HashMap<Uuid, String> = scheduling::services(&tx, &scope, false)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        let staff: HashMap<Uuid, String> = scheduling::staff(&tx, &scope, false)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        let details =
            FeedClientDetails::parse(&feed.client_details).unwrap_or(FeedClientDetails::None);
        let keyring = self.keys().for_read(feed.tenant_id, None, now).await?;
        let mut first_names: HashMap<Uuid, String> = HashMap::new();
        let mut events = Vec::new();
        for row in rows.iter().filter(|r| {
            BookingStatus::parse(&r.status).is_some_and(|s| s != BookingStatus::Cancelled)
        }) {
            let service = services.get(&row.service_id).cloned().unwrap_or_default();
            let mut summary = service;
            if details == FeedClientDetails::FirstName {
                if let std::collections::hash_map::Entry::Vacant(slot) =
                    first_names.entry(row.client_id)
                {
                    let name = clients::get(&tx, &scope, row.client_id)
                        .await?
                        .and_then(|c| keyring.open_text(&sealed::CLIENT_NAME, c.id, &c.name))
                        .and_then(|n| n.split_whitespace().next().map(str::to_string))
                        .unwrap_or_default();
                    slot.insert(name);
                }
                if let Some(first) = first_names.get(&row.client_id).filter(|n| !n.is_empty()) {
                    summary = format!("{summary} — {first}");
                }
            }
            let who = if feed.staff_id.is_none() {
                staff.get(&row.staff_id).cloned().unwrap_or_default()
            } else {
                String::new()
            };
            events.push((row, summary, who, booking_uid(row.id)));
        }
        let shown: Vec<CalendarEvent<'_>> = events
            .iter()
            .map(|(row, summary, who, uid)| CalendarEvent {
                uid,
                summary,
                description: who,
                location: "",
                start: row.starts_at,
                end: row.ends_at,
                sequence: row.sequence.max(0) as u32,
                status: calendar_status(
                    BookingStatus::parse(&row.status).unwrap_or(BookingStatus::Confirmed),
                ),
                organizer: None,
                attendee: None,
                alarm_before: None,
            })
            .collect();
        let name = match feed.staff_id.and_then(|s| staff.get(&s)) {
            Some(person) => format!("{} — {person}", tenant.name),
            None => tenant.name.clone(),
        };
        let ics = feed_ics(&name, &shown, now);
        let mut event = AuditEvent::new(AuditActor::CalendarFeed(feed.id), "calendar_feed.read");
        event.target = Some(("calendar_feed", feed.id));
        event.detail = Some(format!("{} bookings", shown.len()));
        self.audit_in(&tx, &scope, event).await?;
        commit(tx).await?;
        Ok(ics)
    }
}
