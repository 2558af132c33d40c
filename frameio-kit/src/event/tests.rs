//! Unit tests of the event types.

use super::*;
use serde::Deserialize;
use serde_json::Value;
use serde_json::json;

fn action_with(data: Value) -> ActionEvent {
    let mut body = json!({
        "account_id": "a", "action_id": "b", "interaction_id": "c",
        "project": {"id": "p"}, "resource": {"id": "r", "type": "file"},
        "type": "t", "user": {"id": "u"}, "workspace": {"id": "w"}
    });
    body["data"] = data;
    serde_json::from_value(body).unwrap()
}

#[test]
fn resource_types_round_trip_and_keep_unknown_values() {
    for (wire, ty) in [
        ("file", ResourceType::File),
        ("folder", ResourceType::Folder),
        ("version_stack", ResourceType::VersionStack),
        ("comment", ResourceType::Other("comment".into())),
    ] {
        let parsed: ResourceType = serde_json::from_value(json!(wire)).unwrap();
        assert_eq!(parsed, ty);
        assert_eq!(serde_json::to_value(&parsed).unwrap(), json!(wire));
        assert_eq!(ResourceType::from(wire.to_owned()), ty);
    }
}

#[test]
fn webhook_requires_its_model_fields() {
    let missing_user = json!({
        "account": {"id": "a"}, "project": {"id": "p"},
        "resource": {"id": "r", "type": "file"}, "type": "file.ready",
        "workspace": {"id": "w"}
    });
    assert!(serde_json::from_value::<WebhookEvent>(missing_user).is_err());
}

#[test]
fn first_click_has_no_form() {
    let event = action_with(json!(null)).with_data(None);
    assert!(!event.is_form_submit());
    assert!(matches!(event.form::<Value>(), Err(FormError::NoData)));
}

#[test]
fn checkboxes_are_parsed_leniently() {
    #[derive(Deserialize)]
    struct F {
        a: bool,
        b: bool,
        c: bool,
        d: bool,
        e: bool,
        f: bool,
    }
    let event = action_with(json!({
        "a": true, "b": "true", "c": "on", "d": "off", "e": "", "f": 1
    }));
    let f: F = event.form().unwrap();
    assert!(f.a && f.b && f.c && !f.d && !f.e && f.f);
}

#[test]
fn bad_checkbox_value_is_an_error_naming_the_value() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct F {
        a: bool,
    }
    let err = action_with(json!({"a": "maybe"})).form::<F>().unwrap_err();
    assert!(err.to_string().contains("maybe"), "{err}");
}

#[test]
fn numbers_strings_options_and_lists_are_lenient() {
    #[derive(Deserialize)]
    struct F {
        n: u32,
        x: f64,
        s: String,
        t: String,
        o: Option<String>,
        p: Option<u8>,
        list: Vec<bool>,
        #[serde(default)]
        missing: Option<String>,
    }
    let event = action_with(json!({
        "n": " 42 ", "x": "1.5", "s": 7, "t": false, "o": "", "p": "3",
        "list": ["on", false], "extra": "ignored"
    }));
    let f: F = event.form().unwrap();
    assert_eq!(f.n, 42);
    assert_eq!(f.x, 1.5);
    assert_eq!(f.s, "7");
    assert_eq!(f.t, "false");
    assert_eq!(f.o, None);
    assert_eq!(f.p, Some(3));
    assert_eq!(f.list, vec![true, false]);
    assert_eq!(f.missing, None);
}

#[test]
fn non_numeric_string_for_number_is_an_error() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct F {
        n: u32,
    }
    assert!(action_with(json!({"n": "many"})).form::<F>().is_err());
}
