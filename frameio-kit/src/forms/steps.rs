//! State carried across the forms of one interaction, kept in a [`Store`].

use std::any::type_name;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ArgumentProblem, BoxError, ConfigurationError};
use crate::handler::{Delivery, DeliveryEvent, FromDelivery, HandlerKind, StartupContext};
use crate::store::{Store, StoreError};

/// Where [`Steps`] keep their state: a [`Store`] and a time-to-live. Register one with
/// [`App::state`](crate::App::state):
///
/// ```
/// use frameio_kit::App;
/// use frameio_kit::forms::StepStore;
/// use frameio_kit::store::MemoryStore;
///
/// let app = App::new().state(StepStore::new(MemoryStore::new()));
/// # let _ = app;
/// ```
///
/// Use a shared store (SQLite, Redis, PostgreSQL) when several instances serve the same
/// integration: the next step of an interaction may reach another instance.
#[derive(Clone)]
pub struct StepStore {
    store: Arc<dyn Store>,
    ttl: Duration,
}

impl fmt::Debug for StepStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StepStore")
            .field("store", &self.store)
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// Why step state could not be kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StepError {
    /// The store failed.
    #[error("step state store failed")]
    Store(#[from] StoreError),
    /// The state could not be encoded.
    #[error("step state could not be encoded")]
    Encode(#[source] serde_json::Error),
}

impl StepStore {
    /// How long step state lives after its last save unless told otherwise: 15 minutes.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);

    /// Keeps step state in `store` for [`StepStore::DEFAULT_TTL`].
    pub fn new(store: impl Store + 'static) -> Self {
        Self::from_arc(Arc::new(store))
    }

    /// Keeps step state in a shared store.
    pub fn from_arc(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            ttl: Self::DEFAULT_TTL,
        }
    }

    /// Sets how long state lives after its last save (an abandoned interaction is forgotten
    /// then).
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The time-to-live of saved state.
    pub fn time_to_live(&self) -> Duration {
        self.ttl
    }

    /// The store key of one interaction's state.
    fn key(event_type: &str, interaction_id: &str) -> String {
        format!("forms:steps:{event_type}:{interaction_id}")
    }

    /// The state saved for an interaction, or `None` when there is none (or it expired, or
    /// no longer decodes as `S`, which is logged).
    pub async fn load<S: DeserializeOwned>(
        &self,
        event_type: &str,
        interaction_id: &str,
    ) -> Result<Option<S>, StepError> {
        let Some(bytes) = self
            .store
            .get(&Self::key(event_type, interaction_id))
            .await?
        else {
            return Ok(None);
        };
        match serde_json::from_slice(&bytes) {
            Ok(state) => Ok(Some(state)),
            Err(err) => {
                tracing::warn!(
                    state = type_name::<S>(),
                    error = %err,
                    "stored step state no longer fits its type; starting the interaction over"
                );
                Ok(None)
            }
        }
    }

    /// Saves an interaction's state, restarting its time-to-live.
    pub async fn save<S: Serialize>(
        &self,
        event_type: &str,
        interaction_id: &str,
        state: &S,
    ) -> Result<(), StepError> {
        let bytes = serde_json::to_vec(state).map_err(StepError::Encode)?;
        let key = Self::key(event_type, interaction_id);
        self.store.set(&key, &bytes, Some(self.ttl)).await?;
        Ok(())
    }

    /// Forgets an interaction's state.
    pub async fn clear(&self, event_type: &str, interaction_id: &str) -> Result<(), StepError> {
        self.store
            .delete(&Self::key(event_type, interaction_id))
            .await?;
        Ok(())
    }
}

/// Typed state of one interaction, carried across its chain of forms (Frame.io keeps the
/// `interaction_id` the same from the first click to the last submit).
///
/// Taken as a handler argument it holds the state saved by the previous step of this
/// interaction, or `S::default()` on the first. Change it through `DerefMut`, then
/// [`save`](Steps::save) it before answering with the next form, or [`finish`](Steps::finish)
/// to forget it when the interaction ends. Needs a [`StepStore`] registered with
/// [`App::state`](crate::App::state) (checked when the app starts). See the
/// [module documentation](crate::forms) for a three-step wizard.
pub struct Steps<S> {
    store: Arc<StepStore>,
    event_type: String,
    interaction_id: String,
    state: S,
}

impl<S: fmt::Debug> fmt::Debug for Steps<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Steps")
            .field("interaction_id", &self.interaction_id)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl<S: Serialize> Steps<S> {
    /// Saves the state for the next step (and restarts its time-to-live).
    pub async fn save(&self) -> Result<(), StepError> {
        self.store
            .save(&self.event_type, &self.interaction_id, &self.state)
            .await
    }

    /// Forgets the state (the interaction is over) and returns it.
    pub async fn finish(self) -> Result<S, StepError> {
        self.store
            .clear(&self.event_type, &self.interaction_id)
            .await?;
        Ok(self.state)
    }

    /// The interaction this state belongs to.
    pub fn interaction_id(&self) -> &str {
        &self.interaction_id
    }
}

impl<S> Deref for Steps<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.state
    }
}

impl<S> DerefMut for Steps<S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.state
    }
}

impl<S> FromDelivery for Steps<S>
where
    S: Serialize + DeserializeOwned + Default + Send + 'static,
{
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        let DeliveryEvent::Action(event) = delivery.event() else {
            return Err("step state was asked for by a webhook handler".into());
        };
        let store = delivery.data().get::<StepStore>().ok_or_else(|| {
            ConfigurationError::new("no `StepStore` is registered for step state")
        })?;
        let state = store
            .load::<S>(&event.event_type, &event.interaction_id)
            .await?
            .unwrap_or_default();
        Ok(Self {
            store,
            event_type: event.event_type.clone(),
            interaction_id: event.interaction_id.clone(),
            state,
        })
    }

    fn check(cx: &StartupContext<'_>) -> Result<(), ArgumentProblem> {
        if cx.kind != HandlerKind::Action {
            return Err(ArgumentProblem::Custom(format!(
                "takes `Steps<{}>`, but only action handlers have interactions",
                type_name::<S>()
            )));
        }
        if cx.data.contains::<StepStore>() {
            Ok(())
        } else {
            Err(ArgumentProblem::Custom(format!(
                "takes `Steps<{}>`, but no `StepStore` is registered (add one with `App::state(StepStore::new(store))`)",
                type_name::<S>()
            )))
        }
    }
}
