//! Serves the wizard on http://127.0.0.1:8000/ with its step state in `WIZARD_DB`
//! (default `wizard.db`).

// Links the library so its #[action] registration is kept.
use wizard as _;

fn main() -> std::io::Result<()> {
    let path = std::env::var("WIZARD_DB").unwrap_or_else(|_| "wizard.db".to_owned());
    wizard::app(&path).run()
}
