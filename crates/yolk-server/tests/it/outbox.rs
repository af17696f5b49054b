//! Delivery: the outbox (`GET /yolk/v1/outbox`) when no channel is configured, SMTP when `smtp_url` is set.

use axum::http::StatusCode;
use serde_json::Value;
use yolk_core::delivery::{Email, Sms};
use yolk_server::Config;
use yolk_testkit::smtp::SmtpSink;

use crate::support::{TestApp, assert_error};

fn email(to: &str, text: &str) -> Email {
    Email {
        to: to.into(),
        subject: format!("Subject {text}"),
        text: format!("Your code is {text}"),
        html: Some(format!("<p>Your code is <b>{text}</b></p>")),
    }
}

/// Without a channel every message lands in the outbox, readable with an environment token, newest first, by
/// recipient; nothing else may read it (it holds live links and codes).
#[tokio::test]
async fn without_channels_messages_land_in_the_outbox_for_the_environment_only() {
    let app = TestApp::new().await;
    let delivery = &app.state.services.delivery;
    delivery.send_email(email("Ann@X.io", "111")).await.unwrap();
    app.clock.advance_secs(1);
    delivery.send_sms(Sms { to: "+15550001111".into(), text: "SMS code 222".into() }).await.unwrap();
    app.clock.advance_secs(1);
    delivery.send_email(email("bob@x.io", "333")).await.unwrap();

    let token = app.vendor_token().await;
    let res = app.get("/yolk/v1/outbox").bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let items = res.body["items"].as_array().unwrap();
    let texts: Vec<&str> = items.iter().map(|i| i["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["Your code is 333", "SMS code 222", "Your code is 111"]);
    assert_eq!(items[1]["channel"], "sms");
    assert_eq!(items[1]["subject"], Value::Null);
    assert_eq!(items[2]["channel"], "email");
    assert_eq!(items[2]["to"], "Ann@X.io");
    assert_eq!(items[2]["subject"], "Subject 111");
    assert_eq!(items[2]["html"], "<p>Your code is <b>111</b></p>");
    assert!(items[2]["createdAt"].as_str().unwrap().ends_with('Z'));

    // Filtered by recipient (an email address in any case), limited, and under the /frontegg prefix too.
    let res = app.get("/frontegg/yolk/v1/outbox?to=ann%40x.io").bearer(&token).send().await;
    assert_eq!(res.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(res.body["items"][0]["text"], "Your code is 111");
    let res = app.get("/yolk/v1/outbox?limit=1").bearer(&token).send().await;
    assert_eq!(res.body["items"].as_array().unwrap().len(), 1);
    assert_error(&app.get("/yolk/v1/outbox?limit=lots").bearer(&token).send().await, StatusCode::BAD_REQUEST);
    assert_error(&app.get("/yolk/v1/outbox?limit=0").bearer(&token).send().await, StatusCode::BAD_REQUEST);

    // No token, or a user's token: refused.
    assert_error(&app.get("/yolk/v1/outbox").send().await, StatusCode::UNAUTHORIZED);
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("member@x.io", &tenant, &[]).await;
    let user = app.user_token("member@x.io").await;
    let res = app.get("/yolk/v1/outbox").bearer(&user).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    assert_eq!(res.error(), "Failed to verify vendor JWT");
}

/// With `smtp_url` set, emails go out over SMTP (to a real SMTP listener here) as a text and HTML alternative,
/// from `mail_from`, and the outbox stays empty.
#[tokio::test]
async fn with_smtp_configured_emails_are_delivered_over_smtp() {
    let sink = SmtpSink::start().await;
    let config =
        Config { smtp_url: Some(sink.url().into()), mail_from: "Acme <auth@acme.test>".into(), ..Config::default() };
    let app = TestApp::with_config(config).await;
    app.state.services.delivery.send_email(email("ann@x.io", "4711")).await.unwrap();
    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].from, "auth@acme.test");
    assert_eq!(received[0].to, ["ann@x.io"]);
    let data = &received[0].data;
    assert!(data.contains("Subject: Subject 4711"), "{data}");
    assert!(data.contains("From: Acme <auth@acme.test>"), "{data}");
    assert!(data.contains("multipart/alternative"), "{data}");
    assert!(data.contains("Your code is 4711"), "{data}");
    let token = app.vendor_token().await;
    let res = app.get("/yolk/v1/outbox").bearer(&token).send().await;
    assert_eq!(res.body["items"], serde_json::json!([]));
}

/// A relay that does not answer is a clear 503-class failure for the caller, never a lost message reported as sent.
#[tokio::test]
async fn an_unreachable_smtp_relay_is_an_error_not_a_silent_drop() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let config = Config { smtp_url: Some(format!("smtp://{unused}?tls=none").into()), ..Config::default() };
    let app = TestApp::with_config(config).await;
    let err = app.state.services.delivery.send_email(email("ann@x.io", "1")).await.unwrap_err();
    assert!(matches!(err, yolk_core::CoreError::Unavailable { .. }), "{err:?}");
}

/// A bad `smtp_url` or `mail_from` is refused at start, naming the key.
#[test]
fn bad_smtp_settings_are_refused_at_start() {
    let bad_url = Config { smtp_url: Some("http://mail.example.com".to_owned().into()), ..Config::default() };
    assert!(bad_url.validate().unwrap_err().contains("smtp_url"));
    let bad_from = Config {
        smtp_url: Some("smtp://127.0.0.1:25".to_owned().into()),
        mail_from: "no address".into(),
        ..Config::default()
    };
    assert!(bad_from.validate().unwrap_err().contains("mail_from"));
}
