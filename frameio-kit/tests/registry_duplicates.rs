//! `serve()` refuses to start, before binding, when two handlers claim one event type.

use frameio_kit::StartupProblem;
use frameio_kit::prelude::*;

#[webhook("file.ready")]
async fn first(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[webhook("file.ready", "file.created")]
async fn second(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[action(event = "file.created", name = "Clash")]
async fn third(_event: ActionEvent) -> Result<()> {
    Ok(())
}

#[tokio::test]
async fn duplicates_are_refused_naming_every_handler() {
    // Every secret variable resolves, so only the duplicates are wrong.
    let err = App::from_registry()
        .env_lookup(|name| Some(format!("secret-for-{name}")))
        .build()
        .unwrap_err();
    let duplicate = |event: &str, handlers: [&str; 2]| StartupProblem::DuplicateEvent {
        event: event.to_owned(),
        handlers: handlers.map(str::to_owned).to_vec(),
    };
    assert_eq!(
        err.problems(),
        &[
            duplicate(
                "file.created",
                ["registry_duplicates::second", "registry_duplicates::third"]
            ),
            duplicate(
                "file.ready",
                ["registry_duplicates::first", "registry_duplicates::second"]
            ),
        ],
        "{err}"
    );
}

#[tokio::test]
async fn serve_returns_the_error_instead_of_binding() {
    // The same registry through the real entry point: an error, and no port bound.
    let err = frameio_kit::serve().await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("more than one handler"), "{err}");
}
