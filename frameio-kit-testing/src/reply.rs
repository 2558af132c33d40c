//! What a test delivery answered: [`TestReply`], and a form to fill in: [`TestForm`].

use std::fmt;

use bytes::Bytes;
use frameio_kit::dispatch::{Diagnosis, Stage};
use frameio_kit::{Message, SelectOption};
use serde_json::{Map, Value};

use crate::error::TestError;
use crate::signing::SignedRequest;
use crate::transport::Transport;

/// The answer to a test delivery, in-process or over HTTP.
///
/// Read it with [`status`](Self::status), [`text`](Self::text), [`message`](Self::message)
/// and [`form`](Self::form) (which return a [`TestError`] saying what the reply really was),
/// or assert in one chain with the `assert_*` helpers, which panic with a clear message.
///
/// When the pipeline refused or failed an in-process delivery, the reply also carries why
/// ([`diagnosis`](Self::diagnosis): the step, the handler and the logged reason), and every
/// error and assertion message shows it:
///
/// ```text
/// expected a Message, but the reply is 503 text/plain; charset=utf-8: "Configuration error."
///   step:    handle
///   event:   whoami
///   handler: my_app::whoami
///   reason:  handler failed: cannot build the sign-in link (NoHost): set …
/// ```
///
/// ```
/// use frameio_kit::{App, Handler, Message, ActionEvent};
/// use frameio_kit_testing::{TestApp, TestError, action_event, block_on};
///
/// async fn greet(event: ActionEvent) -> frameio_kit::Result<Message> {
///     Ok(Message::new("Hello!", format!("Hi {}", event.user_id())))
/// }
///
/// # fn main() -> Result<(), TestError> {
/// let app = TestApp::new(App::new().handler(Handler::action("greet", greet).secret("s")))
///     .secret("s");
/// block_on(async {
///     let reply = app.deliver(action_event("greet").user_id("u1")).await?;
///     reply.assert_ok().assert_message("Hello!");
///     assert_eq!(reply.message()?.description, "Hi u1");
///     assert!(reply.form().is_err()); // a Message is not a Form
///     Ok(())
/// })?
/// # }
/// ```
#[derive(Clone)]
pub struct TestReply {
    status: u16,
    content_type: String,
    body: Bytes,
    request: Option<Value>,
    diagnosis: Option<Diagnosis>,
    transport: Transport,
}

impl fmt::Debug for TestReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestReply")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("body", &self.text())
            .field("diagnosis", &self.diagnosis)
            .finish_non_exhaustive()
    }
}

impl TestReply {
    pub(crate) fn new(
        status: u16,
        content_type: String,
        body: Bytes,
        request: Option<Value>,
        transport: Transport,
    ) -> Self {
        Self {
            status,
            content_type,
            body,
            request,
            diagnosis: None,
            transport,
        }
    }

    /// Why the pipeline refused or failed this delivery — the step, the handler and the
    /// reason it logged — or `None` when it was handled. Only in-process deliveries carry
    /// it: over HTTP ([`TestApp::serve`](crate::TestApp::serve)) the reason stays in the
    /// server's log, as in production.
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        self.diagnosis.as_ref()
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// `true` for a 2xx status.
    pub fn is_ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The `Content-Type` (`text/plain; charset=utf-8` or `application/json`).
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The raw body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text (`OK`, `Invalid signature.`, or the JSON answer); lossy for bytes
    /// that are not UTF-8, which frameio-kit never sends.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<Value, TestError> {
        serde_json::from_slice(&self.body).map_err(|_| self.unexpected("a JSON body"))
    }

    /// The event JSON that was delivered, when it was JSON.
    pub fn request(&self) -> Option<&Value> {
        self.request.as_ref()
    }

    /// The [`Message`] an action answered. Fails, saying what came instead, for a Form, a
    /// plain-text answer or a non-200 status.
    pub fn message(&self) -> Result<Message, TestError> {
        match self.answer() {
            Some(Answer::Message { title, description }) => Ok(Message::new(title, description)),
            _ => Err(self.unexpected("a Message")),
        }
    }

    /// The Form an action answered, ready to inspect and [`submit`](TestForm::submit). Fails,
    /// saying what came instead, for a Message, a plain-text answer or a non-200 status.
    pub fn form(&self) -> Result<TestForm, TestError> {
        match self.answer() {
            Some(Answer::Form(mut form)) => {
                form.request = self.request.clone();
                form.transport = Some(self.transport.clone());
                Ok(form)
            }
            _ => Err(self.unexpected("a Form")),
        }
    }

    /// Asserts the status code.
    ///
    /// # Panics
    /// When the status differs; the message shows the whole reply.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert!(
            self.status == status,
            "expected status {status}, but the reply is {}",
            self.describe()
        );
        self
    }

    /// Asserts a 2xx status.
    ///
    /// # Panics
    /// When the status is not 2xx; the message shows the whole reply.
    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        assert!(
            self.is_ok(),
            "expected a 2xx status, but the reply is {}",
            self.describe()
        );
        self
    }

    /// Asserts the exact body text (e.g. `"OK"` for a webhook).
    ///
    /// # Panics
    /// When the body differs.
    #[track_caller]
    pub fn assert_text(&self, text: &str) -> &Self {
        assert!(
            self.body == text.as_bytes(),
            "expected the body {text:?}, but the reply is {}",
            self.describe()
        );
        self
    }

    /// Asserts the reply is a Message with this title.
    ///
    /// # Panics
    /// When it is not a Message, or has another title.
    #[track_caller]
    pub fn assert_message(&self, title: &str) -> &Self {
        match self.message() {
            Ok(message) => assert!(
                message.title == title,
                "expected a Message titled {title:?}, but the reply is {}",
                self.describe()
            ),
            Err(err) => panic!("{err}"),
        }
        self
    }

    /// Asserts the reply is a Form with this title.
    ///
    /// # Panics
    /// When it is not a Form, or has another title.
    #[track_caller]
    pub fn assert_form(&self, title: &str) -> &Self {
        match self.form() {
            Ok(form) => assert!(
                form.title == title,
                "expected a Form titled {title:?}, but the reply is {}",
                self.describe()
            ),
            Err(err) => panic!("{err}"),
        }
        self
    }

    fn unexpected(&self, expected: &'static str) -> TestError {
        TestError::UnexpectedReply {
            expected,
            found: self.describe(),
        }
    }

    /// A description of the reply for error messages: one line, then the pipeline's
    /// diagnosis, one item per line, when it refused or failed the delivery.
    fn describe(&self) -> String {
        let mut text = match self.answer() {
            Some(Answer::Message { title, .. }) => format!("200, a Message titled {title:?}"),
            Some(Answer::Form(form)) => format!("200, a Form titled {:?}", form.title),
            None => {
                let mut text = self.text();
                if text.chars().count() > 200 {
                    text = text.chars().take(200).collect::<String>() + "…";
                }
                format!("{} {}: {text:?}", self.status, self.content_type)
            }
        };
        if let Some(diagnosis) = &self.diagnosis {
            text.push_str("\n  step:    ");
            text.push_str(diagnosis.stage().as_str());
            if let Some(event_type) = diagnosis.event_type() {
                text.push_str("\n  event:   ");
                text.push_str(event_type);
            }
            if let Some(handler) = diagnosis.handler() {
                text.push_str("\n  handler: ");
                text.push_str(handler);
            }
            text.push_str("\n  reason:  ");
            text.push_str(diagnosis.reason());
            if diagnosis.stage() == Stage::Route {
                text.push_str("\n  hint:    ");
                text.push_str(&self.route_hint());
            }
        }
        text
    }

    /// What to check when no handler took the event type.
    fn route_hint(&self) -> String {
        let mut events: Vec<&str> = self
            .transport
            .shared()
            .service
            .dispatcher()
            .event_types()
            .collect();
        events.sort_unstable();
        format!(
            "the app handles {}; a crate whose handlers are missing must be linked into the \
             test (`use my_app as _;`)",
            if events.is_empty() {
                "no event type".to_owned()
            } else {
                events.join(", ")
            }
        )
    }

    /// The action answer carried by a `200 application/json` reply.
    fn answer(&self) -> Option<Answer> {
        if self.status != 200 || !self.content_type.starts_with("application/json") {
            return None;
        }
        let Value::Object(object) = serde_json::from_slice(&self.body).ok()? else {
            return None;
        };
        let title = string(&object, "title");
        let description = string(&object, "description");
        match object.get("fields") {
            None => Some(Answer::Message { title, description }),
            Some(Value::Array(fields)) => Some(Answer::Form(TestForm {
                title,
                description,
                fields: fields.iter().filter_map(TestField::from_json).collect(),
                request: None,
                transport: None,
            })),
            Some(_) => None,
        }
    }
}

enum Answer {
    Message { title: String, description: String },
    Form(TestForm),
}

fn string(object: &Map<String, Value>, key: &str) -> String {
    object
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A Form an action answered: its fields as sent, and [`submit`](Self::submit) to send the
/// follow-up delivery Frame.io would send when the user clicks Submit.
#[derive(Clone)]
#[non_exhaustive]
pub struct TestForm {
    /// The form title.
    pub title: String,
    /// The form description.
    pub description: String,
    /// The fields, in order.
    pub fields: Vec<TestField>,
    request: Option<Value>,
    transport: Option<Transport>,
}

impl fmt::Debug for TestForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestForm")
            .field("title", &self.title)
            .field("description", &self.description)
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

impl TestForm {
    /// The field with this `name`; the error lists the form's field names.
    pub fn field(&self, name: &str) -> Result<&TestField, TestError> {
        self.fields
            .iter()
            .find(|field| field.name == name)
            .ok_or_else(|| TestError::NoSuchField {
                name: name.to_owned(),
                available: self.names(),
            })
    }

    fn names(&self) -> String {
        let names: Vec<&str> = self.fields.iter().map(|f| f.name.as_str()).collect();
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    }

    /// The follow-up event Frame.io sends on Submit: the original delivery (same ids, same
    /// `interaction_id`) with `data` holding every input field's pre-filled value, overridden
    /// by `values`. Link fields are not inputs and are not sent; fields with no value that
    /// `values` does not name are left out. A name in `values` that is not a field of the
    /// form is an error (it catches typos).
    pub fn submission(&self, values: Value) -> Result<Value, TestError> {
        let Value::Object(values) = values else {
            return Err(TestError::InvalidSubmission(values.to_string()));
        };
        if let Some(unknown) = values.keys().find(|name| self.field(name).is_err()) {
            return Err(TestError::NoSuchField {
                name: unknown.clone(),
                available: self.names(),
            });
        }
        let mut data = Map::new();
        for field in self.fields.iter().filter(|f| f.field_type != "link") {
            if let Some(value) = field.value.clone() {
                data.insert(field.name.clone(), value);
            }
        }
        data.extend(values);
        let mut event = match &self.request {
            Some(Value::Object(request)) => request.clone(),
            _ => {
                return Err(TestError::UnexpectedReply {
                    expected: "a form answered to a JSON action delivery",
                    found: "a form with no known delivery".to_owned(),
                });
            }
        };
        event.insert("data".to_owned(), Value::Object(data));
        Ok(Value::Object(event))
    }

    /// Submits the form: sends [`submission`](Self::submission)`(values)`, signed, to the
    /// same test app (in-process or over HTTP, whichever answered the form).
    ///
    /// ```
    /// use frameio_kit::{ActionEvent, ActionResponse, App, Form, Handler, Message, TextField};
    /// use frameio_kit_testing::{TestApp, TestError, action_event, block_on};
    /// use serde_json::json;
    ///
    /// async fn ask(event: ActionEvent) -> frameio_kit::Result<ActionResponse> {
    ///     Ok(match event.field_str("name") {
    ///         None => Form::new("Who?", "Your name").field(TextField::new("Name", "name")).into(),
    ///         Some(name) => Message::new("Thanks", format!("Hi {name}")).into(),
    ///     })
    /// }
    ///
    /// # fn main() -> Result<(), TestError> {
    /// let app = TestApp::new(App::new().handler(Handler::action("ask", ask).secret("s"))).secret("s");
    /// block_on(async {
    ///     let form = app.deliver(action_event("ask")).await?.form()?;
    ///     let reply = form.submit(json!({"name": "Ada"})).await?;
    ///     assert_eq!(reply.message()?.description, "Hi Ada");
    ///     assert!(form.submit(json!({"nmae": "typo"})).await.is_err());
    ///     Ok(())
    /// })?
    /// # }
    /// ```
    pub async fn submit(&self, values: Value) -> Result<TestReply, TestError> {
        let event = self.submission(values)?;
        let Some(transport) = &self.transport else {
            return Err(TestError::UnexpectedReply {
                expected: "a form answered by a test app",
                found: "a form with no test app to submit to".to_owned(),
            });
        };
        transport.deliver_json(event).await
    }
}

/// One field of a [`TestForm`], as sent.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TestField {
    /// The label shown to the user.
    pub label: String,
    /// The name its value is submitted under.
    pub name: String,
    /// `text`, `textarea`, `select`, `checkbox` or `link`.
    pub field_type: String,
    /// The pre-filled value (a string, or a boolean for a checkbox), if any.
    pub value: Option<Value>,
    /// A select's options, in order (empty for other types).
    pub options: Vec<SelectOption>,
}

impl TestField {
    fn from_json(field: &Value) -> Option<Self> {
        let object = field.as_object()?;
        let options = object
            .get("options")
            .and_then(Value::as_array)
            .map(|options| {
                options
                    .iter()
                    .filter_map(Value::as_object)
                    .map(|o| SelectOption::new(string(o, "name"), string(o, "value")))
                    .collect()
            })
            .unwrap_or_default();
        Some(Self {
            label: string(object, "label"),
            name: string(object, "name"),
            field_type: string(object, "type"),
            value: object.get("value").cloned(),
            options,
        })
    }

    /// The pre-filled value if it is a string.
    pub fn value_str(&self) -> Option<&str> {
        self.value.as_ref()?.as_str()
    }

    /// The option values of a select, in order.
    pub fn option_values(&self) -> Vec<&str> {
        self.options.iter().map(|o| o.value.as_str()).collect()
    }
}

/// Sending lives here, beside the reply it builds, so `transport` needs nothing from `reply`.
impl Transport {
    /// Signs and sends an event JSON.
    pub(crate) async fn deliver_json(&self, event: Value) -> Result<TestReply, TestError> {
        let request = self.shared().signer.sign(event.to_string().into_bytes());
        self.send(&request).await
    }

    /// Sends a signed request as it is.
    pub(crate) async fn send(&self, request: &SignedRequest) -> Result<TestReply, TestError> {
        let event = serde_json::from_slice::<Value>(request.body()).ok();
        match self {
            Self::InProcess(shared) => {
                let mut headers = request.headers();
                if !shared.host.is_empty() && headers.get("host").is_none() {
                    headers.insert("host", shared.host.as_bytes());
                }
                let body = Bytes::copy_from_slice(request.body());
                let dispatch = shared.service.dispatch(headers, body);
                let reply = match shared.logs.get() {
                    Some(logs) => logs.scope(dispatch).await,
                    None => dispatch.await,
                };
                let mut answer = TestReply::new(
                    reply.status(),
                    reply.content_type().to_owned(),
                    reply.body().clone(),
                    event,
                    self.clone(),
                );
                answer.diagnosis = reply.diagnosis().cloned();
                Ok(answer)
            }
            Self::Http { client, url, .. } => {
                let mut builder = client.post(&**url).body(request.body().to_vec());
                for (name, value) in request.header_pairs() {
                    builder = builder.header(name, value);
                }
                let response = builder.send().await?;
                let status = response.status().as_u16();
                let content_type = response
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let body = response.bytes().await?;
                Ok(TestReply::new(
                    status,
                    content_type,
                    body,
                    event,
                    self.clone(),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::TestApp;
    use frameio_kit::{App, Handler, WebhookEvent};
    use serde_json::json;

    async fn noop(_event: WebhookEvent) -> frameio_kit::Result<()> {
        Ok(())
    }

    fn reply(status: u16, content_type: &str, body: &str) -> TestReply {
        let app = TestApp::new(App::new().handler(Handler::webhook(["x.y"], noop).secret("s")));
        let transport = app.transport().expect("the app builds");
        TestReply::new(
            status,
            content_type.to_owned(),
            Bytes::from(body.to_owned()),
            None,
            transport,
        )
    }

    #[test]
    fn long_bodies_are_cut_in_error_messages() {
        let long = "é".repeat(500);
        let err = reply(500, "text/plain", &long).message().unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("expected a Message, but the reply is 500 text/plain: "));
        assert!(text.ends_with("…\""), "{text}");
        assert!(text.chars().count() < 300, "{text}");
    }

    #[test]
    fn only_a_200_json_object_is_an_answer() {
        let body = r#"{"title":"t","description":"d"}"#;
        assert!(reply(200, "application/json", body).message().is_ok());
        assert!(reply(201, "application/json", body).message().is_err());
        assert!(reply(200, "text/plain", body).message().is_err());
        assert!(reply(200, "application/json", "[1]").message().is_err());
        let weird = r#"{"title":"t","fields":"nope"}"#;
        assert!(reply(200, "application/json", weird).form().is_err());
    }

    #[test]
    fn fields_are_read_as_sent() {
        let body = json!({"title": "T", "description": "D", "fields": [
            {"label": "C", "name": "c", "type": "select",
             "options": [{"name": "A", "value": "a"}], "value": "a"},
            {"label": "L", "name": "l", "type": "link", "value": "https://x"},
            "not a field"
        ]});
        let form = reply(200, "application/json", &body.to_string())
            .form()
            .unwrap();
        assert_eq!(form.fields.len(), 2);
        assert_eq!(
            form.field("c").unwrap().options,
            [SelectOption::new("A", "a")]
        );
        // No delivery behind this reply: a submission cannot be built.
        assert!(form.submission(json!({})).is_err());
    }
}
