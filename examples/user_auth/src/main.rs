//! Serves the user sign-in example (see the crate docs).

use user_auth_example as _;

fn main() -> std::io::Result<()> {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    frameio_kit::App::from_registry()
        .user_auth(user_auth_example::sign_in(
            &var("ADOBE_CLIENT_ID"),
            &var("ADOBE_CLIENT_SECRET"),
            &var("PUBLIC_BASE_URL"),
        ))
        .run()
}
