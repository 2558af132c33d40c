use super::*;
use crate::install::Installation;
use crate::install::{FieldValues, InstalledAction, InstalledWebhook};
use crate::manifest::Manifest;
use crate::manifest::ManifestAction;

const URL: &str = "https://app.example.com/";

fn webhook(id: &str, name: &str, url: &str, events: &[&str]) -> Webhook {
    Webhook {
        id: id.into(),
        name: name.into(),
        url: url.into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        active: Some(true),
        ..Webhook::default()
    }
}

fn action(id: &str, event: &str, name: &str, url: &str) -> CustomAction {
    CustomAction {
        id: id.into(),
        event: event.into(),
        name: name.into(),
        description: "d".into(),
        url: url.into(),
        ..CustomAction::default()
    }
}

fn manifest() -> Manifest {
    Manifest::new()
        .webhook_events(["file.ready", "comment.created"])
        .action(ManifestAction::new("rename", "Rename", "d"))
}

#[test]
fn an_empty_workspace_gets_everything() {
    let plan = Plan::between(&Desired::from_manifest(&manifest(), URL, "kit"), &[], &[]);
    assert_eq!(plan.changes.len(), 2);
    assert!(
        plan.to_string()
            .ends_with("Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged.\n")
    );
}

#[test]
fn a_matching_workspace_is_unchanged_and_drift_is_found() {
    let desired = Desired::from_manifest(&manifest(), URL, "kit");
    let hooks = [webhook(
        "w1",
        "kit",
        URL,
        &["file.ready", "comment.created"],
    )];
    let actions = [action("a1", "rename", "Rename", URL)];
    let plan = Plan::between(&desired, &hooks, &actions);
    assert!(plan.is_empty(), "{plan}");
    assert_eq!(plan.unchanged, 2);

    // Re-pointed webhook with an event removed, a renamed action, a stray action at our
    // URL, a duplicate webhook by name, someone else's action.
    let hooks = [
        webhook("w1", "kit", "https://elsewhere/", &["file.ready"]),
        webhook("w2", "kit", "https://third/", &["file.ready"]),
    ];
    let actions = [
        action("a1", "rename", "Renamed by hand", URL),
        action("a2", "old", "Old", URL),
        action("a3", "theirs", "Theirs", "https://other/"),
    ];
    let text = Plan::between(&desired, &hooks, &actions).to_string();
    assert_eq!(
        text,
        "~ webhook \"kit\" [w1]: url https://elsewhere/ → https://app.example.com/; events +comment.created\n\
         - webhook \"kit\" [w2] → https://third/\n\
         ~ action rename [a1]: name \"Renamed by hand\" → \"Rename\"\n\
         - action \"Old\" (old) [a2]\n\
         Plan: 0 to create, 2 to update, 2 to delete, 0 unchanged.\n"
    );
}

#[test]
fn no_event_types_delete_the_webhook() {
    let manifest = Manifest::new().action(ManifestAction::new("rename", "Rename", "d"));
    let desired = Desired::from_manifest(&manifest, URL, "kit");
    let hooks = [webhook("w1", "kit", URL, &["file.ready"])];
    let actions = [action("a1", "rename", "Rename", URL)];
    let plan = Plan::between(&desired, &hooks, &actions);
    assert_eq!(plan.counts(), (0, 0, 1));
    assert!(Plan::between(&desired, &[], &actions).is_empty());
}

#[test]
fn a_record_is_matched_by_id_only() {
    let record = Installation {
        account_id: "a".into(),
        workspace_id: "w".into(),
        webhook: Some(InstalledWebhook {
            id: "w1".into(),
            url: URL.into(),
            events: vec!["file.ready".into()],
            secret: "s".into(),
            retiring: vec![],
        }),
        actions: vec![InstalledAction {
            id: "a1".into(),
            event: "rename".into(),
            name: "Rename".into(),
            description: "d".into(),
            url: URL.into(),
            secret: "s".into(),
            retiring: vec![],
        }],
        config: FieldValues::new(),
        installed_by: "u".into(),
        installed_at: 0,
        updated_at: 0,
    };
    let desired = Desired::from_installation(&record, "Acme");
    let hooks = [webhook("w1", "Acme", URL, &["file.ready"])];
    let actions = [action("a1", "rename", "Rename", URL)];
    assert!(Plan::between(&desired, &hooks, &actions).is_empty());
    // Another webhook at the same URL and a second `rename` action are not this one.
    let hooks = [webhook("w9", "Acme", URL, &["file.ready"])];
    let actions = [action("a9", "rename", "Rename", URL)];
    let plan = Plan::between(&desired, &hooks, &actions);
    assert_eq!(plan.counts(), (2, 0, 0), "{plan}");
    assert!(matches!(
        &plan.changes[0],
        PlanChange::CreateWebhook { replaces: Some(id), .. } if id == "w1"
    ));
    // A deleted action counts as missing; a deactivated webhook is patched.
    let mut hook = webhook("w1", "Acme", URL, &["file.ready"]);
    hook.active = Some(false);
    let mut gone = action("a1", "rename", "Rename", URL);
    gone.deleted_at = Some("2026-01-01T00:00:00Z".into());
    let plan = Plan::between(&desired, &[hook], &[gone]);
    assert_eq!(
        plan.to_string(),
        "~ webhook \"Acme\" [w1]: inactive → active\n\
         + action \"Rename\" (rename) → https://app.example.com/\n\
         Plan: 1 to create, 1 to update, 0 to delete, 0 unchanged.\n"
    );
}

#[test]
fn adopting_keeps_only_what_the_record_names() {
    // No record: nothing is taken over (its secret is unknown); leftovers at the URL or with
    // the name are replaced; someone else's action stays.
    let desired = Desired::adopting(&manifest(), URL, "kit", None);
    let hooks = [
        webhook("w1", "kit", URL, &["file.ready", "comment.created"]),
        webhook("w2", "other", "https://other/", &["file.ready"]),
    ];
    let actions = [
        action("a1", "rename", "Rename", URL),
        action("a3", "theirs", "Theirs", "https://other/"),
    ];
    let plan = Plan::between(&desired, &hooks, &actions);
    assert_eq!(
        plan.to_string(),
        "+ webhook \"kit\" → https://app.example.com/ (2 event types: comment.created, file.ready)\n\
         - webhook \"kit\" [w1] → https://app.example.com/\n\
         + action \"Rename\" (rename) → https://app.example.com/\n\
         - action \"Rename\" (rename) [a1]\n\
         Plan: 2 to create, 0 to update, 2 to delete, 0 unchanged.\n"
    );

    // A record naming w1 and a1: both kept (and patched); a second webhook at the URL and a
    // second `rename` action are leftovers.
    let record = Installation {
        account_id: "a".into(),
        workspace_id: "w".into(),
        webhook: Some(InstalledWebhook {
            id: "w1".into(),
            url: URL.into(),
            events: vec!["file.ready".into()],
            secret: "s".into(),
            retiring: vec![],
        }),
        actions: vec![InstalledAction {
            id: "a1".into(),
            event: "rename".into(),
            name: "Rename".into(),
            description: "d".into(),
            url: URL.into(),
            secret: "s".into(),
            retiring: vec![],
        }],
        config: FieldValues::new(),
        installed_by: "u".into(),
        installed_at: 0,
        updated_at: 0,
    };
    let desired = Desired::adopting(&manifest(), URL, "kit", Some(&record));
    let hooks = [
        webhook("w1", "kit", URL, &["file.ready"]),
        webhook("w9", "kit", URL, &["file.ready"]),
    ];
    let actions = [
        action("a1", "rename", "Rename", URL),
        action("a9", "rename", "Rename", URL),
    ];
    let plan = Plan::between(&desired, &hooks, &actions);
    assert_eq!(
        plan.to_string(),
        "~ webhook \"kit\" [w1]: events +comment.created\n\
         - webhook \"kit\" [w9] → https://app.example.com/\n\
         - action \"Rename\" (rename) [a9]\n\
         Plan: 0 to create, 1 to update, 2 to delete, 1 unchanged.\n"
    );
    // Matching exactly: nothing to do.
    let hooks = [webhook(
        "w1",
        "kit",
        URL,
        &["file.ready", "comment.created"],
    )];
    let plan = Plan::between(&desired, &hooks, &actions[..1]);
    assert!(plan.is_empty(), "{plan}");
}
