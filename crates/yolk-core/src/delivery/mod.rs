//! Delivery of emails and SMS: through the configured channel (SMTP for email, an SMS provider), or, when none is
//! configured (the default on a laptop or in CI), into the store's outbox, where a developer reads the link or the
//! code (`yolk outbox`, `GET /yolk/v1/outbox`). Nothing is ever silently dropped: a channel that fails is an error
//! for the caller, who decides what the client is told (a flow that must not reveal whether an address exists
//! answers the same either way).

mod smtp;

use std::sync::Arc;

use yolk_domain::{Channel, Clock, MessageId, OutboxMessage};
use yolk_store::Store;

pub use smtp::Smtp;

use crate::access::Environment;
use crate::{CoreError, CoreResult};

/// An email to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// An SMS to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sms {
    /// The phone number (E.164).
    pub to: String,
    pub text: String,
}

/// Why a channel did not take a message (for the log: it may name hosts, never secrets).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ChannelError(pub String);

/// A way to send emails.
#[async_trait::async_trait]
pub trait EmailChannel: Send + Sync {
    async fn send(&self, email: &Email) -> Result<(), ChannelError>;
}

/// A way to send SMS.
#[async_trait::async_trait]
pub trait SmsChannel: Send + Sync {
    async fn send(&self, sms: &Sms) -> Result<(), ChannelError>;
}

/// The configured channels; a missing one sends to the outbox.
#[derive(Clone, Default)]
pub struct Channels {
    pub email: Option<Arc<dyn EmailChannel>>,
    pub sms: Option<Arc<dyn SmsChannel>>,
}

impl std::fmt::Debug for Channels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channels")
            .field("email", &self.email.as_ref().map_or("outbox", |_| "configured"))
            .field("sms", &self.sms.as_ref().map_or("outbox", |_| "configured"))
            .finish()
    }
}

/// The most outbox messages one read returns.
pub const MAX_OUTBOX_PAGE: u64 = 200;

/// Sends emails and SMS (cheap to clone).
#[derive(Clone)]
pub struct Delivery {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    email: Option<Arc<dyn EmailChannel>>,
    sms: Option<Arc<dyn SmsChannel>>,
}

impl Delivery {
    /// Delivery through the given channels; a missing one sends to the outbox.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, channels: Channels) -> Self {
        Self { store, clock, email: channels.email, sms: channels.sms }
    }

    /// Sends an email through the email channel, or keeps it in the outbox when there is none.
    pub async fn send_email(&self, email: Email) -> CoreResult<()> {
        match &self.email {
            Some(channel) => channel.send(&email).await.map_err(|e| unavailable("email", &e)),
            None => self.keep(Channel::Email, email.to, Some(email.subject), email.text, email.html).await,
        }
    }

    /// Sends an SMS through the SMS channel, or keeps it in the outbox when there is none.
    pub async fn send_sms(&self, sms: Sms) -> CoreResult<()> {
        match &self.sms {
            Some(channel) => channel.send(&sms).await.map_err(|e| unavailable("SMS", &e)),
            None => self.keep(Channel::Sms, sms.to, None, sms.text, None).await,
        }
    }

    /// Keeps a message in the outbox, stamped now.
    async fn keep(
        &self,
        channel: Channel,
        to: String,
        subject: Option<String>,
        text: String,
        html: Option<String>,
    ) -> CoreResult<()> {
        let message =
            OutboxMessage { id: MessageId::new(), channel, to, subject, text, html, created_at: self.clock.now() };
        Ok(self.store.add_to_outbox(&message).await?)
    }

    /// The newest outbox messages (at most [`MAX_OUTBOX_PAGE`]), newest first, only those to `to` when given.
    pub async fn outbox(&self, _: &Environment, to: Option<&str>, limit: u64) -> CoreResult<Vec<OutboxMessage>> {
        let to = to.map(str::trim).filter(|t| !t.is_empty());
        Ok(self.store.outbox(to, limit.clamp(1, MAX_OUTBOX_PAGE)).await?)
    }
}

fn unavailable(what: &str, e: &ChannelError) -> CoreError {
    tracing::error!(error = %e, "{what} delivery failed");
    CoreError::Unavailable { message: format!("The {what} could not be sent; try again later"), retry_after_secs: 30 }
}
