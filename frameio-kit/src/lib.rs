//! placeholder

pub mod store;
#[cfg(feature = "auth")]
pub mod auth;
