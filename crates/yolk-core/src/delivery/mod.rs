//! Delivery of emails and SMS: through the configured channel (SMTP for email, an SMS provider), or, when none is
//! configured (the default on a laptop or in CI), into the store's outbox, where a developer reads the link or the
//! code (`yolk outbox`, `GET /yolk/v1/outbox`). Nothing is ever silently dropped: a channel that fails is an error
//! for the caller, who decides what the client is told (a flow that must not reveal whether an address exists
//! answers the same either way).

pub mod config;
mod smtp;
pub mod templates;
mod twilio;

use std::sync::Arc;

use yolk_domain::delivery_settings::{
    EmailTemplate, EmailTemplateType, EmailTemplates, MailConfig, SmsConfig, SmsTemplateType, SmsTemplates, SmtpTls,
};
use yolk_domain::{Channel, Clock, MessageId, OutboxMessage};
use yolk_store::Store;

pub use config::DeliveryConfig;
pub use smtp::Smtp;
pub use templates::Vars;
pub use twilio::Twilio;

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

    /// Sends `email` from `from` (`"Name <address>"`), when the channel lets the sender vary.
    async fn send_from(&self, email: &Email, from: Option<&str>) -> Result<(), ChannelError> {
        let _ = from;
        self.send(email).await
    }
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
    /// The server's sender (`mail_from`), for an email channel configured through the API without one.
    pub mail_from: Option<String>,
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
    mail_from: Arc<str>,
}

/// The default sender when the server names none.
pub const DEFAULT_MAIL_FROM: &str = "yolk <no-reply@localhost>";

/// An email rendered from its template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The template's sender (`"fromName <senderEmail>"`), if it names one.
    pub from: Option<String>,
}

impl Delivery {
    /// Delivery through the given channels; a missing one sends to the outbox.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, channels: Channels) -> Self {
        let mail_from = Arc::from(channels.mail_from.as_deref().unwrap_or(DEFAULT_MAIL_FROM));
        Self { store, clock, email: channels.email, sms: channels.sms, mail_from }
    }

    /// The delivery settings operations over the same store.
    pub fn config(&self) -> DeliveryConfig {
        DeliveryConfig { store: self.store.clone(), clock: self.clock.clone(), mail_from: self.mail_from.clone() }
    }

    /// Sends an email through the email channel, or keeps it in the outbox when there is none.
    pub async fn send_email(&self, email: Email) -> CoreResult<()> {
        self.send_email_from(email, None).await
    }

    /// The email channel in force: the one configured through the API (it wins), else the server's.
    async fn email_channel(&self) -> CoreResult<Option<Arc<dyn EmailChannel>>> {
        match config::stored::<MailConfig>(&self.store).await? {
            Some(c) => match smtp_channel(&c.doc, &self.mail_from) {
                Ok(smtp) => Ok(Some(Arc::new(smtp))),
                Err(e) => Err(unavailable("email", &e)),
            },
            None => Ok(self.email.clone()),
        }
    }

    async fn send_email_from(&self, email: Email, from: Option<&str>) -> CoreResult<()> {
        match self.email_channel().await? {
            Some(channel) => channel.send_from(&email, from).await.map_err(|e| unavailable("email", &e)),
            None => self.keep(Channel::Email, email.to, Some(email.subject), email.text, email.html).await,
        }
    }

    /// The email of `kind` with `vars`: the stored template's subject and HTML (with yolk's text part), or yolk's
    /// default; `None` when the stored template is inactive (the email is not sent). A template that fails to
    /// render falls back to the default, with a warning. A link variable (`redirectURL`) keeps its query and takes
    /// the template's `redirectURL` as its page when one is set.
    pub async fn render_email(&self, kind: EmailTemplateType, vars: &Vars) -> CoreResult<Option<RenderedEmail>> {
        let stored = config::stored::<EmailTemplates>(&self.store)
            .await?
            .and_then(|s| s.doc.templates.into_iter().find(|t| t.kind == kind));
        if stored.as_ref().is_some_and(|t| !t.active) {
            return Ok(None);
        }
        let mut vars = vars.clone();
        if let Some(t) = stored.as_ref().filter(|t| !t.redirect_url.is_empty())
            && let Some(link) = vars.get("redirectURL")
        {
            let query = link.split_once('?').map_or("", |(_, q)| q);
            let sep = if t.redirect_url.contains('?') { '&' } else { '?' };
            let link =
                if query.is_empty() { t.redirect_url.clone() } else { format!("{}{sep}{query}", t.redirect_url) };
            vars = vars.set("redirectURL", link);
        }
        let default = templates::default_email(kind);
        let default_text = default.map(|d| templates::render(d.text, &vars, false));
        let custom = stored.as_ref().map(|t| -> Result<(String, String), String> {
            Ok((templates::render(&t.subject, &vars, false)?, templates::render(&t.html_template, &vars, true)?))
        });
        let (subject, html) = match custom {
            Some(Ok(c)) => c,
            other => {
                if let Some(Err(e)) = other {
                    tracing::warn!(template = kind.as_str(), error = %e, "a stored email template failed to render; the default is sent");
                }
                let d = default.ok_or_else(|| CoreError::Internal(format!("no {} email", kind.as_str())))?;
                let r = |t| templates::render(t, &vars, false).map_err(CoreError::Internal);
                (r(d.subject)?, templates::render(d.html, &vars, true).map_err(CoreError::Internal)?)
            }
        };
        let text = match default_text {
            Some(t) => t.map_err(CoreError::Internal)?,
            None => html.clone(),
        };
        let from = stored.as_ref().filter(|t| !t.sender_email.is_empty()).map(sender);
        Ok(Some(RenderedEmail { subject, text, html, from }))
    }

    /// Sends the email of `kind` with `vars` to `to` (see [`Delivery::render_email`]); nothing when its template
    /// is inactive.
    pub async fn send_email_template(&self, kind: EmailTemplateType, to: &str, vars: Vars) -> CoreResult<()> {
        let Some(r) = self.render_email(kind, &vars).await? else {
            tracing::info!(template = kind.as_str(), "email not sent: its template is inactive");
            return Ok(());
        };
        let email = Email { to: to.to_owned(), subject: r.subject, text: r.text, html: Some(r.html) };
        self.send_email_from(email, r.from.as_deref()).await
    }

    /// Sends an SMS through the provider configured through the API (it wins), else the server's SMS channel, or
    /// keeps it in the outbox when there is none.
    pub async fn send_sms(&self, sms: Sms) -> CoreResult<()> {
        let channel: Option<Arc<dyn SmsChannel>> = match config::stored::<SmsConfig>(&self.store).await? {
            Some(c) => Some(Arc::new(Twilio::new(&c.doc).map_err(|e| unavailable("SMS", &e))?)),
            None => self.sms.clone(),
        };
        match channel {
            Some(channel) => channel.send(&sms).await.map_err(|e| unavailable("SMS", &e)),
            None => self.keep(Channel::Sms, sms.to, None, sms.text, None).await,
        }
    }

    /// The SMS text of `kind` with `vars`: the stored template, else yolk's (also when the stored one fails to
    /// render, with a warning).
    pub async fn render_sms(&self, kind: SmsTemplateType, vars: &Vars) -> CoreResult<String> {
        let stored = config::stored::<SmsTemplates>(&self.store)
            .await?
            .and_then(|s| s.doc.templates.into_iter().find(|t| t.kind == kind));
        if let Some(t) = stored {
            match templates::render(&t.body, vars, false) {
                Ok(text) => return Ok(text),
                Err(e) => {
                    tracing::warn!(template = kind.as_str(), error = %e, "a stored SMS template failed to render; the default is sent")
                }
            }
        }
        templates::render(templates::default_sms(kind), vars, false).map_err(CoreError::Internal)
    }

    /// Sends the SMS of `kind` with `vars` to `to`.
    pub async fn send_sms_template(&self, kind: SmsTemplateType, to: &str, vars: Vars) -> CoreResult<()> {
        let text = self.render_sms(kind, &vars).await?;
        self.send_sms(Sms { to: to.to_owned(), text }).await
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

/// `"fromName <senderEmail>"` of a template (the bare address without a name).
pub(crate) fn sender(t: &EmailTemplate) -> String {
    let name = t.from_name.replace(['"', '<', '>', '\\', '\r', '\n'], "");
    if name.trim().is_empty() { t.sender_email.clone() } else { format!("\"{}\" <{}>", name.trim(), t.sender_email) }
}

/// The SMTP channel of an email configuration stored through the API.
pub(crate) fn smtp_channel(c: &MailConfig, mail_from: &str) -> Result<Smtp, ChannelError> {
    let scheme = if c.tls == SmtpTls::Implicit { "smtps" } else { "smtp" };
    let mut url = url::Url::parse(&format!("{scheme}://{}:{}", c.host.trim(), c.port))
        .map_err(|e| ChannelError(format!("host: {e}")))?;
    if let Some(user) = c.username.as_deref().filter(|u| !u.is_empty()) {
        url.set_username(user).map_err(|()| ChannelError("username is not valid".into()))?;
        url.set_password(c.secret.as_deref()).map_err(|()| ChannelError("secret is not valid".into()))?;
    }
    match c.tls {
        SmtpTls::Required => url.set_query(Some("tls=required")),
        SmtpTls::Opportunistic => url.set_query(Some("tls=opportunistic")),
        SmtpTls::None => url.set_query(Some("tls=none")),
        SmtpTls::Implicit => {}
    }
    Smtp::new(url.as_str(), c.sender_email.as_deref().unwrap_or(mail_from))
}

fn unavailable(what: &str, e: &ChannelError) -> CoreError {
    tracing::error!(error = %e, "{what} delivery failed");
    CoreError::Unavailable { message: format!("The {what} could not be sent; try again later"), retry_after_secs: 30 }
}
