//! Start-up problems arrive in one pass: handlers, secrets, state and the sign-in
//! configuration are all reported by the first `App::build`, and the key problem says how to
//! make a key from a shell. The message is compared whole: it is what a newcomer reads.

use frameio_kit::auth::UserAuth;
use frameio_kit::prelude::*;

struct Settings;

async fn on_ready(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

async fn with_settings(_event: WebhookEvent, _settings: State<Settings>) -> Result<()> {
    Ok(())
}

#[test]
fn every_problem_is_reported_by_the_first_build() {
    let err = App::new()
        // Nothing comes from the real environment: no secret, no key.
        .env_lookup(|_| None)
        .handler(Handler::webhook(["file.ready"], on_ready).function_name("my_app::on_ready"))
        .handler(
            Handler::webhook(["file.deleted"], with_settings)
                .function_name("my_app::with_settings")
                .secret("s"),
        )
        .user_auth(UserAuth::builder("", "client-secret").public_base_url("https://app.example"))
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "frameio-kit cannot start:
  - user sign-in needs an Adobe client id
  - user sign-in stores tokens encrypted, but no key is set: set `FRAMEIO_KIT_ENCRYPTION_KEY` \
(generate one with `frameio-kit keygen` or `openssl rand -base64 32`) or call \
`UserAuthBuilder::encryption_keys`
  - my_app::on_ready has no secret source (set `secret_env = \"NAME\"` on the handler, or \
`WEBHOOK_SECRET`): environment variable `WEBHOOK_SECRET` is not set
  - my_app::with_settings takes `State<startup::Settings>`, but no such state is registered \
(add it with `App::state`)"
    );
}

/// The install configuration and the queue join the same pass: `build` reports the install's
/// problems with the handlers' and sign-in's, and `build_and_connect` (what `serve` runs
/// before binding) adds the unreachable queue and store to the same list.
#[tokio::test]
async fn install_and_queue_problems_arrive_in_the_same_pass() {
    use frameio_kit::delivery::queue::QueueBackend;
    use frameio_kit::install::Install;
    use frameio_kit::store::MemoryStore;

    let app = || {
        App::new()
            .env_lookup(|_| None)
            .handler(Handler::webhook(["file.ready"], on_ready).function_name("my_app::on_ready"))
            .handler(
                Handler::webhook(["file.deleted"], on_ready)
                    .function_name("my_app::archive")
                    .secret("s")
                    .background(),
            )
            .user_auth(
                UserAuth::builder("", "client-secret").public_base_url("https://app.example"),
            )
            .install(
                Install::builder("Acme Archive", "ftp://acme.example")
                    .store_with_env_keys(std::sync::Arc::new(MemoryStore::new())),
            )
            .queue(QueueBackend::sqlite(
                "/nonexistent-frameio-kit-dir/queue.sqlite",
            ))
    };
    let sync = app().build().unwrap_err();
    let with_io = app().build_and_connect().await.unwrap_err();
    let expected_sync = "frameio-kit cannot start:
  - user sign-in needs an Adobe client id
  - user sign-in stores tokens encrypted, but no key is set: set `FRAMEIO_KIT_ENCRYPTION_KEY` \
(generate one with `frameio-kit keygen` or `openssl rand -base64 32`) or call \
`UserAuthBuilder::encryption_keys`
  - install: the install records are encrypted, but no key is set: set \
`FRAMEIO_KIT_ENCRYPTION_KEY` (generate one with `frameio-kit keygen` or `openssl rand -base64 32`)
  - install: public url \"ftp://acme.example\" must start with http:// or https://
  - my_app::on_ready has no secret source (set `secret_env = \"NAME\"` on the handler, or \
`WEBHOOK_SECRET`): environment variable `WEBHOOK_SECRET` is not set";
    assert_eq!(sync.to_string(), expected_sync);
    let io = with_io.to_string();
    assert!(io.starts_with(expected_sync), "{io}");
    let queue = &io[expected_sync.len()..];
    assert!(
        queue.starts_with("\n  - the background queue (sqlite) is unreachable: "),
        "{io}"
    );
    assert!(queue.contains("unable to open database file"), "{io}");
    assert_eq!(with_io.problems().len(), 6);
}

/// The sign-in token store and the replay ledger's store are probed with the queue and the
/// install store: two unreachable stores are two problems in one error.
#[tokio::test]
async fn unreachable_sign_in_and_replay_stores_are_reported_together() {
    use frameio_kit::store::SqliteStore;
    use std::sync::Arc;

    // Under a device file: no directory can be made there, not even by root (a missing
    // directory would be created by the store, and then exist for the other tests).
    let nowhere = |name: &str| format!("/dev/null/{name}.sqlite");
    let app = App::new()
        .env_lookup(|_| None)
        .handler(
            Handler::webhook(["file.ready"], on_ready)
                .function_name("my_app::on_ready")
                .secret("s"),
        )
        .user_auth(
            UserAuth::builder("client-id", "client-secret")
                .public_base_url("https://app.example")
                .encryption_keys(
                    frameio_kit::store::KeyRing::from_base64_list(
                        &frameio_kit::store::generate_key(),
                    )
                    .unwrap(),
                )
                .store(SqliteStore::new(nowhere("tokens"))),
        )
        .replay_store(Arc::new(SqliteStore::new(nowhere("ledger"))));
    let err = app.build_and_connect().await.unwrap_err();
    let text = err.to_string();
    assert_eq!(err.problems().len(), 2, "{text}");
    assert!(
        text.contains("\n  - the sign-in store is unreachable: "),
        "{text}"
    );
    assert!(
        text.contains("\n  - the replay ledger store is unreachable: "),
        "{text}"
    );
}
