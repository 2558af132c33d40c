use proptest::prelude::*;

use super::*;

fn event_type(body: &str) -> Result<String, String> {
    match inspect(body.as_bytes()) {
        Ok(inspected) => Ok(inspected.event_type.into_owned()),
        Err(Malformed::Json(message)) => Err(format!("json: {message}")),
        Err(Malformed::NotObject) => Err("not an object".into()),
        Err(Malformed::NoType) => Err("no type".into()),
    }
}

#[test]
fn reads_type_without_building_the_document() {
    assert_eq!(
        event_type(r#"{"a":[1,{"b":null}],"type":"file.ready","c":{}}"#),
        Ok("file.ready".into())
    );
    assert_eq!(event_type(r#"{"type":"a\u0062"}"#), Ok("ab".into()));
    assert_eq!(event_type(r#"{"\u0074ype":"x"}"#), Ok("x".into()));
    for no_type in [
        r#"{"type":7}"#,
        r#"{"type":{"x":1}}"#,
        r#"{"other":1}"#,
        r#"{"type":""}"#,
    ] {
        assert_eq!(event_type(no_type), Err("no type".into()), "{no_type}");
    }
    assert_eq!(event_type(r#"{"type":"a","type":"b"}"#), Ok("b".into()));
    for not_object in ["[1,2]", "\"x\"", "1", "true", "null", "1.5", "[]"] {
        assert_eq!(
            event_type(not_object),
            Err("not an object".into()),
            "{not_object}"
        );
    }
    for broken in ["", "{", "{\"type\":}", "[1,", "{} {}", "nope"] {
        assert!(
            event_type(broken).unwrap_err().starts_with("json: "),
            "{broken}"
        );
    }
}

#[test]
fn invalid_utf8_anywhere_is_refused_with_its_position() {
    let mut places = Vec::new();
    for template in [
        &b"{\"type\":\"file.ready\",\"x\":\"\xff\"}"[..],
        b"{\"type\":\"file.ready\",\"x\":{\"y\":[\"\xc3\x28\"]}}",
        b"{\"type\":\"file.ready\",\"\xfe\":1}",
        b"{\"type\":\"file.ready\",\n \"data\":{\"\xed\xa0\x80\":1}}",
    ] {
        match inspect(template) {
            Err(Malformed::Json(message)) => places.push(message),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(places[0], "invalid UTF-8 at line 1 column 27");
    assert_eq!(places[3], "invalid UTF-8 at line 2 column 11");
}

const WEBHOOK: &str = r#"{"account":{"id":"a"},"project":{"id":"p"},"resource":{"id":"r","type":"file"},"type":"file.ready","user":{"id":"u"},"workspace":{"id":"w"}}"#;
const ACTION: &str = r#"{"account_id":"a","action_id":"x","interaction_id":"i","project":{"id":"p"},"resource":{"id":"r","type":"file"},"type":"go","user":{"id":"u"},"workspace":{"id":"w"},"data":{"k":[1,{"n":null}]}}"#;

fn fits(body: &str, kind: HandlerKind) -> Result<(), Misfit> {
    inspect(body.as_bytes())
        .expect("an object with a type")
        .fits(kind)
}

#[test]
fn valid_events_fit_their_own_model_only() {
    assert_eq!(fits(WEBHOOK, HandlerKind::Webhook), Ok(()));
    assert_eq!(fits(ACTION, HandlerKind::Action), Ok(()));
    assert_eq!(
        fits(WEBHOOK, HandlerKind::Action),
        Err(Misfit::Missing("account_id"))
    );
    assert_eq!(
        fits(ACTION, HandlerKind::Webhook),
        Err(Misfit::Missing("account"))
    );
    let duplicated = WEBHOOK.replace(
        r#""user":{"id":"u"}"#,
        r#""user":{"id":"u"},"user":{"id":"v"}"#,
    );
    assert_eq!(
        fits(&duplicated, HandlerKind::Webhook),
        Err(Misfit::Duplicate("user"))
    );
    let wrong = ACTION.replace(r#""action_id":"x""#, r#""action_id":5"#);
    assert_eq!(
        fits(&wrong, HandlerKind::Action),
        Err(Misfit::Invalid("action_id"))
    );
}

#[test]
fn head_and_complete_build_the_same_event_as_a_full_parse() {
    let full = complete(ACTION, HandlerKind::Action, 7, None).unwrap();
    let head = head(ACTION, HandlerKind::Action, 7).unwrap();
    let DeliveryEvent::Action(early) = &head else {
        panic!()
    };
    assert_eq!(
        early.data, None,
        "a resolver does not see unverified form data"
    );
    let finished = complete(ACTION, HandlerKind::Action, 7, Some(head)).unwrap();
    let (DeliveryEvent::Action(full), DeliveryEvent::Action(finished)) = (full, finished) else {
        panic!()
    };
    assert_eq!(full, finished);
    assert_eq!(full.timestamp, 7);
    assert!(full.data.is_some());
}

/// Values that fit or miss each shape, written as raw JSON so duplicates can be expressed.
const VALUES: &[&str] = &[
    r#""s""#,
    r#""e\u0073c""#,
    "1",
    "-2.5",
    "null",
    "true",
    "[]",
    "{}",
    r#"{"id":"x"}"#,
    r#"{"id":"x","extra":[1]}"#,
    r#"{"id":1}"#,
    r#"{"id":"a","id":"b"}"#,
    r#"{"\u0069d":"x"}"#,
    r#"{"id":"x","type":"file"}"#,
    r#"{"type":"file","id":"x","z":{}}"#,
    r#"{"id":"x","type":3}"#,
    r#"{"id":"x","type":"a","type":"b"}"#,
    r#"["x"]"#,
    r#"["x","y"]"#,
    r#"["x",1]"#,
    r#"["x","y","z"]"#,
    r#"[1]"#,
    r#"{"k":{"n":[null,1e5]}}"#,
];

const KEYS: &[&str] = &[
    "account",
    "project",
    "resource",
    "user",
    "workspace",
    "account_id",
    "action_id",
    "interaction_id",
    "data",
    "other",
    "timestamp",
];

fn body_strategy() -> impl Strategy<Value = String> {
    let entry = (0..KEYS.len(), 0..VALUES.len());
    // Start from a complete event of either kind, then add, replace or repeat entries.
    (
        any::<bool>(),
        proptest::collection::vec(entry, 0..6),
        any::<u8>(),
    )
        .prop_map(|(action, extra, drop)| {
            let base = if action { ACTION } else { WEBHOOK };
            let mut entries: Vec<String> =
                serde_json::from_str::<serde_json::Map<String, Value>>(base)
                    .unwrap()
                    .into_iter()
                    .map(|(k, v)| format!("{}:{}", serde_json::to_string(&k).unwrap(), v))
                    .collect();
            if usize::from(drop) < entries.len()
                && !entries[usize::from(drop)].starts_with("\"type\"")
            {
                entries.remove(usize::from(drop));
            }
            for (key, value) in extra {
                entries.push(format!("\"{}\":{}", KEYS[key], VALUES[value]));
            }
            format!("{{{}}}", entries.join(","))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The one-pass shape check agrees with the real event models on every body.
    #[test]
    fn shapes_agree_with_the_event_models(body in body_strategy()) {
        let inspected = inspect(body.as_bytes()).expect("generated bodies have a type");
        let webhook = serde_json::from_str::<WebhookEvent>(&body);
        let action = serde_json::from_str::<ActionEvent>(&body);
        prop_assert_eq!(inspected.fits(HandlerKind::Webhook).is_ok(), webhook.is_ok(), "{:?}", webhook.err());
        prop_assert_eq!(inspected.fits(HandlerKind::Action).is_ok(), action.is_ok(), "{:?}", action.err());
    }
}
