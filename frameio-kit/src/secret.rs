//! Where a handler's signing secret comes from.
//!
//! Each Frame.io webhook and custom action has its own signing secret, shown once when it is
//! created. A handler's secret is looked up in this order, first that applies:
//!
//! 1. a literal secret given to [`Handler::secret`](crate::Handler::secret) (tests and tools);
//! 2. the environment variable named by `secret_env = "NAME"` on the macro, or
//!    [`Handler::secret_env`](crate::Handler::secret_env);
//! 3. `WEBHOOK_SECRET` for webhooks, `CUSTOM_ACTION_SECRET` for actions.
//!
//! Environment variables are read once, when the app starts; a handler with no usable source
//! is a start-up error that names it, never a surprise at the first delivery.

use std::fmt;

use crate::handler::HandlerKind;

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

/// Where a handler's secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretSource {
    /// Secrets given in code (several while rotating).
    Literal(Vec<Secret>),
    /// An environment variable read at start-up.
    Env(String),
    /// `WEBHOOK_SECRET` or `CUSTOM_ACTION_SECRET`, by handler kind.
    Default,
}

impl SecretSource {
    /// The environment variable a handler of this kind falls back to.
    pub fn default_env(kind: HandlerKind) -> &'static str {
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
