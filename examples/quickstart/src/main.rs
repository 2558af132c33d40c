//! Serves the quickstart handlers on http://127.0.0.1:8000/ (see the README).

// Links the library so its #[webhook]/#[action] registrations are kept.
use quickstart as _;

fn main() -> std::io::Result<()> {
    frameio_kit::run()
}
