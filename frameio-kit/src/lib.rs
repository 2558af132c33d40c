//! placeholder
#[cfg(feature = "client")]
pub mod client;
