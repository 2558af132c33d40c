//! placeholder

pub mod mock_ims;
pub use mock_ims::MockIms;
