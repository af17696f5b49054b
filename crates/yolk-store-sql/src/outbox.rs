//! The outbox.

use yolk_domain::{Channel, OutboxMessage};
use yolk_store::{OutboxStore, StoreError, StoreResult};

use crate::rows::{Arg, Decode, RowExt, ms};
use crate::{SqlStore, db_err};

/// The address as looked up: trimmed, and lower-case for an email address.
fn normalized(to: &str) -> String {
    let to = to.trim();
    if to.contains('@') { to.to_lowercase() } else { to.to_owned() }
}

impl Decode for OutboxMessage {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        let channel = r.text("channel")?;
        Ok(OutboxMessage {
            id: r.id("id")?,
            channel: Channel::parse(&channel)
                .ok_or_else(|| StoreError::Backend(format!("outbox: unknown channel {channel}")))?,
            to: r.text("recipient")?,
            subject: r.opt_text("subject")?,
            text: r.text("body_text")?,
            html: r.opt_text("body_html")?,
            created_at: r.time("created_at")?,
        })
    }
}

const COLUMNS: &str = "id, channel, recipient, subject, body_text, body_html, created_at";

#[async_trait::async_trait]
impl OutboxStore for SqlStore {
    async fn add_to_outbox(&self, m: &OutboxMessage) -> StoreResult<()> {
        // `seq` orders the outbox newest first, ties within a millisecond included (exact on SQLite's one writer;
        // concurrent PostgreSQL writers may share a number, and are then ordered by time).
        sqlx::query(
            "INSERT INTO outbox (id, channel, recipient, recipient_norm, subject, body_text, body_html, created_at, seq)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, COALESCE(MAX(seq), 0) + 1 FROM outbox",
        )
        .bind(m.id.to_string())
        .bind(m.channel.as_str())
        .bind(m.to.clone())
        .bind(normalized(&m.to))
        .bind(m.subject.clone())
        .bind(m.text.clone())
        .bind(m.html.clone())
        .bind(ms(m.created_at))
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn outbox(&self, to: Option<&str>, limit: u64) -> StoreResult<Vec<OutboxMessage>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        match to {
            Some(to) => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM outbox WHERE recipient_norm = $1
                     ORDER BY seq DESC, created_at DESC, id DESC LIMIT $2"
                );
                let to = normalized(to);
                self.fetch_bounded(&sql, &[Arg::from(&to), Arg::Int(limit)]).await
            }
            None => {
                let sql = format!("SELECT {COLUMNS} FROM outbox ORDER BY seq DESC, created_at DESC, id DESC LIMIT $1");
                self.fetch_bounded(&sql, &[Arg::Int(limit)]).await
            }
        }
    }
}
