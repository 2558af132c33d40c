//! The frameio-kit side of the load benchmark: [`frameio_kit_bench::kit_app`] on
//! 127.0.0.1 (`--port`/`PORT`, `--workers`/`WORKERS`, default 8000 and 2), logging at `warn`;
//! `--ledger off`/`LEDGER=off` turns the replay ledger off (`App::without_replay_ledger`).
//! With `LEDGER_REDIS_URL` set (and the ledger on) the replay ledger is a `StoreLedger` in that
//! Redis (`App::replay_store`) instead of the in-memory one; that needs the bench crate's
//! `redis` feature (bench/run.sh and bench/callgrind.sh build with it for `LEDGER=redis`).

fn main() -> std::io::Result<()> {
    let settings =
        frameio_kit_bench::Settings::from_env_and_args().map_err(std::io::Error::other)?;
    // Installed before `App::run`, which then keeps it: no per-delivery `info` lines. With
    // `FRAMEIO_KIT_BENCH_LOG` set (bench/run.sh's `LOG`), `App::run` installs the kit's
    // default logging instead, filtered by `RUST_LOG`: the quickstart's configuration.
    if std::env::var_os("FRAMEIO_KIT_BENCH_LOG").is_none_or(|v| v == "warn") {
        frameio_kit_bench::quiet_logging();
    }
    let mut app = frameio_kit_bench::kit_app();
    if !settings.ledger {
        app = app.without_replay_ledger();
    } else if let Some(url) = std::env::var_os("LEDGER_REDIS_URL") {
        app = redis_ledger(app, &url.to_string_lossy())?;
    }
    app.host("127.0.0.1")
        .port(settings.port)
        .workers(settings.workers)
        .run()
}

/// The app with its replay ledger in the Redis at `url`.
#[cfg(feature = "redis")]
fn redis_ledger(app: frameio_kit::App, url: &str) -> std::io::Result<frameio_kit::App> {
    let store = frameio_kit::store::RedisStore::new(url).map_err(std::io::Error::other)?;
    Ok(app.replay_store(std::sync::Arc::new(store)))
}

#[cfg(not(feature = "redis"))]
fn redis_ledger(_: frameio_kit::App, _: &str) -> std::io::Result<frameio_kit::App> {
    Err(std::io::Error::other(
        "LEDGER_REDIS_URL needs kit-server built with `--features redis`",
    ))
}
