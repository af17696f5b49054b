//! The test app and a small request builder over the in-process router.

#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use yolk_domain::clock::ManualClock;
use yolk_domain::{Permission, PermissionId, Role, RoleId, Tenant, TenantId, User, UserId};
use yolk_server::{AppState, Config};
use yolk_store::Store;
use yolk_store::roles::NewRole;
use yolk_store::users::NewUser;
use yolk_store_sql::{SqlStore, StoreOptions};
use yolk_testkit::TestDb;

/// The environment credentials every test app uses.
pub const CLIENT_ID: &str = "2a7f0c1e-5b7d-4c55-9f57-0c6f1a0c0d11";
pub const API_KEY: &str = "test-api-key-0123456789";
/// The password of users made by [`TestApp::seed_user`].
pub const PASSWORD: &str = "Sup3r-secret!";

/// An app on its own database.
pub struct TestApp {
    pub state: AppState,
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
    pub db: Arc<TestDb>,
    service: yolk_server::normalize::Normalized<axum::Router>,
}

impl TestApp {
    /// A fresh app with the default configuration.
    pub async fn new() -> Self {
        Self::with_config(Config::default()).await
    }

    /// A fresh app with `config` (credentials are always the test ones; the store is opened as the binary opens
    /// it, with `store_statement_timeout_ms`).
    pub async fn with_config(mut config: Config) -> Self {
        let db = TestDb::new().await;
        let options = StoreOptions { statement_timeout: config.store_statement_timeout() };
        let store = SqlStore::open_with(&db.url, chrono::Utc::now(), options).await.expect("open store");
        let store: Arc<dyn Store> = Arc::new(store);
        store.ensure_signing_key(yolk_testkit::signing_key()).await.expect("seed key");
        config.client_id = Some(CLIENT_ID.into());
        config.api_key = Some(API_KEY.into());
        let clock = Arc::new(ManualClock::new());
        let boot = AppState::bootstrap(config, store.clone(), clock.clone()).await.expect("bootstrap");
        let service = yolk_server::app(boot.state.clone());
        Self { state: boot.state, store, clock, db: Arc::new(db), service }
    }

    /// A second node of the same service: its own state (and caches) over the same store and clock.
    pub async fn second_node(&self) -> Self {
        self.node_with((*self.state.config).clone()).await
    }

    /// This node started again with another API key, as an operator changes `YOLK_API_KEY` and restarts: a new state
    /// (fresh caches) over the same store and clock, whose start-up replaces the stored credential. `self` stays up,
    /// as another node of the service that has not restarted.
    pub async fn restarted_with_api_key(&self, api_key: &str) -> Self {
        let mut config = (*self.state.config).clone();
        config.api_key = Some(api_key.to_owned());
        self.node_with(config).await
    }

    async fn node_with(&self, config: Config) -> Self {
        let boot = AppState::bootstrap(config, self.store.clone(), self.clock.clone()).await.expect("bootstrap");
        let service = yolk_server::app(boot.state.clone());
        Self { state: boot.state, store: self.store.clone(), clock: self.clock.clone(), db: self.db.clone(), service }
    }

    /// This app with its services changed by `change` (say, a test's DNS resolver), over the same store.
    pub fn with_services(mut self, change: impl FnOnce(yolk_core::Services) -> yolk_core::Services) -> Self {
        self.state.services = change(self.state.services.clone());
        self.service = yolk_server::app(self.state.clone());
        self
    }

    /// A request to `path`.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder<'_> {
        RequestBuilder { app: self, method, path: path.to_owned(), headers: Vec::new(), body: None, peer: None }
    }

    pub fn get(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::GET, path)
    }
    pub fn post(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::POST, path)
    }
    pub fn put(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::PUT, path)
    }
    pub fn patch(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::PATCH, path)
    }
    pub fn delete(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::DELETE, path)
    }

    /// An environment token, through `POST /auth/vendor`.
    pub async fn vendor_token(&self) -> String {
        self.vendor_token_for(API_KEY).await
    }

    /// An environment token for this secret, through `POST /auth/vendor` (asserting 200).
    pub async fn vendor_token_for(&self, secret: &str) -> String {
        let res = self.post("/auth/vendor").json(json!({ "clientId": CLIENT_ID, "secret": secret })).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        res.body["token"].as_str().expect("token").to_owned()
    }

    /// Creates a tenant directly in the store; returns its id.
    pub async fn seed_tenant(&self, name: &str) -> String {
        let tenant = Tenant::new(TenantId::generate(), name, chrono::Utc::now());
        self.store.create_tenant(&tenant).await.expect("seed tenant").tenant_id.into_string()
    }

    /// Creates a verified user with [`PASSWORD`] in `tenant_id` with `role_ids`, directly in the store.
    pub async fn seed_user(&self, email: &str, tenant_id: &str, role_ids: &[RoleId]) -> UserId {
        let hash = self.state.services.passwords.hash(PASSWORD).await.expect("hash");
        // Wall-clock times (not the test clock, which stands still): seeded rows keep their creation order.
        // The tenant it is created in is its active one, as every creating path in yolk does.
        let user = User {
            name: Some(format!("User {email}")),
            verified: true,
            active_tenant_id: Some(tenant(tenant_id)),
            ..User::new(email, chrono::Utc::now())
        };
        let new = NewUser {
            user,
            password_hash: Some(hash),
            tenant_id: Some(tenant(tenant_id)),
            role_ids: role_ids.to_vec(),
            new_tenant: None,
        };
        self.store.create_user(&new).await.expect("seed user").id
    }

    /// The permission with this key, created in the store on first use.
    pub async fn seed_permission(&self, key: &str) -> PermissionId {
        if let Some(p) = self.store.list_permissions().await.expect("list permissions").iter().find(|p| p.key == key) {
            return p.id;
        }
        let now = chrono::Utc::now();
        let permission = Permission {
            id: PermissionId::new(),
            key: key.to_owned(),
            name: format!("Perm {key}"),
            description: Some(format!("Allows {key}")),
            category_id: None,
            assignment_type: Default::default(),
            role_ids: vec![],
            created_at: now,
            updated_at: now,
        };
        self.store.create_permissions(std::slice::from_ref(&permission)).await.expect("seed permission");
        permission.id
    }

    /// A role in the store (environment-wide, or owned by `tenant`) granting the permissions with these keys
    /// (created as needed).
    pub async fn seed_role(
        &self,
        key: &str,
        tenant_id: Option<&str>,
        is_default: bool,
        permissions: &[&str],
    ) -> RoleId {
        self.seed_role_at_level(key, tenant_id, is_default, 0, permissions).await
    }

    /// [`TestApp::seed_role`] at a level (lower is more privileged).
    pub async fn seed_role_at_level(
        &self,
        key: &str,
        tenant_id: Option<&str>,
        is_default: bool,
        level: i64,
        permissions: &[&str],
    ) -> RoleId {
        let mut permission_ids = Vec::new();
        for p in permissions {
            permission_ids.push(self.seed_permission(p).await);
        }
        let now = chrono::Utc::now();
        let role = Role {
            id: RoleId::new(),
            key: key.to_owned(),
            name: format!("Role {key}"),
            description: None,
            tenant_id: tenant_id.map(tenant),
            level,
            is_default,
            first_user_role: false,
            permission_ids,
            created_at: now,
            updated_at: now,
        };
        let new = NewRole { role, grant_to_members: false };
        self.store.create_roles(std::slice::from_ref(&new)).await.expect("seed role")[0].id
    }

    /// Adds an existing user to `tenant_id` with `role_ids`, directly in the store.
    pub async fn add_member(&self, user: UserId, tenant_id: &str, role_ids: &[RoleId]) {
        self.store.add_membership(user, &tenant(tenant_id), role_ids, chrono::Utc::now()).await.expect("add member");
    }

    /// A member of `tenant_id` holding the given permissions (through a role of its own), and its access token.
    pub async fn member_with(&self, email: &str, tenant_id: &str, permissions: &[&str]) -> (UserId, String) {
        let key = format!("role-{}", uuid::Uuid::new_v4().simple());
        let role = self.seed_role(&key, Some(tenant_id), false, permissions).await;
        let id = self.seed_user(email, tenant_id, &[role]).await;
        (id, self.user_token(email).await)
    }

    /// Logs in through the API and returns the login response (asserting 200).
    pub async fn login(&self, email: &str) -> TestResponse {
        let res = self
            .post("/identity/resources/auth/v1/user")
            .json(json!({ "email": email, "password": PASSWORD }))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        res
    }

    /// A user access token for a user with `password`.
    pub async fn login_with(&self, email: &str, password: &str) -> String {
        let res = self
            .post("/identity/resources/auth/v1/user")
            .json(json!({ "email": email, "password": password }))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        res.body["accessToken"].as_str().expect("accessToken").to_owned()
    }

    /// A user access token for a seeded user.
    pub async fn user_token(&self, email: &str) -> String {
        self.login(email).await.body["accessToken"].as_str().expect("accessToken").to_owned()
    }
}

/// A request under construction.
pub struct RequestBuilder<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<(Vec<u8>, Option<String>)>,
    peer: Option<std::net::SocketAddr>,
}

impl RequestBuilder<'_> {
    /// Sends as the server's serve loop does for a client at `ip` (the peer address it attaches).
    pub fn peer_ip(mut self, ip: [u8; 4]) -> Self {
        self.peer = Some(std::net::SocketAddr::from((ip, 40_000)));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }
    /// `x-access-token: <token>` (how the Node and Python SDKs send the environment token).
    pub fn access_token(self, token: &str) -> Self {
        self.header("x-access-token", token)
    }
    pub fn tenant(self, tenant_id: &str) -> Self {
        self.header("frontegg-tenant-id", tenant_id)
    }
    pub fn user(self, user_id: &str) -> Self {
        self.header("frontegg-user-id", user_id)
    }
    pub fn json(mut self, body: Value) -> Self {
        self.body = Some((body.to_string().into_bytes(), Some("application/json".into())));
        self
    }
    /// A raw body with a content type (for malformed-input tests).
    pub fn raw(mut self, body: impl Into<Vec<u8>>, content_type: &str) -> Self {
        self.body = Some((body.into(), Some(content_type.to_owned())));
        self
    }
    pub async fn send(self) -> TestResponse {
        let mut req = Request::builder().method(self.method).uri(&self.path);
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let body = match self.body {
            Some((bytes, ct)) => {
                if let Some(ct) = ct {
                    req = req.header(header::CONTENT_TYPE, ct);
                }
                Body::from(bytes)
            }
            None => Body::empty(),
        };
        let mut req = req.body(body).expect("request");
        if let Some(peer) = self.peer {
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        }
        let method = req.method().clone();
        let res = self.app.service.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        // Every body is checked against its operation's response schema in Frontegg's OpenAPI files.
        if let Err(msg) = crate::response_schema::check(&method, &self.path, status, &bytes) {
            panic!("{msg}");
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        TestResponse { status, headers, body, text }
    }
}

/// A response, fully read.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The JSON body, or `Null` if empty or not JSON.
    pub body: Value,
    pub text: String,
}

impl TestResponse {
    /// The `errors` array's first message (panics if the body is not an error body).
    pub fn error(&self) -> &str {
        self.body["errors"][0].as_str().unwrap_or_else(|| panic!("not an error body: {}", self.text))
    }

    /// The value of the `Set-Cookie` header whose cookie name starts with `prefix`.
    pub fn cookie(&self, prefix: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(prefix))
            .map(str::to_owned)
    }
}

/// A tenant id as the store takes it.
pub fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).expect("tenant id")
}

/// The claims of a JWT (not verified: the login that issued it is under test elsewhere).
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("jwt payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64url");
    serde_json::from_slice(&bytes).expect("claims json")
}

/// Asserts the status and the `{"errors":[...]}` shape; returns the response for more checks.
#[track_caller]
pub fn assert_error(res: &TestResponse, status: StatusCode) {
    assert_eq!(res.status, status, "body: {}", res.text);
    assert!(res.body["errors"].is_array(), "not an error body: {}", res.text);
}
