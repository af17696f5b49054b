//! One page type for every list (`FronteggPaginationWrapper`): `_offset` is a page index, `_links` are query
//! strings (`?_limit=..&_offset=..` plus the list's other parameters; empty where there is no such page).

use serde::Serialize;

/// A page of a list.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(rename = "_metadata")]
    pub metadata: PageMetadata,
    #[serde(rename = "_links")]
    pub links: PageLinks,
}

/// `FronteggPaginationMetadata`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageMetadata {
    pub total_items: u64,
    pub total_pages: u64,
}

/// `FronteggPaginationLinks`.
#[derive(Debug, Clone, Serialize)]
pub struct PageLinks {
    pub next: String,
    pub prev: String,
    pub first: String,
    pub last: String,
}
