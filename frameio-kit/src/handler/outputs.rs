//! What a handler may return ([`WebhookOutput`], [`ActionOutput`]) and which async functions
//! can be handlers ([`WebhookFn`], [`ActionFn`]).

use std::future::Future;
use std::sync::Arc;

use super::{ArgCheck, Delivery, ErasedCall, FromDelivery, HandlerResult};
use crate::error::BoxError;
use crate::response::{ActionResponse, Form, Message};

/// What a webhook handler may return: `Result<(), E>` for any error `E` convertible into a
/// boxed error (`anyhow::Error`, `std::io::Error`, your `thiserror` enum…), or `()`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid webhook handler return type",
    label = "webhook handlers return `Result<(), E>` or `()`",
    note = "`E` may be any error convertible into `Box<dyn std::error::Error + Send + Sync>`, such as `anyhow::Error`"
)]
pub trait WebhookOutput {
    /// Converts the handler's return value.
    fn into_result(self) -> Result<(), BoxError>;
}

impl WebhookOutput for () {
    fn into_result(self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl<E: Into<BoxError> + 'static> WebhookOutput for Result<(), E> {
    fn into_result(self) -> Result<(), BoxError> {
        self.map_err(crate::error::box_error)
    }
}

/// What an action handler may return: `Result<T, E>` where `T` is a [`Message`], a [`Form`],
/// an [`ActionResponse`], an `Option` of those, or `()`; or any of those directly.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid action handler return type",
    label = "action handlers return `Result<T, E>` where `T: Into<ActionResponse>`",
    note = "`T` may be `Message`, `Form`, `ActionResponse`, `Option<_>` of those, or `()`; `E` any error convertible into `Box<dyn std::error::Error + Send + Sync>`"
)]
pub trait ActionOutput {
    /// Converts the handler's return value.
    fn into_result(self) -> Result<ActionResponse, BoxError>;
}

impl<T: Into<ActionResponse>, E: Into<BoxError> + 'static> ActionOutput for Result<T, E> {
    fn into_result(self) -> Result<ActionResponse, BoxError> {
        self.map(Into::into).map_err(crate::error::box_error)
    }
}

macro_rules! direct_action_output {
    ($($ty:ty),*) => {$(
        impl ActionOutput for $ty {
            fn into_result(self) -> Result<ActionResponse, BoxError> {
                Ok(self.into())
            }
        }
    )*};
}
direct_action_output!(Message, Form, ActionResponse, ());

impl<T: Into<ActionResponse>> ActionOutput for Option<T> {
    fn into_result(self) -> Result<ActionResponse, BoxError> {
        Ok(self.into())
    }
}

/// An async function usable as a webhook handler: every argument is [`FromDelivery`] and it
/// returns a [`WebhookOutput`]. Implemented for functions of 1 to 8 arguments.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid webhook handler",
    note = "a webhook handler is an `async fn` whose arguments implement `FromDelivery` and that returns `Result<(), E>`; its future must be `Send`"
)]
pub trait WebhookFn<Args>: Send + Sync + 'static {
    /// Boxes the function behind a uniform signature.
    fn erase(self) -> ErasedCall;
    /// The start-up checks of its argument types.
    fn checks() -> Vec<ArgCheck>;
}

/// An async function usable as an action handler: every argument is [`FromDelivery`] and it
/// returns an [`ActionOutput`]. Implemented for functions of 1 to 8 arguments.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid action handler",
    note = "an action handler is an `async fn` whose arguments implement `FromDelivery` and that returns `Result<T, E>` with `T: Into<ActionResponse>`; its future must be `Send`"
)]
pub trait ActionFn<Args>: Send + Sync + 'static {
    /// Boxes the function behind a uniform signature.
    fn erase(self) -> ErasedCall;
    /// The start-up checks of its argument types.
    fn checks() -> Vec<ArgCheck>;
}

/// A webhook's answer: its output converted, then the plain `200 OK`.
fn webhook_result<O: WebhookOutput>(output: O) -> HandlerResult {
    output.into_result().map(|()| ActionResponse::None)
}

/// An action's answer: its output converted.
fn action_result<O: ActionOutput>(output: O) -> HandlerResult {
    output.into_result()
}

/// One function trait for one arity: extract every argument (the last one from the delivery
/// itself, see [`FromDelivery::from_delivery_owned`]), call, convert the output.
macro_rules! impl_handler_fn {
    ($fn_trait:ident, $output:ident, $convert:ident; [$($arg:ident),*] $last:ident) => {
        impl<Func, Fut, $($arg,)* $last> $fn_trait<($($arg,)* $last,)> for Func
        where
            Func: Fn($($arg,)* $last) -> Fut + Send + Sync + 'static,
            Fut: Future + Send + 'static,
            Fut::Output: $output,
            $($arg: FromDelivery,)*
            $last: FromDelivery,
        {
            fn erase(self) -> ErasedCall {
                let function = Arc::new(self);
                Arc::new(move |delivery: Delivery| {
                    let function = Arc::clone(&function);
                    Box::pin(async move {
                        #[allow(non_snake_case)]
                        let ($($arg,)*) = ($($arg::from_delivery(&delivery).await?,)*);
                        #[allow(non_snake_case)]
                        let $last = $last::from_delivery_owned(delivery).await?;
                        $convert(function($($arg,)* $last).await)
                    })
                })
            }

            fn checks() -> Vec<ArgCheck> {
                vec![$(<$arg as FromDelivery>::check,)* <$last as FromDelivery>::check]
            }
        }
    };
}

macro_rules! impl_handler_fns {
    ([$($arg:ident),*] $last:ident) => {
        impl_handler_fn!(WebhookFn, WebhookOutput, webhook_result; [$($arg),*] $last);
        impl_handler_fn!(ActionFn, ActionOutput, action_result; [$($arg),*] $last);
    };
}

impl_handler_fns!([] A1);
impl_handler_fns!([A1] A2);
impl_handler_fns!([A1, A2] A3);
impl_handler_fns!([A1, A2, A3] A4);
impl_handler_fns!([A1, A2, A3, A4] A5);
impl_handler_fns!([A1, A2, A3, A4, A5] A6);
impl_handler_fns!([A1, A2, A3, A4, A5, A6] A7);
impl_handler_fns!([A1, A2, A3, A4, A5, A6, A7] A8);
