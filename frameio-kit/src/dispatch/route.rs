//! One routed handler with everything the pipeline needs prepared at start-up.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use crate::event::ResourceType;
use crate::handler::{BoxFuture, Delivery, Handler, HandlerResult};
use crate::secret::RouteSecrets;

/// What the sign-in step decided for an action that requires a signed-in user.
#[cfg_attr(not(feature = "auth"), allow(dead_code))]
pub(crate) enum GateOutcome {
    /// Go on; the value is left in the delivery's extensions for the extractors.
    Proceed(Box<dyn std::any::Any + Send + Sync>),
    /// Answer this instead (the sign-in Form).
    Answer(crate::response::ActionResponse),
}

/// The user sign-in step (protocol.md §3 row 9), provided by the `auth` module. It is the
/// innermost step of the middleware chain: it either runs `handler` with the user's token
/// left in the delivery, or answers (the sign-in Form, "Sign-in Unavailable") by itself.
pub(crate) trait SignInGate: Send + Sync + 'static {
    fn guard<'a>(
        &'a self,
        delivery: Delivery,
        handler: &'a Handler,
    ) -> BoxFuture<'a, HandlerResult>;
}

/// One routed handler with its secrets prepared.
pub(crate) struct Route {
    pub(crate) handler: Handler,
    pub(crate) secrets: RouteSecrets,
    /// The allowed resource types and the answer for any other type.
    pub(crate) filter: Option<(Vec<ResourceType>, Bytes)>,
    /// The sign-in step, for actions that require a signed-in user.
    pub(crate) sign_in: Option<Arc<dyn SignInGate>>,
    /// When the answer stops waiting for the handler (`None`: it waits to the end).
    pub(crate) deadline: Option<std::time::Duration>,
    /// The JSON of the interim Message an action gets at its deadline.
    pub(crate) interim: Bytes,
    /// The retry-dedup window, if the handler uses one.
    pub(crate) dedup: Option<std::time::Duration>,
    /// `true` for a background handler: the delivery keeps its raw body for the queue.
    pub(crate) keep_body: bool,
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("handler", &self.handler)
            .field("secrets", &self.secrets)
            .field("filter", &self.filter.as_ref().map(|(types, _)| types))
            .field("sign_in", &self.sign_in.is_some())
            .field("deadline", &self.deadline)
            .field("dedup", &self.dedup)
            .field("keep_body", &self.keep_body)
            .finish()
    }
}

/// The answer to an action used on a resource type it is not for.
pub(crate) fn not_available_reply(types: &[ResourceType]) -> Bytes {
    let mut names: Vec<&str> = types.iter().map(ResourceType::as_str).collect();
    names.sort_unstable();
    names.dedup();
    let message = crate::response::Message::new(
        "Action Not Available",
        format!("This action is only available for: {}.", names.join(", ")),
    );
    Bytes::from(serde_json::to_vec(&message).unwrap_or_default())
}

/// The hash of the route table: FNV-1a, a few instructions per byte where the default
/// SipHash costs ~190 per lookup. SipHash's defence against flooding is not needed here: the
/// table is built once at start-up, and a delivery's `type` is only looked up, never inserted.
pub(super) type RouteHash = std::hash::BuildHasherDefault<Fnv>;

/// FNV-1a, 64 bits.
pub(super) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
