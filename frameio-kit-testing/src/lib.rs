//! Test helpers for [frameio-kit](https://docs.rs/frameio-kit) integrations: test handlers the
//! way Frame.io calls them, without a Frame.io account, environment variables or a network.
//!
//! | need | use |
//! |---|---|
//! | realistic events | [`webhook_event`], [`action_event`] (fresh UUIDs, every field overridable) |
//! | run them through the real pipeline, signed for you | [`TestApp`] (in-process, or over HTTP with [`TestApp::serve`]) |
//! | read answers | [`TestReply`]: `message()`, `form()`, `assert_status(…)`; [`TestForm::submit`] for the follow-up delivery |
//! | why a delivery failed | [`TestReply::diagnosis`], shown by every error and assertion message |
//! | handlers calling the API, actions requiring sign-in | [`TestApp::frameio`], [`TestApp::ims`] + [`SignInExt::sign_in`] |
//! | what was logged | [`TestApp::capture_logs`], [`LogCapture`] |
//! | call one handler without HTTP | [`call_handler`] |
//! | signatures and broken ones | [`SignedRequest`] (`stale`, `future`, `wrong_secret`, `tampered`) |
//! | the Frame.io API and Adobe IMS | [`MockFrameio`], [`MockIms`]: real local HTTP servers |
//! | plain `#[test]` functions | [`block_on`] |
//!
//! **The linking rule:** handlers register at link time and rustc drops crates nothing refers
//! to, so start every test file with `use my_app as _;`. The full guide is `docs/testing.md`
//! in the repository.
//!
//! ```standalone_crate
//! use frameio_kit::prelude::*;
//! use frameio_kit_testing::{TestApp, action_event, block_on};
//!
//! #[action(event = "rename", name = "Rename")]
//! async fn rename(event: ActionEvent) -> Result<ActionResponse> {
//!     if let Some(name) = event.field_str("name") {
//!         return Ok(Message::new("Renamed", name.to_uppercase()).into());
//!     }
//!     Ok(Form::new("Rename", "New name?").field(TextField::new("Name", "name")).into())
//! }
//!
//! block_on(async {
//!     let app = TestApp::from_registry();
//!     let form = app.deliver(action_event("rename")).await?.form()?;
//!     let done = form.submit(serde_json::json!({"name": "final cut"})).await?.message()?;
//!     assert_eq!(done.description, "FINAL CUT");
//!     Ok::<_, frameio_kit_testing::TestError>(())
//! })
//! .unwrap()
//! .unwrap();
//! ```

#![doc(test(attr(deny(warnings))))]

pub mod mock_frameio;
pub mod mock_frameio_state;
pub mod mock_ims;
pub mod otlp;
pub mod signing;

pub use mock_frameio::MockFrameio;
pub use mock_ims::MockIms;
pub use signing::SignedRequest;

pub mod app;
pub mod builders;
pub mod call;
pub mod error;
pub mod event;
pub mod logs;
pub mod reply;
pub mod signin;
mod transport;

pub use app::{TEST_HOST, TEST_SECRET, TestApp, TestServer, block_on, test_env};
pub use builders::{
    ActionEventBuilder, WebhookEventBuilder, action_event, random_id, webhook_event,
};
pub use call::{HandlerCall, call_handler, find_handler};
pub use error::TestError;
pub use event::EventBody;
pub use logs::{LogCapture, LogEvent};
pub use reply::{TestField, TestForm, TestReply};
pub use signin::SignInExt;
