//! From handlers to routes: one [`Route`] per event type, with its secrets, resource filter and
//! sign-in gate, and every problem found on the way, each naming its handler.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bytes::Bytes;

use crate::dispatch::{Route, RouteSecrets, SignInGate, not_available_reply};
use crate::error::StartupProblem;
use crate::event::ResourceType;
use crate::handler::{AppData, Handler, HandlerKind, StartupContext};
use crate::secret::SharedResolver;

use super::is_valid_event_type;

/// The routes by event type.
pub(super) type Routes = HashMap<Box<str>, Arc<Route>>;

/// What the app offers handlers that require a signed-in user.
#[cfg_attr(not(feature = "auth"), allow(dead_code))]
pub(super) enum SignIn {
    /// Configured and valid.
    Ready(Arc<dyn SignInGate>),
    /// Configured but invalid: already reported once, so handlers do not repeat it.
    Invalid,
    /// Not configured.
    Off,
}

/// What every route is built against.
pub(super) struct Context<'a> {
    pub(super) data: &'a AppData,
    pub(super) resolver: Option<&'a SharedResolver>,
    pub(super) sign_in: &'a SignIn,
    pub(super) env: &'a dyn Fn(&str) -> Option<String>,
    /// The app's interim Message, as JSON.
    pub(super) interim: &'a Bytes,
    /// The queue background handlers are enqueued in.
    #[cfg(feature = "background")]
    pub(super) background: Option<&'a Arc<crate::delivery::queue::Background>>,
}

/// Builds the routes of every handler, collecting every problem.
pub(super) fn routes(
    handlers: &[Handler],
    cx: &Context<'_>,
    problems: &mut Vec<StartupProblem>,
) -> Routes {
    let mut claims: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut routes = Routes::new();
    for handler in handlers {
        let route = route(handler, cx, problems);
        for event in &handler.events {
            if !is_valid_event_type(event) {
                problems.push(StartupProblem::InvalidEventType {
                    handler: handler.function.clone(),
                    event: event.clone(),
                });
                continue;
            }
            claims.entry(event).or_default().push(&handler.function);
            if let Some(route) = &route {
                routes
                    .entry(event.clone().into_boxed_str())
                    .or_insert_with(|| Arc::clone(route));
            }
        }
    }
    problems.extend(duplicates(claims));
    routes
}

/// One handler's route, or `None` when a problem keeps it from having one.
fn route(
    handler: &Handler,
    cx: &Context<'_>,
    problems: &mut Vec<StartupProblem>,
) -> Option<Arc<Route>> {
    let before = problems.len();
    problems.extend(shape(handler));
    problems.extend(delivery_options(handler));
    problems.extend(arguments(handler, cx.data));
    let secrets = secrets(handler, cx).map_err(|p| problems.push(p)).ok();
    let sign_in = gate(handler, cx.sign_in)
        .map_err(|p| problems.push(p))
        .ok()
        .flatten();
    let filter = filter(handler)
        .map_err(|p| problems.extend(p))
        .ok()
        .flatten();
    if problems.len() > before {
        return None;
    }
    let options = &handler.options;
    let background = options.background.is_some();
    let interim = match (&options.interim, handler.kind) {
        (Some(message), HandlerKind::Action) => crate::dispatch::interim_json(message),
        (None, HandlerKind::Action) => cx.interim.clone(),
        _ => Bytes::new(),
    };
    Some(Arc::new(Route {
        handler: if background {
            enqueuing(handler, cx)?
        } else {
            handler.clone()
        },
        secrets: secrets?,
        filter,
        sign_in,
        deadline: if background {
            None
        } else {
            options.effective_deadline(handler.kind)
        },
        interim,
        dedup: options.dedup,
        keep_body: background,
    }))
}

/// A background handler's stand-in on the receiving side: it stores the delivery in the
/// queue and answers; a worker runs the real handler.
#[cfg(feature = "background")]
fn enqueuing(handler: &Handler, cx: &Context<'_>) -> Option<Handler> {
    use crate::error::BoxError;
    let background = Arc::clone(cx.background?);
    let function: Arc<str> = Arc::from(handler.function.as_str());
    let mut enqueuing = handler.clone();
    enqueuing.call = Arc::new(move |delivery| {
        let background = Arc::clone(&background);
        let function = Arc::clone(&function);
        Box::pin(async move {
            background
                .enqueue(&function, &delivery)
                .await
                .map_err(|err| Box::new(err) as BoxError)?;
            Ok(crate::response::ActionResponse::None)
        })
    });
    Some(enqueuing)
}

/// Without the `background` feature, a background handler is a start-up problem (reported
/// by [`delivery_options`]): it gets no route.
#[cfg(not(feature = "background"))]
fn enqueuing(_handler: &Handler, _cx: &Context<'_>) -> Option<Handler> {
    None
}

/// The delivery switches: what applies to the handler's kind, and usable values.
fn delivery_options(handler: &Handler) -> Vec<StartupProblem> {
    let handler_name = || handler.function.clone();
    let options = &handler.options;
    let mut problems = Vec::new();
    if options.background.is_some() {
        if handler.kind == HandlerKind::Action {
            problems.push(StartupProblem::BackgroundOnAction {
                handler: handler_name(),
            });
        } else if !cfg!(feature = "background") {
            problems.push(StartupProblem::BackgroundNeedsFeature {
                handler: handler_name(),
            });
        }
        for (set, option) in [
            (options.deadline.is_some(), "deadline"),
            (options.no_deadline, "no_deadline"),
            (options.interim.is_some(), "interim"),
        ] {
            if set {
                problems.push(StartupProblem::BackgroundWithDeadline {
                    handler: handler_name(),
                    option,
                });
            }
        }
    }
    if options.deadline.is_some_and(|d| d.is_zero()) {
        problems.push(StartupProblem::InvalidDeliveryOption {
            handler: handler_name(),
            reason: "has a zero deadline; use `no_deadline` to wait for the handler".to_owned(),
        });
    }
    if options.dedup.is_some_and(|d| d.is_zero()) {
        problems.push(StartupProblem::InvalidDeliveryOption {
            handler: handler_name(),
            reason: "has a zero dedup window; leave `dedup` out to run every delivery".to_owned(),
        });
    }
    if options.interim.is_some() && options.no_deadline && options.background.is_none() {
        problems.push(StartupProblem::InvalidDeliveryOption {
            handler: handler_name(),
            reason: "has an interim Message and `no_deadline`: without a deadline the interim \
                     Message is never sent; drop one of them"
                .to_owned(),
        });
    }
    if options.interim.is_some() && handler.kind == HandlerKind::Webhook {
        problems.push(StartupProblem::InvalidDeliveryOption {
            handler: handler_name(),
            reason: "has an interim Message, which only actions can answer with (a webhook is answered `OK`)".to_owned(),
        });
    }
    problems
}

/// Event count: what every handler of its kind needs.
fn shape(handler: &Handler) -> Vec<StartupProblem> {
    let handler_name = || handler.function.clone();
    let mut problems = Vec::new();
    if handler.events.is_empty() {
        problems.push(StartupProblem::NoEventType {
            handler: handler_name(),
        });
    }
    if handler.kind == HandlerKind::Action && handler.events.len() > 1 {
        problems.push(StartupProblem::SeveralActionEvents {
            handler: handler_name(),
        });
    }
    problems
}

/// The start-up check of every argument type.
fn arguments(handler: &Handler, data: &AppData) -> Vec<StartupProblem> {
    let cx = StartupContext {
        kind: handler.kind,
        data,
    };
    handler
        .checks
        .iter()
        .filter_map(|check| check(&cx).err())
        .map(|problem| StartupProblem::Argument {
            handler: handler.function.clone(),
            problem,
        })
        .collect()
}

/// Where the handler's secrets come from: resolved now, or for each delivery.
fn secrets(handler: &Handler, cx: &Context<'_>) -> Result<RouteSecrets, StartupProblem> {
    let fallback_env = match handler.kind {
        HandlerKind::Webhook => crate::secret::WEBHOOK_SECRET_ENV,
        HandlerKind::Action => crate::secret::CUSTOM_ACTION_SECRET_ENV,
    };
    RouteSecrets::prepare(&handler.secret, cx.resolver, fallback_env, cx.env).map_err(|missing| {
        StartupProblem::MissingSecret {
            handler: handler.function.clone(),
            reason: missing.to_string(),
        }
    })
}

/// The sign-in step, for an action that requires a signed-in user.
fn gate(
    handler: &Handler,
    sign_in: &SignIn,
) -> Result<Option<Arc<dyn SignInGate>>, StartupProblem> {
    let handler_name = || handler.function.clone();
    match (handler.require_user_auth, handler.kind, sign_in) {
        (false, _, _) => Ok(None),
        (true, HandlerKind::Webhook, _) => Err(StartupProblem::SignInOnWebhook {
            handler: handler_name(),
        }),
        (true, _, SignIn::Ready(gate)) => Ok(Some(Arc::clone(gate))),
        (true, _, SignIn::Invalid) => Ok(None),
        (true, _, SignIn::Off) => Err(StartupProblem::SignInNotConfigured {
            handler: handler_name(),
        }),
    }
}

/// The resource-type filter of an action, with the answer for other types.
fn filter(handler: &Handler) -> Result<Option<(Vec<ResourceType>, Bytes)>, Vec<StartupProblem>> {
    let handler_name = || handler.function.clone();
    match (&handler.resource_types, handler.kind) {
        (None, _) => Ok(None),
        (Some(_), HandlerKind::Webhook) => Err(vec![StartupProblem::ResourceTypesOnWebhook {
            handler: handler_name(),
        }]),
        (Some(types), _) if types.is_empty() => Err(vec![StartupProblem::NoResourceTypes {
            handler: handler_name(),
        }]),
        (Some(types), _) => {
            let unknown: Vec<StartupProblem> = types
                .iter()
                // The macros check the same list at compile time.
                .filter(|ty| !frameio_kit_rules::is_known_resource_type(ty.as_str()))
                .map(|ty| StartupProblem::UnknownResourceType {
                    handler: handler_name(),
                    resource_type: ty.as_str().to_owned(),
                })
                .collect();
            if unknown.is_empty() {
                Ok(Some((types.clone(), not_available_reply(types))))
            } else {
                Err(unknown)
            }
        }
    }
}

/// Event types claimed by more than one handler.
fn duplicates(claims: BTreeMap<&str, Vec<&str>>) -> impl Iterator<Item = StartupProblem> {
    claims
        .into_iter()
        .filter(|(_, handlers)| handlers.len() > 1)
        .map(|(event, handlers)| StartupProblem::DuplicateEvent {
            event: event.to_owned(),
            handlers: handlers.into_iter().map(str::to_owned).collect(),
        })
}
