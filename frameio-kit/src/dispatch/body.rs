//! Reading a delivery's body in the contract's order, paying only for what each step needs.
//!
//! One pass over the body ([`inspect`]) checks that it is UTF-8 JSON, reads its `type`
//! (borrowed when it has no escapes) and decides whether it fits each event model, without
//! building anything: no maps, no strings. That is enough to answer rows 2, 4 and 5 of the
//! contract (400, 404, 422) before the signature is checked, so a forged delivery costs about
//! as much to refuse as one for an unknown type. The event itself is built only when it is
//! needed: before verification only the parts a secret resolver reads ([`head`]), the rest
//! (an action's `data`) after the signature holds ([`complete`]).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::event::{ActionEvent, Project, Resource, User, WebhookEvent, Workspace};
use crate::handler::{DeliveryEvent, HandlerKind};

/// Why a body was refused before routing (row 2: all answered 400).
#[derive(Debug)]
pub(crate) enum Malformed {
    /// Not UTF-8, or not JSON; the message is the parser's.
    Json(String),
    /// JSON, but not an object.
    NotObject,
    /// An object without a usable `type`.
    NoType,
}

/// What one pass over a body found.
#[derive(Debug)]
pub(crate) struct Inspected<'a> {
    /// The whole body, checked to be UTF-8.
    pub(crate) text: &'a str,
    /// The non-empty `type`.
    pub(crate) event_type: Cow<'a, str>,
    webhook: Result<(), Misfit>,
    action: Result<(), Misfit>,
}

impl Inspected<'_> {
    /// Whether the body fits the event model of a handler of this kind (row 5).
    pub(crate) fn fits(&self, kind: HandlerKind) -> Result<(), Misfit> {
        match kind {
            HandlerKind::Webhook => self.webhook,
            HandlerKind::Action => self.action,
        }
    }
}

/// How a body fails to fit an event model (for the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Misfit {
    Missing(&'static str),
    Duplicate(&'static str),
    Invalid(&'static str),
}

impl fmt::Display for Misfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(field) => write!(f, "missing field `{field}`"),
            Self::Duplicate(field) => write!(f, "duplicate field `{field}`"),
            Self::Invalid(field) => write!(f, "field `{field}` has the wrong type"),
        }
    }
}

/// Checks the body's encoding and syntax, reads its `type` and whether it fits each event
/// model, all in one pass that builds nothing.
pub(crate) fn inspect(body: &[u8]) -> Result<Inspected<'_>, Malformed> {
    // The whole body must be UTF-8, skipped strings included (the JSON parser does not check
    // strings it skips).
    let text = std::str::from_utf8(body).map_err(|err| {
        let (line, column) = position(body, err.valid_up_to());
        Malformed::Json(format!("invalid UTF-8 at line {line} column {column}"))
    })?;
    match serde_json::from_str::<Probe<'_>>(text) {
        Err(err) => Err(Malformed::Json(err.to_string())),
        Ok(Probe::NotObject) => Err(Malformed::NotObject),
        Ok(Probe::Object(object)) => match object.event_type {
            Some(event_type) if !event_type.is_empty() => Ok(Inspected {
                text,
                event_type,
                webhook: object.fields.fits(WEBHOOK_FIELDS),
                action: object.fields.fits(ACTION_FIELDS),
            }),
            _ => Err(Malformed::NoType),
        },
    }
}

/// 1-based line and column (in bytes, like the JSON parser's messages) of a byte offset.
fn position(body: &[u8], offset: usize) -> (usize, usize) {
    let before = &body[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    (line, column)
}

/// Builds what secret resolution needs before the signature is checked: a whole webhook
/// event (it is small), or an action event without its `data`.
pub(crate) fn head(
    body: &str,
    kind: HandlerKind,
    timestamp: i64,
) -> Result<DeliveryEvent, serde_json::Error> {
    Ok(match kind {
        HandlerKind::Webhook => {
            let mut event = serde_json::from_str::<WebhookEvent>(body)?;
            event.timestamp = timestamp;
            DeliveryEvent::Webhook(event)
        }
        HandlerKind::Action => {
            let head = serde_json::from_str::<ActionHead>(body)?;
            let mut event = ActionEvent::new(
                head.event_type,
                head.account_id,
                head.action_id,
                head.interaction_id,
                head.workspace,
                head.project,
                head.resource,
                head.user,
            );
            event.timestamp = timestamp;
            DeliveryEvent::Action(event)
        }
    })
}

/// Builds the full event once the signature holds, finishing a [`head`] if there is one.
pub(crate) fn complete(
    body: &str,
    kind: HandlerKind,
    timestamp: i64,
    head: Option<DeliveryEvent>,
) -> Result<DeliveryEvent, serde_json::Error> {
    Ok(match (head, kind) {
        (Some(DeliveryEvent::Action(mut event)), _) => {
            event.data = serde_json::from_str::<DataOnly>(body)?.data;
            DeliveryEvent::Action(event)
        }
        (Some(event), _) => event,
        (None, HandlerKind::Webhook) => {
            let mut event = serde_json::from_str::<WebhookEvent>(body)?;
            event.timestamp = timestamp;
            DeliveryEvent::Webhook(event)
        }
        (None, HandlerKind::Action) => {
            let mut event = serde_json::from_str::<ActionEvent>(body)?;
            event.timestamp = timestamp;
            DeliveryEvent::Action(event)
        }
    })
}

/// An action event without `data` (skipped without being built).
#[derive(serde::Deserialize)]
struct ActionHead {
    #[serde(rename = "type")]
    event_type: String,
    account_id: String,
    action_id: String,
    interaction_id: String,
    project: Project,
    resource: Resource,
    user: User,
    workspace: Workspace,
}

/// Only an action's `data`.
#[derive(serde::Deserialize)]
struct DataOnly {
    #[serde(default)]
    data: Option<Map<String, Value>>,
}

/// The fields of the event models, with the shape each value must have. These mirror
/// [`WebhookEvent`] and [`ActionEvent`]; the `shapes_agree_with_the_event_models` test
/// compares them on many bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A string.
    Str,
    /// `{"id": "…"}` (or the sequence form serde also accepts for a struct: `["…"]`).
    Id,
    /// `{"id": "…", "type": "…"}` (or `["…", "…"]`).
    Resource,
    /// An object, or null / absent (`data`).
    OptionalObject,
}

const FIELDS: [(&str, Shape); 10] = [
    ("type", Shape::Str),
    ("account", Shape::Id),
    ("project", Shape::Id),
    ("resource", Shape::Resource),
    ("user", Shape::Id),
    ("workspace", Shape::Id),
    ("account_id", Shape::Str),
    ("action_id", Shape::Str),
    ("interaction_id", Shape::Str),
    ("data", Shape::OptionalObject),
];

/// Bit sets over [`FIELDS`]: which fields each model has.
const WEBHOOK_FIELDS: u16 = 0b00_0011_1111;
const ACTION_FIELDS: u16 = 0b11_1111_1101;

/// What the pass saw of the known fields: each field's count and whether its values fit.
#[derive(Debug, Default)]
struct Fields {
    seen: [u8; FIELDS.len()],
    bad: u16,
}

impl Fields {
    fn fits(&self, model: u16) -> Result<(), Misfit> {
        for (i, (name, shape)) in FIELDS.iter().enumerate() {
            if model & (1 << i) == 0 {
                continue;
            }
            match self.seen[i] {
                0 if *shape == Shape::OptionalObject => {}
                0 => return Err(Misfit::Missing(name)),
                1 if self.bad & (1 << i) != 0 => return Err(Misfit::Invalid(name)),
                1 => {}
                _ => return Err(Misfit::Duplicate(name)),
            }
        }
        Ok(())
    }
}

/// The top level of a body.
enum Probe<'a> {
    NotObject,
    Object(Object<'a>),
}

struct Object<'a> {
    event_type: Option<Cow<'a, str>>,
    fields: Fields,
}

impl<'de> Deserialize<'de> for Probe<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ProbeVisitor)
    }
}

struct ProbeVisitor;

/// Visitor methods that consume a scalar and answer a constant.
macro_rules! scalars {
    ($answer:expr; $($method:ident: $ty:ty),*) => {$(
        fn $method<E: de::Error>(self, _value: $ty) -> Result<Self::Value, E> {
            Ok($answer)
        }
    )*};
}

impl<'de> Visitor<'de> for ProbeVisitor {
    type Value = Probe<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    scalars!(Probe::NotObject; visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Probe::NotObject)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Probe::NotObject)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut event_type = None;
        let mut fields = Fields::default();
        while let Some(key) = map.next_key::<MaybeStr<'de>>()? {
            let known = key
                .0
                .as_deref()
                .and_then(|key| FIELDS.iter().position(|(name, _)| *name == key));
            let Some(index) = known else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            fields.seen[index] = fields.seen[index].saturating_add(1);
            let fits = if index == 0 {
                event_type = map.next_value::<MaybeStr<'de>>()?.0;
                event_type.is_some()
            } else {
                match FIELDS[index].1 {
                    Shape::Str => map.next_value::<IsStr>()?.0,
                    Shape::Id => map.next_value::<Struct<1>>()?.0,
                    Shape::Resource => map.next_value::<Struct<2>>()?.0,
                    Shape::OptionalObject => map.next_value::<OptionalObject>()?.0,
                }
            };
            if !fits {
                fields.bad |= 1 << index;
            }
        }
        Ok(Probe::Object(Object { event_type, fields }))
    }
}

/// A string borrowed from the body when it has no escapes; `None` for any other JSON value.
struct MaybeStr<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for MaybeStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MaybeStrVisitor)
    }
}

struct MaybeStrVisitor;

impl<'de> Visitor<'de> for MaybeStrVisitor {
    type Value = MaybeStr<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(MaybeStr(Some(Cow::Borrowed(value))))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(MaybeStr(Some(Cow::Owned(value.to_owned()))))
    }

    scalars!(MaybeStr(None); visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64);

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(MaybeStr(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(MaybeStr(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(MaybeStr(None))
    }
}

/// Shape checks: each consumes one JSON value (any value: a wrong shape is an answer, not an
/// error) and says whether it has the shape.
macro_rules! shape_check {
    ($(#[$meta:meta])* $name:ident $(<const $n:ident: usize>)?, $visitor:ident,
     unit: $unit:expr, str: $str:expr,
     seq($seq:ident) $seq_body:block, map($map:ident) $map_body:block) => {
        $(#[$meta])*
        struct $name $(<const $n: usize>)? (bool);

        impl<'de $(, const $n: usize)?> Deserialize<'de> for $name $(<$n>)? {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any($visitor $(::<$n>)?).map($name)
            }
        }

        struct $visitor $(<const $n: usize>)?;

        impl<'de $(, const $n: usize)?> Visitor<'de> for $visitor $(<$n>)? {
            type Value = bool;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }

            scalars!(false; visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64);

            fn visit_str<E: de::Error>(self, _value: &str) -> Result<bool, E> {
                Ok($str)
            }

            fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
                Ok($unit)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut $seq: A) -> Result<bool, A::Error> $seq_body

            fn visit_map<A: MapAccess<'de>>(self, mut $map: A) -> Result<bool, A::Error> $map_body
        }
    };
}

shape_check!(
    /// A string.
    IsStr, IsStrVisitor, unit: false, str: true,
    seq(seq) {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    },
    map(map) {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(false)
    }
);

shape_check!(
    /// An object, or null.
    OptionalObject, OptionalObjectVisitor, unit: true, str: false,
    seq(seq) {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    },
    map(map) {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(true)
    }
);

shape_check!(
    /// A struct of `N` string fields, `id` first, then `type`: as an object, each exactly
    /// once (other keys ignored); as a sequence, exactly `N` strings.
    Struct<const N: usize>, StructVisitor, unit: false, str: false,
    seq(seq) {
        let mut fits = true;
        let mut len = 0;
        while let Some(IsStr(is_str)) = seq.next_element::<IsStr>()? {
            fits &= is_str;
            len += 1;
        }
        Ok(fits && len == N)
    },
    map(map) {
        const NAMES: [&str; 2] = ["id", "type"];
        let mut seen = [0_u8; 2];
        let mut fits = true;
        while let Some(MaybeStr(key)) = map.next_key::<MaybeStr<'de>>()? {
            match key.and_then(|key| NAMES[..N].iter().position(|name| *name == key)) {
                Some(i) => {
                    seen[i] = seen[i].saturating_add(1);
                    fits &= map.next_value::<IsStr>()?.0;
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(fits && seen[..N].iter().all(|&n| n == 1))
    }
);

#[cfg(test)]
mod tests;
