//! The example's manifest and wiring: one webhook, two actions, one install field, and an app
//! that builds with the per-installation secret resolver (no secret anywhere in the code).

use std::sync::Arc;

use frameio_kit::auth::ImsConfig;
use frameio_kit::store::{EncryptionKey, KeyRing, MemoryStore};
use install_example as app;

#[test]
fn manifest_and_app_build() {
    let kit = frameio_kit::App::from_registry();
    let manifest = kit.manifest();
    assert_eq!(manifest.webhook_events, ["file.ready"]);
    let actions: Vec<_> = manifest.actions.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(actions, ["Archive", "Archive status"]);
    let install = app::install(
        manifest,
        "https://acme.example.com",
        Arc::new(MemoryStore::new()),
        KeyRing::single(EncryptionKey::generate()),
        ImsConfig::new("client").with_client_secret("secret"),
    )
    .unwrap();
    assert_eq!(install.fields().len(), 1);
    assert_eq!(install.receiver_url(), "https://acme.example.com/");
    // The handlers have no secret: without the install wiring the app refuses to start
    // (unless WEBHOOK_SECRET / CUSTOM_ACTION_SECRET are set), with it the app builds.
    let no_env = |_: &str| None;
    assert!(
        frameio_kit::App::from_registry()
            .env_lookup(no_env)
            .build()
            .is_err()
    );
    install
        .register(frameio_kit::App::from_registry().env_lookup(no_env))
        .build()
        .expect("the installation secrets satisfy every handler");
}

/// `App::install` wires the install into the app and the built service serves its pages:
/// the landing page over real HTTP from the service `App::build` returns.
#[tokio::test]
async fn the_built_service_serves_the_install_pages() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let kit = frameio_kit::App::from_registry().env_lookup(|_: &str| None);
    let install = app::install(
        kit.manifest(),
        "https://acme.example.com",
        Arc::new(MemoryStore::new()),
        KeyRing::single(EncryptionKey::generate()),
        ImsConfig::new("client").with_client_secret("secret"),
    )
    .unwrap();
    let service = kit
        .install(install)
        .build()
        .expect("the install wiring builds");
    let server = service.start(("127.0.0.1", 0)).unwrap();
    let mut stream = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    stream
        .write_all(b"GET /install HTTP/1.1\r\nHost: acme.example.com\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("Acme Archive"), "{response}");
    server.stop(true).await.unwrap();
}
