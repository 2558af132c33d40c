//! The frameio-kit side of the load benchmark: [`frameio_kit_bench::kit_app`] on
//! 127.0.0.1 (`--port`/`PORT`, `--workers`/`WORKERS`, default 8000 and 2), logging at `warn`;
//! `--ledger off`/`LEDGER=off` turns the replay ledger off (`App::without_replay_ledger`).

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
    }
    app.host("127.0.0.1")
        .port(settings.port)
        .workers(settings.workers)
        .run()
}
