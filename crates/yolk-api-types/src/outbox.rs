//! yolk's own outbox (`GET /yolk/v1/outbox`): the emails and SMS kept instead of sent.

use chrono::{DateTime, Utc};
use serde::Serialize;
use yolk_domain::time::rfc3339_millis;

/// `{"items": [...]}`, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxResponse {
    pub items: Vec<OutboxItem>,
}

/// One message.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxItem {
    pub id: String,
    /// `email` or `sms`.
    pub channel: &'static str,
    pub to: String,
    pub subject: Option<String>,
    pub text: String,
    pub html: Option<String>,
    #[serde(with = "rfc3339_millis")]
    pub created_at: DateTime<Utc>,
}
