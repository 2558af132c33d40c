//! placeholder
pub mod mock_frameio;
pub use mock_frameio::MockFrameio;
