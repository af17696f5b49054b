//! `OutboxStore`: messages kept newest first, found by recipient.

use yolk_domain::{Channel, MessageId, OutboxMessage};
use yolk_store::OutboxStore;

use crate::{Db, at};

contract!(the_outbox_keeps_messages_newest_first_by_recipient);

fn message(channel: Channel, to: &str, text: &str, secs: i64) -> OutboxMessage {
    OutboxMessage {
        id: MessageId::new(),
        channel,
        to: to.to_owned(),
        subject: (channel == Channel::Email).then(|| format!("about {text}")),
        text: text.to_owned(),
        html: (channel == Channel::Email).then(|| format!("<p>{text}</p>")),
        created_at: at(secs),
    }
}

async fn the_outbox_keeps_messages_newest_first_by_recipient(db: Db) {
    assert!(db.outbox(None, 10).await.unwrap().is_empty());
    let first = message(Channel::Email, "Ann@X.io", "one", 1);
    // Same instant as the first: still after it.
    let second = message(Channel::Email, "bob@x.io", "two", 1);
    let third = message(Channel::Sms, "+15550001111", "three", 2);
    let fourth = message(Channel::Email, "ann@x.io", "four", 3);
    for m in [&first, &second, &third, &fourth] {
        db.add_to_outbox(m).await.unwrap();
    }
    let texts = |ms: Vec<OutboxMessage>| ms.into_iter().map(|m| m.text).collect::<Vec<_>>();
    assert_eq!(texts(db.outbox(None, 10).await.unwrap()), ["four", "three", "two", "one"]);
    assert_eq!(texts(db.outbox(None, 2).await.unwrap()), ["four", "three"]);
    // Email addresses match whatever their case; the message keeps the address as sent.
    let ann = db.outbox(Some(" ANN@x.io "), 10).await.unwrap();
    assert_eq!(ann.iter().map(|m| m.to.as_str()).collect::<Vec<_>>(), ["ann@x.io", "Ann@X.io"]);
    assert_eq!(ann[1], first, "every field round-trips");
    let sms = db.outbox(Some("+15550001111"), 10).await.unwrap();
    assert_eq!(sms, vec![third]);
    assert!(db.outbox(Some("nobody@x.io"), 10).await.unwrap().is_empty());
}
