//! [`ImsClient`]: the requests to IMS and the errors it answers with.

use std::{sync::Arc, time::Duration};

use serde::Deserialize;

use super::{AUTHORIZE_PATH, ImsConfig, Pkce, REVOKE_PATH, TOKEN_PATH};
use crate::auth::{AuthError, Token};

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
/// [`TokenManager`](crate::auth::TokenManager).
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
