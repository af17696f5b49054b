//! yolk's own routes (not Frontegg's): `GET /yolk/v1/outbox`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use yolk_api_types::outbox::{OutboxItem, OutboxResponse};

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, VendorAuth};
use crate::state::AppState;

/// Messages one call returns unless `limit` says otherwise.
const DEFAULT_LIMIT: u64 = 50;

/// The outbox's query (`limit` as text: a clear message when it is not a number).
#[derive(Debug, serde::Deserialize)]
struct OutboxQuery {
    to: Option<String>,
    limit: Option<String>,
}

/// `/yolk/v1/...`.
pub fn router() -> Router<AppState> {
    Router::new().route("/yolk/v1/outbox", get(get_outbox))
}

/// `GET /yolk/v1/outbox[?to=<address>][&limit=N]` (environment token only): the emails and SMS kept instead of
/// sent, newest first (at most 200). They carry live links and codes: an environment token is the right to read
/// them.
async fn get_outbox(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<OutboxQuery>,
) -> ApiResult<Json<OutboxResponse>> {
    let limit = match &query.limit {
        Some(raw) => raw
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ApiError::BadRequest("limit must be a positive integer".into()))?,
        None => DEFAULT_LIMIT,
    };
    let messages = state.services.delivery.outbox(&env, query.to.as_deref(), limit).await?;
    let items = messages
        .into_iter()
        .map(|m| OutboxItem {
            id: m.id.to_string(),
            channel: m.channel.as_str(),
            to: m.to,
            subject: m.subject,
            text: m.text,
            html: m.html,
            created_at: m.created_at,
        })
        .collect();
    Ok(Json(OutboxResponse { items }))
}
