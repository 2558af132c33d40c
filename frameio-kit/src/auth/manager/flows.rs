//! The OAuth flows built on [`TokenManager`]: server-to-server, web app and single-page app.

use std::sync::Arc;

use super::TokenManager;
use crate::auth::{AuthError, ImsClient, ImsConfig, Pkce, Token};
use crate::store::{KeyRing, Store};

/// The server-to-server flow (`client_credentials`): the integration acts as itself.
///
/// ```no_run
/// use frameio_kit::auth::{ImsConfig, ServerToServer};
///
/// # async fn demo() -> Result<(), frameio_kit::auth::AuthError> {
/// let s2s = ServerToServer::new(
///     ImsConfig::new("client-id")
///         .with_client_secret("secret")
///         .with_scopes(["openid", "AdobeID", "frame.s2s.all"]),
/// )?;
/// let bearer = s2s.access_token().await?; // cached; renewed before expiry
/// # let _ = bearer;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ServerToServer {
    manager: TokenManager,
}

impl ServerToServer {
    /// The flow for `config`, which must have a client secret.
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] when the secret is missing or the settings are invalid.
    pub fn new(config: ImsConfig) -> Result<Self, AuthError> {
        if !config.has_client_secret() {
            return Err(AuthError::Config(
                "server-to-server needs a client secret".into(),
            ));
        }
        Ok(Self {
            manager: TokenManager::client_credentials(ImsClient::new(config)?),
        })
    }

    /// The same flow, sharing its token between instances through `store`.
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] when the secret is missing or the settings are invalid.
    pub fn with_store(
        config: ImsConfig,
        store: Arc<dyn Store>,
        keys: KeyRing,
    ) -> Result<Self, AuthError> {
        if !config.has_client_secret() {
            return Err(AuthError::Config(
                "server-to-server needs a client secret".into(),
            ));
        }
        let key = format!("s2s:{}", config.client_id());
        Ok(Self {
            manager: TokenManager::client_credentials_persistent(
                ImsClient::new(config)?,
                store,
                keys,
                &key,
            ),
        })
    }

    /// A valid access token for the credential.
    ///
    /// # Errors
    ///
    /// The errors of [`TokenManager::access_token`].
    pub async fn access_token(&self) -> Result<String, AuthError> {
        self.manager.access_token().await
    }

    /// The underlying manager.
    pub fn manager(&self) -> &TokenManager {
        &self.manager
    }
}

token_provider!(ServerToServer);

/// The web-app flow (authorization code with a client secret).
///
/// ```no_run
/// use frameio_kit::auth::{ImsConfig, WebAppFlow};
///
/// # async fn demo() -> Result<(), frameio_kit::auth::AuthError> {
/// let flow = WebAppFlow::new(ImsConfig::new("client-id").with_client_secret("secret"))?;
/// let redirect = "https://example.com/auth/callback";
/// let url = flow.authorization_url(redirect, "opaque-state")?;
/// // …send the user to `url`; IMS redirects back with ?code=…&state=…
/// let user = flow.sign_in("code", redirect).await?;
/// let bearer = user.access_token().await?;
/// # let _ = (url, bearer);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct WebAppFlow {
    client: ImsClient,
}

impl WebAppFlow {
    /// The flow for `config`, which must have a client secret.
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] when the secret is missing or the settings are invalid.
    pub fn new(config: ImsConfig) -> Result<Self, AuthError> {
        if !config.has_client_secret() {
            return Err(AuthError::Config(
                "the web-app flow needs a client secret".into(),
            ));
        }
        Ok(Self {
            client: ImsClient::new(config)?,
        })
    }

    /// The IMS client.
    pub fn client(&self) -> &ImsClient {
        &self.client
    }

    /// Where to send the user.
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] when `redirect_uri` is not an absolute URL.
    pub fn authorization_url(&self, redirect_uri: &str, state: &str) -> Result<String, AuthError> {
        self.client.authorization_url(redirect_uri, state)
    }

    /// Exchanges the code from the callback for a token.
    ///
    /// # Errors
    ///
    /// The errors of [`ImsClient::exchange_code`].
    pub async fn exchange_code(&self, code: &str, redirect_uri: &str) -> Result<Token, AuthError> {
        self.client.exchange_code(code, redirect_uri).await
    }

    /// Exchanges the code and returns an in-memory [`TokenManager`] for the user.
    ///
    /// # Errors
    ///
    /// The errors of [`ImsClient::exchange_code`].
    pub async fn sign_in(&self, code: &str, redirect_uri: &str) -> Result<TokenManager, AuthError> {
        let token = self.exchange_code(code, redirect_uri).await?;
        Ok(TokenManager::new(self.client.clone(), token))
    }
}

/// The single-page-app flow (authorization code with PKCE, no client secret needed).
///
/// ```no_run
/// use frameio_kit::auth::{ImsConfig, SpaFlow};
///
/// # async fn demo() -> Result<(), frameio_kit::auth::AuthError> {
/// let flow = SpaFlow::new(ImsConfig::new("public-client-id"))?;
/// let redirect = "https://example.com/callback";
/// let (url, pkce) = flow.authorization_url(redirect, "opaque-state")?;
/// // keep `pkce.verifier()` until the callback, then:
/// let token = flow.exchange_code("code", redirect, &pkce).await?;
/// # let _ = (url, token);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct SpaFlow {
    client: ImsClient,
}

impl SpaFlow {
    /// The flow for `config` (a client secret is optional and sent when present).
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] when the settings are invalid.
    pub fn new(config: ImsConfig) -> Result<Self, AuthError> {
        Ok(Self {
            client: ImsClient::new(config)?,
        })
    }

    /// The IMS client.
    pub fn client(&self) -> &ImsClient {
        &self.client
    }

    /// Where to send the user, with a fresh PKCE pair to keep until the callback.
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] when `redirect_uri` is not an absolute URL.
    pub fn authorization_url(
        &self,
        redirect_uri: &str,
        state: &str,
    ) -> Result<(String, Pkce), AuthError> {
        let pkce = Pkce::generate();
        let url = self
            .client
            .authorization_url_with_pkce(redirect_uri, state, &pkce)?;
        Ok((url, pkce))
    }

    /// Exchanges the code with the PKCE verifier.
    ///
    /// # Errors
    ///
    /// The errors of [`ImsClient::exchange_code_with_pkce`].
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        pkce: &Pkce,
    ) -> Result<Token, AuthError> {
        self.client
            .exchange_code_with_pkce(code, redirect_uri, pkce)
            .await
    }

    /// Exchanges the code and returns an in-memory [`TokenManager`] for the user.
    ///
    /// # Errors
    ///
    /// The errors of [`ImsClient::exchange_code_with_pkce`].
    pub async fn sign_in(
        &self,
        code: &str,
        redirect_uri: &str,
        pkce: &Pkce,
    ) -> Result<TokenManager, AuthError> {
        let token = self.exchange_code(code, redirect_uri, pkce).await?;
        Ok(TokenManager::new(self.client.clone(), token))
    }
}
