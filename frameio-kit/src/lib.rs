//! placeholder

#[cfg(feature = "auth")]
pub mod auth;
pub mod store;
