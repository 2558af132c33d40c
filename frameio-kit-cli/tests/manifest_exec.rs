//! `frameio-kit manifest --exec PROGRAM`: the program is this test binary itself, which acts
//! as an app binary when run with `FRAMEIO_KIT_PRINT_MANIFEST=1` (it calls
//! `frameio_kit::manifest::print_if_requested` first thing, as an app's `main` would).
//! A custom harness (`harness = false`) so the child prints nothing but the manifest.

use std::process::Command;

use frameio_kit::manifest::{Manifest, print_if_requested};

// Links the quickstart's #[webhook]/#[action] registrations.
use quickstart as _;

fn main() {
    let handlers = frameio_kit::handler::registered();
    // In the child: prints the manifest and exits. In the test run: does nothing.
    print_if_requested(&handlers);

    let me = std::env::current_exe().expect("own path");
    let output = Command::new(env!("CARGO_BIN_EXE_frameio-kit"))
        .args(["manifest", "--exec"])
        .arg(&me)
        .output()
        .expect("the frameio-kit binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    let printed = Manifest::from_json(&stdout).expect("a manifest");
    assert_eq!(printed, Manifest::from_handlers(&handlers));
    assert_eq!(printed.webhook_events, ["file.ready"]);
    assert_eq!(printed.actions.len(), 2);
    assert_eq!(printed.actions[1].name, "Rename");
    println!("test manifest_exec_prints_the_app_manifest ... ok");

    // A program that is not a frameio-kit app: exit 1 with a hint.
    let output = Command::new(env!("CARGO_BIN_EXE_frameio-kit"))
        .args(["manifest", "--exec", "/bin/true"])
        .output()
        .expect("the frameio-kit binary runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("print_if_requested"), "{stderr}");
    println!("test manifest_exec_explains_a_program_that_prints_nothing ... ok");
}
