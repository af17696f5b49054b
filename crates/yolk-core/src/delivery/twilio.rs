//! SMS through a Twilio-compatible API: `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, form `To`,
//! `From`, `Body` (and `MessagingServiceSid` when set), HTTP basic auth `AccountSid:AuthToken`. Any answer but a
//! 2xx is an error for the caller; errors name the status and Twilio's message, never the token.

use std::time::Duration;

use yolk_domain::delivery_settings::{SmsConfig, TWILIO_BASE_URL};

use super::{ChannelError, Sms, SmsChannel};

/// A Twilio account.
pub struct Twilio {
    client: reqwest::Client,
    url: String,
    account_sid: String,
    token: String,
    from: String,
    service_sid: Option<String>,
}

impl Twilio {
    /// The account of a stored SMS configuration.
    pub fn new(config: &SmsConfig) -> Result<Self, ChannelError> {
        let base = config.base_url.as_deref().unwrap_or(TWILIO_BASE_URL).trim_end_matches('/');
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ChannelError(format!("SMS client: {e}")))?;
        Ok(Self {
            client,
            url: format!("{base}/2010-04-01/Accounts/{}/Messages.json", config.account_id),
            account_sid: config.account_id.clone(),
            token: config.token.clone(),
            from: config.sender_name.clone(),
            service_sid: config.service_id.clone(),
        })
    }
}

#[async_trait::async_trait]
impl SmsChannel for Twilio {
    async fn send(&self, sms: &Sms) -> Result<(), ChannelError> {
        let mut form = vec![("To", sms.to.as_str()), ("From", self.from.as_str()), ("Body", sms.text.as_str())];
        if let Some(sid) = &self.service_sid {
            form.push(("MessagingServiceSid", sid));
        }
        let res = self
            .client
            .post(&self.url)
            .basic_auth(&self.account_sid, Some(&self.token))
            .form(&form)
            .send()
            .await
            .map_err(|e| ChannelError(format!("SMS provider unreachable: {}", e.without_url())))?;
        let status = res.status();
        if status.is_success() {
            return Ok(());
        }
        let body: serde_json::Value = res.json().await.unwrap_or_default();
        let message = body["message"].as_str().unwrap_or("").chars().take(200).collect::<String>();
        Err(ChannelError(format!("SMS provider answered {status}: {message}")))
    }
}
