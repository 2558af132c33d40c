//! The frameio-kit side of the load benchmark: [`frameio_kit_bench::kit_app`] on
//! 127.0.0.1 (`--port`/`PORT`, `--workers`/`WORKERS`, default 8000 and 2), logging at `warn`.

fn main() -> std::io::Result<()> {
    let settings =
        frameio_kit_bench::Settings::from_env_and_args().map_err(std::io::Error::other)?;
    // Installed before `App::run`, which then keeps it: no per-delivery `info` lines.
    frameio_kit_bench::quiet_logging();
    frameio_kit_bench::kit_app()
        .host("127.0.0.1")
        .port(settings.port)
        .workers(settings.workers)
        .run()
}
