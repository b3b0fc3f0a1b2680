use sea_orm::entity::prelude::*;

/// A business's reminder settings; a business without a row has the defaults.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reminder_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// JSON: `[{"hours_before": 24, "channel": "email"}, …]`.
    pub offsets: String,
    /// "HH:MM" in the business's zone: reminders go between these.
    pub send_from: String,
    pub send_until: String,
    /// The address printed in reminders ("" for none).
    pub address: String,
    /// The business's own SMS reminder text; none: the default.
    pub sms_template: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
