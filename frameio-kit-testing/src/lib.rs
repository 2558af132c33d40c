//! Test helpers for [frameio-kit](https://docs.rs/frameio-kit) integrations.
//!
//! Use this crate from `tests/` and from your own crate's dev-dependencies.

pub mod mock_frameio;
pub mod mock_ims;
pub mod signing;

pub use mock_frameio::MockFrameio;
pub use mock_ims::MockIms;
pub use signing::SignedRequest;
