#![doc = include_str!("../../../docs/forms.md")]

mod errors;
mod extract;
mod spec;
mod steps;
mod value;

use std::fmt;

use serde_json::{Map, Value};

pub use errors::{FieldError, FormErrors};
pub use extract::{Invalid, Submission, Submitted};
pub use spec::{ERROR_SEPARATOR, FieldSpec, FormSpec};
pub use steps::{StepError, StepStore, Steps};
pub use value::{
    Choice, FieldKind, FormChoice, FormValue, NumberValue, TextValue, choice_options, parse_choice,
};

/// Derives [`ActionForm`](trait@ActionForm): the struct becomes the form. See the
/// [module documentation](self) for every attribute.
pub use frameio_kit_macros::ActionForm;
/// Derives [`FormChoice`](trait@FormChoice): the enum becomes the options of a select.
pub use frameio_kit_macros::FormChoice;

use crate::response::{ActionResponse, Form};

/// A struct that is a form: how it is shown, how a submit is read back into it and checked.
/// Derive it with `#[derive(ActionForm)]` (see the [module documentation](self)); implementing
/// it by hand is possible but rarely useful.
pub trait ActionForm: Sized + Send + 'static {
    /// The form's title, description and fields.
    fn spec() -> FormSpec;

    /// The value's fields as a form carries them (keyed by field name; empty optional fields
    /// left out).
    fn values(&self) -> Map<String, Value>;

    /// Reads and checks submitted values, collecting every problem.
    fn parse(data: &Map<String, Value>) -> Result<Self, FormErrors>;

    /// The form as first shown: every field at its default.
    fn form() -> Form {
        Self::spec().render_defaults()
    }

    /// The form prefilled from a value (for example built from the event, or from an earlier
    /// step's answers).
    fn form_with(&self) -> Form {
        Self::spec().render(Some(&self.values()), &FormErrors::new())
    }

    /// The form shown again after a submit with problems: the submitted values kept, each
    /// problem after its field's label (`Name — required`) and all of them in the
    /// description.
    fn form_with_errors(data: &Map<String, Value>, errors: &FormErrors) -> Form {
        Self::spec().render(Some(data), errors)
    }
}

/// The answer an extractor gives in the handler's place: the first click or an invalid submit
/// of a [`Submitted`] form. It travels as the extractor's error; the dispatcher finds it with
/// [`FormAnswer::find`] and sends its response with status 200 instead of a 500. It is not a
/// failure and is not logged as one.
#[derive(Debug, Clone)]
pub struct FormAnswer {
    response: ActionResponse,
}

impl FormAnswer {
    /// Answers the delivery with `response` instead of calling the handler.
    pub fn new(response: impl Into<ActionResponse>) -> Self {
        Self {
            response: response.into(),
        }
    }

    /// The answer to send.
    pub fn response(&self) -> &ActionResponse {
        &self.response
    }

    /// Takes the answer out.
    pub fn into_response(self) -> ActionResponse {
        self.response
    }

    /// The `FormAnswer` in `error` or its chain of sources, if any.
    pub fn find<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a FormAnswer> {
        let mut current = Some(error);
        while let Some(err) = current {
            if let Some(answer) = err.downcast_ref::<FormAnswer>() {
                return Some(answer);
            }
            current = err.source();
        }
        None
    }
}

impl fmt::Display for FormAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the form answers this delivery without calling the handler")
    }
}

impl std::error::Error for FormAnswer {}

/// What the derives' generated code calls. **Not public API.**
#[doc(hidden)]
pub mod __support {
    use std::fmt::Display;
    use std::sync::OnceLock;

    use regex::Regex;
    use serde_json::{Map, Value};

    use super::errors::{FieldError, FormErrors};
    use super::value::{FormValue, NumberValue, TextValue};

    pub use serde_json::{Map as JsonMap, Value as JsonValue};

    /// Reads one field: `None` when it is empty or wrong (the problem recorded).
    pub fn read<T: FormValue>(
        data: &Map<String, Value>,
        name: &str,
        label: &str,
        required: bool,
        errors: &mut FormErrors,
    ) -> Option<T> {
        match T::parse(data.get(name).unwrap_or(&Value::Null)) {
            Ok(Some(value)) => Some(value),
            Ok(None) => {
                if required {
                    errors.push(FieldError::new(name, label, "required"));
                }
                None
            }
            Err(message) => {
                errors.push(FieldError::new(name, label, message));
                None
            }
        }
    }

    /// Adds a value to the map a form carries.
    pub fn put<T: FormValue>(values: &mut Map<String, Value>, name: &str, value: &T) {
        values.insert(name.to_owned(), value.to_wire());
    }

    fn chars<T: TextValue + ?Sized>(value: &T) -> usize {
        value.text().chars().count()
    }

    /// `min_len = n`.
    pub fn min_len<T: TextValue + ?Sized>(value: &T, min: usize) -> Result<(), String> {
        if chars(value) >= min {
            Ok(())
        } else if min == 1 {
            Err("required".to_owned())
        } else {
            Err(format!("must be at least {min} characters"))
        }
    }

    /// `max_len = n`.
    pub fn max_len<T: TextValue + ?Sized>(value: &T, max: usize) -> Result<(), String> {
        if chars(value) <= max {
            Ok(())
        } else {
            Err(format!("must be at most {max} characters"))
        }
    }

    /// `range = a..=b` (either end may be left out).
    pub fn range<T: NumberValue>(value: &T, min: Option<T>, max: Option<T>) -> Result<(), String> {
        let below = min.as_ref().is_some_and(|min| value < min);
        let above = max.as_ref().is_some_and(|max| value > max);
        if !below && !above {
            return Ok(());
        }
        Err(match (min, max) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            (None, None) => String::new(),
        })
    }

    /// `required` on a checkbox: it must be checked.
    pub fn checked(value: &bool) -> Result<(), String> {
        if *value {
            Ok(())
        } else {
            Err("must be checked".to_owned())
        }
    }

    /// `validate = path`: the function's error, as text.
    pub fn custom<E: Display>(result: Result<(), E>) -> Result<(), String> {
        result.map_err(|err| err.to_string())
    }

    /// A `pattern = "…"` regular expression, compiled on first use. It must match the whole
    /// value.
    #[derive(Debug)]
    pub struct Pattern {
        source: &'static str,
        compiled: OnceLock<Result<Regex, String>>,
    }

    impl Pattern {
        /// A pattern (checked by the derive when the program was compiled).
        pub const fn new(source: &'static str) -> Self {
            Self {
                source,
                compiled: OnceLock::new(),
            }
        }

        /// `pattern = "…"`: the whole value must match.
        pub fn check<T: TextValue + ?Sized>(&self, value: &T) -> Result<(), String> {
            let compiled = self.compiled.get_or_init(|| {
                Regex::new(&format!("^(?:{})$", self.source)).map_err(|err| err.to_string())
            });
            match compiled {
                Ok(regex) if regex.is_match(value.text()) => Ok(()),
                Ok(_) => Err("is not in the expected format".to_owned()),
                Err(err) => {
                    tracing::error!(pattern = self.source, error = %err, "invalid form pattern");
                    Err("cannot be checked (invalid pattern)".to_owned())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::__support::*;
    use super::*;

    #[test]
    fn length_and_range_messages() {
        let s = "héllo".to_owned();
        assert_eq!(min_len(&s, 5), Ok(()));
        assert_eq!(
            min_len(&s, 6),
            Err("must be at least 6 characters".to_owned())
        );
        assert_eq!(
            max_len(&s, 4),
            Err("must be at most 4 characters".to_owned())
        );
        assert_eq!(range(&5u8, Some(1), Some(10)), Ok(()));
        assert_eq!(
            range(&0u8, Some(1), Some(10)),
            Err("must be between 1 and 10".to_owned())
        );
        assert_eq!(
            range(&0i32, Some(1), None),
            Err("must be at least 1".to_owned())
        );
        assert_eq!(
            range(&11i32, None, Some(10)),
            Err("must be at most 10".to_owned())
        );
    }

    #[test]
    fn patterns_match_the_whole_value() {
        static CODE: Pattern = Pattern::new("[A-Z]{3}");
        assert_eq!(CODE.check(&"ABC".to_owned()), Ok(()));
        assert!(CODE.check(&"ABCD".to_owned()).is_err());
        assert!(CODE.check(&"xABC".to_owned()).is_err());
        static BROKEN: Pattern = Pattern::new("(");
        assert!(BROKEN.check(&"x".to_owned()).is_err());
    }

    #[test]
    fn form_answers_are_found_in_a_chain() {
        #[derive(Debug)]
        struct Wrapper(FormAnswer);
        impl fmt::Display for Wrapper {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("wrapped")
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let answer = FormAnswer::new(crate::Message::new("a", "b"));
        let wrapped: crate::BoxError = Box::new(Wrapper(answer));
        assert!(FormAnswer::find(wrapped.as_ref()).is_some());
        let other: crate::BoxError = "plain".into();
        assert!(FormAnswer::find(other.as_ref()).is_none());
    }
}
