//! Message templates: the one place the texts of yolk's emails and SMS are composed. A template is text with
//! `{{variable}}` placeholders (spaces inside the braces allowed); the defaults below are yolk's texts, and a
//! template stored through the API (`/resources/mail/v1/configs/templates`, `/resources/configurations/v1/sms/
//! templates/{type}`) replaces one. In HTML every value is escaped. A variable the message does not have is a
//! render error: a stored template is checked against [`variables`] when stored, and one that still fails at send
//! time falls back to the default with a warning.
//!
//! Variables (Frontegg's names where it documents them):
//! - `ResetPassword`: `name`, `email`, `redirectURL` (the reset link), `expirationMinutes`;
//! - `ActivateUser`: `name`, `email`, `redirectURL` (the activation link), `expirationHours`;
//! - `InviteToTenant`: `name`, `email`, `redirectURL` (the invitation link), `expirationDays`;
//! - `ActivateUserWithCode`, `InviteToTenantWithCode` (the `code` strategies): `name`, `email`, `code`, `redirectURL`
//!   (the link the code goes with), `expirationMinutes`;
//! - `MagicLink`: `email`, `redirectURL` (the sign-in link), `expirationMinutes`;
//! - `MFAOTC` (email and SMS), `OTC`, `ResetPhoneNumber`, `VerifyPhoneNumber` (SMS): `code`, `expirationMinutes`.
//!
//! `mfa.rs` composes its email code message itself for now; it switches with
//! `delivery.send_email_template(EmailTemplateType::MfaOtc, &to, Vars::new().set("code", ..).set("expirationMinutes", ..))`
//! (and then `MfaOtc` joins [`SENT_EMAILS`]).

use yolk_domain::delivery_settings::{EmailTemplateType, SmsTemplateType};

/// The values of a message's variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars(Vec<(&'static str, String)>);

impl Vars {
    pub fn new() -> Self {
        Self::default()
    }

    /// `self` with `name` set to `value`.
    #[must_use]
    pub fn set(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.0.retain(|(n, _)| *n != name);
        self.0.push((name, value.into()));
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

/// Renders `template` with `vars`; in `html` every value is escaped. Errors name the problem (an unknown
/// variable, an unclosed `{{`), never a value.
pub fn render(template: &str, vars: &Vars, html: bool) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("a {{ is not closed")?;
        let name = after[..end].trim();
        let value = vars.get(name).ok_or_else(|| format!("unknown variable {{{{{name}}}}}"))?;
        if html {
            out.push_str(&html_escape(value));
        } else {
            out.push_str(value);
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Checks that `template` renders with exactly the variables `names` (any values).
pub fn check(template: &str, names: &[&'static str]) -> Result<(), String> {
    let vars = names.iter().fold(Vars::new(), |v, n| v.set(n, "x"));
    render(template, &vars, true).map(|_| ())
}

pub(crate) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// yolk's text of one kind of email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultEmail {
    pub subject: &'static str,
    pub html: &'static str,
    pub text: &'static str,
}

/// The emails yolk sends, so the ones a stored template may replace (a template for another type would be a
/// setting nothing uses, and is refused).
pub const SENT_EMAILS: &[EmailTemplateType] = &[
    EmailTemplateType::ResetPassword,
    EmailTemplateType::ActivateUser,
    EmailTemplateType::InviteToTenant,
    EmailTemplateType::ActivateUserWithCode,
    EmailTemplateType::InviteToTenantWithCode,
    EmailTemplateType::MagicLink,
    EmailTemplateType::MfaOtc,
    EmailTemplateType::Otc,
    EmailTemplateType::UnlockUser,
];

/// The variables a template of `kind` may use.
pub fn variables(kind: EmailTemplateType) -> &'static [&'static str] {
    match kind {
        EmailTemplateType::ResetPassword => &["name", "email", "redirectURL", "expirationMinutes"],
        EmailTemplateType::ActivateUser => &["name", "email", "redirectURL", "expirationHours"],
        EmailTemplateType::InviteToTenant => &["name", "email", "redirectURL", "expirationDays"],
        EmailTemplateType::ActivateUserWithCode | EmailTemplateType::InviteToTenantWithCode => {
            &["name", "email", "code", "redirectURL", "expirationMinutes"]
        }
        EmailTemplateType::MagicLink => &["email", "redirectURL", "expirationMinutes"],
        EmailTemplateType::MfaOtc | EmailTemplateType::Otc => &["code", "expirationMinutes"],
        EmailTemplateType::UnlockUser => &["name", "email", "redirectURL", "expirationMinutes"],
        _ => &[],
    }
}

/// The SMS variables of `kind`.
pub fn sms_variables(_: SmsTemplateType) -> &'static [&'static str] {
    &["code", "expirationMinutes"]
}

/// yolk's email of `kind`, if yolk has one.
pub fn default_email(kind: EmailTemplateType) -> Option<DefaultEmail> {
    Some(match kind {
        EmailTemplateType::ResetPassword => DefaultEmail {
            subject: "Reset your password",
            text: "Hi {{name}},\n\nSomeone asked to reset the password of your account. To choose a new password, \
                   open:\n\n{{redirectURL}}\n\nThe link works once, for {{expirationMinutes}} minutes. If you did not \
                   ask for it, ignore this email: your password stays as it is.\n",
            html: "<p>Hi {{name}},</p><p>Someone asked to reset the password of your account. To choose a new \
                   password, <a href=\"{{redirectURL}}\">open this link</a>.</p><p>The link works once, for \
                   {{expirationMinutes}} minutes. If you did not ask for it, ignore this email: your password stays \
                   as it is.</p>",
        },
        EmailTemplateType::ActivateUser => DefaultEmail {
            subject: "Activate your account",
            text: "Hi {{name}},\n\nTo activate your account, open:\n\n{{redirectURL}}\n\nThe link works once, for \
                   {{expirationHours}} hours. If you did not sign up, ignore this email.\n",
            html: "<p>Hi {{name}},</p><p>To activate your account, <a href=\"{{redirectURL}}\">open this \
                   link</a>.</p><p>The link works once, for {{expirationHours}} hours. If you did not sign up, ignore \
                   this email.</p>",
        },
        EmailTemplateType::InviteToTenant => DefaultEmail {
            subject: "You are invited",
            text: "Hi {{name}},\n\nYou were invited to join an account. To accept the invitation, open:\n\n\
                   {{redirectURL}}\n\nThe link works once, for {{expirationDays}} days. If you do not want to join, \
                   ignore this email.\n",
            html: "<p>Hi {{name}},</p><p>You were invited to join an account. To accept the invitation, <a \
                   href=\"{{redirectURL}}\">open this link</a>.</p><p>The link works once, for {{expirationDays}} \
                   days. If you do not want to join, ignore this email.</p>",
        },
        EmailTemplateType::ActivateUserWithCode => DefaultEmail {
            subject: "Your activation code",
            text: "Hi {{name}},\n\nYour activation code is {{code}}. Enter it on the activation page:\n\n\
                   {{redirectURL}}\n\nIt works once, for {{expirationMinutes}} minutes. If you did not sign up, ignore \
                   this email.\n",
            html: "<p>Hi {{name}},</p><p>Your activation code is <b>{{code}}</b>. Enter it on the <a \
                   href=\"{{redirectURL}}\">activation page</a>.</p><p>It works once, for {{expirationMinutes}} \
                   minutes. If you did not sign up, ignore this email.</p>",
        },
        EmailTemplateType::InviteToTenantWithCode => DefaultEmail {
            subject: "Your invitation code",
            text: "Hi {{name}},\n\nYou were invited to join an account. Your invitation code is {{code}}. Enter it \
                   on the invitation page:\n\n{{redirectURL}}\n\nIt works once, for {{expirationMinutes}} minutes. \
                   If you do not want to join, ignore this email.\n",
            html: "<p>Hi {{name}},</p><p>You were invited to join an account. Your invitation code is \
                   <b>{{code}}</b>. Enter it on the <a href=\"{{redirectURL}}\">invitation page</a>.</p><p>It works \
                   once, for {{expirationMinutes}} minutes. If you do not want to join, ignore this email.</p>",
        },
        EmailTemplateType::MagicLink => DefaultEmail {
            subject: "Your sign-in link",
            text: "Sign in with this link:\n\n{{redirectURL}}\n\nIt works once, for {{expirationMinutes}} \
                   minute(s). If you did not ask to sign in, ignore this email.\n",
            html: "<p><a href=\"{{redirectURL}}\">Sign in</a></p><p>The link works once, for {{expirationMinutes}} \
                   minute(s). If you did not ask to sign in, ignore this email.</p>",
        },
        EmailTemplateType::Otc => DefaultEmail {
            subject: "Your sign-in code",
            text: "Your sign-in code is {{code}}\n\nIt works once, for {{expirationMinutes}} minutes. If you did not \
                   try to sign in, ignore this email.\n",
            html: "<p>Your sign-in code is <strong>{{code}}</strong></p><p>It works once, for \
                   {{expirationMinutes}} minutes. If you did not try to sign in, ignore this email.</p>",
        },
        EmailTemplateType::MfaOtc => DefaultEmail {
            subject: "Your sign-in code",
            text: "Your sign-in code is {{code}}\n\nIt works once, for {{expirationMinutes}} minutes. If you did not \
                   try to sign in, change your password: someone knows it.\n",
            html: "<p>Your sign-in code is <strong>{{code}}</strong></p><p>It works once, for \
                   {{expirationMinutes}} minutes. If you did not try to sign in, change your password: someone \
                   knows it.</p>",
        },
        EmailTemplateType::UnlockUser => DefaultEmail {
            subject: "Your account is locked",
            text: "Hi {{name}},\n\nYour account was locked after too many wrong passwords. To unlock it, open:\n\n\
                   {{redirectURL}}\n\nThe link works once, for {{expirationMinutes}} minutes. If the wrong passwords \
                   were not yours, someone is guessing: choose a strong password.\n",
            html: "<p>Hi {{name}},</p><p>Your account was locked after too many wrong passwords. To unlock it, <a \
                   href=\"{{redirectURL}}\">open this link</a>.</p><p>The link works once, for \
                   {{expirationMinutes}} minutes. If the wrong passwords were not yours, someone is guessing: choose \
                   a strong password.</p>",
        },
        _ => return None,
    })
}

/// yolk's SMS of `kind`.
pub fn default_sms(kind: SmsTemplateType) -> &'static str {
    match kind {
        SmsTemplateType::Otc => "Your sign-in code is {{code}}. It works once, for {{expirationMinutes}} minutes.",
        SmsTemplateType::MfaOtc => {
            "Your verification code is {{code}}. It works once, for {{expirationMinutes}} minutes."
        }
        SmsTemplateType::ResetPhoneNumber => {
            "Your code to reset your phone number is {{code}}. It works for {{expirationMinutes}} minutes."
        }
        SmsTemplateType::VerifyPhoneNumber => {
            "Your code to verify your phone number is {{code}}. It works for {{expirationMinutes}} minutes."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_substituted_and_escaped_in_html() {
        let vars = Vars::new().set("name", "<Ann & \"Bo\">").set("redirectURL", "https://a/?x=1&y=2");
        assert_eq!(
            render("Hi {{name}}, {{ redirectURL }}", &vars, false).unwrap(),
            "Hi <Ann & \"Bo\">, https://a/?x=1&y=2"
        );
        assert_eq!(render("<p>{{name}}</p>", &vars, true).unwrap(), "<p>&lt;Ann &amp; &quot;Bo&quot;&gt;</p>");
        assert!(render("{{nope}}", &vars, true).unwrap_err().contains("nope"));
        assert!(render("{{name", &vars, true).unwrap_err().contains("not closed"));
    }

    #[test]
    fn every_default_renders_with_its_variables() {
        for kind in EmailTemplateType::ALL {
            if let Some(d) = default_email(*kind) {
                for t in [d.subject, d.text, d.html] {
                    check(t, variables(*kind)).unwrap();
                }
            }
        }
        for kind in SmsTemplateType::ALL {
            check(default_sms(*kind), sms_variables(*kind)).unwrap();
        }
    }
}
