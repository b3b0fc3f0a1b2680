//! Making a booking: the slot checked and claimed inside one transaction
//! that locks the staff member, the client found or created, idempotent
//! retries answered with the first result.

use super::*;

impl App {
    /// Books a slot. The client is found or created through the encrypted
    /// client records. With an idempotency key, a retry of the same request
    /// by the same sender answers the first result; the same key with
    /// another request is 422.
    pub async fn book(
        &self,
        scope: &TenantScope,
        request: BookingRequest,
        idempotency: Option<Idempotency<'_>>,
    ) -> AppResult<CreatedBooking> {
        self.book_by(scope, request, idempotency, ChangeActor::Client)
            .await
    }

    /// [`App::book`], made by `by` (the business books for a client in
    /// the panel or through the API).
    pub async fn book_by(
        &self,
        scope: &TenantScope,
        request: BookingRequest,
        idempotency: Option<Idempotency<'_>>,
        by: ChangeActor,
    ) -> AppResult<CreatedBooking> {
        let result = self.book_once(scope, request, idempotency, by).await;
        self.metrics().booking(&result);
        result
    }

    pub(super) async fn book_once(
        &self,
        scope: &TenantScope,
        request: BookingRequest,
        idempotency: Option<Idempotency<'_>>,
        by: ChangeActor,
    ) -> AppResult<CreatedBooking> {
        let _ = parse_zone("client_zone", &request.client_zone)?;
        let remembered_as = idempotency
            .as_ref()
            .map(|i| (i.owner.scoped(i.key), hex::encode(Sha256::digest(i.body))));
        if let Some((key, hash)) = &remembered_as
            && let Some(replay) = self.replay(scope, key, hash).await?
        {
            return Ok(replay);
        }
        let now = self.now();
        let tx = self.db().begin_tenant(scope).await?;
        let Placement {
            tenant,
            service,
            rules,
            staff_id,
            slot,
        } = self
            .place(
                &tx,
                scope,
                request.service_id,
                request.staff_id,
                request.start,
                None,
            )
            .await?;

        // The free plan's cap counts new bookings (a move is not one).
        crate::billing::check_booking_cap(&tx, scope, &tenant, now).await?;
        let (client_id, _, counted) = self
            .find_or_create_client_in(
                &tx,
                scope,
                &request.client.name,
                request.client.email.as_deref(),
                request.client.phone.as_deref(),
                crate::clients::Consents {
                    marketing: request.client.marketing_consent,
                    sms: request.client.sms_consent,
                },
                request.client.language,
            )
            .await?;
        let keyring = self.sealing_keys(&tx, scope).await?;
        let id = Uuid::now_v7();
        let token = new_token();
        // A service that takes payment (and a business that can receive
        // it) holds the time until paid; approval comes first when asked.
        let terms = if service.requires_approval {
            None
        } else {
            crate::deposits::terms(self, &tenant, &service)
        };
        let status = if service.requires_approval {
            BookingStatus::Requested
        } else if terms.is_some() {
            BookingStatus::AwaitingPayment
        } else {
            BookingStatus::Confirmed
        };
        let notes = request
            .client
            .notes
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        if notes.is_some_and(|n| n.chars().count() > 2000) {
            return Err(AppError::invalid(
                "notes",
                "too_long",
                "at most 2,000 characters",
            ));
        }
        let row = BookingRow {
            tenant_id: scope.id(),
            id,
            service_id: service.id,
            staff_id,
            client_id,
            status: status.as_str().into(),
            starts_at: slot.start,
            ends_at: slot.end,
            occupied_start: slot.start - Duration::minutes(i64::from(rules.buffer_before_min)),
            occupied_end: slot.end + Duration::minutes(i64::from(rules.buffer_after_min)),
            class_key: class_key(&service, id, slot.start),
            seats: 1,
            client_zone: request.client_zone.clone(),
            notes: notes
                .map(|n| keyring.seal(&sealed::BOOKING_NOTES, id, n.as_bytes()))
                .transpose()?,
            manage_token_hash: token_hash(&token),
            cancelled_by: None,
            payment_due_by: terms
                .as_ref()
                .map(|t| now + Duration::minutes(i64::from(t.hold_minutes))),
            cancel_reason: None,
            sequence: 0,
            created_at: now,
            updated_at: now,
            manage_token: Some(keyring.seal(&sealed::BOOKING_TOKEN, id, token.as_bytes())?),
            confirmed_by_client_at: None,
            cancelled_at: None,
        };
        let row = repo::insert_booking(&tx, scope, row)
            .await
            .map_err(store_to_conflict)?;
        self.refresh_reminders(&tx, scope, &row).await?;
        let kind = if status == BookingStatus::Requested {
            ChangeKind::Requested
        } else {
            ChangeKind::Created
        };
        self.record_change(&tx, scope, row.id, kind, by).await?;
        if let Some((key, hash)) = &remembered_as {
            let remembered = serde_json::json!({
                "booking_id": id,
                "token": keyring.seal_base64(&sealed::BOOKING_MANAGE_TOKEN, id, token.as_bytes())?,
            });
            let saved = repo::insert_idempotency(
                &tx,
                scope,
                repo::IdempotencyRow {
                    tenant_id: scope.id(),
                    key: key.clone(),
                    request_hash: hash.clone(),
                    status: 201,
                    body: remembered.to_string(),
                    created_at: now,
                },
            )
            .await;
            if let Err(StoreError::Unique(_)) = saved {
                // A retry raced this one and won: drop ours, answer theirs.
                drop(tx);
                return self.replay(scope, key, hash).await?.ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!("idempotency row vanished"))
                });
            }
            saved?;
        }
        if let Some(terms) = &terms {
            crate::deposits::record_pending(&tx, scope, &row, terms, now).await?;
        } else {
            // A booking waiting for payment is announced once paid.
            let event = if status == BookingStatus::Requested {
                BookingEvent::Pending
            } else {
                BookingEvent::Created
            };
            self.queue_booking_messages(&tx, scope, &keyring, &row, Some(&token), event)
                .await?;
            let notice = if status == BookingStatus::Requested {
                Notice::AwaitingApproval
            } else {
                Notice::NewBooking
            };
            self.notice_to_business(&tx, scope, &row, notice).await?;
        }
        let contact = self
            .client_contact(&tx, scope, &keyring, row.client_id)
            .await?;
        self.emit(
            &tx,
            scope,
            &keyring,
            "booking.created",
            booking_data(&row),
            contact,
        )
        .await?;
        commit(tx).await?;
        self.wake_mail();
        self.announce(scope.id(), "booking.created", id);
        if let Some((version, count)) = counted {
            self.after_encrypting(scope.id(), version, count);
        }
        tracing::info!(event = "booking_created", tenant_id = %scope.id(), booking_id = %id, status = status.as_str(), "booking created");
        Ok(CreatedBooking {
            booking: self.open_booking(&keyring, &row),
            manage_token: token,
            replayed: false,
        })
    }

    /// Every rule a booking must pass, for a new booking and a moved one
    /// alike (`moving`: the booking being moved, whose own time is free to
    /// it): the service is still offered and the staff member (or, with
    /// none asked for, the fairest free one) still performs it; the time
    /// passes notice, the booking window, working hours, closures and
    /// capacity against what is committed, with the staff member's row
    /// locked so the answer holds until commit; the account may take
    /// bookings (plan, not read-only, the agreement accepted); and a moved
    /// booking's client is not restricted (a new one's is checked when the
    /// client is found).
    pub(super) async fn place(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        service_id: Uuid,
        staff: Option<Uuid>,
        start: DateTime<Utc>,
        moving: Option<&BookingRow>,
    ) -> AppResult<Placement> {
        let now = self.now();
        let except = moving.map(|b| b.id);
        let service = self.active_service(tx, scope, service_id).await?;
        let rules = rules_of(&service);
        let candidates = self.performers(tx, scope, &service, staff).await?;
        if candidates.is_empty() {
            return Err(AppError::invalid(
                "service_id",
                "no_staff",
                "nobody performs this service yet",
            ));
        }
        let closures = self
            .closed_time(
                tx,
                scope,
                start - Duration::days(1),
                start + Duration::days(1),
            )
            .await?;
        // "Anyone": among those free at that time, the one with the fewest
        // bookings that day.
        let staff_id = if candidates.len() == 1 {
            candidates[0]
        } else {
            let day = (start - Duration::hours(12), start + Duration::hours(12));
            let calendars = self
                .calendars(tx, scope, &candidates, day.0, day.1, except)
                .await?;
            let free: Vec<(Uuid, u32)> = calendars
                .iter()
                .filter_map(|c| {
                    check_slot(c, &rules, &closures, start, now)
                        .ok()
                        .map(|s| (c.staff_id, s.seats_left))
                })
                .collect();
            let load: HashMap<Uuid, u32> = calendars
                .iter()
                .map(|c| (c.staff_id, c.busy.len() as u32))
                .collect();
            let slot = AnySlot {
                start,
                end: start + Duration::minutes(i64::from(rules.duration_min)),
                staff: free,
            };
            match fair_pick(&slot, &load) {
                Some(id) => id,
                None => {
                    // Say why with the first candidate's precise reason.
                    let c = &calendars[0];
                    return Err(slot_problem(
                        check_slot(c, &rules, &closures, start, now)
                            .err()
                            .unwrap_or(SlotProblem::Taken),
                    ));
                }
            }
        };
        // Serialise on the staff member, then check again with what is
        // committed now.
        repo::lock_staff(tx, scope, staff_id).await?;
        let calendar = self
            .calendars(
                tx,
                scope,
                &[staff_id],
                start - Duration::days(1),
                start + Duration::days(1),
                except,
            )
            .await?;
        let calendar = calendar.first().ok_or(AppError::NotFound)?;
        let slot = check_slot(calendar, &rules, &closures, start, now).map_err(slot_problem)?;
        // Read-only accounts and a missing agreement stop it before
        // anything is written.
        let tenant = self.check_processing(tx, scope).await?;
        if let Some(booking) = moving
            && let Some(client) =
                termino_store::repo::clients::get(tx, scope, booking.client_id).await?
        {
            crate::clients::check_not_restricted(&client)?;
        }
        Ok(Placement {
            tenant,
            service,
            rules,
            staff_id,
            slot,
        })
    }

    /// Booking idempotency records are kept 24 hours, like every other
    /// stored answer; the background worker calls this.
    pub async fn forget_expired_idempotency(&self) -> AppResult<u64> {
        let before = self.now() - Duration::hours(24);
        Ok(repo::forget_idempotency_before(self.db().connection(), before).await?)
    }

    pub(super) async fn replay(
        &self,
        scope: &TenantScope,
        key: &str,
        hash: &str,
    ) -> AppResult<Option<CreatedBooking>> {
        let tx = self.db().begin_tenant(scope).await?;
        let found = repo::idempotency(&tx, scope, key).await?;
        let Some(found) = found else {
            commit(tx).await?;
            return Ok(None);
        };
        if found.request_hash != hash {
            return Err(AppError::invalid(
                "Idempotency-Key",
                "key_reused",
                "this key was used for a different request",
            ));
        }
        let body: serde_json::Value =
            serde_json::from_str(&found.body).map_err(anyhow::Error::from)?;
        let id: Uuid = body["booking_id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("bad idempotency record"))?;
        let row = repo::get_booking(&tx, scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        commit(tx).await?;
        let keyring = self.keys().for_read(scope.id(), None, self.now()).await?;
        let token = body["token"]
            .as_str()
            .and_then(|t| keyring.open_base64(&sealed::BOOKING_MANAGE_TOKEN, id, t))
            .unwrap_or_default();
        Ok(Some(CreatedBooking {
            booking: self.open_booking(&keyring, &row),
            manage_token: token,
            replayed: true,
        }))
    }
}
