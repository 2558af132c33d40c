//! Serves the middleware example (see the crate docs).

fn main() -> std::io::Result<()> {
    let allowed = std::env::var("ALLOWED_ACCOUNTS").unwrap_or_default();
    middleware_example::app(&allowed).run()
}
