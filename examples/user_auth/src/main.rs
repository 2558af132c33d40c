//! Serves the user sign-in example (see the crate docs).

use user_auth_example as _;

fn main() -> std::io::Result<()> {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let Ok(public_base_url) = std::env::var("PUBLIC_BASE_URL") else {
        eprintln!(
            "set PUBLIC_BASE_URL to the https URL Frame.io and browsers reach this app at \
             (e.g. your tunnel's URL)"
        );
        std::process::exit(2);
    };
    frameio_kit::App::from_registry()
        .user_auth(user_auth_example::sign_in(
            &var("ADOBE_CLIENT_ID"),
            &var("ADOBE_CLIENT_SECRET"),
            &public_base_url,
        ))
        .run()
}
