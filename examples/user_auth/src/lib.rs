//! An action that acts as the user who clicked it: the first click asks them to sign in with
//! Adobe; afterwards the handler calls Frame.io with *their* token.
//!
//! Run it (see the README's "User sign-in" section for the production settings):
//!
//! ```sh
//! CUSTOM_ACTION_SECRET=… ADOBE_CLIENT_ID=… ADOBE_CLIENT_SECRET=… \
//! FRAMEIO_KIT_ENCRYPTION_KEY=$(openssl rand -base64 32) \
//! PUBLIC_BASE_URL=https://your-tunnel.example.com cargo run -p user-auth-example
//! ```

use frameio_kit::auth::{AfterSignIn, UserAuth, UserAuthBuilder, UserClient};
use frameio_kit::prelude::*;

/// Tells the user who Frame.io thinks they are — using their own token.
#[action(
    event = "whoami",
    name = "Who am I?",
    description = "Shows your Frame.io identity",
    require_user_auth
)]
pub async fn whoami(_event: ActionEvent, client: UserClient) -> Result<Message> {
    let me = client.users().me().await?;
    Ok(Message::new(
        "Hello",
        format!("You are {} <{}>.", me.name, me.email),
    ))
}

/// The sign-in configuration: Adobe credentials and the public URL of this app (an absolute
/// `https://` URL; the app refuses to start without one, rather than trusting request
/// headers to say where sign-in links point).
pub fn sign_in(client_id: &str, client_secret: &str, public_base_url: &str) -> UserAuthBuilder {
    UserAuth::builder(client_id, client_secret)
        .public_base_url(public_base_url)
        .on_auth_complete(|done| async move {
            tracing::info!(user = done.user_id(), "signed in; they can click again");
            Ok(AfterSignIn::page(
                "Signed in",
                "You are signed in. Go back to Frame.io and click \"Who am I?\" again.",
            ))
        })
}
