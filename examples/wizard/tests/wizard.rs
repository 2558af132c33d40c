//! The wizard over the real SQLite store: three steps, an invalid answer on the way, state
//! surviving a restart of the app between steps, and an interaction forgotten once done.

// Links the library so its #[action] registration is in this test binary.
use wizard as _;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use frameio_kit::forms::{ActionForm, StepStore};
use frameio_kit::store::{SqliteStore, Store};
use frameio_kit_testing::{TestApp, TestError, action_event};
use serde_json::json;
use wizard::{Details, Recipient, Wizard};

fn db_path(name: &str) -> PathBuf {
    std::env::temp_dir()
        .join(format!(
            "fk-wizard-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ))
        .join(format!("{name}.sqlite"))
}

fn app(path: &Path) -> TestApp {
    TestApp::from_registry().state(wizard::step_store(path.to_str().expect("UTF-8 path")))
}

#[tokio::test]
async fn three_steps_over_sqlite_with_an_invalid_answer_and_a_restart() -> Result<(), TestError> {
    let path = db_path("steps");
    let first = app(&path);

    // Step 1: the first click shows the recipient form.
    let click = action_event("deliver")
        .interaction_id("int-1")
        .resource_id("clip.mov");
    let reply = first.deliver(click).await?;
    assert_eq!(reply.form()?.title, "Deliver (1/3)");
    assert_eq!(
        reply.body(),
        serde_json::to_vec(&Recipient::form())
            .expect("JSON")
            .as_slice()
    );

    // An invalid answer: the same form, the error shown, nothing stored.
    let form = reply.form()?;
    let again = form
        .submit(json!({"client": "", "kind": "download"}))
        .await?
        .form()?;
    assert_eq!(again.field("client")?.label, "Client — required");
    assert_eq!(again.field("kind")?.value_str(), Some("download"));

    // Step 2 depends on step 1's answers.
    let details = again
        .submit(json!({"client": "ACME", "kind": "download"}))
        .await?
        .form()?;
    assert_eq!(details.title, "Deliver (2/3)");
    assert_eq!(details.description, "Details of the delivery to ACME");
    assert_eq!(
        details.field("title")?.value_str(),
        Some("clip.mov for ACME")
    );
    assert_eq!(details.field("expires_days")?.value_str(), Some("30"));

    // The state is in the SQLite file: a new app over the same file serves the next step.
    drop(first);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::new(&path));
    let saved: Wizard = StepStore::from_arc(Arc::clone(&store))
        .load("deliver", "int-1")
        .await
        .expect("store")
        .expect("state saved");
    assert_eq!(saved.recipient.expect("step 1").client, "ACME");
    let second = app(&path);
    let details = {
        // Re-issue the same form from the restarted app (same interaction).
        let reply = second
            .deliver(
                action_event("deliver")
                    .interaction_id("int-1")
                    .resource_id("clip.mov")
                    .data(json!({"title": "Final cut", "expires_days": "120"})),
            )
            .await?;
        let invalid = reply.form()?;
        assert_eq!(
            invalid.field("expires_days")?.label,
            "Expires after (days) — must be between 1 and 90"
        );
        assert_eq!(invalid.field("title")?.value_str(), Some("Final cut"));
        invalid
    };

    // Step 3: confirm, which must be checked.
    let confirm = details
        .submit(json!({"expires_days": "14", "note": "Thanks!"}))
        .await?
        .form()?;
    assert_eq!(
        confirm.description,
        "Send \"Final cut\", expiring in 14 days?"
    );
    let unchecked = confirm.submit(json!({"confirm": false})).await?.form()?;
    assert_eq!(
        unchecked.field("confirm")?.label,
        "Send it — must be checked"
    );
    let done = unchecked
        .submit(json!({"confirm": "on"}))
        .await?
        .message()?;
    assert_eq!(
        done.description,
        "\"Final cut\" is on its way to ACME (download, 14 days)."
    );

    // The interaction is over: its state is gone.
    let left: Option<Wizard> = StepStore::from_arc(store)
        .load("deliver", "int-1")
        .await
        .expect("store");
    assert!(left.is_none());
    let _ = std::fs::remove_dir_all(path.parent().expect("a directory"));
    Ok(())
}

#[tokio::test]
async fn interactions_do_not_share_state() -> Result<(), TestError> {
    let path = db_path("separate");
    let app = app(&path);
    let a = app
        .deliver(action_event("deliver").interaction_id("a"))
        .await?
        .form()?;
    a.submit(json!({"client": "Alpha"})).await?.form()?;
    // Another interaction's submit starts at step 1, not at Alpha's step 2.
    let b = app
        .deliver(
            action_event("deliver")
                .interaction_id("b")
                .data(json!({"client": "Beta", "kind": "review"})),
        )
        .await?
        .form()?;
    assert_eq!(b.description, "Details of the delivery to Beta");
    assert_eq!(b.field("expires_days")?.value_str(), Some("7"));
    let _ = std::fs::remove_dir_all(path.parent().expect("a directory"));
    Ok(())
}

#[tokio::test]
async fn step_state_expires() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::new(db_path("ttl")));
    let steps = StepStore::from_arc(Arc::clone(&store)).ttl(std::time::Duration::from_millis(50));
    let details = Details {
        title: "t".into(),
        expires_days: 1,
        note: None,
    };
    steps.save("deliver", "i", &details).await.expect("saved");
    assert!(
        store
            .get("forms:steps:deliver:i")
            .await
            .expect("get")
            .is_some()
    );
    tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    let gone: Option<Details> = steps.load("deliver", "i").await.expect("store");
    assert!(gone.is_none());
    assert_eq!(StepStore::DEFAULT_TTL.as_secs(), 15 * 60);
}
