//! The guides in `docs/`, compiled: each module below includes one guide as its
//! documentation, so every ```` ```rust ```` block in it is a doctest of this crate and cannot
//! drift from the code. Run them with `cargo test -p docs-tests --doc`.
//!
//! Blocks that would start a server are `no_run` (compiled, not run); shell, TOML and JSON
//! blocks are marked as such and are not compiled. The README's snippets are doctests of
//! `frameio-kit` itself (its crate documentation includes the README).

// The testing guide shows `#[test]` functions as a reader writes them in `tests/*.rs`.
#![allow(clippy::test_attr_in_doctest)]

#[doc = include_str!("../../docs/handlers.md")]
pub mod handlers {}

#[doc = include_str!("../../docs/middleware.md")]
pub mod middleware {}

#[doc = include_str!("../../docs/mounting.md")]
pub mod mounting {}

#[doc = include_str!("../../docs/deployment.md")]
pub mod deployment {}

#[doc = include_str!("../../docs/testing.md")]
pub mod testing {}

#[doc = include_str!("../../docs/cli.md")]
pub mod cli {}

#[doc = include_str!("../../docs/install.md")]
pub mod install {}

#[doc = include_str!("../../docs/observability.md")]
pub mod observability {}
