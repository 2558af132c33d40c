//! IMS configuration, the low-level [`ImsClient`] and PKCE helpers.

use std::{fmt, sync::Arc, time::Duration};

use base64::Engine as _;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{AuthError, Token};

/// The default IMS host.
pub const DEFAULT_IMS_BASE_URL: &str = "https://ims-na1.adobelogin.com";
/// The default scopes for user sign-in.
pub const DEFAULT_USER_SCOPES: &[&str] = &[
    "additional_info.roles",
    "offline_access",
    "profile",
    "email",
    "openid",
];
/// The default time before expiry at which a token is refreshed.
pub const DEFAULT_REFRESH_BUFFER: Duration = Duration::from_secs(300);

/// Path of the authorization endpoint (user is sent here in a browser).
pub const AUTHORIZE_PATH: &str = "/ims/authorize/v2";
/// Path of the token endpoint (code exchange, refresh, client credentials).
pub const TOKEN_PATH: &str = "/ims/token/v3";
/// Path of the revocation endpoint. Adobe documents `POST /ims/revoke` with a form body of
/// `token`, `client_id`, `client_secret` (confidential clients) and optional `token_type_hint`.
pub const REVOKE_PATH: &str = "/ims/revoke";

/// Adobe IMS settings for one OAuth client (credential) in the Adobe Developer Console.
///
/// `Debug` never shows the client secret.
///
/// ```
/// use std::time::Duration;
/// use frameio_kit::auth::ImsConfig;
///
/// let config = ImsConfig::new("my-client-id")
///     .with_client_secret("my-secret")
///     .with_refresh_buffer(Duration::from_secs(120));
/// assert_eq!(config.ims_base_url(), "https://ims-na1.adobelogin.com");
/// assert!(!format!("{config:?}").contains("my-secret"));
/// ```
#[derive(Clone)]
pub struct ImsConfig {
    client_id: String,
    client_secret: Option<String>,
    scopes: Vec<String>,
    ims_base_url: String,
    refresh_buffer: Duration,
    timeout: Duration,
}

impl fmt::Debug for ImsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImsConfig")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("scopes", &self.scopes)
            .field("ims_base_url", &self.ims_base_url)
            .field("refresh_buffer", &self.refresh_buffer)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// How long one request to IMS may take unless [`ImsConfig::with_timeout`] says otherwise.
pub const DEFAULT_IMS_TIMEOUT: Duration = Duration::from_secs(8);

impl ImsConfig {
    /// Settings for `client_id` with the default scopes, host and refresh buffer, and no
    /// secret (a public, single-page-app client until [`with_client_secret`](Self::with_client_secret)).
    pub fn new(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: None,
            scopes: DEFAULT_USER_SCOPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            ims_base_url: DEFAULT_IMS_BASE_URL.to_owned(),
            refresh_buffer: DEFAULT_REFRESH_BUFFER,
            timeout: DEFAULT_IMS_TIMEOUT,
        }
    }

    /// Sets the client secret (web-app and server-to-server credentials).
    pub fn with_client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Replaces the scopes.
    pub fn with_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Uses another IMS host (another region, or a mock server in tests).
    pub fn with_ims_base_url(mut self, url: impl Into<String>) -> Self {
        self.ims_base_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Refreshes tokens this long before they expire (default 300 s).
    pub fn with_refresh_buffer(mut self, buffer: Duration) -> Self {
        self.refresh_buffer = buffer;
        self
    }

    /// Timeout for each request to IMS (default [`DEFAULT_IMS_TIMEOUT`], 8 s). A refresh that
    /// outlives the caller's wait ([`TokenManager::wait_timeout`](super::TokenManager::wait_timeout))
    /// finishes in the background and keeps its (possibly rotated) token, so this may exceed
    /// the caller's budget; it must stay below the refresh lock's lifetime.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Whether a client secret is configured.
    pub fn has_client_secret(&self) -> bool {
        self.client_secret.is_some()
    }

    /// The scopes.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The IMS host, without a trailing slash.
    pub fn ims_base_url(&self) -> &str {
        &self.ims_base_url
    }

    /// The refresh buffer.
    pub fn refresh_buffer(&self) -> Duration {
        self.refresh_buffer
    }

    /// The timeout for each request to IMS.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn validate(&self) -> Result<(), AuthError> {
        if self.client_id.trim().is_empty() {
            return Err(AuthError::Config("client id is empty".into()));
        }
        if self.client_secret.as_deref().is_some_and(str::is_empty) {
            return Err(AuthError::Config("client secret is empty".into()));
        }
        let url = url::Url::parse(&self.ims_base_url)
            .map_err(|err| AuthError::Config(format!("ims base url is invalid: {err}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(AuthError::Config(
                "ims base url must be http or https".into(),
            ));
        }
        Ok(())
    }
}

/// A PKCE (RFC 7636, `S256`) verifier and its challenge for the single-page-app flow.
///
/// Keep the verifier (for example in a [`Store`](crate::store::Store) under the `state`)
/// between sending the user to IMS and exchanging the code. `Debug` hides the verifier.
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    verifier: String,
    challenge: String,
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"[redacted]")
            .field("challenge", &self.challenge)
            .finish()
    }
}

impl Pkce {
    /// A new random verifier (43 characters from 32 random bytes) and its S256 challenge.
    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::random();
        let verifier = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        Self::from_verifier_unchecked(verifier)
    }

    /// Rebuilds the pair from a verifier kept since [`generate`](Self::generate).
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] when the verifier is not 43 to 128 unreserved characters.
    pub fn from_verifier(verifier: impl Into<String>) -> Result<Self, AuthError> {
        let verifier = verifier.into();
        let ok_len = (43..=128).contains(&verifier.len());
        let ok_chars = verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !(ok_len && ok_chars) {
            return Err(AuthError::Config(
                "pkce verifier must be 43 to 128 characters of [A-Za-z0-9-._~]".into(),
            ));
        }
        Ok(Self::from_verifier_unchecked(verifier))
    }

    fn from_verifier_unchecked(verifier: String) -> Self {
        let challenge = pkce_challenge(&verifier);
        Self {
            verifier,
            challenge,
        }
    }

    /// The secret verifier, sent with the code exchange.
    pub fn verifier(&self) -> &str {
        &self.verifier
    }

    /// The public challenge, sent in the authorization URL.
    pub fn challenge(&self) -> &str {
        &self.challenge
    }
}

/// The S256 challenge for `verifier`: base64url (no padding) of its SHA-256.
pub fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// What a token given to [`ImsClient::revoke`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenTypeHint {
    /// An access token.
    AccessToken,
    /// A refresh token (revoking it ends the sign-in).
    RefreshToken,
}

impl TokenTypeHint {
    fn as_str(self) -> &'static str {
        match self {
            TokenTypeHint::AccessToken => "access_token",
            TokenTypeHint::RefreshToken => "refresh_token",
        }
    }
}

#[derive(Deserialize, Default)]
struct ImsErrorBody {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// The low-level IMS client: builds authorization URLs and calls the token and revoke
/// endpoints. Every call is one HTTP request; caching and refreshing belong to
/// [`TokenManager`](super::TokenManager).
///
/// ```no_run
/// use frameio_kit::auth::{ImsClient, ImsConfig};
///
/// # async fn demo() -> Result<(), frameio_kit::auth::AuthError> {
/// let ims = ImsClient::new(ImsConfig::new("client-id").with_client_secret("secret"))?;
/// let url = ims.authorization_url("https://example.com/auth/callback", "state-123")?;
/// // …the user signs in, IMS redirects back with ?code=…&state=…
/// let token = ims.exchange_code("code-from-callback", "https://example.com/auth/callback").await?;
/// let refreshed = ims.refresh(token.refresh_token().unwrap_or_default()).await?;
/// # let _ = (url, refreshed);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ImsClient {
    config: Arc<ImsConfig>,
    http: reqwest::Client,
}

impl ImsClient {
    /// A client for `config`, with its own HTTP connection pool.
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] for an empty client id or an invalid IMS URL.
    pub fn new(config: ImsConfig) -> Result<Self, AuthError> {
        let http = reqwest::Client::builder()
            .build()
            .map_err(|err| AuthError::Config(format!("cannot build http client: {err}")))?;
        Self::with_http_client(config, http)
    }

    /// A client for `config` that shares an existing `reqwest` client.
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] for an empty client id or an invalid IMS URL.
    pub fn with_http_client(config: ImsConfig, http: reqwest::Client) -> Result<Self, AuthError> {
        config.validate()?;
        Ok(Self {
            config: Arc::new(config),
            http,
        })
    }

    /// The settings.
    pub fn config(&self) -> &ImsConfig {
        &self.config
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.ims_base_url)
    }

    fn secret(&self) -> Result<&str, AuthError> {
        self.config.client_secret.as_deref().ok_or_else(|| {
            AuthError::Config("this flow needs a client secret (ImsConfig::client_secret)".into())
        })
    }

    /// The URL to send a user to for the web-app (authorization code) flow:
    /// `GET {ims}/ims/authorize/v2?client_id=…&redirect_uri=…&scope=…&response_type=code&state=…`.
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] when `redirect_uri` is not an absolute URL.
    pub fn authorization_url(&self, redirect_uri: &str, state: &str) -> Result<String, AuthError> {
        self.build_authorization_url(redirect_uri, state, None)
    }

    /// The authorization URL for the single-page-app flow, with `code_challenge` and
    /// `code_challenge_method=S256` from `pkce`.
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] when `redirect_uri` is not an absolute URL.
    pub fn authorization_url_with_pkce(
        &self,
        redirect_uri: &str,
        state: &str,
        pkce: &Pkce,
    ) -> Result<String, AuthError> {
        self.build_authorization_url(redirect_uri, state, Some(pkce))
    }

    fn build_authorization_url(
        &self,
        redirect_uri: &str,
        state: &str,
        pkce: Option<&Pkce>,
    ) -> Result<String, AuthError> {
        url::Url::parse(redirect_uri)
            .map_err(|err| AuthError::Config(format!("redirect uri is invalid: {err}")))?;
        let scope = self.config.scopes.join(" ");
        let mut params = vec![
            ("client_id", self.config.client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("scope", scope.as_str()),
            ("response_type", "code"),
            ("state", state),
        ];
        if let Some(pkce) = pkce {
            params.push(("code_challenge", pkce.challenge()));
            params.push(("code_challenge_method", "S256"));
        }
        let url = url::Url::parse_with_params(&self.url(AUTHORIZE_PATH), &params)
            .map_err(|err| AuthError::Config(format!("ims base url is invalid: {err}")))?;
        Ok(url.into())
    }

    /// Exchanges an authorization code (web-app flow; needs the client secret).
    ///
    /// # Errors
    ///
    /// [`AuthError::Authentication`] when IMS rejects the code or credentials, and the
    /// transport errors of every call.
    pub async fn exchange_code(&self, code: &str, redirect_uri: &str) -> Result<Token, AuthError> {
        let secret = self.secret()?;
        self.token_request(
            "authorization_code",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", &self.config.client_id),
                ("client_secret", secret),
                ("code", code),
                ("redirect_uri", redirect_uri),
            ],
        )
        .await
    }

    /// Exchanges an authorization code with its PKCE verifier (single-page-app flow). The
    /// client secret is sent too when one is configured.
    ///
    /// # Errors
    ///
    /// [`AuthError::Authentication`] when IMS rejects the code or the verifier does not
    /// match, and the transport errors of every call.
    pub async fn exchange_code_with_pkce(
        &self,
        code: &str,
        redirect_uri: &str,
        pkce: &Pkce,
    ) -> Result<Token, AuthError> {
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("client_id", self.config.client_id.as_str()),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", pkce.verifier()),
        ];
        if let Some(secret) = self.config.client_secret.as_deref() {
            params.push(("client_secret", secret));
        }
        self.token_request("authorization_code", &params).await
    }

    /// Gets a token for the credential itself (server-to-server, `client_credentials`).
    ///
    /// # Errors
    ///
    /// [`AuthError::Authentication`] for wrong credentials, and the transport errors.
    pub async fn client_credentials(&self) -> Result<Token, AuthError> {
        let secret = self.secret()?;
        let scope = self.config.scopes.join(",");
        self.token_request(
            "client_credentials",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &self.config.client_id),
                ("client_secret", secret),
                ("scope", &scope),
            ],
        )
        .await
    }

    /// Uses a refresh token to get a new access token. When IMS does not rotate the refresh
    /// token, the returned token keeps `refresh_token`.
    ///
    /// # Errors
    ///
    /// [`AuthError::RefreshTokenInvalid`] when IMS says the refresh token is expired,
    /// revoked or unknown (the user must sign in again), and the transport errors.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Token, AuthError> {
        let mut params = vec![
            ("grant_type", "refresh_token"),
            ("client_id", self.config.client_id.as_str()),
            ("refresh_token", refresh_token),
        ];
        if let Some(secret) = self.config.client_secret.as_deref() {
            params.push(("client_secret", secret));
        }
        let token = self.token_request("refresh_token", &params).await?;
        Ok(token.keep_refresh_token(Some(refresh_token)))
    }

    /// Revokes a token: `POST {ims}/ims/revoke` (form: `token`, `token_type_hint`,
    /// `client_id`, and `client_secret` when configured).
    ///
    /// # Errors
    ///
    /// [`AuthError::Authentication`] when IMS refuses, and the transport errors.
    pub async fn revoke(&self, token: &str, hint: TokenTypeHint) -> Result<(), AuthError> {
        let mut params = vec![
            ("token", token),
            ("token_type_hint", hint.as_str()),
            ("client_id", self.config.client_id.as_str()),
        ];
        if let Some(secret) = self.config.client_secret.as_deref() {
            params.push(("client_secret", secret));
        }
        let response = self.send(REVOKE_PATH, &params).await?;
        let status = response.status();
        tracing::debug!(status = status.as_u16(), "ims revoke answered");
        if status.is_success() {
            Ok(())
        } else {
            Err(error_from_response("revoke", response).await)
        }
    }

    async fn send(
        &self,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<reqwest::Response, AuthError> {
        let request = self
            .http
            .post(self.url(path))
            .timeout(self.config.timeout)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(params);
        // telemetry: a CLIENT span with `traceparent`, and the IMS request counter.
        #[cfg(any(feature = "otel", feature = "metrics"))]
        let sent = crate::telemetry::ims_request(path, request).await;
        #[cfg(not(any(feature = "otel", feature = "metrics")))]
        let sent = request.send().await;
        sent.map_err(AuthError::Network)
    }

    async fn token_request(
        &self,
        grant: &'static str,
        params: &[(&str, &str)],
    ) -> Result<Token, AuthError> {
        let response = self.send(TOKEN_PATH, params).await?;
        let status = response.status();
        tracing::debug!(
            grant,
            status = status.as_u16(),
            "ims token endpoint answered"
        );
        if !status.is_success() {
            return Err(error_from_response(grant, response).await);
        }
        let body = response.text().await.map_err(AuthError::Network)?;
        Token::from_response_json(&body)
    }
}

async fn error_from_response(grant: &'static str, response: reqwest::Response) -> AuthError {
    let status = response.status().as_u16();
    if status == 429 {
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        tracing::warn!(grant, "ims rate limit exceeded");
        return AuthError::RateLimited { retry_after };
    }
    if status >= 500 {
        tracing::warn!(grant, status, "ims server error");
        return AuthError::Server { status };
    }
    let body: ImsErrorBody = response
        .text()
        .await
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    let error = body.error.unwrap_or_else(|| "unknown_error".to_owned());
    tracing::warn!(grant, status, error = %error, "ims refused the request");
    if grant == "refresh_token" && matches!(error.as_str(), "invalid_grant" | "invalid_token") {
        return AuthError::RefreshTokenInvalid {
            error,
            description: body.error_description,
        };
    }
    AuthError::Authentication {
        status,
        error,
        description: body.error_description,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_rfc7636_example() {
        // RFC 7636 appendix B.
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert_eq!(
            pkce.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn pkce_generation_is_random_and_valid() {
        let a = Pkce::generate();
        let b = Pkce::generate();
        assert_ne!(a.verifier(), b.verifier());
        assert_eq!(a.verifier().len(), 43);
        assert_eq!(Pkce::from_verifier(a.verifier()).unwrap(), a);
        assert!(!format!("{a:?}").contains(a.verifier()));
        assert!(Pkce::from_verifier("short").is_err());
        assert!(Pkce::from_verifier("x".repeat(43) + " ").is_err());
    }

    #[test]
    fn authorization_url_has_every_parameter() {
        let ims = ImsClient::new(ImsConfig::new("cid").with_client_secret("s")).unwrap();
        let url = ims
            .authorization_url("https://app.example/auth/callback", "st&ate")
            .unwrap();
        let parsed = url::Url::parse(&url).unwrap();
        assert_eq!(parsed.host_str(), Some("ims-na1.adobelogin.com"));
        assert_eq!(parsed.path(), "/ims/authorize/v2");
        let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "cid");
        assert_eq!(q["redirect_uri"], "https://app.example/auth/callback");
        assert_eq!(
            q["scope"],
            "additional_info.roles offline_access profile email openid"
        );
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["state"], "st&ate");
        assert!(!q.contains_key("code_challenge"));

        let pkce = Pkce::generate();
        let url = ims
            .authorization_url_with_pkce("https://app.example/cb", "s", &pkce)
            .unwrap();
        let q: std::collections::HashMap<_, _> = url::Url::parse(&url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        assert_eq!(q["code_challenge"], pkce.challenge());
        assert_eq!(q["code_challenge_method"], "S256");
        assert!(ims.authorization_url("not a url", "s").is_err());
    }

    #[test]
    fn config_is_validated() {
        assert!(matches!(
            ImsClient::new(ImsConfig::new("")),
            Err(AuthError::Config(_))
        ));
        assert!(matches!(
            ImsClient::new(ImsConfig::new("c").with_ims_base_url("ftp://x")),
            Err(AuthError::Config(_))
        ));
        assert!(matches!(
            ImsClient::new(ImsConfig::new("c").with_client_secret("")),
            Err(AuthError::Config(_))
        ));
    }
}
