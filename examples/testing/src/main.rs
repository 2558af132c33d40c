//! Serves the example's handlers (`TRANSCRIBE_SECRET` and `WEBHOOK_SECRET` must be set).

// The linking rule: without a reference to the library, rustc drops it and its handlers.
use testing_example::{Jobs, Timing};

fn main() -> std::io::Result<()> {
    frameio_kit::App::from_registry()
        .state(Jobs::default())
        .middleware(Timing)
        .run()
}
