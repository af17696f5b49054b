//! The settings documents of delivery: the email channel (`/resources/mail/v1|v2/configurations`), email templates
//! (`/resources/mail/v1/configs/templates`), the SMS provider (`/resources/configurations/v1/sms`), SMS templates
//! and the user emails policy. Each is read by `yolk_core::delivery` when a message is sent, so a stored setting is
//! an enforced one. Secrets (the SMTP password, the SMS provider's token) are stored here and never answered.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::settings::SettingsDocument;

macro_rules! template_types {
    ($(#[$m:meta])* $name:ident { $($v:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($v),* }

        impl $name {
            /// Every type, in the spec's order.
            pub const ALL: &'static [Self] = &[$(Self::$v),*];

            /// The spec's name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }

            /// The type named `s` (the spec's spelling), if any.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)* _ => None }
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown template type {s:?}")))
            }
        }
    };
}

template_types! {
    /// Frontegg's email template types (`CreateTemplateDto.type`).
    EmailTemplateType {
        ResetPassword = "ResetPassword", ActivateUser = "ActivateUser", InviteToTenant = "InviteToTenant",
        PwnedPassword = "PwnedPassword", MagicLink = "MagicLink", Otc = "OTC", ConnectNewDevice = "ConnectNewDevice",
        UserUsedInvitation = "UserUsedInvitation", ResetPhoneNumber = "ResetPhoneNumber",
        BulkInvitesToTenant = "BulkInvitesToTenant", MfaEnroll = "MFAEnroll", MfaUnenroll = "MFAUnenroll",
        NewMfaMethod = "NewMFAMethod", MfaRecoveryCode = "MFARecoveryCode", RemoveMfaMethod = "RemoveMFAMethod",
        EmailVerification = "EmailVerification", BruteForceProtection = "BruteForceProtection",
        SuspiciousIp = "SuspiciousIP", MfaOtc = "MFAOTC", ImpossibleTravel = "ImpossibleTravel",
        BotDetection = "BotDetection", SmsAuthenticationEnabled = "SmsAuthenticationEnabled",
        UnlockUser = "UnlockUser", UnlockUserSuccess = "UnlockUserSuccess",
        ActivateUserWithCode = "ActivateUserWithCode", InviteToTenantWithCode = "InviteToTenantWithCode",
        VerifyNewEmail = "VerifyNewEmail", EmailAddressChanged = "EmailAddressChanged",
        ApprovalFlowApprove = "ApprovalFlowApprove",
    }
}

template_types! {
    /// SMS template types (Frontegg's SMS flows).
    SmsTemplateType {
        Otc = "OTC", MfaOtc = "MFAOTC", ResetPhoneNumber = "ResetPhoneNumber", VerifyPhoneNumber = "VerifyPhoneNumber",
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// STARTTLS, required (port 587).
    #[default]
    Required,
    /// STARTTLS when offered (refused with credentials: they would cross in clear).
    Opportunistic,
    /// TLS from the first byte (port 465).
    Implicit,
    /// No TLS: a relay on the same machine or a test sink.
    None,
}

/// The email channel configured through the API (`POST /resources/mail/v2/configurations` with
/// `{"payload": {"provider": "smtp", ...}}`). Only SMTP: the other providers Frontegg offers (SendGrid, SES,
/// Mailgun) are refused rather than stored unenforced. It wins over the server's `smtp_url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailConfig {
    /// Always `smtp`.
    pub provider: String,
    pub host: String,
    pub port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The SMTP password: stored, never answered, never logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(default)]
    pub tls: SmtpTls,
    /// The sender (`"Name <address>"` or an address); the server's `mail_from` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_email: Option<String>,
}

impl SettingsDocument for MailConfig {
    const KEY: &'static str = "mail_config";

    fn validate(&self) -> Result<(), String> {
        if self.provider != "smtp" {
            return Err(format!(
                "The {} email provider is not supported: yolk sends email over SMTP only",
                self.provider
            ));
        }
        let host = self.host.trim();
        if host.is_empty() || host.len() > 253 || host.contains(['/', '@', ' ', '?', '#']) {
            return Err("host must be a host name or an IP address".into());
        }
        if self.port == 0 {
            return Err("port must be between 1 and 65535".into());
        }
        if self.secret.is_some() && self.username.as_deref().is_none_or(str::is_empty) {
            return Err("a secret needs a username".into());
        }
        if self.username.is_some() && self.tls == SmtpTls::Opportunistic {
            return Err("tls opportunistic with credentials would send them in clear to a server that does not offer \
                        STARTTLS; use required or implicit"
                .into());
        }
        Ok(())
    }
}

/// One email template (`CreateTemplateDto`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailTemplate {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub kind: EmailTemplateType,
    pub subject: String,
    pub html_template: String,
    /// The sender's address; the channel's when empty.
    pub sender_email: String,
    pub from_name: String,
    /// Where the email's link points (its query is yolk's: `userId`, `token`); the app's page when empty.
    #[serde(rename = "redirectURL")]
    pub redirect_url: String,
    pub success_redirect_url: String,
    /// An inactive template's email is not sent at all (as in Frontegg: the vendor sends its own).
    pub active: bool,
}

/// The environment's email templates, at most one per type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmailTemplates {
    #[serde(default)]
    pub templates: Vec<EmailTemplate>,
}

impl SettingsDocument for EmailTemplates {
    const KEY: &'static str = "email_templates";
}

/// The SMS provider (`POST /resources/configurations/v1/sms`): a Twilio-compatible API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmsConfig {
    /// Always `twilio`.
    pub provider: String,
    /// The Account SID.
    pub account_id: String,
    /// The auth token: stored, never answered, never logged.
    pub token: String,
    /// The `From` of every SMS (a phone number, or an alphanumeric sender where the country allows it).
    pub sender_name: String,
    /// A Messaging Service SID, sent as `MessagingServiceSid` when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    /// The API's base URL (yolk's extension, for a Twilio-compatible service); `https://api.twilio.com` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

/// Twilio's API.
pub const TWILIO_BASE_URL: &str = "https://api.twilio.com";

impl SettingsDocument for SmsConfig {
    const KEY: &'static str = "sms_config";

    fn validate(&self) -> Result<(), String> {
        if !self.provider.eq_ignore_ascii_case("twilio") {
            return Err(format!(
                "The {} SMS provider is not supported: yolk sends SMS through Twilio only",
                self.provider
            ));
        }
        let sid = |s: &str| !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric());
        if !sid(&self.account_id) {
            return Err("accountId must be the account SID (letters and digits)".into());
        }
        if self.token.trim().is_empty() || self.token.len() > 256 {
            return Err("token is required".into());
        }
        if self.sender_name.trim().is_empty() || self.sender_name.len() > 64 {
            return Err("senderName is required (at most 64 characters)".into());
        }
        if let Some(s) = &self.service_id
            && !sid(s)
        {
            return Err("serviceId must be a messaging service SID (letters and digits)".into());
        }
        if let Some(url) = &self.base_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err("baseUrl must be an http(s) URL".into());
        }
        Ok(())
    }
}

/// One SMS template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmsTemplate {
    #[serde(rename = "type")]
    pub kind: SmsTemplateType,
    pub body: String,
}

/// The environment's SMS templates, at most one per type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SmsTemplates {
    #[serde(default)]
    pub templates: Vec<SmsTemplate>,
}

impl SettingsDocument for SmsTemplates {
    const KEY: &'static str = "sms_templates";
}
