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
//! each delivery, after the payload is checked and **before** its signature is (the secret is
//! what checks it), so they see unverified events: key them on ids, cache what they fetch,
//! and trust nothing else in the event. For the same reason an action event reaches a
//! resolver without its form `data` (`None`): that is read only once the signature holds.
//!
//! A secret that is empty or only whitespace is no secret, wherever it comes from: a
//! literal, a variable or a resolver's answer. A resolver that fails or returns no secret gets
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

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;

use crate::BoxFuture;
use crate::error::BoxError;
use crate::event::{ActionEvent, DeliveryEvent, WebhookEvent};
use crate::signature::SigningKey;

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

    /// `true` when there is no usable secret (none, or only empty or blank strings).
    pub fn is_unusable(&self) -> bool {
        !self.0.iter().any(|s| is_usable(&s.0))
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

/// Why a handler has no usable secret at start-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MissingSecret {
    /// A literal secret is empty (or there is none).
    #[error("has an empty literal secret")]
    EmptyLiteral,
    /// The handler's `secret_env` variable is not set.
    #[error("has no secret: environment variable `{variable}` is not set")]
    EnvNotSet {
        /// The variable's name.
        variable: String,
    },
    /// The handler's `secret_env` variable is empty.
    #[error("has no secret: environment variable `{variable}` is empty")]
    EnvEmpty {
        /// The variable's name.
        variable: String,
    },
    /// No source on the handler, no app-level resolver, and the fallback variable is unset
    /// or empty.
    #[error(
        "has no secret source (set `secret_env = \"NAME\"` on the handler, or `{variable}`): \
         environment variable `{variable}` is {state}"
    )]
    NoSource {
        /// The fallback variable (`WEBHOOK_SECRET` or `CUSTOM_ACTION_SECRET`).
        variable: &'static str,
        /// `not set` or `empty`.
        state: &'static str,
    },
}

/// The empty-secret rule, the one place it is decided: a secret that is empty or only
/// whitespace is no secret.
fn is_usable(secret: &str) -> bool {
    !secret.trim().is_empty()
}

/// Key conversion, the one place it is done: the usable secrets as prepared HMAC keys.
fn signing_keys<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Vec<SigningKey> {
    secrets
        .into_iter()
        .filter(|s| is_usable(&s.0))
        .map(|s| SigningKey::new(s.expose()))
        .collect()
}

/// Reads a secret from the environment (through `env`) at start-up.
fn from_env(
    variable: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Secret>, Option<&'static str>> {
    match env(variable) {
        Some(value) if is_usable(&value) => Ok(vec![Secret::new(value)]),
        Some(_) => Err(Some("empty")),
        None => Err(None),
    }
}

/// Where a route's signing keys come from: the whole secret pipeline of one handler, from its
/// source to the keys a delivery is verified with.
#[derive(Debug, Clone)]
pub(crate) enum RouteSecrets {
    /// Resolved at start-up.
    Static(Arc<[SigningKey]>),
    /// Resolved for each delivery.
    Dynamic(SharedResolver),
}

/// Why a resolver gave no key for a delivery.
pub(crate) enum ResolveFailure {
    /// It returned no usable secret.
    NoSecret,
    /// It failed.
    Error(BoxError),
    /// It panicked; the payload is kept for the log.
    Panic(Box<dyn std::any::Any + Send>),
}

impl RouteSecrets {
    /// Prepares a handler's secrets at start-up: its own resolver, else the app's resolver
    /// for a handler with no source of its own, else secrets read now (the environment
    /// through `env`; `fallback_env` is the variable of the handler's kind).
    pub(crate) fn prepare(
        source: &SecretSource,
        app_resolver: Option<&SharedResolver>,
        fallback_env: &'static str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, MissingSecret> {
        let secrets = match (source, app_resolver) {
            (SecretSource::Resolver(resolver), _) | (SecretSource::Default, Some(resolver)) => {
                return Ok(Self::Dynamic(resolver.clone()));
            }
            (SecretSource::Literal(secrets), _) => {
                if secrets.is_empty() || !secrets.iter().all(|s| is_usable(&s.0)) {
                    return Err(MissingSecret::EmptyLiteral);
                }
                secrets.clone()
            }
            (SecretSource::Env(variable), _) => {
                from_env(variable, env).map_err(|state| match state {
                    Some(_) => MissingSecret::EnvEmpty {
                        variable: variable.clone(),
                    },
                    None => MissingSecret::EnvNotSet {
                        variable: variable.clone(),
                    },
                })?
            }
            (SecretSource::Default, None) => {
                from_env(fallback_env, env).map_err(|state| MissingSecret::NoSource {
                    variable: fallback_env,
                    state: state.unwrap_or("not set"),
                })?
            }
        };
        Ok(Self::Static(signing_keys(&secrets).into()))
    }

    /// `true` when the keys need the event (a resolver runs for each delivery).
    #[cfg(test)]
    pub(crate) fn is_dynamic(&self) -> bool {
        matches!(self, Self::Dynamic(_))
    }

    /// The keys to verify `event` with. A resolver's failure or panic is caught and returned.
    pub(crate) async fn keys(
        &self,
        event: Option<&DeliveryEvent>,
    ) -> Result<Cow<'_, [SigningKey]>, ResolveFailure> {
        let (resolver, event) = match (self, event) {
            (Self::Static(keys), _) => return Ok(Cow::Borrowed(keys)),
            (Self::Dynamic(resolver), Some(event)) => (resolver, event),
            (Self::Dynamic(_), None) => return Err(ResolveFailure::NoSecret),
        };
        match AssertUnwindSafe(resolver.0.resolve(event))
            .catch_unwind()
            .await
        {
            Ok(Ok(secrets)) => {
                let keys = signing_keys(secrets.as_slice());
                if keys.is_empty() {
                    Err(ResolveFailure::NoSecret)
                } else {
                    Ok(Cow::Owned(keys))
                }
            }
            Ok(Err(err)) => Err(ResolveFailure::Error(err)),
            Err(panic) => Err(ResolveFailure::Panic(panic)),
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

    const WEBHOOK: &str = WEBHOOK_SECRET_ENV;
    const ACTION: &str = CUSTOM_ACTION_SECRET_ENV;

    fn prepare(
        source: SecretSource,
        fallback: &'static str,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Arc<[SigningKey]>, MissingSecret> {
        match RouteSecrets::prepare(&source, None, fallback, vars)? {
            RouteSecrets::Static(keys) => Ok(keys),
            RouteSecrets::Dynamic(_) => panic!("no resolver was given"),
        }
    }

    /// `true` when `keys` accept a signature made with `secret`.
    fn accepts(keys: &[SigningKey], secret: &str) -> bool {
        let signature = crate::signature::sign(secret.as_bytes(), "1", b"{}");
        keys.iter()
            .any(|k| k.matches("1", b"{}", signature.as_bytes()))
    }

    #[test]
    fn literal_wins_and_keeps_every_secret() {
        let source = SecretSource::Literal(vec!["a".into(), "b".into()]);
        let keys = prepare(source, WEBHOOK, &env(&[("WEBHOOK_SECRET", "x")])).unwrap();
        assert_eq!(keys.len(), 2);
        assert!(accepts(&keys, "a") && accepts(&keys, "b") && !accepts(&keys, "x"));
    }

    #[test]
    fn env_and_default_fallbacks_by_kind() {
        let vars = env(&[
            ("WEBHOOK_SECRET", "w"),
            ("CUSTOM_ACTION_SECRET", "c"),
            ("MINE", "m"),
        ]);
        let keys = prepare(SecretSource::Env("MINE".into()), ACTION, &vars).unwrap();
        assert!(accepts(&keys, "m"));
        assert!(accepts(
            &prepare(SecretSource::Default, WEBHOOK, &vars).unwrap(),
            "w"
        ));
        assert!(accepts(
            &prepare(SecretSource::Default, ACTION, &vars).unwrap(),
            "c"
        ));
    }

    #[test]
    fn resolvers_win_over_the_environment() {
        struct Fixed;
        impl SecretResolver for Fixed {
            async fn webhook_secret(&self, _: &WebhookEvent) -> Result<Secrets, BoxError> {
                Ok("r".into())
            }
            async fn action_secret(&self, _: &ActionEvent) -> Result<Secrets, BoxError> {
                Ok("r".into())
            }
        }
        let app = SharedResolver(Arc::new(Fixed));
        let vars = env(&[("WEBHOOK_SECRET", "w")]);
        let prepared = RouteSecrets::prepare(&SecretSource::Default, Some(&app), WEBHOOK, &vars);
        assert!(prepared.unwrap().is_dynamic());
        let own = SecretSource::Literal(vec!["l".into()]);
        let prepared = RouteSecrets::prepare(&own, Some(&app), WEBHOOK, &vars);
        assert!(
            !prepared.unwrap().is_dynamic(),
            "an explicit secret beats the app resolver"
        );
    }

    #[test]
    fn missing_or_empty_sources_say_which_variable() {
        let vars = env(&[("EMPTY", "  ")]);
        let err = prepare(SecretSource::Env("NOPE".into()), WEBHOOK, &vars).unwrap_err();
        assert_eq!(
            err,
            MissingSecret::EnvNotSet {
                variable: "NOPE".into()
            }
        );
        assert!(err.to_string().contains("`NOPE` is not set"), "{err}");
        let err = prepare(SecretSource::Env("EMPTY".into()), WEBHOOK, &vars).unwrap_err();
        assert!(err.to_string().contains("`EMPTY` is empty"), "{err}");
        let err = prepare(SecretSource::Default, ACTION, &vars).unwrap_err();
        assert!(matches!(
            err,
            MissingSecret::NoSource {
                variable: "CUSTOM_ACTION_SECRET",
                state: "not set"
            }
        ));
        for literal in [
            vec![],
            vec![Secret::new("")],
            vec![Secret::new(" "), Secret::new("ok")],
        ] {
            let err = prepare(SecretSource::Literal(literal), ACTION, &vars).unwrap_err();
            assert_eq!(err, MissingSecret::EmptyLiteral);
        }
    }

    #[test]
    fn the_empty_secret_rule_is_the_same_for_every_source() {
        for blank in ["", "   ", "\t\n"] {
            assert!(Secrets::from(blank).is_unusable(), "{blank:?}");
            assert!(signing_keys(Secrets::from(blank).as_slice()).is_empty());
        }
        let rotating = Secrets::from(vec!["", "k"]);
        assert!(!rotating.is_unusable());
        assert_eq!(signing_keys(rotating.as_slice()).len(), 1);
    }

    #[test]
    fn debug_hides_secrets() {
        let shown = format!("{:?}", SecretSource::Literal(vec!["hunter2".into()]));
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
