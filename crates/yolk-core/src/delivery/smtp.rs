//! Email over SMTP (lettre), from a URL:
//! - `smtp://user:password@host[:587]`: STARTTLS required (credentials never cross in clear);
//! - `smtp://host[:587]` without credentials: STARTTLS when the server offers it (`?tls=required` to insist);
//! - `smtps://[user:password@]host[:465]`: TLS from the first byte;
//! - `smtp://host:25?tls=none`: no TLS, for a relay on the same machine or a test sink.
//!
//! lettre reads a bare `smtp://` as "no TLS"; yolk's reading above is the safe one, and `tls=none` must be said.

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{ChannelError, Email, EmailChannel};

/// An SMTP relay and the sender address.
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    /// The relay at `url`, sending as `from` (`"Name <address>"` or a bare address). The URL's password never
    /// appears in an error.
    pub fn new(url: &str, from: &str) -> Result<Self, ChannelError> {
        let from: Mailbox = from.parse().map_err(|e| ChannelError(format!("mail_from {from:?}: {e}")))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url(url)?)
            .map_err(|e| ChannelError(format!("smtp_url is not a valid SMTP URL: {e}")))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        Ok(Self { transport, from })
    }
}

#[async_trait::async_trait]
impl EmailChannel for Smtp {
    async fn send(&self, email: &Email) -> Result<(), ChannelError> {
        self.send_from(email, None).await
    }

    async fn send_from(&self, email: &Email, from: Option<&str>) -> Result<(), ChannelError> {
        let from = match from {
            Some(f) => f.parse().map_err(|e| ChannelError(format!("sender {f:?}: {e}")))?,
            None => self.from.clone(),
        };
        let to: Mailbox = email.to.parse().map_err(|e| ChannelError(format!("recipient address: {e}")))?;
        let builder = Message::builder().from(from).to(to).subject(email.subject.clone());
        let message = match &email.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(email.text.clone(), html.clone())),
            None => builder.body(email.text.clone()),
        }
        .map_err(|e| ChannelError(format!("building the message: {e}")))?;
        self.transport.send(message).await.map_err(|e| ChannelError(format!("SMTP: {e}")))?;
        Ok(())
    }
}

/// `url` in lettre's terms (see the module docs). Errors never quote the URL: it may hold a password.
fn lettre_url(url: &str) -> Result<String, ChannelError> {
    let mut parsed =
        url::Url::parse(url).map_err(|e| ChannelError(format!("smtp_url is not a valid SMTP URL: {e}")))?;
    if !matches!(parsed.scheme(), "smtp" | "smtps") {
        return Err(ChannelError(format!("smtp_url must start with smtp:// or smtps://, not {}://", parsed.scheme())));
    }
    let tls = parsed.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
    let rest: Vec<(String, String)> =
        parsed.query_pairs().filter(|(k, _)| k != "tls").map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let tls = match (parsed.scheme(), tls.as_deref()) {
        ("smtps", None) => None,
        ("smtp", Some("none")) => None,
        ("smtp", None) if parsed.username().is_empty() => Some("opportunistic"),
        ("smtp", None) => Some("required"),
        ("smtp", Some("required")) => Some("required"),
        ("smtp", Some("opportunistic")) if parsed.username().is_empty() => Some("opportunistic"),
        ("smtp", Some("opportunistic")) => {
            return Err(ChannelError(
                "smtp_url: tls=opportunistic with credentials would send them in clear to a \
                 server that does not offer STARTTLS; use tls=required (the default with credentials)"
                    .into(),
            ));
        }
        (_, Some(other)) => {
            return Err(ChannelError(format!("smtp_url: tls must be required, opportunistic or none, not {other:?}")));
        }
        _ => None,
    };
    parsed.set_query(None);
    {
        let mut query = parsed.query_pairs_mut();
        for (k, v) in &rest {
            query.append_pair(k, v);
        }
        if let Some(tls) = tls {
            query.append_pair("tls", tls);
        }
    }
    if parsed.query() == Some("") {
        parsed.set_query(None);
    }
    Ok(parsed.into())
}

#[cfg(test)]
mod tests {
    use super::lettre_url;

    #[test]
    fn credentials_require_tls_and_plain_text_must_be_asked_for() {
        let f = |u: &str| lettre_url(u).map_err(|e| e.0);
        assert_eq!(f("smtp://u:p@mail.example.com:587").unwrap(), "smtp://u:p@mail.example.com:587?tls=required");
        assert_eq!(f("smtp://mail.example.com").unwrap(), "smtp://mail.example.com?tls=opportunistic");
        assert_eq!(f("smtp://127.0.0.1:2525?tls=none").unwrap(), "smtp://127.0.0.1:2525");
        assert_eq!(f("smtps://u:p@mail.example.com").unwrap(), "smtps://u:p@mail.example.com");
        assert!(f("smtp://u:p@mail.example.com?tls=opportunistic").unwrap_err().contains("in clear"));
        assert!(f("smtp://h?tls=maybe").unwrap_err().contains("tls must be"));
        let err = f("http://u:secret@h").unwrap_err();
        assert!(err.contains("smtp://") && !err.contains("secret"), "{err}");
    }
}
