//! `yolk keys list | rotate | retire`: the token-signing keys, operated on the store the configuration names
//! (with the same configuration as the servers: database, master key, token lifetimes, reload interval). Never
//! prints key material.

use std::sync::Arc;

use anyhow::Context as _;
use clap::Subcommand;
use yolk_core::keys::{KeyStatus, KeyVault, MasterKey, RetireTarget};
use yolk_domain::SystemClock;
use yolk_server::Config;
use yolk_store::Store;

/// `yolk keys ...`.
#[derive(Subcommand)]
pub enum KeysCommand {
    /// List the signing keys: kid, created, from when it signs, state (never the key itself).
    List,
    /// Add a new signing key. Running nodes publish it within `key_reload_interval` and sign with it from two
    /// intervals on; the old key keeps verifying until its tokens have expired. Retires keys already retirable.
    Rotate,
    /// Delete keys whose tokens have all expired (or one key, with --kid).
    Retire {
        /// Retire this key only (it must be retirable, or use --force).
        #[arg(long)]
        kid: Option<String>,
        /// With --kid: retire it even though tokens it signed have not all expired (they stop verifying).
        #[arg(long, requires = "kid")]
        force: bool,
    },
}

/// Runs a `yolk keys` command on `store`.
pub async fn run(command: KeysCommand, config: &Config, store: Arc<dyn Store>) -> anyhow::Result<()> {
    let master = MasterKey::resolve(config.master_key.as_ref().map(|k| k.expose()), config.master_key_file.as_deref())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let vault = KeyVault::new(store, master, Arc::new(SystemClock));
    anyhow::ensure!(config.key_reload_interval >= 1, "key_reload_interval must be at least 1 second");
    let timings = vault
        .timings(config.access_token_ttl, config.vendor_token_ttl, config.key_reload_interval)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("reading the token lifetimes")?;
    match command {
        KeysCommand::List => {}
        KeysCommand::Rotate => {
            let r = vault.rotate(&timings).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            match &r.replaced {
                Some(old) => println!(
                    "Rotated: new key {} is published now and signs from {} (nodes reload every {} s); {old} keeps \
                     verifying the tokens it signed.",
                    r.kid,
                    time(r.signs_from),
                    timings.reload_interval_secs
                ),
                None => println!("The store had no signing key: created {}.", r.kid),
            }
            for kid in &r.retired {
                println!("Retired {kid} (its tokens have all expired).");
            }
        }
        KeysCommand::Retire { kid, force } => {
            let target = match kid.as_deref() {
                Some(kid) => RetireTarget::Kid { kid, force },
                None => RetireTarget::Expired,
            };
            let retired = vault.retire(&timings, target).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            if retired.is_empty() {
                println!("Nothing to retire.");
            }
            for kid in &retired {
                println!("Retired {kid}.");
            }
        }
    }
    let statuses = vault.statuses(&timings).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    print!("{}", table(&statuses, vault.master_key_id()));
    Ok(())
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The key list as an aligned table.
fn table(statuses: &[KeyStatus], master_key_id: Option<&str>) -> String {
    let header = ["KID", "STATE", "CREATED", "SIGNS FROM", "RETIRABLE FROM", "AT REST"];
    let rows: Vec<[String; 6]> = statuses
        .iter()
        .map(|s| {
            [
                s.kid.clone(),
                s.state.as_str().to_owned(),
                time(s.created_at),
                time(s.active_from),
                s.retirable_from.map_or_else(|| "-".to_owned(), time),
                match (s.sealed, master_key_id) {
                    (true, Some(id)) => format!("sealed (master key {id})"),
                    (true, None) => "sealed".to_owned(),
                    (false, _) => "clear".to_owned(),
                },
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: &[&str]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.push('\n');
        out
    };
    let mut out = line(&header);
    for row in &rows {
        out.push_str(&line(&row.each_ref().map(String::as_str)));
    }
    out
}
