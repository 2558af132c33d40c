//! The link-time registry the attribute macros submit to.

use super::Handler;

/// One handler registered by `#[webhook]` or `#[action]`: the function that builds it with the
/// public [`Handler`] builder. Not public API: the macros submit these.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Registered(pub fn() -> Handler);

inventory::collect!(Registered);

/// Every handler registered with the attribute macros in the linked crates, in a stable
/// order (by function name, then event).
pub fn registered() -> Vec<Handler> {
    let mut handlers: Vec<Handler> = inventory::iter::<Registered>
        .into_iter()
        .map(|registered| (registered.0)())
        .collect();
    handlers.sort_by(|a, b| (&a.function, &a.events).cmp(&(&b.function, &b.events)));
    handlers
}
