//! The runtime and the macros share their input rules through `frameio_kit_rules`; these
//! checks tie the runtime's own types to those rules.

use frameio_kit::ResourceType;
use frameio_kit::app::is_valid_event_type;
use frameio_kit_rules::{RESOURCE_TYPES, event_type_problem, is_known_resource_type};

#[test]
fn every_documented_resource_type_has_its_own_variant() {
    for name in RESOURCE_TYPES {
        let parsed = ResourceType::from(name);
        assert!(
            !matches!(parsed, ResourceType::Other(_)),
            "{name} maps to a variant"
        );
        assert_eq!(parsed.as_str(), name);
        assert_eq!(ResourceType::from(name.to_owned()), parsed);
    }
    for other in ["comment", "File", ""] {
        assert!(matches!(ResourceType::from(other), ResourceType::Other(_)));
        assert!(!is_known_resource_type(other));
    }
}

#[test]
fn the_runtime_event_type_check_is_the_shared_rule() {
    for event in [
        "file.ready",
        "my_app.transcribe",
        "",
        "file ready",
        "a..b",
        ".a",
        "é",
        &"x".repeat(257),
    ] {
        assert_eq!(
            is_valid_event_type(event),
            event_type_problem(event).is_none(),
            "{event:?}"
        );
    }
}
