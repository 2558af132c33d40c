//! Signing a test user in, so an action marked `require_user_auth` can be tested in a few
//! lines.
//!
//! [`sign_in`] asks [`MockIms`] for a real authorization code, exchanges it through the app's
//! own IMS client and stores the token (encrypted) under the Frame.io user id in the app's
//! store, exactly where the sign-in callback would. The next delivery from that user runs the
//! handler with a valid [`UserToken`](frameio_kit::auth::UserToken).
//!
//! ```
//! use frameio_kit::auth::{UserAuth, UserToken};
//! use frameio_kit::prelude::*;
//! use frameio_kit_testing::mock_ims::{CLIENT_ID, CLIENT_SECRET};
//! use frameio_kit_testing::signin::SignInExt as _;
//! use frameio_kit_testing::{MockIms, TestApp, action_event, block_on};
//!
//! async fn whoami(event: ActionEvent, token: UserToken) -> Result<Message> {
//!     Ok(Message::new("Hi", format!("{} has {} bytes", event.user_id(), token.access_token().len())))
//! }
//!
//! block_on(async {
//!     let ims = MockIms::start().await?;
//!     let app = TestApp::new(
//!         App::new()
//!             .user_auth(
//!                 UserAuth::builder(CLIENT_ID, CLIENT_SECRET)
//!                     .ims_base_url(ims.base_url())
//!                     .public_base_url("https://hooks.example.com")
//!                     .verify_frameio_user(false)
//!                     .memory_store(),
//!             )
//!             .handler(Handler::action("whoami", whoami).require_user_auth().secret("s")),
//!     )
//!     .secret("s");
//!     app.sign_in(&ims, "u-1").await?;
//!     let reply = app.deliver(action_event("whoami").user_id("u-1")).await?.message()?;
//!     assert_eq!(reply.title, "Hi");
//!     Ok::<_, Box<dyn std::error::Error>>(())
//! })
//! .unwrap()
//! .unwrap();
//! ```

use std::future::Future;

use frameio_kit::Service;
use frameio_kit::auth::{Token, UserAuth};

use crate::mock_ims::MockIms;
use crate::{TestApp, TestError};

/// The redirect URI the test code is issued for (never visited).
const TEST_REDIRECT_URI: &str = "https://frameio-kit.test/auth/callback";

/// Signs `user_id` in on `auth`: a code from `ims` (for the app's client id), exchanged by the
/// app's IMS client, stored for the user. Returns the stored token.
///
/// # Errors
///
/// [`TestError::Startup`] when `ims` refuses the exchange (another client id) or the store
/// cannot be written.
pub async fn sign_in(auth: &UserAuth, ims: &MockIms, user_id: &str) -> Result<Token, TestError> {
    let client_id = auth.ims().config().client_id().to_owned();
    let code = ims.issue_code(&client_id, TEST_REDIRECT_URI, None);
    let token = auth
        .ims()
        .exchange_code(&code, TEST_REDIRECT_URI)
        .await
        .map_err(|err| {
            TestError::Startup(format!("test sign-in: the code exchange failed: {err}"))
        })?;
    auth.manager_for(user_id)
        .set_token(token.clone())
        .await
        .map_err(|err| {
            TestError::Startup(format!("test sign-in: cannot store the token: {err}"))
        })?;
    Ok(token)
}

fn user_auth(service: &Service) -> Result<UserAuth, TestError> {
    service.user_auth().cloned().ok_or_else(|| {
        TestError::Startup("test sign-in: the app has no user sign-in (App::user_auth)".into())
    })
}

/// `sign_in` on the app under test.
pub trait SignInExt {
    /// Signs `user_id` in through `ims` (see [`sign_in`]); the app's IMS URL must be
    /// `ims.base_url()` and its client id one `ims` knows (e.g. [`CLIENT_ID`](crate::mock_ims::CLIENT_ID)).
    fn sign_in(
        &self,
        ims: &MockIms,
        user_id: &str,
    ) -> impl Future<Output = Result<Token, TestError>> + Send;
}

impl SignInExt for TestApp {
    async fn sign_in(&self, ims: &MockIms, user_id: &str) -> Result<Token, TestError> {
        let auth = user_auth(&self.service()?)?;
        sign_in(&auth, ims, user_id).await
    }
}

impl SignInExt for Service {
    async fn sign_in(&self, ims: &MockIms, user_id: &str) -> Result<Token, TestError> {
        let auth = user_auth(self)?;
        sign_in(&auth, ims, user_id).await
    }
}
