//! Test helpers for [frameio-kit](https://docs.rs/frameio-kit) integrations.
//!
//! Use this crate from `tests/` and from your own crate's dev-dependencies.

#![doc(test(attr(deny(warnings))))]

pub mod mock_frameio;
pub mod mock_ims;
pub mod signing;

pub use mock_frameio::MockFrameio;
pub use mock_ims::MockIms;
pub use signing::SignedRequest;

pub mod app;
pub mod builders;
pub mod call;
pub mod error;
pub mod event;
pub mod reply;

pub use app::{TEST_SECRET, TestApp, TestServer, block_on, test_env};
pub use builders::{
    ActionEventBuilder, WebhookEventBuilder, action_event, random_id, webhook_event,
};
pub use call::{HandlerCall, call_handler, find_handler};
pub use error::TestError;
pub use event::EventBody;
pub use reply::{TestField, TestForm, TestReply};
