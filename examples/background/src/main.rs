//! Serves the receiver on http://127.0.0.1:8000/ with the workers in the same process
//! (`WORKER_ONLY=1` runs only workers, against the same queue). `QUEUE_PATH` (default
//! `background.db`) holds the jobs and the results. SIGINT/SIGTERM stops taking jobs;
//! running ones finish, the rest run at the next start.

fn main() -> std::io::Result<()> {
    let path = std::env::var("QUEUE_PATH").unwrap_or_else(|_| "background.db".to_owned());
    let app = background::app(path.as_ref(), std::time::Duration::from_secs(3));
    if std::env::var("WORKER_ONLY").is_ok_and(|v| v == "1") {
        app.run_worker()
    } else {
        app.run()
    }
}
