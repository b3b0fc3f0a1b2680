//! Calendar files for bookings: the invitation a client's mail carries
//! (METHOD:REQUEST, or METHOD:CANCEL with the same UID and a higher
//! SEQUENCE so mail programs remove the event).

use chrono::Duration;
use termino_notify::calendar::{CalendarEvent, Method, Party, Status, booking_ics};
use termino_store::repo::accounts;
use termino_store::repo::scheduling::BookingRow;
use termino_store::repo::tenants::Tenant;
use termino_store::{TenantScope, Tx};

use crate::bookings::{BookingStatus, calendar_status};
use crate::{App, AppResult};

/// A calendar program reminds the client this long before the visit.
pub const ALARM_BEFORE: Duration = Duration::hours(1);

/// The booking's UID: stable over every change, unique across servers.
pub fn booking_uid(booking: uuid::Uuid) -> String {
    format!("{booking}@termino")
}

impl App {
    /// Where a business is answered: its first owner's address (replies to
    /// an invitation and to its mails go to a person, not to Termino).
    pub(crate) async fn reply_address(
        &self,
        tx: &Tx,
        scope: &TenantScope,
    ) -> AppResult<Option<String>> {
        Ok(accounts::members(tx, scope)
            .await?
            .into_iter()
            .find(|(m, _)| m.role == "owner")
            .map(|(_, user)| user.email))
    }

    /// The `.ics` a client's mail about `row` carries, addressed to `to`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn invitation(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        row: &BookingRow,
        service: &str,
        tenant: &Tenant,
        to: &str,
        manage_link: Option<&str>,
    ) -> AppResult<termino_notify::Attachment> {
        let status =
            calendar_status(BookingStatus::parse(&row.status).unwrap_or(BookingStatus::Cancelled));
        let method = if status == Status::Cancelled {
            Method::Cancel
        } else {
            Method::Request
        };
        let reply = self.reply_address(tx, scope).await?;
        let ics = booking_ics(
            &CalendarEvent {
                uid: &booking_uid(row.id),
                summary: &format!("{service} — {}", tenant.name),
                description: manage_link.unwrap_or(""),
                location: &tenant.name,
                start: row.starts_at,
                end: row.ends_at,
                sequence: row.sequence.max(0) as u32,
                status,
                organizer: reply.as_deref().map(|email| Party {
                    name: Some(&tenant.name),
                    email,
                }),
                attendee: Some(Party {
                    name: None,
                    email: to,
                }),
                alarm_before: Some(ALARM_BEFORE),
            },
            method,
            self.now(),
        );
        Ok(termino_notify::Attachment {
            filename: if method == Method::Cancel {
                "cancel.ics".into()
            } else {
                "invite.ics".into()
            },
            content_type: method.content_type(),
            content: ics.into_bytes(),
        })
    }
}
