//! The types a form field may have, and how each is shown and read back.

use serde_json::Value;

use crate::response::SelectOption;

/// The kind of input a field is shown as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldKind {
    /// A single-line text input (strings and numbers).
    Text,
    /// A multi-line text input (strings with `#[form(textarea)]`).
    Textarea,
    /// A drop-down list (enums deriving [`FormChoice`](crate::forms::FormChoice)).
    Select,
    /// A checkbox (`bool`).
    Checkbox,
    /// A link, shown and never submitted (`#[form(link = "…")]`).
    Link,
}

/// A type a form field may have: `String`, `bool`, the integer and float types, and enums
/// deriving [`FormChoice`](crate::forms::FormChoice). Wrap any of them in `Option` for a
/// field the user may leave empty.
///
/// It says which input shows the value, how a value is written into a form and how a
/// submitted value is read back. Submitted values are read leniently: numbers may arrive as
/// JSON numbers or numeric strings (surrounding spaces ignored), checkboxes as `true`,
/// `"true"`, `"on"`, `"yes"`, `"1"`…
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a form field",
    label = "unsupported form field type",
    note = "form fields are `String`, `bool`, integers, floats, enums deriving `FormChoice`, or `Option` of those; link fields (`#[form(link = \"…\")]`) are `String`"
)]
pub trait FormValue: Sized + Send + 'static {
    /// The input the field is shown as.
    const KIND: FieldKind;

    /// The choices of a select (empty for other kinds).
    fn options() -> Vec<SelectOption> {
        Vec::new()
    }

    /// The value as a form carries it: a string, or a boolean for a checkbox.
    fn to_wire(&self) -> Value;

    /// Reads a submitted value. `Ok(None)` means the user left the field empty (an absent
    /// key arrives as `null`); `Err` says, in a few words for the user, what is wrong.
    fn parse(raw: &Value) -> Result<Option<Self>, String>;
}

/// Text whose length `min_len`/`max_len` can check and that a `textarea` can show.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not text",
    label = "`textarea`, `min_len`, `max_len` and `pattern` apply to `String` fields",
    note = "use `range = a..=b` to bound a number"
)]
pub trait TextValue {
    /// The text.
    fn text(&self) -> &str;
}

impl TextValue for String {
    fn text(&self) -> &str {
        self
    }
}

/// A number that `range = a..=b` can bound.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a number",
    label = "`range` applies to number fields",
    note = "use `min_len`/`max_len` to bound the length of text"
)]
pub trait NumberValue: PartialOrd + std::fmt::Display {}

/// The text of a submitted scalar, `None` when it is empty (or only spaces).
fn submitted_text(raw: &Value) -> Result<Option<String>, String> {
    match raw {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Array(_) | Value::Object(_) => Err("must be text".to_owned()),
    }
}

impl FormValue for String {
    const KIND: FieldKind = FieldKind::Text;

    fn to_wire(&self) -> Value {
        Value::String(self.clone())
    }

    fn parse(raw: &Value) -> Result<Option<Self>, String> {
        submitted_text(raw)
    }
}

/// Checkbox values are read like the event model reads them: one set of spellings.
pub(crate) use crate::event::lenient_bool;

impl FormValue for bool {
    const KIND: FieldKind = FieldKind::Checkbox;

    fn to_wire(&self) -> Value {
        Value::Bool(*self)
    }

    /// An unchecked box may not be submitted at all: absent reads as `false`.
    fn parse(raw: &Value) -> Result<Option<Self>, String> {
        lenient_bool(raw)
            .map(Some)
            .ok_or_else(|| "must be checked or unchecked".to_owned())
    }
}

macro_rules! integer_values {
    ($($ty:ty),*) => {$(
        impl FormValue for $ty {
            const KIND: FieldKind = FieldKind::Text;

            fn to_wire(&self) -> Value {
                Value::String(self.to_string())
            }

            fn parse(raw: &Value) -> Result<Option<Self>, String> {
                let Some(text) = submitted_text(raw)? else {
                    return Ok(None);
                };
                let text = text.trim();
                match text.parse::<$ty>() {
                    Ok(n) => Ok(Some(n)),
                    // A whole number that does not fit the type.
                    Err(_) if text.parse::<i128>().is_ok() || text.parse::<u128>().is_ok() => {
                        Err(format!("must be between {} and {}", <$ty>::MIN, <$ty>::MAX))
                    }
                    Err(_) => Err("must be a whole number".to_owned()),
                }
            }
        }

        impl NumberValue for $ty {}
    )*};
}

integer_values!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

macro_rules! float_values {
    ($($ty:ty),*) => {$(
        impl FormValue for $ty {
            const KIND: FieldKind = FieldKind::Text;

            fn to_wire(&self) -> Value {
                Value::String(self.to_string())
            }

            fn parse(raw: &Value) -> Result<Option<Self>, String> {
                let Some(text) = submitted_text(raw)? else {
                    return Ok(None);
                };
                match text.trim().parse::<$ty>() {
                    Ok(n) if n.is_finite() => Ok(Some(n)),
                    _ => Err("must be a number".to_owned()),
                }
            }
        }

        impl NumberValue for $ty {}
    )*};
}

float_values!(f32, f64);

/// One choice of a [`FormChoice`](crate::forms::FormChoice) enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    /// What is submitted when chosen.
    pub value: &'static str,
    /// What the user sees.
    pub label: &'static str,
}

/// An enum whose variants are the options of a select field. Derive it:
///
/// ```
/// use frameio_kit::forms::FormChoice;
///
/// #[derive(FormChoice, Debug, Clone, Copy, PartialEq)]
/// enum Case {
///     #[form(label = "Keep as typed")]
///     Keep,
///     #[form(label = "UPPER")]
///     Upper,
///     #[form(value = "lc", label = "lower")]
///     Lower,
/// }
///
/// assert_eq!(Case::Keep.value(), "keep");
/// assert_eq!(Case::from_value("lc"), Some(Case::Lower));
/// assert_eq!(Case::CHOICES[1].label, "UPPER");
/// ```
///
/// A variant is submitted as its `value` (default: the variant name in `snake_case`) and shown
/// as its `label` (default: the variant name). Only unit variants are allowed, and at least one.
pub trait FormChoice: Sized + Send + 'static {
    /// Every choice, in display order.
    const CHOICES: &'static [Choice];

    /// The value this variant is submitted as.
    fn value(&self) -> &'static str;

    /// The variant submitted as `value`, if any.
    fn from_value(value: &str) -> Option<Self>;
}

/// The options of a select over `T` (used by the code `FormChoice` derives).
pub fn choice_options<T: FormChoice>() -> Vec<SelectOption> {
    T::CHOICES
        .iter()
        .map(|choice| SelectOption::new(choice.label, choice.value))
        .collect()
}

/// Reads a submitted select value (used by the code `FormChoice` derives).
pub fn parse_choice<T: FormChoice>(raw: &Value) -> Result<Option<T>, String> {
    let Some(text) = submitted_text(raw)? else {
        return Ok(None);
    };
    T::from_value(text.trim())
        .map(Some)
        .ok_or_else(|| "is not one of the choices".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_treat_blank_as_empty_and_keep_text_as_typed() {
        assert_eq!(String::parse(&json!(null)), Ok(None));
        assert_eq!(String::parse(&json!("  ")), Ok(None));
        assert_eq!(String::parse(&json!(" a ")), Ok(Some(" a ".to_owned())));
        assert_eq!(String::parse(&json!(12)), Ok(Some("12".to_owned())));
        assert!(String::parse(&json!([1])).is_err());
    }

    #[test]
    fn checkboxes_are_lenient() {
        for yes in [
            json!(true),
            json!("true"),
            json!("on"),
            json!("1"),
            json!(1),
        ] {
            assert_eq!(bool::parse(&yes), Ok(Some(true)), "{yes}");
        }
        for no in [json!(false), json!(null), json!(""), json!("off"), json!(0)] {
            assert_eq!(bool::parse(&no), Ok(Some(false)), "{no}");
        }
        assert!(bool::parse(&json!("maybe")).is_err());
    }

    #[test]
    fn numbers_parse_strings_and_say_why_not() {
        assert_eq!(u8::parse(&json!(" 42 ")), Ok(Some(42)));
        assert_eq!(u8::parse(&json!(7)), Ok(Some(7)));
        assert_eq!(u8::parse(&json!("")), Ok(None));
        assert_eq!(
            u8::parse(&json!("300")),
            Err("must be between 0 and 255".to_owned())
        );
        assert_eq!(
            i32::parse(&json!("1.5")),
            Err("must be a whole number".to_owned())
        );
        assert_eq!(f64::parse(&json!("2.5")), Ok(Some(2.5)));
        assert_eq!(
            f64::parse(&json!("NaN")),
            Err("must be a number".to_owned())
        );
        assert_eq!(u8::to_wire(&3), json!("3"));
    }
}
