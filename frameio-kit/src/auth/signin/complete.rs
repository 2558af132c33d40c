//! `on_auth_complete`: what runs after a successful sign-in, per app or per action, and
//! what the user sees then.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt as _;

use super::UserToken;
use super::pages::{self, AuthPage};
use crate::auth::error_chain;
use crate::error::BoxError;
use crate::event::ActionEvent;
use crate::handler::BoxFuture;

/// What an `on_auth_complete` hook receives: the action event that asked for the sign-in
/// and the user's fresh token.
#[derive(Debug, Clone)]
pub struct SignInComplete {
    pub(super) event: ActionEvent,
    pub(super) token: UserToken,
}

impl SignInComplete {
    /// The action event whose click asked the user to sign in.
    pub fn event(&self) -> &ActionEvent {
        &self.event
    }

    /// The user's token (an access token now; refreshed later through its manager).
    pub fn token(&self) -> &UserToken {
        &self.token
    }

    /// The user's Frame.io id.
    pub fn user_id(&self) -> &str {
        self.event.user_id()
    }

    /// The event and the token.
    pub fn into_parts(self) -> (ActionEvent, UserToken) {
        (self.event, self.token)
    }
}

/// What the browser shows after a successful sign-in: the default page, a page of yours, or
/// a redirect (for example back to Frame.io).
///
/// A hook returning `Ok(())` shows the default page.
///
/// ```
/// use frameio_kit::auth::AfterSignIn;
///
/// let back = AfterSignIn::redirect("https://next.frame.io/");
/// let own = AfterSignIn::page("All set", "Your export has started.");
/// # let _ = (back, own, AfterSignIn::default());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AfterSignIn(After);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum After {
    #[default]
    Default,
    Page {
        title: String,
        message: String,
    },
    Redirect(String),
}

impl AfterSignIn {
    /// The default page ("You are signed in…").
    pub fn success() -> Self {
        Self::default()
    }

    /// A page with your title and message (escaped).
    pub fn page(title: impl Into<String>, message: impl Into<String>) -> Self {
        Self(After::Page {
            title: title.into(),
            message: message.into(),
        })
    }

    /// A `303 See Other` to an absolute `http`/`https` URL (anything else is refused and the
    /// error page shown).
    pub fn redirect(url: impl Into<String>) -> Self {
        Self(After::Redirect(url.into()))
    }

    fn into_page(self) -> Result<AuthPage, String> {
        match self.0 {
            After::Default => Ok(pages::signed_in()),
            After::Page { title, message } => Ok(pages::page(200, &title, &message)),
            After::Redirect(url) => match url::Url::parse(&url) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {
                    Ok(AuthPage::redirect(303, parsed.into()))
                }
                _ => Err(format!(
                    "the redirect {:?} is not an absolute http(s) URL",
                    url.chars().take(200).collect::<String>()
                )),
            },
        }
    }
}

impl From<()> for AfterSignIn {
    fn from((): ()) -> Self {
        Self::default()
    }
}

/// A hook run after a successful sign-in.
pub(super) type CompleteHook =
    Arc<dyn Fn(SignInComplete) -> BoxFuture<'static, Result<AfterSignIn, BoxError>> + Send + Sync>;

pub(super) fn hook<F, Fut, R>(hook: F) -> CompleteHook
where
    F: Fn(SignInComplete) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, BoxError>> + Send + 'static,
    R: Into<AfterSignIn>,
{
    Arc::new(move |done| {
        let fut = hook(done);
        Box::pin(async move { fut.await.map(Into::into) })
    })
}

/// The hooks: one per action type, else the app's.
#[derive(Default, Clone)]
pub(super) struct Hooks {
    pub(super) app: Option<CompleteHook>,
    pub(super) per_action: Vec<(String, CompleteHook)>,
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("app", &self.app.is_some())
            .field(
                "per_action",
                &self.per_action.iter().map(|(t, _)| t).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Hooks {
    fn for_action(&self, event_type: &str) -> Option<&CompleteHook> {
        self.per_action
            .iter()
            .find(|(t, _)| t == event_type)
            .map(|(_, h)| h)
            .or(self.app.as_ref())
    }

    /// Runs the hook for `done` (if any); its errors and panics become the error page.
    pub(super) async fn run(&self, done: SignInComplete) -> AuthPage {
        let Some(hook) = self.for_action(&done.event.event_type) else {
            return pages::signed_in();
        };
        let action = done.event.event_type.clone();
        let user = done.event.user_id().to_owned();
        let outcome = AssertUnwindSafe(async { hook(done).await })
            .catch_unwind()
            .await;
        let why = match outcome {
            Ok(Ok(after)) => match after.into_page() {
                Ok(page) => return page,
                Err(why) => why,
            },
            Ok(Err(err)) => error_chain(err.as_ref()),
            Err(panic) => format!(
                "it panicked: {}",
                crate::error::panic_message(panic.as_ref())
            ),
        };
        tracing::error!(
            target: "frameio_kit::auth",
            action = ?action,
            user = ?user,
            error = ?why,
            "on_auth_complete failed"
        );
        pages::failed(
            500,
            "You are signed in, but the integration could not finish. Go back to Frame.io and \
             click the action again.",
        )
    }
}
