//! The API client as a handler argument.

use crate::error::{BoxError, ConfigurationError};
use crate::handler::{Delivery, FromDelivery, StartupContext};

use super::Client;

/// Take `Client` as a handler argument to call back into Frame.io with the app's client.
///
/// The client comes from [`App::client`](crate::App::client), or is built at start-up from
/// the `FRAMEIO_TOKEN` environment variable; a handler asking for it when neither is set is a
/// start-up error that names the handler.
///
/// ```
/// use frameio_kit::client::Client;
/// use frameio_kit::prelude::*;
///
/// #[webhook("file.ready")]
/// async fn on_ready(event: WebhookEvent, client: Client) -> Result<()> {
///     let file = client.files().show(event.account_id(), event.resource_id()).await?;
///     println!("{} is ready", file.name);
///     Ok(())
/// }
/// ```
impl FromDelivery for Client {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        match delivery.data().get::<Client>() {
            Some(client) => Ok(Client::clone(&client)),
            None => Err(ConfigurationError::new("no Frame.io API client is configured").into()),
        }
    }

    fn check(cx: &StartupContext<'_>) -> Result<(), crate::ArgumentProblem> {
        if cx.data.contains::<Client>() {
            Ok(())
        } else {
            Err(format!(
                "takes the Frame.io API `Client`, but none is configured: set `{}` or call `App::client`",
                super::TOKEN_ENV
            )
            .into())
        }
    }
}
