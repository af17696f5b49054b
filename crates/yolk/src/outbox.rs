//! `yolk outbox [--to ADDRESS] [--limit N]`: the emails and SMS kept instead of sent (no SMTP or SMS channel
//! configured), newest first, read from the store the configuration names. For development: click the magic link or
//! read the code with no mail server.

use std::sync::Arc;

use yolk_domain::OutboxMessage;
use yolk_store::Store;

/// `yolk outbox`'s flags.
#[derive(clap::Args)]
pub struct OutboxArgs {
    /// Only messages to this address (email, case-insensitive, or phone number).
    #[arg(long)]
    to: Option<String>,
    /// How many messages, newest first (at most 200).
    #[arg(long, default_value_t = 10)]
    limit: u64,
}

/// Prints the newest messages, newest first.
pub async fn run(args: OutboxArgs, store: Arc<dyn Store>) -> anyhow::Result<()> {
    let to = args.to.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let limit = args.limit.clamp(1, yolk_core::delivery::MAX_OUTBOX_PAGE);
    let messages = store.outbox(to, limit).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    if messages.is_empty() {
        println!("The outbox is empty{}.", to.map(|t| format!(" for {t}")).unwrap_or_default());
    }
    for m in &messages {
        print!("{}", render(m));
    }
    Ok(())
}

/// One message as printed: a header block, then the text body.
fn render(m: &OutboxMessage) -> String {
    let mut out =
        format!("--- {} {} to {} at {}\n", m.channel.as_str(), m.id, m.to, yolk_domain::time::rfc3339(m.created_at));
    if let Some(subject) = &m.subject {
        out.push_str(&format!("Subject: {subject}\n"));
    }
    out.push('\n');
    out.push_str(m.text.trim_end());
    out.push_str("\n\n");
    out
}
