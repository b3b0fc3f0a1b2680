//! Notices to the business: e-mail to the owners and to the staff member
//! concerned (when they have an account) when a booking comes in, waits
//! for approval, moves, is cancelled, or its deposit is paid or refunded.
//! Queued in the booking's own transaction through the mail outbox, so a
//! change is announced exactly once, or not at all if it rolls back.
//! Each member chooses which notices they get.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use termino_domain::business::Language;
use termino_notify::texts::{self, NoticeDetails};
use termino_store::repo::scheduling::{self as repo, BookingRow};
use termino_store::repo::{accounts, notices, tenants};
use termino_store::{TenantScope, Tx, commit};
use uuid::Uuid;

use crate::auth::Principal;
use crate::{App, AppError, AppResult};

/// The notices a member can turn on and off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    NewBooking,
    AwaitingApproval,
    Rescheduled,
    Cancelled,
    DepositPaid,
    DepositRefunded,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 6] = [
        NoticeKind::NewBooking,
        NoticeKind::AwaitingApproval,
        NoticeKind::Rescheduled,
        NoticeKind::Cancelled,
        NoticeKind::DepositPaid,
        NoticeKind::DepositRefunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::NewBooking => "new_booking",
            NoticeKind::AwaitingApproval => "awaiting_approval",
            NoticeKind::Rescheduled => "rescheduled",
            NoticeKind::Cancelled => "cancelled",
            NoticeKind::DepositPaid => "deposit_paid",
            NoticeKind::DepositRefunded => "deposit_refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What happened to a booking, as the business hears of it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Notice {
    NewBooking,
    AwaitingApproval,
    Rescheduled {
        before: DateTime<Utc>,
    },
    /// Cancelled by the client (owners and staff hear) or by the business
    /// (only the staff member concerned hears).
    Cancelled {
        by_client: bool,
    },
    DepositPaid,
    DepositRefunded,
}

impl Notice {
    fn kind(self) -> NoticeKind {
        match self {
            Notice::NewBooking => NoticeKind::NewBooking,
            Notice::AwaitingApproval => NoticeKind::AwaitingApproval,
            Notice::Rescheduled { .. } => NoticeKind::Rescheduled,
            Notice::Cancelled { .. } => NoticeKind::Cancelled,
            Notice::DepositPaid => NoticeKind::DepositPaid,
            Notice::DepositRefunded => NoticeKind::DepositRefunded,
        }
    }

    fn text(self) -> texts::Notice {
        match self {
            Notice::NewBooking => texts::Notice::NewBooking,
            Notice::AwaitingApproval => texts::Notice::AwaitingApproval,
            Notice::Rescheduled { .. } => texts::Notice::Rescheduled,
            Notice::Cancelled { by_client } => texts::Notice::Cancelled { by_client },
            Notice::DepositPaid => texts::Notice::DepositPaid,
            Notice::DepositRefunded => texts::Notice::DepositRefunded,
        }
    }
}

/// The notices one member gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeSettings {
    pub enabled: Vec<NoticeKind>,
    /// The hour (0–23, the business's zone) of the daily agenda; none: off.
    pub agenda_hour: Option<u32>,
}

/// The agenda's hour as entered: 0–23 or none.
fn agenda_hour_of(hour: Option<i64>) -> AppResult<Option<u32>> {
    match hour {
        None => Ok(None),
        Some(h) => match u32::try_from(h) {
            Ok(h) if h <= 23 => Ok(Some(h)),
            _ => Err(AppError::invalid(
                "agenda_hour",
                "invalid_hour",
                "a whole hour from 0 to 23, or none for no agenda",
            )),
        },
    }
}

fn muted_of(stored: Option<&str>) -> Vec<NoticeKind> {
    stored
        .unwrap_or("")
        .split(',')
        .filter_map(NoticeKind::parse)
        .collect()
}

impl App {
    /// The caller's own notice settings (a person's; a key has none).
    pub async fn notice_settings(&self, principal: &Principal) -> AppResult<NoticeSettings> {
        let user_id = principal
            .user_id()
            .ok_or(AppError::Forbidden("notice settings belong to a person"))?;
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        let stored = notices::get(&tx, &scope, user_id).await?;
        commit(tx).await?;
        let muted = muted_of(stored.as_ref().map(|s| s.muted.as_str()));
        let stored = stored.as_ref();
        Ok(NoticeSettings {
            enabled: NoticeKind::ALL
                .into_iter()
                .filter(|k| !muted.contains(k))
                .collect(),
            agenda_hour: stored
                .and_then(|s| s.agenda_hour)
                .and_then(|h| u32::try_from(h).ok()),
        })
    }

    /// Sets which notices the caller gets (named by their keys; an unknown
    /// one is refused, naming the field) and the hour of their daily
    /// agenda (none: no agenda), planned in the same transaction.
    pub async fn set_notice_settings(
        &self,
        principal: &Principal,
        enabled: &[String],
        agenda_hour: Option<i64>,
    ) -> AppResult<NoticeSettings> {
        let user_id = principal
            .user_id()
            .ok_or(AppError::Forbidden("notice settings belong to a person"))?;
        let mut on = Vec::new();
        for name in enabled {
            match NoticeKind::parse(name) {
                Some(k) => on.push(k),
                None => {
                    return Err(AppError::invalid(
                        "enabled",
                        "unknown_notice",
                        format!(
                            "unknown notice; known: {}",
                            NoticeKind::ALL.map(NoticeKind::as_str).join(", ")
                        ),
                    ));
                }
            }
        }
        let agenda_hour = agenda_hour_of(agenda_hour)?;
        let muted: Vec<&str> = NoticeKind::ALL
            .into_iter()
            .filter(|k| !on.contains(k))
            .map(NoticeKind::as_str)
            .collect();
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        notices::save(
            &tx,
            &scope,
            user_id,
            muted.join(","),
            agenda_hour.map(|h| h as i32),
            self.now(),
        )
        .await?;
        self.plan_agenda(&tx, &scope, user_id, agenda_hour).await?;
        commit(tx).await?;
        self.notice_settings(principal).await
    }

    /// Queues the notice of a booking's change, in the change's
    /// transaction: to every owner and the booking's staff member (once
    /// each), unless they turned it off.
    pub(crate) async fn notice_to_business(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        row: &BookingRow,
        notice: Notice,
    ) -> AppResult<()> {
        let tenant = tenants::get(tx, scope).await?.ok_or(AppError::NotFound)?;
        let staff = repo::get_staff(tx, scope, row.staff_id).await?;
        let service = repo::get_service(tx, scope, row.service_id).await?;
        let members = accounts::members(tx, scope).await?;
        let mut to: Vec<(Uuid, String)> = Vec::new();
        if !matches!(notice, Notice::Cancelled { by_client: false }) {
            for (m, user) in &members {
                if m.role == "owner" {
                    to.push((user.id, user.email.clone()));
                }
            }
        }
        if let Some(user_id) = staff.as_ref().and_then(|s| s.user_id)
            && let Some((_, user)) = members.iter().find(|(_, u)| u.id == user_id)
            && !to.iter().any(|(id, _)| *id == user_id)
        {
            to.push((user.id, user.email.clone()));
        }
        let settings = notices::all(tx, scope).await?;
        to.retain(|(id, _)| {
            let stored = settings.iter().find(|s| s.user_id == *id);
            !muted_of(stored.map(|s| s.muted.as_str())).contains(&notice.kind())
        });
        if to.is_empty() {
            return Ok(());
        }
        let lang = Language::parse(&tenant.language).unwrap_or_default();
        let zone: Tz = tenant
            .time_zone
            .parse()
            .unwrap_or(chrono_tz::Europe::Warsaw);
        let when = texts::format_when(lang, row.starts_at.with_timezone(&zone));
        let before = match notice {
            Notice::Rescheduled { before } => {
                Some(texts::format_when(lang, before.with_timezone(&zone)))
            }
            _ => None,
        };
        let link = format!("{}/app/bookings/{}", self.config().public_url, row.id);
        let details = NoticeDetails {
            business: &tenant.name,
            service: service.as_ref().map(|s| s.name.as_str()).unwrap_or(""),
            staff: staff.as_ref().map(|s| s.name.as_str()).unwrap_or(""),
            when: &when,
            before: before.as_deref(),
            link: &link,
        };
        for (_, email) in to {
            let message = texts::notice_for_business(lang, notice.text(), &details);
            self.enqueue_mail(tx, Some(scope.id()), &email, message)
                .await?;
        }
        Ok(())
    }
}
