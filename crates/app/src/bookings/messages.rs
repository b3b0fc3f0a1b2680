//! The client's mails about a booking (sealed, with an invitation) and
//! the staff member's.

use super::*;

impl App {
    /// Confirmation, approval, reschedule and cancellation notices for the
    /// client (sealed, with an `.ics`), and new/cancelled notices for the
    /// staff member when linked to an account.
    pub(super) async fn queue_booking_messages(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        keyring: &Keyring,
        row: &BookingRow,
        manage_token: Option<&str>,
        event: BookingEvent,
    ) -> AppResult<()> {
        let tenant = tenants::get(tx, scope).await?.ok_or(AppError::NotFound)?;
        let service = repo::get_service(tx, scope, row.service_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let staff = repo::get_staff(tx, scope, row.staff_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let client = termino_store::repo::clients::get(tx, scope, row.client_id).await?;
        let lang = crate::clients::client_language(keyring, client.as_ref(), &tenant);
        let zone: Tz = row.client_zone.parse().unwrap_or(chrono_tz::Europe::Warsaw);
        let when = texts::format_when(lang, row.starts_at.with_timezone(&zone));
        let price = crate::reminders::price_text(lang, service.price_minor, &service.currency);
        let address = crate::reminders::business_address(tx, scope).await?;
        // The token kept (sealed) with the booking when the caller has
        // none at hand: an approval's mail links the manage page too.
        let kept = row
            .manage_token
            .as_deref()
            .and_then(|t| keyring.open_text(&sealed::BOOKING_TOKEN, row.id, t));
        // A cancelled or declined visit has nothing left to manage.
        let ended = matches!(event, BookingEvent::Cancelled | BookingEvent::Declined);
        let manage_link = manage_token
            .map(str::to_string)
            .or(kept)
            .filter(|_| !ended)
            .map(|t| format!("{}/b/{}/manage/{t}", self.config().public_url, tenant.slug));
        let details = texts::BookingDetails {
            business: &tenant.name,
            service: &service.name,
            staff: &staff.name,
            when: &when,
            duration_min: (row.ends_at - row.starts_at).num_minutes(),
            price: &price,
            address: &address,
            manage_link: manage_link.as_deref(),
        };
        let client_email = client
            .as_ref()
            .and_then(|c| keyring.open_text(&sealed::CLIENT_EMAIL, c.id, c.email.as_deref()?));
        if let Some(to) = client_email {
            let message = texts::booking_for_client(lang, event, &details);
            let attachment = self
                .invitation(
                    tx,
                    scope,
                    row,
                    &service.name,
                    &tenant,
                    &to,
                    manage_link.as_deref(),
                )
                .await?;
            self.enqueue_sealed_mail(tx, keyring, &to, message, Some(attachment))
                .await?;
        }
        Ok(())
    }
}
