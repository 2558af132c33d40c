//! `frameio-kit manifest --exec PROGRAM`: the program is this test binary itself, which acts
//! as an app binary when run with `FRAMEIO_KIT_PRINT_MANIFEST=1` (it calls
//! `frameio_kit::manifest::print_if_requested` first thing, as an app's `main` would).
//! A custom harness (`harness = false`) so the child prints nothing but the manifest.
//!
//! Then the same against the real `quickstart` example binary. Cargo gives an integration
//! test the path of its own package's binaries only (`CARGO_BIN_EXE_*`), and artifact
//! dependencies, which would give another package's, are nightly-only; so the test asks cargo
//! itself: `cargo build -p quickstart --bin quickstart --message-format=json`, in this build's
//! target directory, and takes the `executable` of the `compiler-artifact` message. That is
//! the binary cargo just made up to date from the example's current source (what `escargot`
//! does, in a few lines), wherever the target directory is. The first run builds the
//! example with its own feature set; later runs find it fresh.

use std::path::PathBuf;
use std::process::{Command, Stdio};

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

    // The real quickstart binary: `frameio_kit::run()` prints the manifest when asked.
    let quickstart = quickstart_binary();
    let output = Command::new(env!("CARGO_BIN_EXE_frameio-kit"))
        .args(["manifest", "--exec"])
        .arg(&quickstart)
        .env_remove("WEBHOOK_SECRET")
        .env_remove("CUSTOM_ACTION_SECRET")
        .output()
        .expect("the frameio-kit binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    let printed = Manifest::from_json(&stdout).expect("a manifest");
    let expected = Manifest::from_json(QUICKSTART_MANIFEST).expect("the expected manifest");
    assert_eq!(printed, expected, "{stdout}");
    // And the same as the quickstart's handlers linked into this test.
    assert_eq!(printed, Manifest::from_handlers(&handlers));
    println!("test manifest_exec_runs_the_quickstart_binary ... ok");
}

/// What the quickstart declares (examples/quickstart/src/lib.rs), written out.
const QUICKSTART_MANIFEST: &str = r#"{
  "webhook_events": ["file.ready"],
  "actions": [
    {"event": "greet", "name": "Say hello", "description": "Greets whoever clicks"},
    {"event": "rename", "name": "Rename", "description": "Asks for a new name, then confirms"}
  ]
}"#;

/// Builds the quickstart example's binary with cargo and returns its path.
fn quickstart_binary() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // This test runs from <target>/<profile>/deps/.
    let me = std::env::current_exe().expect("own path");
    let target_dir = me
        .ancestors()
        .nth(3)
        .expect("the test binary lives in <target>/<profile>/deps")
        .to_owned();
    let mut command = Command::new(cargo);
    // Without the variables cargo sets for a test process (this package's name, manifest
    // dir…): build scripts that watch them would otherwise see another environment than the
    // outer build's, and each build would redo the other's work.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let set_by_cargo = [
            "CARGO_PKG_",
            "CARGO_BIN_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix))
            || [
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
            ]
            .contains(&name.as_ref());
        if set_by_cargo {
            command.env_remove(name.as_ref());
        }
    }
    let output = command
        .args([
            "build",
            "-p",
            "quickstart",
            "--bin",
            "quickstart",
            "--message-format=json-render-diagnostics",
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "cargo build -p quickstart failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "quickstart")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo reported the quickstart executable")
}
