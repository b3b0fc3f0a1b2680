use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub language: String,
    pub plan: String,
    pub plan_started_at: DateTimeUtc,
    pub trial_ends_at: Option<DateTimeUtc>,
    pub paid_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Bumped by every change to the business's client records (and by key
    /// rotation and destruction): a node's cache of decrypted clients is
    /// valid while this is unchanged.
    pub clients_revision: i64,
    /// Clients may reschedule or cancel until this many hours before.
    pub cancellation_cutoff_hours: i32,
    /// Closed on Polish public holidays (opt-in).
    pub polish_holidays: bool,
    /// Shown at the top of the booking page.
    pub booking_intro: String,
    /// The business's privacy notice, linked from the booking form.
    pub privacy_notice_url: Option<String>,
    /// When set, the booking form offers this marketing consent.
    pub marketing_consent_text: Option<String>,
    /// `active`, `past_due` or `cancelled` (Termino's own billing).
    pub plan_state: String,
    /// `month` or `year` for a paid plan.
    pub billing_interval: Option<String>,
    pub stripe_customer_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
    /// The business's own Stripe account (Connect, Standard), for deposits.
    pub stripe_account_id: Option<String>,
    /// Stripe said the account can take charges.
    pub stripe_account_ready: bool,
    /// A booking waiting for payment holds its time this long.
    pub payment_hold_minutes: i32,
    /// tpay merchant credentials, ciphertext under the tenant key.
    pub tpay_credentials: Option<Vec<u8>>,
    /// A client's cancellation (before the cutoff) refunds the deposit.
    pub refund_client_cancellations: bool,
    /// The last plan renewal reminder sent: `<paid_until unix>:<days>`.
    pub plan_reminder_sent: Option<String>,
    /// The data-processing agreement version the business accepted last.
    pub dpa_version: Option<String>,
    pub dpa_accepted_at: Option<DateTimeUtc>,
    /// The last purge reminder sent: `<purge_at unix>:<days before>`.
    pub purge_reminder_sent: Option<String>,
    /// The owner asked to delete the business (cancellable for a while).
    pub deletion_requested_at: Option<DateTimeUtc>,
    /// The business's own rule: clients with no booking for this many
    /// months are deleted.
    pub client_retention_months: Option<i32>,
    /// Texts spelled without Polish letters (GSM-7: more characters a part).
    pub sms_without_polish_characters: bool,
    /// The business's contact address: `Reply-To` of its client mail.
    pub contact_email: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
