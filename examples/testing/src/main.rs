//! Serves the example's handlers. Set `TRANSCRIBE_SECRET`, `WEBHOOK_SECRET`, `FRAMEIO_TOKEN`
//! (for the API calls), and for user sign-in `ADOBE_CLIENT_ID`, `ADOBE_CLIENT_SECRET`,
//! `PUBLIC_BASE_URL` and `FRAMEIO_KIT_ENCRYPTION_KEY`.

// The linking rule: without a reference to the library, rustc drops it and its handlers.
use testing_example::{Jobs, Timing};

use frameio_kit::auth::UserAuth;

fn main() -> std::io::Result<()> {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    frameio_kit::App::from_registry()
        .state(Jobs::default())
        .middleware(Timing)
        .user_auth(
            UserAuth::builder(var("ADOBE_CLIENT_ID"), var("ADOBE_CLIENT_SECRET"))
                .public_base_url(var("PUBLIC_BASE_URL")),
        )
        .run()
}
