//! Appointment reminders (issue 22): a business's settings, a durable job
//! per (booking, offset, start) written in the booking's own transaction,
//! the reminder mail, and the client's "I'll be there" from its link.
//!
//! A job is keyed by the booking's start and version, so a booking that
//! moves or changes state gets new jobs and its old ones are cancelled in
//! the same transaction; a job that runs anyway (it was claimed just then)
//! checks the booking's current state and start and does nothing if they
//! are no longer what it was planned for.

use crate::ConflictKind;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use termino_domain::business::Language;
use termino_domain::reminders::{self as rules, Channel, Offset, ReminderPolicy};
use termino_notify::reminder_texts::{self, ReminderDetails};
use termino_notify::texts;
use termino_store::repo::clients::ClientRow;
use termino_store::repo::jobs as jobs_repo;
use termino_store::repo::reminders::{self as repo, ReminderSettingsRow};
use termino_store::repo::scheduling::{self as scheduling, BookingRow};
use termino_store::repo::tenants::{self, Tenant};
use termino_store::sealed;
use termino_store::{TenantScope, Tx, commit};
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::auth::Principal;
use crate::bookings::{Booking, BookingStatus};
use crate::jobs::{BackgroundJob, JobContext, JobError};
use crate::keys::Keyring;
use crate::{App, AppError, AppResult};

/// A business's reminder settings as shown and edited.
#[derive(Debug, Clone)]
pub struct ReminderSettings {
    /// Largest first; empty: no reminders.
    pub offsets: Vec<Offset>,
    /// "HH:MM" in the business's zone; outside is quiet hours.
    pub send_from: String,
    pub send_until: String,
    /// Printed in reminders; empty for none.
    pub address: String,
}

/// New settings as entered (offsets: hours before and channel; 0 disables).
#[derive(Debug, Clone, Default)]
pub struct ReminderSettingsInput {
    pub offsets: Vec<(i64, String)>,
    pub send_from: String,
    pub send_until: String,
    pub address: String,
}

const MAX_ADDRESS: usize = 300;

fn settings_of(policy: &ReminderPolicy, address: &str) -> ReminderSettings {
    ReminderSettings {
        offsets: policy.offsets.clone(),
        send_from: policy.send_from.format("%H:%M").to_string(),
        send_until: policy.send_until.format("%H:%M").to_string(),
        address: address.to_string(),
    }
}

/// The stored settings, or the defaults.
pub(crate) fn policy_of(row: Option<&ReminderSettingsRow>) -> (ReminderPolicy, String) {
    let Some(row) = row else {
        return (ReminderPolicy::default(), String::new());
    };
    let time = |s: &str| chrono::NaiveTime::parse_from_str(s, "%H:%M").ok();
    let defaults = ReminderPolicy::default();
    let policy = ReminderPolicy {
        offsets: serde_json::from_str(&row.offsets).unwrap_or(defaults.offsets),
        send_from: time(&row.send_from).unwrap_or(defaults.send_from),
        send_until: time(&row.send_until).unwrap_or(defaults.send_until),
    };
    (policy, row.address.clone())
}

fn zone_of(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::Europe::Warsaw)
}

/// Every reminder job of a booking has a key starting with this.
fn key_prefix(booking: Uuid) -> String {
    format!("reminder:{booking}:")
}

/// The business's address as its client mail prints it (empty: none given).
pub(crate) async fn business_address(tx: &Tx, scope: &TenantScope) -> AppResult<String> {
    let settings = repo::settings(tx, scope).await?;
    Ok(policy_of(settings.as_ref()).1)
}

/// A service's price as the client's mail prints it; nothing for a free one.
pub(crate) fn price_text(lang: Language, minor: i64, currency: &str) -> String {
    if minor == 0 {
        String::new()
    } else {
        reminder_texts::format_price(lang, minor, currency)
    }
}

impl App {
    pub async fn reminder_settings(&self, principal: &Principal) -> AppResult<ReminderSettings> {
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        let row = repo::settings(&tx, &scope).await?;
        commit(tx).await?;
        let (policy, address) = policy_of(row.as_ref());
        Ok(settings_of(&policy, &address))
    }

    /// Owners and admins. Applies to reminders planned from now on (a
    /// booking made, moved or approved); planned ones keep their times.
    pub async fn update_reminder_settings(
        &self,
        principal: &Principal,
        input: ReminderSettingsInput,
    ) -> AppResult<ReminderSettings> {
        self.check_writable(principal).await?;
        principal.require(
            principal.role().can_edit_business_settings(),
            "editing business settings",
        )?;
        let offsets: Vec<(i64, &str)> = input
            .offsets
            .iter()
            .map(|(h, c)| (*h, c.as_str()))
            .collect();
        let policy = rules::parse_policy(&offsets, &input.send_from, &input.send_until)?;
        let address = input.address.trim().to_string();
        if address.chars().count() > MAX_ADDRESS {
            return Err(AppError::invalid(
                "address",
                "too_long",
                "at most 300 characters",
            ));
        }
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        repo::save_settings(
            &tx,
            &scope,
            ReminderSettingsRow {
                tenant_id: scope.id(),
                offsets: serde_json::to_string(&policy.offsets).map_err(anyhow::Error::from)?,
                send_from: policy.send_from.format("%H:%M").to_string(),
                send_until: policy.send_until.format("%H:%M").to_string(),
                address: address.clone(),
                sms_template: None,
                updated_at: self.now(),
            },
        )
        .await?;
        self.audit_in(
            &tx,
            &scope,
            AuditEvent::new(principal.audit_actor(), "reminders.settings_changed"),
        )
        .await?;
        commit(tx).await?;
        Ok(settings_of(&policy, &address))
    }

    /// Plans a booking's reminders again after it was made, moved or
    /// changed state, in that change's transaction: the pending ones are
    /// cancelled, and a confirmed booking gets one job per offset whose
    /// time is still ahead.
    pub(crate) async fn refresh_reminders(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        row: &BookingRow,
    ) -> AppResult<()> {
        jobs_repo::cancel_prefix(tx, &key_prefix(row.id)).await?;
        if row.status != BookingStatus::Confirmed.as_str() {
            return Ok(());
        }
        let tenant = tenants::get(tx, scope).await?.ok_or(AppError::NotFound)?;
        let settings = repo::settings(tx, scope).await?;
        let (policy, _) = policy_of(settings.as_ref());
        let zone = zone_of(&tenant.time_zone);
        for (offset, due) in rules::plan(&policy, row.starts_at, self.now(), zone) {
            let job = SendReminder {
                tenant: scope.id(),
                booking: row.id,
                hours_before: offset.hours_before,
                channel: offset.channel,
                starts_at: row.starts_at,
            };
            // The version makes a booking moved back to an earlier time
            // get its reminders again; a retried enqueue adds none.
            let key = format!(
                "{}{}:{}:{}",
                key_prefix(row.id),
                offset.hours_before,
                row.starts_at.timestamp(),
                row.updated_at.timestamp_micros()
            );
            self.enqueue_job(tx, Some(scope.id()), key, &job, due)
                .await?;
        }
        Ok(())
    }

    /// The client says they will come (the manage link, e.g. from a
    /// reminder): recorded once, shown to the business.
    pub async fn confirm_by_client(&self, slug: &str, token: &str) -> AppResult<Booking> {
        let (business, booking) = self.managed_booking(slug, token).await?;
        if booking.status != BookingStatus::Confirmed || booking.starts_at <= self.now() {
            return Err(AppError::Conflict {
                kind: ConflictKind::NotConfirmable,
                field: None,
                message: "only an upcoming confirmed booking can be confirmed".into(),
            });
        }
        let scope = business.scope;
        if booking.confirmed_by_client_at.is_none() {
            let tx = self.db().begin_tenant(&scope).await?;
            repo::set_confirmed_by_client(&tx, &scope, booking.id, Some(self.now())).await?;
            self.record_change(
                &tx,
                &scope,
                booking.id,
                crate::changes::ChangeKind::ConfirmedByClient,
                crate::changes::ChangeActor::Client,
            )
            .await?;
            commit(tx).await?;
            tracing::info!(event = "booking_confirmed_by_client", tenant_id = %scope.id(), booking_id = %booking.id, "client confirmed a booking");
        }
        let (_, booking) = self.managed_booking(slug, token).await?;
        Ok(booking)
    }

    /// The reminder mail to the client, queued (sealed) in `tx`.
    async fn queue_reminder_mail(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        keyring: &Keyring,
        tenant: &Tenant,
        row: &BookingRow,
    ) -> AppResult<()> {
        let Some(client) = termino_store::repo::clients::get(tx, scope, row.client_id).await?
        else {
            return Ok(());
        };
        let Some(to) = client
            .email
            .as_deref()
            .and_then(|e| keyring.open_text(&sealed::CLIENT_EMAIL, client.id, e))
        else {
            return Ok(());
        };
        let message = self
            .reminder_text(tx, scope, keyring, (tenant, &client), row, |lang, _, d| {
                reminder_texts::reminder(lang, d)
            })
            .await?;
        self.enqueue_sealed_mail(tx, keyring, &to, message, None)
            .await?;
        Ok(())
    }

    /// The facts of a booking's reminder, written by `write` in the
    /// client's language (a mail or a text message).
    async fn reminder_text<T>(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        keyring: &Keyring,
        (tenant, client): (&Tenant, &ClientRow),
        row: &BookingRow,
        write: impl FnOnce(Language, Option<&str>, &ReminderDetails<'_>) -> T,
    ) -> AppResult<T> {
        let service = scheduling::get_service(tx, scope, row.service_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let staff = scheduling::get_staff(tx, scope, row.staff_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let settings = repo::settings(tx, scope).await?;
        let (_, address) = policy_of(settings.as_ref());
        // The job already holds the business and the client: read once.
        let lang = crate::clients::client_language(keyring, Some(client), tenant);
        let local = row.starts_at.with_timezone(&zone_of(&tenant.time_zone));
        let when = texts::format_when(lang, local);
        let date = texts::format_day(lang, local);
        let time = local.format("%H:%M").to_string();
        let price = price_text(lang, service.price_minor, &service.currency);
        let manage_link = row
            .manage_token
            .as_deref()
            .and_then(|t| keyring.open_text(&sealed::BOOKING_TOKEN, row.id, t))
            .map(|t| format!("{}/b/{}/manage/{t}", self.config().public_url, tenant.slug));
        Ok(write(
            lang,
            settings.as_ref().and_then(|s| s.sms_template.as_deref()),
            &ReminderDetails {
                business: &tenant.name,
                service: &service.name,
                staff: &staff.name,
                when: &when,
                duration_min: (row.ends_at - row.starts_at).num_minutes(),
                date: &date,
                time: &time,
                address: &address,
                price: &price,
                manage_link: manage_link.as_deref(),
            },
        ))
    }
}

/// One reminder of one booking, planned for the start it names.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct SendReminder {
    pub tenant: Uuid,
    pub booking: Uuid,
    pub hours_before: u32,
    pub channel: Channel,
    pub starts_at: DateTime<Utc>,
}

#[async_trait::async_trait]
impl BackgroundJob for SendReminder {
    const KIND: &'static str = "booking_reminder";

    async fn run(&self, app: &App, ctx: &JobContext) -> Result<(), JobError> {
        let scope = TenantScope::authenticated(self.tenant);
        let tx = ctx.begin(app).await?;
        let Some(row) = scheduling::get_booking(&tx, &scope, self.booking).await? else {
            return Ok(());
        };
        // Moved, cancelled or already begun: nothing to remind of (a moved
        // booking has jobs of its own).
        if row.status != BookingStatus::Confirmed.as_str()
            || row.starts_at.timestamp() != self.starts_at.timestamp()
            || row.starts_at <= app.now()
        {
            return Ok(());
        }
        // A read-only account (its plan ended, or it is being deleted)
        // sends nothing to its clients. The job ends done, not failed:
        // retrying cannot help, and a reminder sent late (after a plan is
        // chosen again) would be worse than none.
        let tenant = tenants::get(&tx, &scope).await?.ok_or(AppError::NotFound)?;
        if crate::dpa::check_standing(&tenant, app.now()).is_err() {
            tracing::info!(event = "reminder_skipped", tenant_id = %self.tenant, booking_id = %self.booking, reason = "account_read_only", "booking reminder not sent: the account is read-only");
            ctx.complete(app, tx).await?;
            return Ok(());
        }
        let keyring = app.sealing_keys(&tx, &scope).await?;
        if self.channel.email() {
            app.queue_reminder_mail(&tx, &scope, &keyring, &tenant, &row)
                .await?;
        }
        if self.channel.sms() {
            // SMS: the sms channel is sent by the sms module
            send_sms_reminder(app, &tx, &scope, &keyring, &tenant, &row).await?;
        }
        ctx.complete(app, tx).await?;
        tracing::info!(event = "reminder_queued", tenant_id = %self.tenant, booking_id = %self.booking, hours_before = self.hours_before, channel = self.channel.as_str(), "booking reminder queued");
        Ok(())
    }
}

/// Queues the reminder as a text message in the job's transaction, if
/// the client consented to texts at the phone they gave; the SMS module
/// checks the number, the plan's monthly limit and whether SMS is on.
async fn send_sms_reminder(
    app: &App,
    tx: &Tx,
    scope: &TenantScope,
    keyring: &Keyring,
    tenant: &Tenant,
    row: &BookingRow,
) -> Result<(), JobError> {
    let Some(client) = termino_store::repo::clients::get(tx, scope, row.client_id).await? else {
        return Ok(());
    };
    let consented = client
        .sms_consent
        .as_deref()
        .and_then(|c| keyring.open_text(&sealed::CLIENT_SMS_CONSENT, client.id, c))
        .is_some_and(|c| c == "1");
    let phone = client
        .phone
        .as_deref()
        .and_then(|p| keyring.open_text(&sealed::CLIENT_PHONE, client.id, p));
    let (true, Some(phone)) = (consented, phone) else {
        return Ok(());
    };
    let text = app
        .reminder_text(
            tx,
            scope,
            keyring,
            (tenant, &client),
            row,
            reminder_texts::reminder_sms,
        )
        .await?;
    let outcome = match app
        .queue_sms(tx, scope.id(), Some(row.id), &phone, &text)
        .await?
    {
        crate::sms::SmsQueued::Queued(_) => "queued",
        crate::sms::SmsQueued::Off => "sms_off",
        crate::sms::SmsQueued::NotTextable(_) => "not_textable",
        crate::sms::SmsQueued::LimitReached => "limit_reached",
    };
    tracing::info!(event = "reminder_sms", tenant_id = %scope.id(), booking_id = %row.id, outcome, "reminder text message");
    Ok(())
}
