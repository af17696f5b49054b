//! DNS TXT lookups for domain proofs. [`TxtResolver`] is injected (`Services::with_txt_resolver`), so tests answer
//! from memory; [`SystemTxtResolver`] asks the system's resolvers (`/etc/resolv.conf`) through hickory.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;

/// Answers the TXT records of a name.
#[async_trait::async_trait]
pub trait TxtResolver: Send + Sync + 'static {
    /// The TXT values at `name` (each record's strings joined). No record, or no such name, is an empty list;
    /// `Err` is a lookup that could not be made (message for the log).
    async fn lookup_txt(&self, name: &str) -> Result<Vec<String>, String>;
}

/// The system's DNS configuration, built on first use.
#[derive(Default)]
pub struct SystemTxtResolver {
    resolver: OnceCell<Arc<hickory_resolver::TokioResolver>>,
}

impl SystemTxtResolver {
    async fn resolver(&self) -> Result<&Arc<hickory_resolver::TokioResolver>, String> {
        self.resolver
            .get_or_try_init(|| async {
                let mut builder = hickory_resolver::TokioResolver::builder_tokio().map_err(|e| e.to_string())?;
                builder.options_mut().timeout = Duration::from_secs(3);
                builder.options_mut().attempts = 2;
                Ok(Arc::new(builder.build()))
            })
            .await
    }
}

#[async_trait::async_trait]
impl TxtResolver for SystemTxtResolver {
    async fn lookup_txt(&self, name: &str) -> Result<Vec<String>, String> {
        let resolver = self.resolver().await?;
        match resolver.txt_lookup(name).await {
            Ok(found) => Ok(found
                .iter()
                .map(|txt| txt.txt_data().iter().map(|part| String::from_utf8_lossy(part)).collect::<String>())
                .collect()),
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(Vec::new()),
            Err(e) => Err(e.to_string()),
        }
    }
}
