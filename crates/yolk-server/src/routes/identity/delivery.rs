//! identity.json tags Email configuration, Email templates, SMS configuration and SMS templates: the environment's
//! delivery settings (`yolk_core::delivery::config`), read by `Delivery` on every send. The email channel is SMTP
//! only (`POST /mail/v2/configurations` with `{"payload": {"provider": "smtp", ...}}`; SendGrid, SES and Mailgun
//! are refused with a 400); the SMS provider is Twilio (or a Twilio-compatible API, `baseUrl`). Secrets (the SMTP
//! password, the SMS token) are never answered: reads show `********` in their place.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use yolk_core::delivery::config::MASK;
use yolk_domain::delivery_settings::{EmailTemplate, EmailTemplateType, SmsTemplate, SmsTemplateType};

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, VendorAuth};
use crate::state::AppState;

/// `/resources/mail/...` and `/resources/configurations/v1/sms...`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/resources/mail/v1/configurations",
            get(get_mail_config).post(create_or_update_mail_config).delete(delete_mail_config),
        )
        .route("/resources/mail/v2/configurations", post(create_or_update_mail_config_v2))
        .route("/resources/mail/v1/configs/templates", get(get_email_templates).post(add_or_update_email_template))
        .route("/resources/mail/v1/configs/templates/{templateId}", delete(delete_email_template))
        .route("/resources/mail/v1/configs/{type}/default", get(get_default_email_template))
        .route(
            "/resources/configurations/v1/sms",
            get(get_sms_config).post(create_sms_config).delete(delete_sms_config),
        )
        .route("/resources/configurations/v1/sms/templates", get(get_sms_templates))
        .route("/resources/configurations/v1/sms/templates/default/all", get(get_default_sms_templates))
        .route(
            "/resources/configurations/v1/sms/templates/{type}",
            get(get_sms_template).post(create_sms_template).delete(delete_sms_template),
        )
        .route("/resources/configurations/v1/sms/templates/{type}/default", get(get_default_sms_template))
}

// ---- email configuration ----

/// `GetMailConfigResponseDto`, the SMTP fields added, the secret masked; 404 when none is configured.
async fn get_mail_config(env: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let Some(c) = state.services.delivery.config().mail_config(&env).await? else {
        return Err(ApiError::NotFound("Mail configuration not found".into()));
    };
    let d = c.doc;
    Ok(Json(json!({
        "provider": d.provider,
        "secret": if d.secret.is_some() { MASK } else { "" },
        "host": d.host,
        "port": d.port,
        "username": d.username.unwrap_or_default(),
        "tls": d.tls,
        "senderEmail": d.sender_email.unwrap_or_default(),
        "extension": [],
        "createdAt": yolk_domain::time::rfc3339(c.created_at),
        "updatedAt": yolk_domain::time::rfc3339(c.updated_at),
    })))
}

/// Frontegg's v1 body is a SendGrid API key: refused (400), SMTP is configured through v2.
async fn create_or_update_mail_config(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(_): ApiJson<Value>,
) -> ApiResult<StatusCode> {
    state.services.delivery.config().set_mail_config_v1(&env)?;
    Ok(StatusCode::CREATED)
}

#[derive(Deserialize)]
struct MailConfigV2 {
    payload: Option<Value>,
}

/// `{"payload": {"provider": "smtp", "host", "port", "username", "secret", "tls", "senderEmail"}}`, 201.
async fn create_or_update_mail_config_v2(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<MailConfigV2>,
) -> ApiResult<StatusCode> {
    let payload = body.payload.ok_or_else(|| ApiError::BadRequest("payload is required".into()))?;
    state.services.delivery.config().set_mail_config(&env, payload).await?;
    Ok(StatusCode::CREATED)
}

/// Removes the email channel set through the API (the server's `smtp_url`, or the outbox, is used again).
async fn delete_mail_config(env: VendorAuth, State(state): State<AppState>) -> ApiResult<StatusCode> {
    if state.services.delivery.config().delete_mail_config(&env).await? {
        Ok(StatusCode::OK)
    } else {
        Err(ApiError::NotFound("Mail configuration not found".into()))
    }
}

// ---- email templates ----

fn email_template_dto(t: EmailTemplate) -> Value {
    json!({
        "id": t.id,
        "type": t.kind,
        "subject": t.subject,
        "htmlTemplate": t.html_template,
        "senderEmail": t.sender_email,
        "fromName": t.from_name,
        "redirectURL": t.redirect_url,
        "successRedirectUrl": t.success_redirect_url,
        "active": t.active,
    })
}

fn email_type(raw: &str) -> ApiResult<EmailTemplateType> {
    EmailTemplateType::parse(raw).ok_or_else(|| ApiError::BadRequest(format!("type {raw:?} is not a template type")))
}

#[derive(Deserialize)]
struct TemplateQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// The stored templates (of `type` when given).
async fn get_email_templates(
    env: VendorAuth,
    ApiQuery(q): ApiQuery<TemplateQuery>,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<Value>>> {
    let kind = q.kind.as_deref().map(email_type).transpose()?;
    let list = state.services.delivery.config().email_templates(&env, kind).await?;
    Ok(Json(list.into_iter().map(email_template_dto).collect()))
}

/// Creates or updates the template of `type` (201, no body).
async fn add_or_update_email_template(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<StatusCode> {
    state.services.delivery.config().put_email_template(&env, body).await?;
    Ok(StatusCode::CREATED)
}

async fn delete_email_template(
    env: VendorAuth,
    ApiPath(id): ApiPath<String>,
    State(state): State<AppState>,
) -> ApiResult<StatusCode> {
    let not_found = || ApiError::NotFound("Template not found".into());
    let id = uuid::Uuid::parse_str(&id).map_err(|_| not_found())?;
    if state.services.delivery.config().delete_email_template(&env, id).await? {
        Ok(StatusCode::OK)
    } else {
        Err(not_found())
    }
}

/// yolk's template of `type`; 404 for an email yolk does not send.
async fn get_default_email_template(
    env: VendorAuth,
    ApiPath(kind): ApiPath<String>,
    State(state): State<AppState>,
) -> ApiResult<Json<Value>> {
    let kind = email_type(&kind)?;
    let t = state.services.delivery.config().default_email_template(&env, kind).ok_or_else(|| {
        ApiError::NotFound(format!("yolk does not send {} emails, so it has no template for them", kind.as_str()))
    })?;
    Ok(Json(email_template_dto(t)))
}

// ---- SMS configuration ----

fn sms_config_dto(c: yolk_domain::settings::Stamped<yolk_domain::delivery_settings::SmsConfig>) -> Value {
    let d = c.doc;
    json!({
        "id": c.id,
        "provider": d.provider,
        "accountId": d.account_id,
        "token": MASK,
        "senderName": d.sender_name,
        "serviceId": d.service_id.unwrap_or_default(),
        "baseUrl": d.base_url.unwrap_or_else(|| yolk_domain::delivery_settings::TWILIO_BASE_URL.into()),
        "createdAt": yolk_domain::time::rfc3339(c.created_at),
        "updatedAt": yolk_domain::time::rfc3339(c.updated_at),
    })
}

async fn get_sms_config(env: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let c = state.services.delivery.config().sms_config(&env).await?;
    c.map(|c| Json(sms_config_dto(c))).ok_or_else(|| ApiError::NotFound("SMS configuration not found".into()))
}

/// Creates or replaces the SMS provider (201); a token omitted keeps the stored one.
async fn create_sms_config(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let c = state.services.delivery.config().set_sms_config(&env, body).await?;
    Ok((StatusCode::CREATED, Json(sms_config_dto(c))))
}

async fn delete_sms_config(env: VendorAuth, State(state): State<AppState>) -> ApiResult<StatusCode> {
    if state.services.delivery.config().delete_sms_config(&env).await? {
        Ok(StatusCode::OK)
    } else {
        Err(ApiError::NotFound("SMS configuration not found".into()))
    }
}

// ---- SMS templates ----

fn sms_type(raw: &str) -> ApiResult<SmsTemplateType> {
    SmsTemplateType::parse(raw).ok_or_else(|| {
        let known: Vec<&str> = SmsTemplateType::ALL.iter().map(|t| t.as_str()).collect();
        ApiError::BadRequest(format!("type {raw:?} is not an SMS template type ({})", known.join(", ")))
    })
}

fn sms_template_dto(t: SmsTemplate) -> Value {
    json!({ "type": t.kind, "body": t.body })
}

/// The template in force of every type.
async fn get_sms_templates(env: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<Vec<Value>>> {
    let list = state.services.delivery.config().sms_templates(&env).await?;
    Ok(Json(list.into_iter().map(sms_template_dto).collect()))
}

async fn get_default_sms_templates(_: VendorAuth) -> Json<Vec<Value>> {
    let list = SmsTemplateType::ALL.iter().map(|k| yolk_core::delivery::DeliveryConfig::default_sms_template(*k));
    Json(list.map(sms_template_dto).collect())
}

/// The template in force of `type`.
async fn get_sms_template(
    env: VendorAuth,
    ApiPath(kind): ApiPath<String>,
    State(state): State<AppState>,
) -> ApiResult<Json<Value>> {
    let kind = sms_type(&kind)?;
    let list = state.services.delivery.config().sms_templates(&env).await?;
    let t = list.into_iter().find(|t| t.kind == kind).ok_or_else(|| ApiError::Internal("no SMS template".into()))?;
    Ok(Json(sms_template_dto(t)))
}

/// `{"body": "..."}`, 201 with the template.
async fn create_sms_template(
    env: VendorAuth,
    ApiPath(kind): ApiPath<String>,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let kind = sms_type(&kind)?;
    let t = state.services.delivery.config().put_sms_template(&env, kind, body).await?;
    Ok((StatusCode::CREATED, Json(sms_template_dto(t))))
}

async fn delete_sms_template(
    env: VendorAuth,
    ApiPath(kind): ApiPath<String>,
    State(state): State<AppState>,
) -> ApiResult<StatusCode> {
    let kind = sms_type(&kind)?;
    if state.services.delivery.config().delete_sms_template(&env, kind).await? {
        Ok(StatusCode::OK)
    } else {
        Err(ApiError::NotFound("SMS template not found".into()))
    }
}

async fn get_default_sms_template(_: VendorAuth, ApiPath(kind): ApiPath<String>) -> ApiResult<Json<Value>> {
    let kind = sms_type(&kind)?;
    Ok(Json(sms_template_dto(yolk_core::delivery::DeliveryConfig::default_sms_template(kind))))
}
