//! What taking a `UserClient` costs per click once the user is signed in: the same action
//! dispatched in-process with and without it (and with `UserToken` alone), warm cache.
//!
//! `cargo bench -p frameio-kit-bench --bench userclient` (under `cargo test` each runs once,
//! as a smoke test). Bound (issue #17): the `UserClient` click costs < 20 µs more than the
//! plain one.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use frameio_kit::auth::{UserAuth, UserClient, UserToken};
use frameio_kit::prelude::*;
use frameio_kit::signature::SigningKey;
use frameio_kit::store::{EncryptionKey, KeyRing};
use frameio_kit::{Headers, Service};
use frameio_kit_testing::MockIms;
use frameio_kit_testing::mock_ims::{CLIENT_ID, CLIENT_SECRET};
use frameio_kit_testing::signin::SignInExt as _;

const SECRET: &str = "bench-action-secret";
const USER: &str = "bench-user";

async fn plain(event: ActionEvent) -> Result<Message> {
    Ok(Message::new("Done", event.user_id().to_owned()))
}

async fn with_token(event: ActionEvent, token: UserToken) -> Result<Message> {
    black_box(token.access_token());
    Ok(Message::new("Done", event.user_id().to_owned()))
}

async fn with_client(event: ActionEvent, client: UserClient) -> Result<Message> {
    black_box(&client);
    Ok(Message::new("Done", event.user_id().to_owned()))
}

fn service(ims: &MockIms) -> Service {
    App::new()
        .user_auth(
            UserAuth::builder(CLIENT_ID, CLIENT_SECRET)
                .ims_base_url(ims.base_url())
                .public_base_url("https://hooks.example.com")
                .verify_frameio_user(false)
                .encryption_keys(KeyRing::single(EncryptionKey::from_bytes([1; 32])))
                .memory_store(),
        )
        .handler(Handler::action("bench.plain", plain).secret(SECRET))
        .handler(
            Handler::action("bench.token", with_token)
                .require_user_auth()
                .secret(SECRET),
        )
        .handler(
            Handler::action("bench.client", with_client)
                .require_user_auth()
                .secret(SECRET),
        )
        .build()
        .expect("the bench app is valid")
}

fn click(event_type: &str) -> (Headers, Bytes) {
    let body = serde_json::json!({
        "account_id": "acc", "action_id": "act", "interaction_id": "int",
        "project": {"id": "p"}, "resource": {"id": "r", "type": "file"},
        "type": event_type, "user": {"id": USER}, "workspace": {"id": "w"}
    })
    .to_string();
    // Real time: the receiver checks the timestamp against the system clock.
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
        .to_string();
    let signature = SigningKey::new(SECRET).sign(&timestamp, body.as_bytes());
    let mut headers = Headers::new();
    headers.insert("content-type", "application/json");
    headers.insert("x-frameio-request-timestamp", timestamp.as_str());
    headers.insert("x-frameio-signature", signature.as_str());
    (headers, Bytes::from(body))
}

fn bench_userclient(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let ims = runtime
        .block_on(MockIms::start())
        .expect("the mock IMS starts");
    let service = service(&ims);
    runtime
        .block_on(service.sign_in(&ims, USER))
        .expect("the bench user signs in");
    let mut group = c.benchmark_group("userclient");
    for (name, event_type) in [
        ("plain", "bench.plain"),
        ("user_token", "bench.token"),
        ("user_client", "bench.client"),
    ] {
        let (headers, body) = click(event_type);
        // Warm the cache (the first click reads and decrypts the store).
        let reply = runtime.block_on(service.dispatch(headers.clone(), body.clone()));
        assert_eq!(reply.status(), 200, "{reply:?}");
        assert!(
            reply.body_text().contains("\"Done\""),
            "the handler ran: {reply:?}"
        );
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(service.dispatch(headers.clone(), body.clone())))
        });
    }
    group.finish();
    runtime.block_on(ims.stop());
}

criterion_group!(benches, bench_userclient);
criterion_main!(benches);
