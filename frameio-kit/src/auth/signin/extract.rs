//! The extractors a handler takes to act as the clicking user: [`UserToken`] and
//! [`UserClient`].

use std::fmt;

use super::UserAuth;
use crate::auth::TokenManager;
use crate::error::{ArgumentProblem, BoxError, ConfigurationError};
use crate::handler::{Delivery, FromDelivery, StartupContext};

/// What the sign-in step leaves for the extractors.
#[derive(Clone)]
pub(crate) struct SignedIn {
    pub(super) access_token: String,
    pub(super) manager: TokenManager,
}

/// The clicking user's Adobe access token, fresh. Take it as an action handler argument
/// (with `require_user_auth`, the handler only runs once the user has signed in).
#[derive(Clone)]
pub struct UserToken {
    pub(super) access_token: String,
    pub(super) manager: TokenManager,
}

impl fmt::Debug for UserToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserToken(<redacted>)")
    }
}

impl UserToken {
    /// The bearer token. Keep it out of logs.
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// The user's token manager (refresh, export, sign-out).
    pub fn manager(&self) -> &TokenManager {
        &self.manager
    }
}

/// The user's token for a Frame.io API client: refreshed through the user's manager before
/// it expires, so a long handler keeps a valid token.
#[cfg(feature = "client")]
impl crate::client::TokenProvider for UserToken {
    fn token(
        &self,
    ) -> crate::client::BoxFuture<'_, Result<crate::client::AccessToken, crate::client::TokenError>>
    {
        crate::client::TokenProvider::token(&self.manager)
    }
}

fn user_token(delivery: &Delivery) -> Option<UserToken> {
    let signed_in = delivery.extension::<SignedIn>()?;
    Some(UserToken {
        access_token: signed_in.access_token.clone(),
        manager: signed_in.manager.clone(),
    })
}

/// Marks an app whose sign-in configuration was given but is invalid (already reported).
pub(crate) struct InvalidUserAuth;

fn sign_in_check(cx: &StartupContext<'_>, what: &'static str) -> Result<(), ArgumentProblem> {
    if !cx.data.contains::<UserAuth>() && !cx.data.contains::<InvalidUserAuth>() {
        return Err(ArgumentProblem::SignInNotConfigured { argument: what });
    }
    Ok(())
}

fn configured(delivery: &Delivery) -> Result<std::sync::Arc<UserAuth>, ConfigurationError> {
    delivery
        .data()
        .get::<UserAuth>()
        .ok_or_else(|| ConfigurationError::new("user sign-in is not configured"))
}

impl FromDelivery for UserToken {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        if let Some(token) = user_token(delivery) {
            return Ok(token);
        }
        // Without `require_user_auth`: use a stored token if there is one.
        let manager = configured(delivery)?.manager_for(delivery.user_id());
        let access_token = manager.access_token().await?;
        Ok(UserToken {
            access_token,
            manager,
        })
    }

    fn check(cx: &StartupContext<'_>) -> Result<(), ArgumentProblem> {
        sign_in_check(cx, "UserToken")
    }
}

/// A Frame.io API client acting as the clicking user (their permissions, their name on
/// comments). Its token refreshes itself. Every `UserClient` shares one HTTP connection pool
/// (with the sign-in's IMS calls) and the user's cached token manager, so taking one costs
/// a few microseconds per click.
#[cfg(feature = "client")]
#[derive(Debug, Clone)]
pub struct UserClient(crate::client::Client);

#[cfg(feature = "client")]
impl std::ops::Deref for UserClient {
    type Target = crate::client::Client;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

#[cfg(feature = "client")]
impl UserClient {
    /// The API client.
    pub fn into_inner(self) -> crate::client::Client {
        self.0
    }
}

#[cfg(feature = "client")]
impl FromDelivery for UserClient {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        let token = UserToken::from_delivery(delivery).await?;
        let auth = configured(delivery)?;
        Ok(UserClient(auth.api_client(token)?))
    }

    fn check(cx: &StartupContext<'_>) -> Result<(), ArgumentProblem> {
        sign_in_check(cx, "UserClient")
    }
}
