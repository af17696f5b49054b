//! Email configuration, email templates, SMS configuration and SMS templates: configured through the API and used
//! by the next message (an SMTP sink, a local listener playing Twilio's API, the outbox).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use yolk_core::delivery::Vars;
use yolk_domain::delivery_settings::SmsTemplateType;
use yolk_testkit::smtp::SmtpSink;

use crate::support::{TestApp, assert_error};

async fn wait_for<T>(mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..500 {
        if let Some(v) = f() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("nothing arrived");
}

async fn outbox_texts(app: &TestApp, to: &str, count: usize) -> Vec<yolk_domain::OutboxMessage> {
    for _ in 0..500 {
        let m = app.store.outbox(Some(to), 50).await.unwrap();
        if m.len() >= count {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no {count} message(s) to {to}");
}

/// An SMTP server configured through the API wins over the outbox (and would over `smtp_url`); its secret is never
/// answered; other providers are refused; removing it falls back.
#[tokio::test]
async fn an_smtp_server_configured_through_the_api_carries_the_reset_email() {
    let app = TestApp::new().await;
    let env = app.vendor_token().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    let sink = SmtpSink::start().await;

    let res = app.get("/identity/resources/mail/v1/configurations").bearer(&env).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    for payload in [
        json!({"provider": "sendgrid", "secret": "SG.x"}),
        json!({"provider": "ses", "secret": "s", "id": "i", "region": "us-east-1"}),
        json!({"provider": "smtp", "host": "", "port": 25}),
        json!({"provider": "smtp", "host": "h", "port": 587, "username": "u", "secret": "p", "tls": "opportunistic"}),
    ] {
        let res = app
            .post("/identity/resources/mail/v2/configurations")
            .bearer(&env)
            .json(json!({"payload": payload}))
            .send()
            .await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    let res = app
        .post("/identity/resources/mail/v1/configurations")
        .bearer(&env)
        .json(json!({"secret": "SG.x"}))
        .send()
        .await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert!(res.error().contains("not supported"), "{}", res.text);

    let payload = json!({"provider": "smtp", "host": "127.0.0.1", "port": sink.addr.port(), "tls": "none",
                         "senderEmail": "Acme <auth@acme.test>"});
    let user = app.user_token("ann@x.io").await;
    let res = app
        .post("/identity/resources/mail/v2/configurations")
        .bearer(&user)
        .json(json!({"payload": payload}))
        .send()
        .await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    assert_eq!(res.error(), "Failed to verify vendor JWT");
    let res = app
        .post("/identity/resources/mail/v2/configurations")
        .bearer(&env)
        .json(json!({"payload": payload}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app.get("/identity/resources/mail/v1/configurations").bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["provider"], "smtp");
    assert_eq!(res.body["host"], "127.0.0.1");

    let res = app.post("/identity/resources/users/v1/passwords/reset").json(json!({"email": "ann@x.io"})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let got = wait_for(|| sink.received().into_iter().next()).await;
    assert_eq!(got.from, "auth@acme.test");
    assert_eq!(got.to, ["ann@x.io"]);
    assert!(got.data.contains("Subject: Reset your password"), "{}", got.data);
    assert!(app.store.outbox(Some("ann@x.io"), 10).await.unwrap().is_empty());

    // Removed: back to the outbox.
    let res = app.delete("/identity/resources/mail/v1/configurations").bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.delete("/identity/resources/mail/v1/configurations").bearer(&env).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    app.post("/identity/resources/users/v1/passwords/reset").json(json!({"email": "ann@x.io"})).send().await;
    outbox_texts(&app, "ann@x.io", 1).await;
    assert_eq!(sink.received().len(), 1);
}

/// The SMTP password is kept when an update omits it, and never answered.
#[tokio::test]
async fn the_smtp_secret_is_never_answered() {
    let app = TestApp::new().await;
    let env = app.vendor_token().await;
    let payload = json!({"provider": "smtp", "host": "mail.example.com", "port": 587, "username": "u",
                         "secret": "hunter2-very-secret"});
    let res = app
        .post("/identity/resources/mail/v2/configurations")
        .bearer(&env)
        .json(json!({"payload": payload}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let payload = json!({"provider": "smtp", "host": "mail2.example.com", "port": 587, "username": "u"});
    let res = app
        .post("/identity/resources/mail/v2/configurations")
        .bearer(&env)
        .json(json!({"payload": payload}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app.get("/identity/resources/mail/v1/configurations").bearer(&env).send().await;
    assert!(!res.text.contains("hunter2"), "{}", res.text);
    assert_eq!(res.body["secret"], "********");
    assert_eq!(res.body["host"], "mail2.example.com");
    let stored = app.store.get_setting("mail_config").await.unwrap().unwrap();
    assert_eq!(stored["secret"], "hunter2-very-secret");
}

/// A stored template shapes the email yolk sends: subject, escaped HTML, the link's page; bad templates are
/// refused; an inactive one stops the email; deleting it restores yolk's text.
#[tokio::test]
async fn an_email_template_shapes_the_reset_email() {
    let app = TestApp::new().await;
    let env = app.vendor_token().await;
    let tenant = app.seed_tenant("t1").await;
    let id = app.seed_user("ann@x.io", &tenant, &[]).await;
    let name = app.store.get_user(id).await.unwrap().name.unwrap_or_else(|| "there".into());
    let path = "/identity/resources/mail/v1/configs/templates";

    let res = app.get("/identity/resources/mail/v1/configs/ResetPassword/default").bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.body["htmlTemplate"].as_str().unwrap().contains("{{redirectURL}}"));
    assert_error(
        &app.get("/identity/resources/mail/v1/configs/BotDetection/default").bearer(&env).send().await,
        StatusCode::NOT_FOUND,
    );
    assert_error(
        &app.get("/identity/resources/mail/v1/configs/Nope/default").bearer(&env).send().await,
        StatusCode::BAD_REQUEST,
    );
    for bad in [
        json!({"type": "ResetPassword", "htmlTemplate": "{{password}}"}),
        json!({"type": "ResetPassword", "subject": "{{name"}),
        json!({"type": "BotDetection", "subject": "x"}),
        json!({"type": "Nope"}),
        json!({"subject": "x"}),
        json!({"type": "ResetPassword", "redirectURL": "javascript:alert(1)"}),
        json!({"type": "ResetPassword", "senderEmail": "not an address"}),
    ] {
        assert_error(&app.post(path).bearer(&env).json(bad).send().await, StatusCode::BAD_REQUEST);
    }
    let template = json!({"type": "ResetPassword", "subject": "Reset for {{email}}",
        "htmlTemplate": "<b>{{name}}</b> <a href=\"{{redirectURL}}\">go</a>",
        "redirectURL": "https://app.acme.test/reset", "senderEmail": "auth@acme.test", "fromName": "Acme"});
    let res = app.post(path).bearer(&env).json(template).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app.get(&format!("{path}?type=ResetPassword")).bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body.as_array().unwrap().len(), 1);
    let template_id = res.body[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(res.body[0]["subject"], "Reset for {{email}}");

    // A name with markup is escaped in HTML.
    let rename: yolk_store::Mutation<yolk_domain::User> = Box::new(|u| {
        u.name = Some("<Ann & Co>".into());
        Ok(())
    });
    app.store.update_user(id, rename, chrono::Utc::now()).await.unwrap();
    app.post("/identity/resources/users/v1/passwords/reset").json(json!({"email": "ann@x.io"})).send().await;
    let m = outbox_texts(&app, "ann@x.io", 1).await.remove(0);
    assert_eq!(m.subject.as_deref(), Some("Reset for ann@x.io"));
    let html = m.html.unwrap();
    assert!(html.starts_with("<b>&lt;Ann &amp; Co&gt;</b> <a href=\"https://app.acme.test/reset?userId="), "{html}");
    assert!(m.text.contains("https://app.acme.test/reset?userId="), "{}", m.text);
    let _ = name;

    // Inactive: no email.
    let res = app.post(path).bearer(&env).json(json!({"type": "ResetPassword", "active": false})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    app.post("/identity/resources/users/v1/passwords/reset").json(json!({"email": "ann@x.io"})).send().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.store.outbox(Some("ann@x.io"), 10).await.unwrap().len(), 1);

    // Deleted: yolk's text again.
    let res = app.delete(&format!("{path}/{template_id}")).bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_error(&app.delete(&format!("{path}/{template_id}")).bearer(&env).send().await, StatusCode::NOT_FOUND);
    app.post("/identity/resources/users/v1/passwords/reset").json(json!({"email": "ann@x.io"})).send().await;
    let m = outbox_texts(&app, "ann@x.io", 2).await.remove(0);
    assert_eq!(m.subject.as_deref(), Some("Reset your password"));
}

/// What the Twilio stand-in received: the authorization header and the form.
type Seen = Arc<Mutex<Vec<(String, Vec<(String, String)>)>>>;

/// A local listener playing Twilio's Messages API, answering `status`.
async fn twilio(status: StatusCode) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let keep = seen.clone();
    let route = axum::routing::post(move |headers: HeaderMap, body: String| {
        let keep = keep.clone();
        async move {
            let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            let form = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
            keep.lock().unwrap().push((auth, form));
            let body = if status.is_success() {
                json!({"sid": "SM1", "status": "queued"})
            } else {
                json!({"code": 21211, "message": "Invalid 'To' Phone Number"})
            };
            (status, axum::Json(body))
        }
    });
    let router = axum::Router::new().route("/2010-04-01/Accounts/AC123/Messages.json", route);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}"), seen)
}

/// An SMS provider configured through the API carries SMS (Twilio's form and basic auth), with the stored
/// template; its token is never answered; a provider error is an error; removed, SMS go to the outbox again.
#[tokio::test]
async fn an_sms_provider_configured_through_the_api_carries_templated_sms() {
    let app = TestApp::new().await;
    let env = app.vendor_token().await;
    let (base, seen) = twilio(StatusCode::CREATED).await;
    let delivery = &app.state.services.delivery;
    let vars = || Vars::new().set("code", "123456").set("expirationMinutes", "5");

    // Nothing configured: the outbox.
    delivery.send_sms_template(SmsTemplateType::Otc, "+15550001111", vars()).await.unwrap();
    let m = outbox_texts(&app, "+15550001111", 1).await.remove(0);
    assert!(m.text.contains("123456"), "{}", m.text);

    let path = "/identity/resources/configurations/v1/sms";
    assert_error(&app.get(path).bearer(&env).send().await, StatusCode::NOT_FOUND);
    for bad in [
        json!({"provider": "vonage", "accountId": "AC123", "token": "t", "senderName": "+15550000000"}),
        json!({"accountId": "AC 123", "token": "t", "senderName": "+15550000000"}),
        json!({"accountId": "AC123", "senderName": "+15550000000"}),
        json!({"accountId": "AC123", "token": "t", "senderName": "+1", "baseUrl": "ftp://x"}),
    ] {
        assert_error(&app.post(path).bearer(&env).json(bad).send().await, StatusCode::BAD_REQUEST);
    }
    let config = json!({"provider": "twilio", "accountId": "AC123", "token": "tok-secret-42",
                        "senderName": "+15550000000", "baseUrl": base});
    let res = app.post(path).bearer(&env).json(config).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert!(!res.text.contains("tok-secret-42"));
    let res = app.get(path).bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(!res.text.contains("tok-secret-42"));
    assert_eq!(res.body["accountId"], "AC123");

    let tpl = "/identity/resources/configurations/v1/sms/templates";
    assert_error(
        &app.post(&format!("{tpl}/OTC")).bearer(&env).json(json!({"body": "{{password}}"})).send().await,
        StatusCode::BAD_REQUEST,
    );
    assert_error(
        &app.post(&format!("{tpl}/Nope")).bearer(&env).json(json!({"body": "x"})).send().await,
        StatusCode::BAD_REQUEST,
    );
    let res = app.post(&format!("{tpl}/OTC")).bearer(&env).json(json!({"body": "Acme code: {{code}}"})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app.get(&format!("{tpl}/OTC")).bearer(&env).send().await;
    assert_eq!(res.body["body"], "Acme code: {{code}}");
    let res = app.get(&format!("{tpl}/OTC/default")).bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_ne!(res.body["body"], "Acme code: {{code}}");
    let res = app.get(tpl).bearer(&env).send().await;
    assert_eq!(res.body.as_array().unwrap().len(), SmsTemplateType::ALL.len());
    let res = app.get(&format!("{tpl}/default/all")).bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    delivery.send_sms_template(SmsTemplateType::Otc, "+15550002222", vars()).await.unwrap();
    let (auth, form) = seen.lock().unwrap()[0].clone();
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD.encode("AC123:tok-secret-42");
    assert_eq!(auth, format!("Basic {expected}"));
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(field("To").as_deref(), Some("+15550002222"));
    assert_eq!(field("From").as_deref(), Some("+15550000000"));
    assert_eq!(field("Body").as_deref(), Some("Acme code: 123456"));
    assert_eq!(app.store.outbox(Some("+15550002222"), 10).await.unwrap().len(), 0);

    // Deleted template: yolk's text.
    let res = app.delete(&format!("{tpl}/OTC")).bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_error(&app.delete(&format!("{tpl}/OTC")).bearer(&env).send().await, StatusCode::NOT_FOUND);

    // The provider refuses: an error, not a message reported as sent.
    let (failing, _) = twilio(StatusCode::BAD_REQUEST).await;
    let res = app
        .post(path)
        .bearer(&env)
        .json(json!({"accountId": "AC123", "senderName": "+15550000000", "baseUrl": failing}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "token kept: {}", res.text);
    let err = delivery.send_sms_template(SmsTemplateType::Otc, "+1555", vars()).await.unwrap_err();
    assert!(matches!(err, yolk_core::CoreError::Unavailable { .. }), "{err:?}");

    // Removed: the outbox again.
    assert_eq!(app.delete(path).bearer(&env).send().await.status, StatusCode::OK);
    delivery.send_sms_template(SmsTemplateType::Otc, "+15550003333", vars()).await.unwrap();
    outbox_texts(&app, "+15550003333", 1).await;

    // A user token is refused.
    app.seed_user("ann@x.io", &app.seed_tenant("t1").await, &[]).await;
    let user = app.user_token("ann@x.io").await;
    let res = app.get(path).bearer(&user).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    let _: Option<Value> = None;
}
