//! The delivery settings operations: the email channel, email templates, the SMS provider and SMS templates, each
//! a settings document of the environment (`yolk_domain::delivery_settings`) that [`super::Delivery`] reads when
//! it sends. Secrets are kept when an update omits them (or sends back [`MASK`]) and never answered.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;
use yolk_domain::Clock;
use yolk_domain::delivery_settings::{
    EmailTemplate, EmailTemplateType, EmailTemplates, MailConfig, SmsConfig, SmsTemplate, SmsTemplateType, SmsTemplates,
};
use yolk_domain::settings::{SettingsDocument, Stamped, parse_document};
use yolk_store::{Store, StoreError};

use super::templates::{self, SENT_EMAILS};
use crate::access::Environment;
use crate::{CoreError, CoreResult};

/// What a management read shows in place of a stored secret.
pub const MASK: &str = "********";

/// The delivery settings operations (cheap to clone).
#[derive(Clone)]
pub struct DeliveryConfig {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) mail_from: Arc<str>,
}

/// The environment's document `D`, if stored.
pub(crate) async fn stored<D: SettingsDocument>(store: &Arc<dyn Store>) -> CoreResult<Option<Stamped<D>>> {
    match store.get_setting(D::KEY).await? {
        Some(v) => {
            Ok(Some(serde_json::from_value(v).map_err(|e| CoreError::Internal(format!("stored {}: {e}", D::KEY)))?))
        }
        None => Ok(None),
    }
}

fn bad(message: impl Into<String>) -> CoreError {
    CoreError::BadRequest(message.into())
}

impl DeliveryConfig {
    /// One read-modify-write of the environment's document `D` in a store transaction; `None` removes it.
    async fn update<D: SettingsDocument>(
        &self,
        change: impl FnOnce(Option<Stamped<D>>, DateTime<Utc>) -> Result<Option<Stamped<D>>, StoreError> + Send + 'static,
    ) -> CoreResult<Option<Stamped<D>>> {
        let now = self.clock.now();
        let written = self
            .store
            .update_setting(
                D::KEY,
                Box::new(move |doc| {
                    let current = match doc.take() {
                        Some(v) => Some(
                            serde_json::from_value::<Stamped<D>>(v)
                                .map_err(|e| StoreError::Backend(format!("stored {}: {e}", D::KEY)))?,
                        ),
                        None => None,
                    };
                    *doc = match change(current, now)? {
                        Some(d) => Some(serde_json::to_value(d).map_err(|e| StoreError::Backend(e.to_string()))?),
                        None => None,
                    };
                    Ok(())
                }),
                now,
            )
            .await?;
        match written {
            Some(v) => {
                Ok(Some(serde_json::from_value(v).map_err(|e| CoreError::Internal(format!("stored {}: {e}", D::KEY)))?))
            }
            None => Ok(None),
        }
    }

    fn stamp<D>(stored: Option<&Stamped<D>>, now: DateTime<Utc>, doc: D) -> Stamped<D> {
        let (id, created_at) = stored.map_or((Uuid::new_v4(), now), |s| (s.id, s.created_at));
        Stamped { id, created_at, updated_at: now, doc }
    }

    async fn remove<D: SettingsDocument>(&self) -> CoreResult<bool> {
        let existed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = existed.clone();
        self.update::<D>(move |s, _| {
            seen.store(s.is_some(), std::sync::atomic::Ordering::Relaxed);
            Ok(None)
        })
        .await?;
        Ok(existed.load(std::sync::atomic::Ordering::Relaxed))
    }

    // ---- email channel ----

    /// The email channel configured through the API, if any.
    pub async fn mail_config(&self, _: &Environment) -> CoreResult<Option<Stamped<MailConfig>>> {
        stored::<MailConfig>(&self.store).await
    }

    /// `POST /mail/v1/configurations` (`{secret}`: a SendGrid API key in Frontegg): refused, yolk sends over SMTP.
    pub fn set_mail_config_v1(&self, _: &Environment) -> CoreResult<()> {
        Err(bad("The sendgrid email provider is not supported: yolk sends email over SMTP; configure it with POST \
                 /resources/mail/v2/configurations and {\"payload\": {\"provider\": \"smtp\", \"host\", \"port\", \
                 \"username\", \"secret\", \"tls\", \"senderEmail\"}}"))
    }

    /// `POST /mail/v2/configurations`: `payload` must name the SMTP provider; a secret omitted (or [`MASK`]) keeps
    /// the stored one. The channel is built once to check it (nothing is sent).
    pub async fn set_mail_config(&self, _: &Environment, payload: Value) -> CoreResult<()> {
        let Value::Object(mut payload) = payload else { return Err(bad("payload must be an object")) };
        match payload.get("provider").and_then(Value::as_str) {
            Some("smtp") => {}
            Some(other @ ("sendgrid" | "ses" | "ses-role" | "mailgun")) => {
                return Err(bad(format!(
                    "The {other} email provider is not supported: yolk sends email over SMTP (provider \"smtp\")"
                )));
            }
            _ => return Err(bad("payload.provider must be \"smtp\"")),
        }
        let keep_secret = payload.get("secret").is_none_or(|s| s.is_null() || s.as_str() == Some(MASK));
        if keep_secret {
            payload.remove("secret");
            if let Some(s) = stored::<MailConfig>(&self.store).await?.and_then(|s| s.doc.secret) {
                payload.insert("secret".into(), Value::String(s));
            }
        }
        let doc: MailConfig = parse_document(Value::Object(payload)).map_err(CoreError::BadRequest)?;
        doc.validate().map_err(CoreError::BadRequest)?;
        super::smtp_channel(&doc, &self.mail_from).map_err(|e| CoreError::BadRequest(e.0))?;
        self.update::<MailConfig>(move |s, now| Ok(Some(Self::stamp(s.as_ref(), now, doc)))).await?;
        Ok(())
    }

    /// Removes the API's email channel (the server's `smtp_url`, or the outbox, is used again); false if none.
    pub async fn delete_mail_config(&self, _: &Environment) -> CoreResult<bool> {
        self.remove::<MailConfig>().await
    }

    // ---- email templates ----

    /// The stored templates (only `kind`'s when given).
    pub async fn email_templates(
        &self,
        _: &Environment,
        kind: Option<EmailTemplateType>,
    ) -> CoreResult<Vec<EmailTemplate>> {
        let all = stored::<EmailTemplates>(&self.store).await?.map(|s| s.doc.templates).unwrap_or_default();
        Ok(all.into_iter().filter(|t| kind.is_none_or(|k| t.kind == k)).collect())
    }

    /// yolk's template of `kind`; `None` for an email yolk does not send.
    pub fn default_email_template(&self, _: &Environment, kind: EmailTemplateType) -> Option<EmailTemplate> {
        let d = templates::default_email(kind)?;
        Some(EmailTemplate {
            id: Uuid::nil(),
            kind,
            subject: d.subject.into(),
            html_template: d.html.into(),
            sender_email: String::new(),
            from_name: String::new(),
            redirect_url: String::new(),
            success_redirect_url: String::new(),
            active: true,
        })
    }

    /// `POST /mail/v1/configs/templates`: creates or updates the template of `body.type` (fields sent replace the
    /// stored ones, or yolk's defaults). Refused for an email yolk does not send, an unknown variable, a bad
    /// sender or redirect URL.
    pub async fn put_email_template(&self, env: &Environment, body: Value) -> CoreResult<EmailTemplate> {
        let Value::Object(body) = body else { return Err(bad("The body must be a JSON object")) };
        let kind = match body.get("type") {
            Some(t) => serde_json::from_value::<EmailTemplateType>(t.clone()).map_err(|e| bad(format!("type: {e}")))?,
            None => return Err(bad("type is required")),
        };
        if !SENT_EMAILS.contains(&kind) {
            return Err(bad(format!(
                "yolk does not send {} emails, so a template for them would not be used",
                kind.as_str()
            )));
        }
        let current = self.email_templates(env, Some(kind)).await?.into_iter().next();
        let mut t = match current {
            Some(t) => t,
            None => self.default_email_template(env, kind).ok_or_else(|| bad("no default template"))?,
        };
        let text = |k: &str, max: usize| -> CoreResult<Option<String>> {
            match body.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
                Some(Value::String(_)) => Err(bad(format!("{k} cannot exceed {max} characters"))),
                Some(_) => Err(bad(format!("{k} must be a string"))),
            }
        };
        if let Some(s) = text("subject", 512)? {
            t.subject = s;
        }
        if let Some(s) = text("htmlTemplate", 1_000_000)? {
            t.html_template = s;
        }
        if let Some(s) = text("senderEmail", 512)? {
            t.sender_email = s.trim().to_owned();
        }
        if let Some(s) = text("fromName", 512)? {
            t.from_name = s;
        }
        if let Some(s) = text("redirectURL", 2048)? {
            t.redirect_url = s.trim().to_owned();
        }
        if let Some(s) = text("successRedirectUrl", 2048)? {
            t.success_redirect_url = s.trim().to_owned();
        }
        match body.get("active") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => t.active = *b,
            Some(_) => return Err(bad("active must be a boolean")),
        }
        let names = templates::variables(kind);
        templates::check(&t.subject, names).map_err(|e| bad(format!("subject: {e}")))?;
        templates::check(&t.html_template, names).map_err(|e| bad(format!("htmlTemplate: {e}")))?;
        if !t.sender_email.is_empty() {
            yolk_domain::values::Email::parse(&t.sender_email).map_err(|e| bad(format!("senderEmail: {e}")))?;
            super::sender(&t).parse::<lettre::message::Mailbox>().map_err(|e| bad(format!("senderEmail: {e}")))?;
        }
        for (k, v) in [("redirectURL", &t.redirect_url), ("successRedirectUrl", &t.success_redirect_url)] {
            if !v.is_empty() && !url::Url::parse(v).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
                return Err(bad(format!("{k} must be an http(s) URL")));
            }
        }
        if t.id.is_nil() {
            t.id = Uuid::new_v4();
        }
        let saved = t.clone();
        self.update::<EmailTemplates>(move |s, now| {
            let mut doc = s.as_ref().map(|s| s.doc.clone()).unwrap_or_default();
            doc.templates.retain(|x| x.kind != saved.kind);
            doc.templates.push(saved);
            Ok(Some(Self::stamp(s.as_ref(), now, doc)))
        })
        .await?;
        Ok(t)
    }

    /// Deletes the template `id` (yolk's default is used again); false if there is none.
    pub async fn delete_email_template(&self, _: &Environment, id: Uuid) -> CoreResult<bool> {
        let found = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = found.clone();
        self.update::<EmailTemplates>(move |s, now| {
            let Some(s) = s else { return Ok(None) };
            let mut doc = s.doc.clone();
            doc.templates.retain(|t| t.id != id);
            seen.store(doc.templates.len() != s.doc.templates.len(), std::sync::atomic::Ordering::Relaxed);
            Ok(Some(Self::stamp(Some(&s), now, doc)))
        })
        .await?;
        Ok(found.load(std::sync::atomic::Ordering::Relaxed))
    }

    // ---- SMS provider ----

    /// The SMS provider configured through the API, if any.
    pub async fn sms_config(&self, _: &Environment) -> CoreResult<Option<Stamped<SmsConfig>>> {
        stored::<SmsConfig>(&self.store).await
    }

    /// Creates or replaces the SMS provider; a token omitted (or [`MASK`]) keeps the stored one.
    pub async fn set_sms_config(&self, _: &Environment, body: Value) -> CoreResult<Stamped<SmsConfig>> {
        let Value::Object(mut body) = body else { return Err(bad("The body must be a JSON object")) };
        if body.get("provider").is_none_or(Value::is_null) {
            body.insert("provider".into(), Value::String("twilio".into()));
        }
        if body.get("token").is_none_or(|s| s.is_null() || s.as_str() == Some(MASK)) {
            body.remove("token");
            if let Some(s) = stored::<SmsConfig>(&self.store).await? {
                body.insert("token".into(), Value::String(s.doc.token));
            }
        }
        body.remove("channel");
        let doc: SmsConfig = parse_document(Value::Object(body)).map_err(CoreError::BadRequest)?;
        doc.validate().map_err(CoreError::BadRequest)?;
        let written = self.update::<SmsConfig>(move |s, now| Ok(Some(Self::stamp(s.as_ref(), now, doc)))).await?;
        written.ok_or_else(|| CoreError::Internal("sms_config vanished while written".into()))
    }

    /// Removes the SMS provider (SMS go to the outbox again); false if none.
    pub async fn delete_sms_config(&self, _: &Environment) -> CoreResult<bool> {
        self.remove::<SmsConfig>().await
    }

    // ---- SMS templates ----

    /// The SMS template in force for every type (stored, else yolk's).
    pub async fn sms_templates(&self, _: &Environment) -> CoreResult<Vec<SmsTemplate>> {
        let stored = stored::<SmsTemplates>(&self.store).await?.map(|s| s.doc.templates).unwrap_or_default();
        Ok(SmsTemplateType::ALL
            .iter()
            .map(|k| stored.iter().find(|t| t.kind == *k).cloned().unwrap_or_else(|| Self::default_sms_template(*k)))
            .collect())
    }

    /// yolk's SMS template of `kind`.
    pub fn default_sms_template(kind: SmsTemplateType) -> SmsTemplate {
        SmsTemplate { kind, body: templates::default_sms(kind).into() }
    }

    /// Creates or replaces the SMS template of `kind` (`{"body": "..."}`).
    pub async fn put_sms_template(
        &self,
        _: &Environment,
        kind: SmsTemplateType,
        body: Value,
    ) -> CoreResult<SmsTemplate> {
        let text = match body.get("body") {
            Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= 1600 => s.clone(),
            Some(Value::String(_)) => return Err(bad("body must be 1 to 1600 characters")),
            _ => return Err(bad("body is required (a string)")),
        };
        templates::check(&text, templates::sms_variables(kind)).map_err(|e| bad(format!("body: {e}")))?;
        let t = SmsTemplate { kind, body: text };
        let saved = t.clone();
        self.update::<SmsTemplates>(move |s, now| {
            let mut doc = s.as_ref().map(|s| s.doc.clone()).unwrap_or_default();
            doc.templates.retain(|x| x.kind != saved.kind);
            doc.templates.push(saved);
            Ok(Some(Self::stamp(s.as_ref(), now, doc)))
        })
        .await?;
        Ok(t)
    }

    /// Deletes the SMS template of `kind` (yolk's is used again); false if none was stored.
    pub async fn delete_sms_template(&self, _: &Environment, kind: SmsTemplateType) -> CoreResult<bool> {
        let found = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = found.clone();
        self.update::<SmsTemplates>(move |s, now| {
            let Some(s) = s else { return Ok(None) };
            let mut doc = s.doc.clone();
            doc.templates.retain(|t| t.kind != kind);
            seen.store(doc.templates.len() != s.doc.templates.len(), std::sync::atomic::Ordering::Relaxed);
            Ok(Some(Self::stamp(Some(&s), now, doc)))
        })
        .await?;
        Ok(found.load(std::sync::atomic::Ordering::Relaxed))
    }
}
