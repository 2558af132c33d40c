//! Where a handler's signing secret comes from.
//!
//! Each Frame.io webhook and custom action has its own signing secret, shown once when it is
//! created. A handler's secret is looked up in this order, first that applies:
//!
//! 1. an explicit secret on the handler: a literal given to
//!    [`Handler::secret`](crate::Handler::secret) (tests and tools), or the environment variable
//!    named by `secret_env = "NAME"` / [`Handler::secret_env`](crate::Handler::secret_env);
//! 2. a per-handler async resolver: `secret = path::to::async_fn` on the macro, or
//!    [`Handler::secret_resolver`](crate::Handler::secret_resolver);
//! 3. the app-level [`SecretResolver`] given to [`App::secret_resolver`](crate::App::secret_resolver);
//! 4. `WEBHOOK_SECRET` for webhooks, `CUSTOM_ACTION_SECRET` for actions.
//!
//! Environment variables are read once, when the app starts; a handler with no usable source
//! is a start-up error that names it, never a surprise at the first delivery. Resolvers run for
//! each delivery, after the payload is parsed and **before** its signature is checked (the
//! secret is what checks it), so they see unverified events: key them on ids, cache what they
//! fetch, and trust nothing else in the event. A resolver that fails or returns no secret gets
//! the delivery a `503 Configuration error.`; the reason goes to the log with the handler's
//! name, never to the caller.
//!
//! ```
//! use frameio_kit::secret::{SecretResolver, Secrets};
//! use frameio_kit::{ActionEvent, BoxError, WebhookEvent};
//!
//! /// One signing secret per customer account, e.g. from a database.
//! struct PerAccount(std::collections::HashMap<String, String>);
//!
//! impl SecretResolver for PerAccount {
//!     async fn webhook_secret(&self, event: &WebhookEvent) -> Result<Secrets, BoxError> {
//!         let secret = self.0.get(event.account_id()).ok_or("unknown account")?;
//!         Ok(secret.clone().into())
//!     }
//!
//!     async fn action_secret(&self, event: &ActionEvent) -> Result<Secrets, BoxError> {
//!         let secret = self.0.get(event.account_id()).ok_or("unknown account")?;
//!         Ok(secret.clone().into())
//!     }
//! }
//! ```

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::BoxFuture;
use crate::error::BoxError;
use crate::event::{ActionEvent, WebhookEvent};
use crate::event::{DeliveryEvent, HandlerKind};

/// The environment variable webhooks fall back to.
pub const WEBHOOK_SECRET_ENV: &str = "WEBHOOK_SECRET";
/// The environment variable actions fall back to.
pub const CUSTOM_ACTION_SECRET_ENV: &str = "CUSTOM_ACTION_SECRET";

/// A signing secret. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself. Keep it out of logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

/// The secrets a resolver accepts for one delivery: one, or several while rotating.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Secrets(Vec<Secret>);

impl Secrets {
    /// No secret: the delivery is answered `503 Configuration error.`.
    pub fn none() -> Self {
        Self(Vec::new())
    }

    /// The secrets.
    pub fn as_slice(&self) -> &[Secret] {
        &self.0
    }

    /// `true` when there is no usable secret (none, or only empty strings).
    pub fn is_unusable(&self) -> bool {
        self.0.iter().all(|s| s.0.is_empty())
    }
}

impl From<Secret> for Secrets {
    fn from(secret: Secret) -> Self {
        Self(vec![secret])
    }
}

impl From<String> for Secrets {
    fn from(secret: String) -> Self {
        Self(vec![Secret(secret)])
    }
}

impl From<&str> for Secrets {
    fn from(secret: &str) -> Self {
        Self(vec![Secret::new(secret)])
    }
}

impl<T: Into<Secret>> From<Vec<T>> for Secrets {
    fn from(secrets: Vec<T>) -> Self {
        Self(secrets.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Secrets>> From<Option<T>> for Secrets {
    fn from(secrets: Option<T>) -> Self {
        secrets.map_or_else(Secrets::none, Into::into)
    }
}

/// Finds the signing secret of each delivery at run time (for example per customer account,
/// from a database). Register one for the whole app with
/// [`App::secret_resolver`](crate::App::secret_resolver), or per handler with
/// [`Handler::secret_resolver`](crate::Handler::secret_resolver).
pub trait SecretResolver: Send + Sync + 'static {
    /// The secret(s) for a webhook delivery.
    fn webhook_secret(
        &self,
        event: &WebhookEvent,
    ) -> impl Future<Output = Result<Secrets, BoxError>> + Send;

    /// The secret(s) for a custom action delivery.
    fn action_secret(
        &self,
        event: &ActionEvent,
    ) -> impl Future<Output = Result<Secrets, BoxError>> + Send;
}

/// The object-safe form resolvers are stored as.
pub(crate) trait ErasedResolver: Send + Sync + 'static {
    fn resolve<'a>(&'a self, event: &'a DeliveryEvent) -> BoxFuture<'a, Result<Secrets, BoxError>>;
}

impl<R: SecretResolver> ErasedResolver for R {
    fn resolve<'a>(&'a self, event: &'a DeliveryEvent) -> BoxFuture<'a, Result<Secrets, BoxError>> {
        match event {
            DeliveryEvent::Webhook(event) => Box::pin(self.webhook_secret(event)),
            DeliveryEvent::Action(event) => Box::pin(self.action_secret(event)),
        }
    }
}

/// A resolver shared between handlers.
#[derive(Clone)]
pub(crate) struct SharedResolver(pub(crate) Arc<dyn ErasedResolver>);

impl fmt::Debug for SharedResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretResolver")
    }
}

impl PartialEq for SharedResolver {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SharedResolver {}

/// Where a handler's secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SecretSource {
    /// Secrets given in code (several while rotating).
    Literal(Vec<Secret>),
    /// An environment variable read at start-up.
    Env(String),
    /// A per-handler resolver, run for each delivery.
    Resolver(SharedResolver),
    /// The app-level resolver if there is one, else `WEBHOOK_SECRET` or `CUSTOM_ACTION_SECRET`,
    /// by handler kind.
    Default,
}

impl SecretSource {
    /// The environment variable a handler of this kind falls back to.
    pub(crate) fn default_env(kind: HandlerKind) -> &'static str {
        match kind {
            HandlerKind::Webhook => WEBHOOK_SECRET_ENV,
            HandlerKind::Action => CUSTOM_ACTION_SECRET_ENV,
        }
    }

    /// Resolves the secrets once, at start-up, with `env` standing in for the process
    /// environment. `Err` says what is missing.
    pub(crate) fn resolve(
        &self,
        kind: HandlerKind,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<Secret>, String> {
        let from_env = |variable: &str, why: &str| match env(variable) {
            Some(value) if !value.trim().is_empty() => Ok(vec![Secret::new(value)]),
            Some(_) => Err(format!("{why}: environment variable `{variable}` is empty")),
            None => Err(format!(
                "{why}: environment variable `{variable}` is not set"
            )),
        };
        match self {
            Self::Literal(secrets)
                if secrets.iter().all(|s| !s.0.is_empty()) && !secrets.is_empty() =>
            {
                Ok(secrets.clone())
            }
            Self::Literal(_) => Err("has an empty literal secret".to_owned()),
            Self::Env(variable) => from_env(variable, "has no secret"),
            Self::Resolver(_) => Err("resolves its secret at run time".to_owned()),
            Self::Default => from_env(
                Self::default_env(kind),
                &format!(
                    "has no secret source (set `secret_env = \"NAME\"` on the handler, or `{}`)",
                    Self::default_env(kind)
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn literal_wins_and_keeps_every_secret() {
        let source = SecretSource::Literal(vec!["a".into(), "b".into()]);
        let got = source
            .resolve(HandlerKind::Webhook, &env(&[("WEBHOOK_SECRET", "x")]))
            .unwrap();
        assert_eq!(got, vec![Secret::new("a"), Secret::new("b")]);
    }

    #[test]
    fn env_and_default_fallbacks_by_kind() {
        let vars = env(&[
            ("WEBHOOK_SECRET", "w"),
            ("CUSTOM_ACTION_SECRET", "c"),
            ("MINE", "m"),
        ]);
        let resolve = |s: SecretSource, k| s.resolve(k, &vars).unwrap()[0].expose().to_owned();
        assert_eq!(
            resolve(SecretSource::Env("MINE".into()), HandlerKind::Action),
            "m"
        );
        assert_eq!(resolve(SecretSource::Default, HandlerKind::Webhook), "w");
        assert_eq!(resolve(SecretSource::Default, HandlerKind::Action), "c");
    }

    #[test]
    fn missing_or_empty_sources_say_which_variable() {
        let vars = env(&[("EMPTY", "  ")]);
        let err = SecretSource::Env("NOPE".into())
            .resolve(HandlerKind::Webhook, &vars)
            .unwrap_err();
        assert!(err.contains("`NOPE` is not set"), "{err}");
        let err = SecretSource::Env("EMPTY".into())
            .resolve(HandlerKind::Webhook, &vars)
            .unwrap_err();
        assert!(err.contains("`EMPTY` is empty"), "{err}");
        let err = SecretSource::Default
            .resolve(HandlerKind::Action, &vars)
            .unwrap_err();
        assert!(err.contains("CUSTOM_ACTION_SECRET"), "{err}");
        assert!(
            SecretSource::Literal(vec![])
                .resolve(HandlerKind::Action, &vars)
                .is_err()
        );
        assert!(
            SecretSource::Literal(vec!["".into()])
                .resolve(HandlerKind::Action, &vars)
                .is_err()
        );
    }

    #[test]
    fn debug_hides_secrets() {
        let shown = format!("{:?}", SecretSource::Literal(vec!["hunter2".into()]));
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
