//! The daily agenda by e-mail (issue 22): a member who chose an hour gets
//! that day's visits at that hour of the business's zone — an owner or
//! admin the whole business's, a staff member's log-in their own. Nothing
//! is sent on a day without visits.
//!
//! One durable job per (business, member, day), keyed by exactly that, so
//! a day's agenda is sent at most once however often the hour changes,
//! across restarts and nodes. The job queues its mail, and the next day's
//! job, in the transaction that marks it done (the mail outbox sends it).

use chrono::{DateTime, Duration, NaiveDate, TimeZone as _, Utc};
use chrono_tz::Tz;
use termino_domain::account::Role;
use termino_domain::business::Language;
use termino_notify::agenda_texts::{self, AgendaDetails, AgendaLine};
use termino_store::repo::jobs as jobs_repo;
use termino_store::repo::scheduling::{self, BookingFilter};
use termino_store::repo::{accounts, notices, tenants};
use termino_store::{TenantScope, Tx};
use uuid::Uuid;

use crate::bookings::BookingStatus;
use crate::jobs::{BackgroundJob, JobContext, JobError};
use crate::{App, AppResult};

fn key_prefix(tenant: Uuid, user: Uuid) -> String {
    format!("agenda:{tenant}:{user}:")
}

fn zone_of(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::Europe::Warsaw)
}

/// `hour`:00 of `day` in `zone`; in the hour the clocks skip, the first
/// moment after it (02:00 on the spring-forward day is 03:00).
pub(crate) fn hour_of(day: NaiveDate, hour: u32, zone: Tz) -> DateTime<Utc> {
    (hour..=hour + 2)
        .find_map(|h| {
            let t = day.and_hms_opt(h.min(23), 0, 0)?;
            zone.from_local_datetime(&t).earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&day.and_hms_opt(hour, 0, 0).unwrap_or_default()))
}

/// The first day whose agenda hour is after `after`.
fn first_day_after(after: DateTime<Utc>, hour: u32, zone: Tz) -> NaiveDate {
    let today = after.with_timezone(&zone).date_naive();
    if hour_of(today, hour, zone) > after {
        today
    } else {
        today + Duration::days(1)
    }
}

fn midnight(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    hour_of(day, 0, zone)
}

impl App {
    /// Plans a member's next agenda after their setting changed, in that
    /// change's transaction: pending ones are dropped, and with an hour the
    /// first day still ahead gets its job (a day already sent is skipped).
    pub(crate) async fn plan_agenda(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        user: Uuid,
        hour: Option<u32>,
    ) -> AppResult<()> {
        jobs_repo::cancel_prefix(tx, &key_prefix(scope.id(), user)).await?;
        let Some(hour) = hour else {
            return Ok(());
        };
        let tenant = tenants::get(tx, scope)
            .await?
            .ok_or(crate::AppError::NotFound)?;
        let zone = zone_of(&tenant.time_zone);
        let first = first_day_after(self.now(), hour, zone);
        for day in [first, first + Duration::days(1)] {
            if self.agenda_job(tx, scope, user, day, hour, zone).await? {
                break;
            }
        }
        Ok(())
    }

    /// The job of one day's agenda; false if that day's has run already.
    async fn agenda_job(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        user: Uuid,
        day: NaiveDate,
        hour: u32,
        zone: Tz,
    ) -> AppResult<bool> {
        let job = SendAgenda {
            tenant: scope.id(),
            user,
            day,
        };
        let key = format!("{}{day}", key_prefix(scope.id(), user));
        let at = hour_of(day, hour, zone);
        if self
            .enqueue_job(tx, Some(scope.id()), key.clone(), &job, at)
            .await?
        {
            return Ok(true);
        }
        let payload = serde_json::to_string(&job).map_err(anyhow::Error::from)?;
        Ok(jobs_repo::revive(tx, &key, &payload, at).await?)
    }
}

/// One member's agenda of one day (of the business's zone).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct SendAgenda {
    pub tenant: Uuid,
    pub user: Uuid,
    pub day: NaiveDate,
}

#[async_trait::async_trait]
impl BackgroundJob for SendAgenda {
    const KIND: &'static str = "daily_agenda";

    async fn run(&self, app: &App, ctx: &JobContext) -> Result<(), JobError> {
        let scope = TenantScope::authenticated(self.tenant);
        let tx = ctx.begin(app).await?;
        // Turned off, or no longer a member: nothing, and no next day.
        let Some(hour) = notices::get(&tx, &scope, self.user)
            .await?
            .and_then(|s| s.agenda_hour)
            .and_then(|h| u32::try_from(h).ok())
        else {
            return Ok(());
        };
        let members = accounts::members(&tx, &scope).await?;
        let Some((member, user)) = members.iter().find(|(_, u)| u.id == self.user) else {
            return Ok(());
        };
        let Some(tenant) = tenants::get(&tx, &scope).await? else {
            return Ok(());
        };
        let zone = zone_of(&tenant.time_zone);
        let lang = Language::parse(&tenant.language).unwrap_or_default();
        let (from, to) = (
            midnight(self.day, zone),
            midnight(self.day + Duration::days(1), zone),
        );
        // A day that is over (the service was down all of it) is skipped.
        let mut sent = 0;
        if app.now() < to {
            let own: Option<Vec<Uuid>> = if Role::parse(&member.role).ok() == Some(Role::Staff) {
                Some(
                    scheduling::staff(&tx, &scope, false)
                        .await?
                        .into_iter()
                        .filter(|s| s.user_id == Some(self.user))
                        .map(|s| s.id)
                        .collect(),
                )
            } else {
                None
            };
            let bookings: Vec<_> = scheduling::bookings(
                &tx,
                &scope,
                &BookingFilter {
                    from: Some(from),
                    to: Some(to),
                    limit: 1000,
                    ..BookingFilter::default()
                },
            )
            .await?
            .into_iter()
            .filter(|b| b.status != BookingStatus::Cancelled.as_str())
            .filter(|b| own.as_ref().is_none_or(|own| own.contains(&b.staff_id)))
            .collect();
            if !bookings.is_empty() {
                let services = scheduling::services(&tx, &scope, false).await?;
                let staff = scheduling::staff(&tx, &scope, false).await?;
                let base = app.config().public_url.trim_end_matches('/').to_string();
                let texts: Vec<(String, String, String, String)> = bookings
                    .iter()
                    .map(|b| {
                        let local = |t: DateTime<Utc>| t.with_timezone(&zone).format("%H:%M");
                        (
                            format!("{}–{}", local(b.starts_at), local(b.ends_at)),
                            services
                                .iter()
                                .find(|s| s.id == b.service_id)
                                .map(|s| s.name.clone())
                                .unwrap_or_default(),
                            staff
                                .iter()
                                .find(|s| s.id == b.staff_id)
                                .map(|s| s.name.clone())
                                .unwrap_or_default(),
                            format!("{base}/app/bookings/{}", b.id),
                        )
                    })
                    .collect();
                let lines: Vec<AgendaLine<'_>> = texts
                    .iter()
                    .zip(&bookings)
                    .map(|((time, service, staff, link), b)| AgendaLine {
                        time,
                        service,
                        staff,
                        state: agenda_texts::state_name(lang, &b.status),
                        link,
                    })
                    .collect();
                let calendar_link = format!("{base}/app/calendar?view=day&date={}", self.day);
                let message = agenda_texts::daily_agenda(
                    lang,
                    &AgendaDetails {
                        business: &tenant.name,
                        day: self.day,
                        lines: &lines,
                        calendar_link: &calendar_link,
                    },
                );
                app.enqueue_mail(&tx, Some(scope.id()), &user.email, message)
                    .await?;
                sent = lines.len();
            }
        }
        // The next day's; after an outage, today's (late rather than
        // never: a day that is over is skipped as above).
        let today = app.now().with_timezone(&zone).date_naive();
        let next = (self.day + Duration::days(1)).max(today);
        app.agenda_job(&tx, &scope, self.user, next, hour, zone)
            .await?;
        if ctx.complete(app, tx).await? {
            app.wake_mail();
        }
        tracing::info!(event = "daily_agenda", tenant_id = %self.tenant, user_id = %self.user, day = %self.day, visits = sent, "daily agenda");
        Ok(())
    }
}
