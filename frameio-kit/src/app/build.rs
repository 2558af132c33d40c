//! [`App::build`]: check everything, in named steps, then freeze the app into a [`Service`].

use std::sync::Arc;

use super::App;
use super::routes::{self, Context, Routes, SignIn};
use crate::dispatch::Dispatcher;
use crate::error::{StartupError, StartupProblem};
use crate::server::{HEALTH_PATH, Service};

/// What [`App::build_and_connect`] checks can be reached.
#[derive(Default)]
struct Reachability {
    /// The stores given to the app, each with what it is for ("sign-in", "replay ledger").
    stores: Vec<(&'static str, Arc<dyn crate::store::Store>)>,
    #[cfg(feature = "background")]
    queue: Option<Arc<crate::delivery::queue::Background>>,
    #[cfg(feature = "install")]
    install: Option<crate::install::Install>,
}

impl Reachability {
    /// Every unreachable service, checked at the same time.
    async fn problems(self) -> Vec<StartupProblem> {
        #[cfg(feature = "background")]
        let queue = async {
            let background = self.queue?;
            background.pin_runtime();
            let err = background.queue().await.err()?;
            Some(StartupProblem::QueueUnreachable {
                engine: background.engine_name(),
                reason: crate::delivery::queue::error_chain(&err),
            })
        };
        #[cfg(not(feature = "background"))]
        let queue = async { None::<StartupProblem> };
        #[cfg(feature = "install")]
        let install = async {
            let err = self.install?.check_store().await.err()?;
            Some(StartupProblem::StoreUnreachable {
                purpose: "install",
                reason: error_chain(&err),
            })
        };
        #[cfg(not(feature = "install"))]
        let install = async { None::<StartupProblem> };
        let stores = futures_util::future::join_all(self.stores.into_iter().map(
            |(purpose, store)| async move {
                let err = store.get("frameio-kit:probe").await.err()?;
                Some(StartupProblem::StoreUnreachable {
                    purpose,
                    reason: error_chain(&err),
                })
            },
        ));
        let (queue, install, stores) = tokio::join!(queue, install, stores);
        queue
            .into_iter()
            .chain(install)
            .chain(stores.into_iter().flatten())
            .collect()
    }
}

/// An error and its sources, `: `-separated.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(err) = source {
        let next = err.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = err.source();
    }
    text
}

impl App {
    /// Checks the whole configuration and freezes it into a [`Service`]. Every problem is
    /// reported at once, each naming the handler at fault: handlers, secrets, state, sign-in,
    /// the install configuration and the queue's. Whether the queue and stores can be reached
    /// needs I/O: [`build_and_connect`](Self::build_and_connect) adds that.
    pub fn build(self) -> Result<Service, StartupError> {
        self.build_checked().0.map_err(StartupError::new)
    }

    /// [`build`](Self::build), then checks (concurrently) that the background queue can be
    /// opened and that the install store, the sign-in token store and the replay ledger's
    /// store (when given with [`replay_store`](Self::replay_store)) can be read, so one error
    /// lists the configuration's problems
    /// and every unreachable service together. [`serve`](Self::serve) and `App::worker`
    /// start with it, before binding.
    ///
    /// # Errors
    ///
    /// Every problem found, configuration and reachability alike.
    pub async fn build_and_connect(self) -> Result<Service, StartupError> {
        let (built, reach) = self.build_checked();
        let unreachable = reach.problems().await;
        match built {
            Ok(service) if unreachable.is_empty() => Ok(service),
            Ok(_) => Err(StartupError::new(unreachable)),
            Err(mut problems) => {
                problems.extend(unreachable);
                Err(StartupError::new(problems))
            }
        }
    }

    /// The one pass: the service or every problem, and what to check for reachability.
    fn build_checked(mut self) -> (Result<Service, Vec<StartupProblem>>, Reachability) {
        let mut problems = Vec::new();
        self.add_client_from_env(&mut problems);
        let sign_in = self.finish_user_auth(&mut problems);
        self.check_settings(&mut problems);
        #[cfg(feature = "install")]
        problems.extend(
            self.install_problems
                .drain(..)
                .map(|reason| StartupProblem::Install { reason }),
        );
        #[cfg(feature = "background")]
        let background = self.background();
        #[cfg(feature = "background")]
        if self.worker_only && background.is_none() {
            problems.push(StartupProblem::NoBackgroundHandlers);
        }
        let mut stores: Vec<(&'static str, Arc<dyn crate::store::Store>)> = Vec::new();
        #[cfg(feature = "auth")]
        if let Some(auth) = &self.signed_in {
            stores.push(("sign-in", Arc::clone(auth.store())));
        }
        if let super::ReplayChoice::Shared(_, Some(store)) = &self.replay {
            stores.push(("replay ledger", Arc::clone(store)));
        }
        let reach = Reachability {
            stores,
            #[cfg(feature = "background")]
            queue: background.clone(),
            #[cfg(feature = "install")]
            install: self.install.clone(),
        };
        let interim = crate::dispatch::interim_json(&self.interim);
        let routes = {
            let env = |name: &str| self.read_env(name);
            let cx = Context {
                data: &self.data,
                resolver: self.resolver.as_ref(),
                sign_in: &sign_in,
                env: &env,
                interim: &interim,
                #[cfg(feature = "background")]
                background: background.as_ref(),
            };
            routes::routes(&self.handlers, &cx, &mut problems)
        };
        if !problems.is_empty() {
            return (Err(problems), reach);
        }
        let semantics = self.semantics(
            #[cfg(feature = "background")]
            background,
        );
        (Ok(self.into_service(routes, semantics)), reach)
    }

    /// The background handlers and their queue, when there are any (webhooks only; an
    /// action marked `background` is a start-up problem).
    #[cfg(feature = "background")]
    fn background(&self) -> Option<Arc<crate::delivery::queue::Background>> {
        use crate::delivery::queue::{
            Background, DEFAULT_QUEUE_SQLITE_PATH, QUEUE_SQLITE_PATH_ENV, QueueBackend,
        };
        let handlers: Vec<_> = self
            .handlers
            .iter()
            .filter(|h| h.kind == crate::HandlerKind::Webhook)
            .filter_map(|h| Some((h.clone(), h.options.background?)))
            .collect();
        if handlers.is_empty() {
            return None;
        }
        let backend = self.queue.backend.clone().unwrap_or_else(|| {
            let path = self
                .read_env(QUEUE_SQLITE_PATH_ENV)
                .filter(|p| !p.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_QUEUE_SQLITE_PATH.to_owned());
            QueueBackend::sqlite(path)
        });
        Some(Arc::new(Background::new(
            backend,
            handlers,
            self.queue.workers,
            self.shutdown_timeout,
        )))
    }

    /// The replay ledger, dedup and late-work settings.
    fn semantics(
        &self,
        #[cfg(feature = "background")] background: Option<Arc<crate::delivery::queue::Background>>,
    ) -> crate::dispatch::Semantics {
        use super::ReplayChoice;
        use crate::delivery::{Dedup, MemoryLedger};
        use crate::dispatch::ReplayLedger;
        let ledger = match &self.replay {
            ReplayChoice::Memory => ReplayLedger::Memory(MemoryLedger::new()),
            ReplayChoice::Shared(ledger, _) => ReplayLedger::Shared(Arc::clone(ledger)),
            ReplayChoice::Off => ReplayLedger::Off,
        };
        // Dedup windows live with the replay ledger when it is shared (a fleet sees them),
        // else in this process.
        let dedup = self
            .handlers
            .iter()
            .any(|h| h.options.dedup.is_some())
            .then(|| match &self.replay {
                ReplayChoice::Shared(ledger, _) => Dedup::new(Arc::clone(ledger)),
                _ => Dedup::new(Arc::new(MemoryLedger::new())),
            });
        crate::dispatch::Semantics {
            ledger,
            dedup,
            late: crate::delivery::LateWork::new(),
            late_hook: self.late_hook.clone(),
            #[cfg(feature = "background")]
            background,
        }
    }

    /// Builds the API client from `FRAMEIO_TOKEN` when none was given.
    #[cfg(feature = "client")]
    fn add_client_from_env(&mut self, problems: &mut Vec<StartupProblem>) {
        use crate::client::{Client, TOKEN_ENV};
        if self.data.contains::<Client>() {
            return;
        }
        let Some(token) = self.read_env(TOKEN_ENV).filter(|t| !t.trim().is_empty()) else {
            return;
        };
        match Client::new(token) {
            Ok(client) => self.data.insert(Arc::new(client)),
            Err(err) => problems.push(StartupProblem::Config(format!(
                "cannot build the Frame.io API client from `{TOKEN_ENV}`: {err}"
            ))),
        }
    }

    #[cfg(not(feature = "client"))]
    fn add_client_from_env(&mut self, _problems: &mut Vec<StartupProblem>) {}

    /// Finishes the sign-in configuration, shared with handlers as state.
    #[cfg(feature = "auth")]
    fn finish_user_auth(&mut self, problems: &mut Vec<StartupProblem>) -> SignIn {
        let Some(config) = self.user_auth.take() else {
            return SignIn::Off;
        };
        match config.finish_all(&|name| self.read_env(name)) {
            Ok(auth) => {
                self.data.insert(Arc::new(auth.clone()));
                self.signed_in = Some(auth.clone());
                SignIn::Ready(Arc::new(auth))
            }
            Err(found) => {
                problems.extend(found.into_iter().map(StartupProblem::Config));
                // Reported once above; handlers needing sign-in should not each add
                // "not configured", which would send the reader the wrong way.
                self.data
                    .insert(Arc::new(crate::auth::signin::InvalidUserAuth));
                SignIn::Invalid
            }
        }
    }

    #[cfg(not(feature = "auth"))]
    fn finish_user_auth(&mut self, _problems: &mut Vec<StartupProblem>) -> SignIn {
        SignIn::Off
    }

    /// The server settings: at least one handler, a usable path and body limit.
    fn check_settings(&self, problems: &mut Vec<StartupProblem>) {
        if self.handlers.is_empty() {
            problems.push(StartupProblem::NoHandlers);
        }
        if !self.path.starts_with('/') {
            problems.push(StartupProblem::Config(format!(
                "the receiver path must start with `/`, got `{}`",
                self.path
            )));
        }
        if self.path == HEALTH_PATH {
            problems.push(StartupProblem::Config(format!(
                "the receiver path cannot be `{HEALTH_PATH}`: it is the health check"
            )));
        }
        if self.body_limit == 0 {
            problems.push(StartupProblem::Config(
                "the body limit must be at least 1 byte".to_owned(),
            ));
        }
    }

    /// Freezes the checked app.
    fn into_service(self, routes: Routes, semantics: crate::dispatch::Semantics) -> Service {
        let handler_count = self.handlers.len();
        let dev_manifest =
            crate::manifest::is_requested(self.read_env(crate::manifest::DEV_ROUTE_ENV).as_deref())
                .then(|| self.manifest());
        let recorder = self.record_dir.as_ref().and_then(|dir| {
            crate::record::DeliveryRecorder::with_env(dir, |name| self.read_env(name))
                .inspect_err(|err| {
                    tracing::warn!(
                        target: "frameio_kit::record",
                        dir = %dir.display(),
                        "not recording deliveries: {err}"
                    );
                })
                .ok()
        });
        let dispatcher = Dispatcher::new(
            routes,
            self.tolerance,
            Arc::clone(&self.clock),
            Arc::new(self.data),
            self.middleware.into(),
        )
        .with_recorder(recorder)
        .with_semantics(semantics);
        let service = Service::new(
            Arc::new(dispatcher),
            self.path,
            self.body_limit,
            handler_count,
        )
        .body_read_timeout(self.body_read_timeout)
        .dev_manifest(dev_manifest);
        let service = match self.max_connections {
            Some(connections) => service.max_connections(connections),
            None => service,
        };
        #[cfg(feature = "metrics")]
        let service = match self.metrics {
            Some(handle) => service.metrics(handle),
            None => service,
        };
        #[cfg(feature = "install")]
        let service = service.with_install(self.install);
        #[cfg(feature = "auth")]
        let service = match self.signed_in {
            Some(auth) => service.with_user_auth(auth),
            None => service,
        };
        service
    }
}
