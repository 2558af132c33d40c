//! After the signature holds: build, filter, dedup, handle and reply.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::handler::{BoxFuture, Delivery, DeliveryEvent, HandlerKind, HandlerResult, Headers};
use crate::middleware::Next;

use super::reply::{self, Stop, answer_reply, failure_stop, panic_stop};
use super::semantics;
use super::steps::invalid_payload;
use super::{APPLICATION_JSON, Dispatcher, Reply, Route, body};

impl Dispatcher {
    /// Everything after the replay check when the recorder or dedup awaits before the
    /// handler: record, build, filter, dedup, handle, reply.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn accepted(
        &self,
        route: &Arc<Route>,
        event_type: &str,
        headers: Headers,
        body: &Bytes,
        text: &str,
        peer: Option<std::net::IpAddr>,
        timestamp: i64,
        head: Option<Box<DeliveryEvent>>,
    ) -> Result<Reply, Stop> {
        if let Some(recorder) = &self.recorder {
            recorder.record_logged(event_type, &headers, body).await;
        }
        let event = build_and_filter(route, text, timestamp, head)?;
        match route.dedup {
            None => {
                let handled = self.handle(route, event, headers, peer, body).await;
                reply_of(route, handled)
            }
            Some(window) => {
                self.deduped(route, event, headers, peer, body, window)
                    .await
            }
        }
    }

    /// handle, for a handler with a dedup window: the check first, the answer recorded after.
    async fn deduped(
        &self,
        route: &Arc<Route>,
        event: DeliveryEvent,
        headers: Headers,
        peer: Option<std::net::IpAddr>,
        body: &Bytes,
        window: Duration,
    ) -> Result<Reply, Stop> {
        let ticket = self.dedup(route, body, window).await?;
        let handled = self.handle(route, event, headers, peer, body).await;
        let result = reply_of(route, handled);
        if let Some(ticket) = ticket {
            let reply = match &result {
                Ok(reply) => reply,
                Err(stop) => &stop.reply,
            };
            self.semantics.dedup_finish(ticket, reply, window).await;
        }
        result
    }

    /// dedup: a body accepted within the window is answered without running again: with the
    /// first run's answer, or, while it runs, `OK` (webhooks) or the interim Message.
    async fn dedup(
        &self,
        route: &Route,
        body: &[u8],
        window: Duration,
    ) -> Result<Option<crate::delivery::dedup::DedupTicket>, Stop> {
        use crate::delivery::DedupOutcome;
        let Some(dedup) = &self.semantics.dedup else {
            return Ok(None);
        };
        let reply = match dedup.begin(&route.handler.function, body, window).await {
            Ok(DedupOutcome::Run(ticket)) => return Ok(Some(ticket)),
            Ok(DedupOutcome::Duplicate(Some(answer))) => semantics::replayed(&answer),
            Ok(_) if route.handler.kind == HandlerKind::Webhook => Reply::ok(),
            Ok(_) => Reply::from_parts(200, APPLICATION_JSON, route.interim.clone()),
            Err(err) => {
                // Dedup only saves work: without its engine, run the handler.
                tracing::warn!(
                    target: "frameio_kit::delivery",
                    handler = %route.handler.function,
                    error = %reply::ErrorChain(&err),
                    "dedup unavailable: running the handler"
                );
                return Ok(None);
            }
        };
        tracing::info!(
            target: "frameio_kit::delivery",
            handler = %route.handler.function,
            "same body as a delivery accepted within the dedup window: answered without running"
        );
        Err(Stop::answer(reply))
    }

    /// build, filter and handle, as one future: a ready refusal when the event cannot be built
    /// or the filter answers.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn build_and_handle<'s>(
        &'s self,
        route: &'s Arc<Route>,
        headers: Headers,
        body: &Bytes,
        text: &str,
        peer: Option<std::net::IpAddr>,
        timestamp: i64,
        head: Option<Box<DeliveryEvent>>,
    ) -> impl Future<Output = Result<Option<crate::response::ActionResponse>, Stop>> + Send + 's
    {
        use futures_util::future::{Either, ready};
        match build_and_filter(route, text, timestamp, head) {
            Ok(event) => Either::Left(self.handle(route, event, headers, peer, body)),
            Err(stop) => Either::Right(ready(Err(stop))),
        }
    }

    /// handle: middleware and the handler; a panic costs this delivery a 500, not the server.
    /// `Ok(None)` when the handler missed its deadline (it runs on, tracked as late work).
    ///
    /// Not an `async fn`: its arguments would stay in the future's state (and so in every
    /// delivery's allocation) for the whole handler run. The delivery is built before the
    /// future, which only holds the boxed handler future.
    fn handle<'s>(
        &'s self,
        route: &'s Arc<Route>,
        event: DeliveryEvent,
        headers: Headers,
        peer: Option<std::net::IpAddr>,
        body: &Bytes,
    ) -> impl Future<Output = Result<Option<crate::response::ActionResponse>, Stop>> + Send + 's
    {
        let mut delivery = Delivery::new(event, headers, Arc::clone(&self.data));
        delivery.set_peer(peer);
        if route.keep_body {
            delivery.set_raw_body(body.clone());
        }
        let hook = route
            .handler
            .late_hook
            .as_ref()
            .or(self.semantics.late_hook.as_ref());
        // The hook gets a copy of the delivery: made only when there is a hook to get it.
        let copy = match (route.deadline, hook) {
            (Some(_), Some(_)) => Some(Box::new(delivery.clone())),
            _ => None,
        };
        let work = self.work(route, delivery);
        let function = route.handler.function.as_str();
        let running = semantics::run(work, route.deadline, &self.semantics.late, move || {
            semantics::late_context(function, hook, copy)
        });
        // A combinator, not an `async` block: the block would hold `running` twice.
        futures_util::FutureExt::map(running, |ran| match ran {
            Ok(semantics::Ran::Done(Ok(answer))) => Ok(Some(answer)),
            Ok(semantics::Ran::Done(Err(err))) => Err(failure_stop(err)),
            Ok(semantics::Ran::Late) => Ok(None),
            Err(panic) => Err(panic_stop(panic.as_ref())),
        })
    }

    /// The middleware chain and the handler as one owned future, so a run that misses its
    /// deadline can go on after the answer. Without middleware or sign-in it is the
    /// handler's own future (no extra allocation).
    fn work(&self, route: &Arc<Route>, delivery: Delivery) -> BoxFuture<'static, HandlerResult> {
        if self.middleware.is_empty() && route.sign_in.is_none() {
            #[cfg(feature = "otel")]
            {
                let route = Arc::clone(route);
                return crate::telemetry::in_span(
                    tracing::info_span!(target: "frameio_kit::delivery", "frameio.handler", "frameio.handler" = route.handler.function()),
                    move || route.handler.call(delivery),
                );
            }
            #[cfg(not(feature = "otel"))]
            return route.handler.call(delivery);
        }
        let route = Arc::clone(route);
        let chain = Arc::clone(&self.middleware);
        Box::pin(async move {
            // The sign-in step is the innermost step of the chain (protocol.md §3):
            // middleware sees the sign-in Form and may answer before it.
            Next::new(&chain, &route.handler)
                .with_sign_in(route.sign_in.as_deref())
                .run(delivery)
                .await
        })
    }
}

/// reply: webhooks `OK`; actions their Message or Form, or the interim Message when the
/// handler missed its deadline (`None`).
pub(super) fn reply_of(
    route: &Route,
    handled: Result<Option<crate::response::ActionResponse>, Stop>,
) -> Result<Reply, Stop> {
    match handled {
        Ok(_) if route.handler.kind == HandlerKind::Webhook => Ok(Reply::ok()),
        Ok(Some(answer)) => answer_reply(&answer),
        Ok(None) => Ok(Reply::from_parts(
            200,
            APPLICATION_JSON,
            route.interim.clone(),
        )),
        Err(stop) => Err(stop),
    }
}

/// The full event, built once the signature holds.
fn build(
    text: &str,
    kind: HandlerKind,
    timestamp: i64,
    head: Option<DeliveryEvent>,
) -> Result<DeliveryEvent, Stop> {
    // `parse` checked the shape, so this fails only on what a shape check cannot see (a
    // number out of range inside an action's `data`): still the contract's 422.
    body::complete(text, kind, timestamp, head).map_err(invalid_payload)
}

/// build and filter: the full event, refused when the action is restricted to other
/// resource types.
fn build_and_filter(
    route: &Route,
    text: &str,
    timestamp: i64,
    head: Option<Box<DeliveryEvent>>,
) -> Result<DeliveryEvent, Stop> {
    let event = build(text, route.handler.kind, timestamp, head.map(|head| *head))?;
    #[cfg(feature = "otel")]
    crate::telemetry::record_event(&event);
    filter(route, &event)?;
    Ok(event)
}

/// filter: an action restricted to other resource types answers without running middleware
/// or the handler.
fn filter(route: &Route, event: &DeliveryEvent) -> Result<(), Stop> {
    match &route.filter {
        Some((allowed, answer)) if !allowed.contains(&event.resource().resource_type) => Err(
            Stop::answer(Reply::from_parts(200, APPLICATION_JSON, answer.clone())),
        ),
        _ => Ok(()),
    }
}
