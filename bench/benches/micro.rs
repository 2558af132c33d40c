//! Micro-benchmarks of the hot path: signature verification and one in-process dispatch.
//!
//! `cargo bench -p frameio-kit-bench` (under `cargo test` each runs once, as a smoke test).

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use frameio_kit::Headers;
use frameio_kit::dispatch::FixedClock;
use frameio_kit::signature::{self, DEFAULT_TOLERANCE, SigningKey};
use frameio_kit_bench::{ACTION_SECRET, delivery, kit_app};

const NOW: i64 = 1_700_000_000;

fn bench_verify(c: &mut Criterion) {
    let keys = [SigningKey::new("bench-secret")];
    let timestamp = NOW.to_string();
    let mut group = c.benchmark_group("verify");
    for (name, size) in [("1KiB", 1024), ("64KiB", 64 * 1024)] {
        let body: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
        let sig = keys[0].sign(&timestamp, &body);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                signature::verify(
                    black_box(&keys),
                    black_box(&timestamp),
                    Some(black_box(sig.as_bytes())),
                    black_box(&body),
                    NOW,
                    DEFAULT_TOLERANCE,
                )
            })
        });
    }
    group.finish();
}

fn bench_dispatch(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    let service = kit_app()
        .clock(FixedClock(NOW))
        .build()
        .expect("the bench app is valid");
    let timestamp = NOW.to_string();
    let mut group = c.benchmark_group("dispatch");
    // Delivery 0 is a webhook, delivery 3 an action click (see `delivery`).
    for (name, n) in [("webhook", 0), ("action", 3)] {
        let d = delivery(n);
        let signature = SigningKey::new(d.secret).sign(&timestamp, d.body.as_bytes());
        let mut headers = Headers::new();
        headers.insert("content-type", "application/json");
        headers.insert("x-frameio-request-timestamp", timestamp.as_str());
        headers.insert("x-frameio-signature", signature.as_str());
        let body = Bytes::from(d.body);
        let expected_json = d.secret == ACTION_SECRET;
        let future = service.dispatch(headers.clone(), body.clone());
        // Every delivery's future is boxed by actix; glibc is slower past 1 KiB (see
        // PERFORMANCE.md). Meaningful in the bench profile only.
        eprintln!(
            "Service::dispatch future: {} bytes",
            std::mem::size_of_val(&future)
        );
        let reply = runtime.block_on(future);
        assert_eq!(reply.status(), 200, "{reply:?}");
        assert_eq!(reply.is_json(), expected_json, "{reply:?}");
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(service.dispatch(headers.clone(), body.clone())))
        });
        // The same request again and again is a replay after the first: measure the full
        // path with the replay ledger off too (its cost is `overhead/replay_ledger`).
        let fresh = kit_app()
            .clock(FixedClock(NOW))
            .without_replay_ledger()
            .build()
            .expect("the bench app is valid");
        group.bench_function(format!("{name}_no_ledger"), |b| {
            b.iter(|| runtime.block_on(fresh.dispatch(headers.clone(), body.clone())))
        });
    }
    group.finish();
}

/// The two per-delivery costs the bare yardstick does not pay: copying the request headers
/// into [`Headers`] (done by the HTTP adapter) and cloning the parsed event for the handler's
/// argument (done by the extractor).
fn bench_overheads(c: &mut Criterion) {
    let timestamp = NOW.to_string();
    let d = delivery(0);
    let signature = SigningKey::new(d.secret).sign(&timestamp, d.body.as_bytes());
    let wire: [(&str, &[u8]); 6] = [
        ("host", b"127.0.0.1:8000"),
        ("content-length", b"315"),
        ("content-type", b"application/json"),
        ("user-agent", b"Frame.io V4 API"),
        ("x-frameio-request-timestamp", timestamp.as_bytes()),
        ("x-frameio-signature", signature.as_bytes()),
    ];
    let mut group = c.benchmark_group("overhead");
    group.bench_function("headers_copy_6", |b| {
        b.iter(|| {
            // As the HTTP adapter does: size the buffer once, then copy.
            let wire = black_box(&wire);
            let bytes = wire.iter().map(|(n, v)| n.len() + v.len()).sum();
            let mut headers = Headers::with_capacity(wire.len(), bytes);
            for (name, value) in wire {
                headers.insert(name, *value);
            }
            headers
        })
    });
    let event: frameio_kit::WebhookEvent =
        serde_json::from_str(&d.body).expect("a valid webhook body");
    group.bench_function("webhook_event_clone", |b| {
        b.iter(|| black_box(&event).clone())
    });
    // What the replay ledger adds to a first delivery: one set-if-absent and one answer.
    let ledger = frameio_kit::delivery::MemoryLedger::new();
    let ttl = std::time::Duration::from_secs(300);
    let answer = frameio_kit::delivery::StoredAnswer::ok();
    let mut n = 0_u64;
    group.bench_function("replay_ledger", |b| {
        b.iter_batched(
            || {
                n += 1;
                frameio_kit::delivery::LedgerKey::replay(&n.to_string(), signature.as_bytes())
            },
            |key| {
                ledger.begin_now(&key, ttl);
                ledger.finish_now(&key, &answer, ttl);
            },
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// A 1 MiB action body: the event fields, then a form `data` map of many small values.
fn one_mib_action(event_type: &str) -> Vec<u8> {
    let mut body = format!(
        r#"{{"account_id":"acc","action_id":"act","interaction_id":"int","project":{{"id":"p"}},"resource":{{"id":"r","type":"file"}},"type":"{event_type}","user":{{"id":"u"}},"workspace":{{"id":"w"}},"data":{{"#
    )
    .into_bytes();
    let mut i = 0;
    while body.len() < 1024 * 1024 - 64 {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(
            format!(r#""field_{i}":{{"value":{i},"label":"some text"}}"#).as_bytes(),
        );
        i += 1;
    }
    body.extend_from_slice(b"}}");
    body
}

/// What refusing costs (issue #11, defect 5): a forged 1 MiB action (valid shape, wrong
/// signature: 401) against the same body for an unknown type (404). The bound: at most 2×.
fn bench_refusals(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    let service = kit_app()
        .body_limit(2 * 1024 * 1024)
        .clock(FixedClock(NOW))
        .build()
        .expect("the bench app is valid");
    let timestamp = NOW.to_string();
    let mut group = c.benchmark_group("refuse_1MiB");
    group.sample_size(30);
    for (name, event_type, status) in [
        ("unknown_type_404", "no.such.type", 404),
        ("forged_action_401", frameio_kit_bench::ACTION_EVENT, 401),
    ] {
        let body = Bytes::from(one_mib_action(event_type));
        let signature = SigningKey::new("not-the-secret").sign(&timestamp, &body);
        let mut headers = Headers::new();
        headers.insert("content-type", "application/json");
        headers.insert("x-frameio-request-timestamp", timestamp.as_str());
        headers.insert("x-frameio-signature", signature.as_str());
        let reply = runtime.block_on(service.dispatch(headers.clone(), body.clone()));
        assert_eq!(reply.status(), status, "{reply:?}");
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(service.dispatch(headers.clone(), body.clone())))
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    bench_verify,
    bench_dispatch,
    bench_overheads,
    bench_refusals
);
criterion_main!(benches);
