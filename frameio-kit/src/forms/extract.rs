//! Handler arguments that read a typed form: [`Submitted`], `Option<Submitted<T>>` and
//! [`Submission`].

use std::fmt;
use std::ops::{Deref, DerefMut};

use serde_json::{Map, Value};

use super::errors::FormErrors;
use super::{ActionForm, FormAnswer};
use crate::error::{ArgumentProblem, BoxError};
use crate::event::ActionEvent;
use crate::handler::{Delivery, DeliveryEvent, FromDelivery, HandlerKind, StartupContext};
use crate::response::{ActionResponse, Form};

/// A valid submit of the form `T`: take it as a handler argument and the handler only ever
/// sees valid input.
///
/// - On the first click (no form data yet) the kit answers `T::form()` itself, without
///   calling the handler.
/// - On a submit that fails validation it answers the same form again, the submitted values
///   kept and every problem shown, again without calling the handler.
/// - On a valid submit the handler runs with the parsed `T`.
///
/// Take `Option<Submitted<T>>` instead to answer the first click yourself (`None`), for
/// example with a form prefilled from the event, or [`Submission<T>`] to decide every case.
///
/// ```
/// use frameio_kit::forms::{ActionForm, Submitted};
/// use frameio_kit::prelude::*;
///
/// #[derive(ActionForm)]
/// #[form(title = "Greet", description = "Who should we greet?")]
/// struct Greeting {
///     #[form(label = "Name", max_len = 40)]
///     name: String,
/// }
///
/// #[action(event = "greet.form", name = "Greet someone")]
/// async fn greet(Submitted(greeting): Submitted<Greeting>) -> Result<Message> {
///     Ok(Message::new("Hello!", format!("Hello, {}.", greeting.name)))
/// }
/// ```
///
/// Action handlers only (a webhook handler taking it is refused at start-up). The kit's
/// answers travel as a [`FormAnswer`], which the dispatcher sends with status 200.
pub struct Submitted<T>(pub T);

impl<T> Submitted<T> {
    /// The submitted value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Submitted<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Submitted<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for Submitted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Submitted").field(&self.0).finish()
    }
}

/// What a delivery says about the form `T`, for handlers that decide every case themselves.
#[derive(Debug)]
#[non_exhaustive]
pub enum Submission<T> {
    /// The first click: nothing was submitted yet (answer `T::form()` or a prefilled form).
    Opened,
    /// A submit that passed every check.
    Valid(T),
    /// A submit with problems; [`Invalid::form`] is the form to show again.
    Invalid(Invalid),
}

/// A submit that failed validation: the problems and the form to show again.
#[derive(Debug, Clone)]
pub struct Invalid {
    errors: FormErrors,
    form: Form,
}

impl Invalid {
    /// Every problem found.
    pub fn errors(&self) -> &FormErrors {
        &self.errors
    }

    /// The same form again, showing the submitted values and every problem.
    pub fn form(&self) -> &Form {
        &self.form
    }

    /// The form to answer with.
    pub fn into_form(self) -> Form {
        self.form
    }
}

impl From<Invalid> for ActionResponse {
    fn from(invalid: Invalid) -> Self {
        ActionResponse::Form(invalid.form)
    }
}

impl<T: ActionForm> Submission<T> {
    /// Reads the form `T` from an action event.
    pub fn from_event(event: &ActionEvent) -> Self {
        match &event.data {
            None => Self::Opened,
            Some(data) => Self::from_data(data),
        }
    }

    /// Reads the form `T` from submitted values.
    pub fn from_data(data: &Map<String, Value>) -> Self {
        match T::parse(data) {
            Ok(value) => Self::Valid(value),
            Err(errors) => {
                tracing::debug!(
                    form = std::any::type_name::<T>(),
                    problems = errors.len(),
                    "submitted form is invalid; showing it again"
                );
                let form = T::form_with_errors(data, &errors);
                Self::Invalid(Invalid { errors, form })
            }
        }
    }
}

fn action_event(delivery: &Delivery) -> Result<&ActionEvent, BoxError> {
    match delivery.event() {
        DeliveryEvent::Action(event) => Ok(event),
        _ => Err("a typed form argument was given a webhook event".into()),
    }
}

fn action_only(what: &str, cx: &StartupContext<'_>) -> Result<(), String> {
    match cx.kind {
        HandlerKind::Action => Ok(()),
        _ => Err(format!(
            "takes `{what}`, but only action handlers receive forms"
        )),
    }
}

fn answer(form: Form) -> BoxError {
    Box::new(FormAnswer::new(ActionResponse::Form(form)))
}

impl<T: ActionForm> FromDelivery for Submitted<T> {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        match Submission::<T>::from_event(action_event(delivery)?) {
            Submission::Opened => Err(answer(T::form())),
            Submission::Valid(value) => Ok(Submitted(value)),
            Submission::Invalid(invalid) => Err(answer(invalid.form)),
        }
    }

    fn check(cx: &StartupContext<'_>) -> Result<(), ArgumentProblem> {
        action_only("Submitted<_>", cx).map_err(ArgumentProblem::Custom)
    }
}

impl<T: ActionForm> FromDelivery for Option<Submitted<T>> {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        match Submission::<T>::from_event(action_event(delivery)?) {
            Submission::Opened => Ok(None),
            Submission::Valid(value) => Ok(Some(Submitted(value))),
            Submission::Invalid(invalid) => Err(answer(invalid.form)),
        }
    }

    fn check(cx: &StartupContext<'_>) -> Result<(), ArgumentProblem> {
        action_only("Option<Submitted<_>>", cx).map_err(ArgumentProblem::Custom)
    }
}

impl<T: ActionForm> FromDelivery for Submission<T> {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        Ok(Submission::from_event(action_event(delivery)?))
    }

    fn check(cx: &StartupContext<'_>) -> Result<(), ArgumentProblem> {
        action_only("Submission<_>", cx).map_err(ArgumentProblem::Custom)
    }
}
