//! Lists: one extractor ([`ApiList`]) and one page type (`yolk_api_types::page::Page`) for every list operation,
//! with one rule set (also in `docs/api-conventions.md`, "Lists"):
//!
//! - `_limit` is the page size: 1 to the route's maximum (the spec's `maximum` where it declares one, else 200),
//!   50 when absent. Anything else, a too-large value included, is a 400 naming the range: a client that asked
//!   for more than it can get must not mistake a partial page for the whole list.
//! - `_offset` is a page index (Frontegg's meaning, not a row count), 0 when absent.
//! - `_sortBy` is one of the route's sort keys and `_order` is `ASC` or `DESC` (any case); anything else is a 400.
//! - A parameter may be repeated or comma-separated (`ids=a&ids=b`, `ids=a,b`) and may carry a `[]` suffix
//!   (`_tenantIds[]=a`); an empty value counts as absent. A list-valued parameter holds at most
//!   [`MAX_LIST_VALUES`] values; more is a 400 (`ids may hold at most 250 values`), never a statement with
//!   thousands of placeholders.
//! - `_links` repeat the request's other parameters, so the next page of a filtered list is filtered too.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use yolk_api_types::page::{Page, PageLinks, PageMetadata};
use yolk_store::PageRequest;

use crate::error::ApiError;
use crate::extract::{ApiQuery, PathParam};

/// The most values one list-valued query parameter (`ids`, `_externalIds`, `_tenantIds`, `_levels`, ...) may
/// hold, repeated and comma-separated values together. Each value becomes a placeholder of one statement, so this
/// bounds the statement a request can build. It covers the largest user page (`_limit` 200), so a client can
/// always name every user of a page it holds (`GET /users/v3/roles?ids=`, `GET /users/v3?_externalIds=`).
pub const MAX_LIST_VALUES: usize = 250;

/// What differs between list operations.
pub trait ListRoute: Send + Sync + 'static {
    /// The page size when `_limit` is absent.
    const DEFAULT_LIMIT: u64 = 50;
    /// The largest `_limit`.
    const MAX_LIMIT: u64 = 200;
    /// A sort key.
    type Sort: Copy + Default + Send + Sync;
    /// The sort keys by their `_sortBy` name.
    const SORTS: &'static [(&'static str, Self::Sort)];
}

/// The parsed query of a list operation.
pub struct ApiList<R: ListRoute> {
    pub limit: u64,
    /// The page index.
    pub page: u64,
    pub sort: R::Sort,
    pub descending: bool,
    /// Every parameter as sent (keys without a `[]` suffix).
    params: Vec<(String, String)>,
    _route: PhantomData<R>,
}

impl<R: ListRoute, S: Send + Sync> FromRequestParts<S> for ApiList<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ApiQuery(raw) = ApiQuery::<Vec<(String, String)>>::from_request_parts(parts, state).await?;
        let params: Vec<(String, String)> = raw
            .into_iter()
            .map(|(k, v)| (k.trim_end_matches("[]").to_owned(), v.trim().to_owned()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let mut list = Self {
            limit: R::DEFAULT_LIMIT,
            page: 0,
            sort: R::Sort::default(),
            descending: false,
            params,
            _route: PhantomData,
        };
        if let Some(limit) = list.number("_limit")? {
            if !(1..=R::MAX_LIMIT).contains(&limit) {
                return Err(ApiError::BadRequest(format!("_limit must be between 1 and {}", R::MAX_LIMIT)));
            }
            list.limit = limit;
        }
        list.page = list.number("_offset")?.unwrap_or(0);
        if list.page.checked_mul(list.limit).is_none() {
            return Err(ApiError::BadRequest("_offset is out of range".into()));
        }
        if let Some(name) = list.text("_sortBy") {
            list.sort = R::SORTS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s).ok_or_else(|| {
                let names: Vec<&str> = R::SORTS.iter().map(|(n, _)| *n).collect();
                ApiError::BadRequest(format!("_sortBy must be one of {}", names.join(", ")))
            })?;
        }
        list.descending = match list.text("_order").map(str::to_ascii_uppercase).as_deref() {
            None | Some("ASC") => false,
            Some("DESC") => true,
            Some(_) => return Err(ApiError::BadRequest("_order must be ASC or DESC".into())),
        };
        Ok(list)
    }
}

impl<R: ListRoute> ApiList<R> {
    /// The rows to fetch.
    pub fn page_request(&self) -> PageRequest {
        PageRequest { limit: self.limit, offset: self.page * self.limit }
    }

    /// The last value of `key`.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.params.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// A non-negative integer parameter.
    pub fn number(&self, key: &str) -> Result<Option<u64>, ApiError> {
        self.text(key)
            .map(|v| {
                v.parse::<u64>().map_err(|_| ApiError::BadRequest(format!("{key} must be a non-negative integer")))
            })
            .transpose()
    }

    /// Every value of `key`, repeated or comma-separated; `None` when absent. More than [`MAX_LIST_VALUES`] is a
    /// 400 naming `key`. The one way a handler reads a list-valued parameter.
    pub fn values(&self, key: &str) -> Result<Option<Vec<String>>, ApiError> {
        let mut values = self
            .params
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty());
        // Count without collecting past the cap: the extra values are never copied.
        let taken: Vec<String> = values.by_ref().take(MAX_LIST_VALUES).map(str::to_owned).collect();
        if values.next().is_some() {
            return Err(ApiError::BadRequest(format!("{key} may hold at most {MAX_LIST_VALUES} values")));
        }
        Ok((!taken.is_empty()).then_some(taken))
    }

    /// Every value of `key` parsed (a 400 naming `key` for a malformed one, or for more than
    /// [`MAX_LIST_VALUES`]); `None` when absent.
    pub fn parsed<T: PathParam>(&self, key: &str) -> Result<Option<Vec<T>>, ApiError> {
        self.values(key)?.map(|vs| vs.iter().map(|v| T::parse(key, v)).collect()).transpose()
    }

    /// The page of `items` out of `total`, with its `_metadata` and `_links`.
    pub fn render<T>(&self, items: Vec<T>, total: u64) -> Page<T> {
        let total_pages = total.div_ceil(self.limit);
        let last = total_pages.saturating_sub(1);
        let page = self.page;
        let links = PageLinks {
            next: if page + 1 < total_pages { self.link(page + 1) } else { String::new() },
            prev: if page > 0 { self.link((page - 1).min(last)) } else { String::new() },
            first: self.link(0),
            last: self.link(last),
        };
        Page { items, metadata: PageMetadata { total_items: total, total_pages }, links }
    }

    /// `?_limit=..&_offset=..` followed by the request's other parameters.
    fn link(&self, page: u64) -> String {
        let others: Vec<(&str, &str)> = self
            .params
            .iter()
            .filter(|(k, _)| k != "_limit" && k != "_offset")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut link = format!("?_limit={}&_offset={page}", self.limit);
        if !others.is_empty() {
            link.push('&');
            link.push_str(&serde_urlencoded::to_string(&others).unwrap_or_default());
        }
        link
    }
}
