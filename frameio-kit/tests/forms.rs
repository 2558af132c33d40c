//! Typed forms: the derived form byte for byte, the validation matrix, and the three
//! deliveries of a typed action (first click, invalid submit, valid submit) through TestApp.

use frameio_kit::forms::{
    ActionForm, FieldError, FormChoice, FormErrors, StepStore, Steps, Submission, Submitted,
};
use frameio_kit::store::MemoryStore;
use frameio_kit::{
    ActionEvent, ActionResponse, App, CheckboxField, Form, Handler, LinkField, Message,
    SelectField, TextField, TextareaField,
};
use frameio_kit_testing::{TestApp, TestError, action_event};
use serde_json::{Map, Value, json};

#[derive(FormChoice, Debug, Clone, Copy, PartialEq, Eq)]
enum Captions {
    Off,
    #[form(label = "On")]
    On,
    #[form(value = "burned_in", label = "Burned in")]
    Burn,
}

#[derive(ActionForm, Debug, Clone, PartialEq)]
#[form(title = "Transcribe", description = "Choose options")]
struct Transcribe {
    #[form(default = "clip.mp4", max_len = 20)]
    title: String,
    #[form(textarea)]
    notes: Option<String>,
    #[form(default = Captions::Off)]
    captions: Captions,
    #[form(label = "Overwrite?")]
    overwrite: bool,
    #[form(label = "Speakers", range = 1..=8, default = 2)]
    speakers: u8,
    #[form(link = "https://example.com", label = "Result")]
    result: String,
}

fn json_of(form: &Form) -> String {
    String::from_utf8(
        ActionResponse::from(form.clone())
            .to_json()
            .expect("valid form")
            .expect("a body"),
    )
    .expect("UTF-8")
}

fn data(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

#[test]
fn derived_form_is_byte_exact_against_the_hand_built_one() {
    let hand_built = Form::new("Transcribe", "Choose options")
        .field(TextField::new("Title", "title").value("clip.mp4"))
        .field(TextareaField::new("Notes", "notes"))
        .field(
            SelectField::new("Captions", "captions")
                .option("Off", "off")
                .option("On", "on")
                .option("Burned in", "burned_in")
                .value("off"),
        )
        .field(CheckboxField::new("Overwrite?", "overwrite").value(false))
        .field(TextField::new("Speakers", "speakers").value("2"))
        .field(LinkField::new("Result", "result", "https://example.com"));
    assert_eq!(json_of(&Transcribe::form()), json_of(&hand_built));
    assert_eq!(
        json_of(&Transcribe::form()),
        concat!(
            r#"{"title":"Transcribe","description":"Choose options","fields":["#,
            r#"{"label":"Title","name":"title","type":"text","value":"clip.mp4"},"#,
            r#"{"label":"Notes","name":"notes","type":"textarea"},"#,
            r#"{"label":"Captions","name":"captions","type":"select","options":["#,
            r#"{"name":"Off","value":"off"},{"name":"On","value":"on"},"#,
            r#"{"name":"Burned in","value":"burned_in"}],"value":"off"},"#,
            r#"{"label":"Overwrite?","name":"overwrite","type":"checkbox","value":false},"#,
            r#"{"label":"Speakers","name":"speakers","type":"text","value":"2"},"#,
            r#"{"label":"Result","name":"result","type":"link","value":"https://example.com"}]}"#
        )
    );
}

#[test]
fn form_with_prefills_from_a_value() {
    let value = Transcribe {
        title: "take 2".into(),
        notes: Some("line one\nline two".into()),
        captions: Captions::Burn,
        overwrite: true,
        speakers: 3,
        result: "https://example.com/r/1".into(),
    };
    let hand_built = Form::new("Transcribe", "Choose options")
        .field(TextField::new("Title", "title").value("take 2"))
        .field(TextareaField::new("Notes", "notes").value("line one\nline two"))
        .field(
            SelectField::new("Captions", "captions")
                .option("Off", "off")
                .option("On", "on")
                .option("Burned in", "burned_in")
                .value("burned_in"),
        )
        .field(CheckboxField::new("Overwrite?", "overwrite").value(true))
        .field(TextField::new("Speakers", "speakers").value("3"))
        .field(LinkField::new(
            "Result",
            "result",
            "https://example.com/r/1",
        ));
    assert_eq!(json_of(&value.form_with()), json_of(&hand_built));
}

#[test]
fn a_valid_submit_parses_leniently() {
    let parsed = Transcribe::parse(&data(json!({
        "title": "clip", "notes": "", "captions": "on", "overwrite": "on", "speakers": " 4 "
    })))
    .expect("valid");
    assert_eq!(
        parsed,
        Transcribe {
            title: "clip".into(),
            notes: None,
            captions: Captions::On,
            overwrite: true,
            speakers: 4,
            result: "https://example.com".into(),
        }
    );
    // An unchecked box may be left out of the submit entirely.
    let parsed = Transcribe::parse(&data(
        json!({"title": "clip", "captions": "off", "speakers": 1}),
    ))
    .expect("valid");
    assert!(!parsed.overwrite);
}

fn must_be_odd(value: &u32) -> Result<(), String> {
    if value % 2 == 1 {
        Ok(())
    } else {
        Err("must be odd".into())
    }
}

fn no_admin(value: &str) -> Result<(), &'static str> {
    if value.eq_ignore_ascii_case("admin") {
        Err("is reserved")
    } else {
        Ok(())
    }
}

fn not_both(value: &Rules) -> Result<(), String> {
    if value.code.as_deref() == Some("AAA") && value.count == 1 {
        Err("code AAA cannot have count 1".into())
    } else {
        Ok(())
    }
}

#[derive(ActionForm, Debug, PartialEq)]
#[form(title = "Rules", validate = not_both)]
struct Rules {
    #[form(min_len = 3, max_len = 8, validate = no_admin)]
    name: String,
    #[form(pattern = "[A-Z]{3}")]
    code: Option<String>,
    #[form(range = 1..=99, validate = must_be_odd)]
    count: u32,
    #[form(range = ..=2.5)]
    ratio: Option<f64>,
    #[form(required, label = "I agree")]
    agree: bool,
    #[form(required)]
    team: Option<String>,
    #[form(help = "optional")]
    level: Option<i8>,
}

fn problems(value: Value) -> Vec<(String, String)> {
    match Rules::parse(&data(value)) {
        Ok(rules) => panic!("expected problems, got {rules:?}"),
        Err(errors) => errors
            .iter()
            .map(|e| (e.field.clone(), e.message.clone()))
            .collect(),
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(f, m)| ((*f).to_owned(), (*m).to_owned()))
        .collect()
}

#[test]
fn validation_matrix_collects_every_problem() {
    let valid = json!({"name": "ada", "code": "ABC", "count": "7", "ratio": "2.5",
        "agree": "on", "team": "red", "level": "-3"});
    let rules = Rules::parse(&data(valid.clone())).expect("valid");
    assert_eq!(rules.level, Some(-3));
    assert_eq!(rules.ratio, Some(2.5));

    // Everything missing: each required field says so, in field order.
    assert_eq!(
        problems(json!({})),
        pairs(&[
            ("name", "required"),
            ("count", "required"),
            ("agree", "must be checked"),
            ("team", "required"),
        ])
    );

    // Every rule broken at once, each reported.
    assert_eq!(
        problems(
            json!({"name": "ab", "code": "abc", "count": "100", "ratio": "3",
            "agree": false, "team": " ", "level": "x"})
        ),
        pairs(&[
            ("name", "must be at least 3 characters"),
            ("code", "is not in the expected format"),
            ("count", "must be between 1 and 99"),
            ("count", "must be odd"),
            ("ratio", "must be at most 2.5"),
            ("agree", "must be checked"),
            ("team", "required"),
            ("level", "must be a whole number"),
        ])
    );

    let cases: &[(&str, Value, &str)] = &[
        ("name", json!("abcdefghi"), "must be at most 8 characters"),
        ("name", json!("Admin"), "is reserved"),
        ("code", json!("ABCD"), "is not in the expected format"),
        ("count", json!("8"), "must be odd"),
        ("count", json!("101"), "must be between 1 and 99"),
        ("count", json!("-1"), "must be between 0 and 4294967295"),
        ("count", json!("seven"), "must be a whole number"),
        ("ratio", json!("abc"), "must be a number"),
        ("level", json!("200"), "must be between -128 and 127"),
        ("agree", json!("perhaps"), "must be checked or unchecked"),
    ];
    for (field, value, message) in cases {
        let mut submit = valid.clone();
        submit[*field] = value.clone();
        assert_eq!(
            problems(submit),
            pairs(&[(field, message)]),
            "{field} = {value}"
        );
    }

    // A whole-form check runs once every field is valid, and lands in the description.
    let mut submit = valid.clone();
    submit["code"] = json!("AAA");
    submit["count"] = json!("1");
    assert_eq!(
        problems(submit),
        pairs(&[("", "code AAA cannot have count 1")])
    );
}

#[test]
fn an_invalid_form_is_shown_again_with_values_kept_and_errors_shown() {
    let submitted = data(
        json!({"name": "ab", "code": "abc", "count": "7", "agree": "on",
        "team": "", "level": "1"}),
    );
    let errors = Rules::parse(&submitted).expect_err("invalid");
    let form = Rules::form_with_errors(&submitted, &errors);
    let hand_built = Form::new(
        "Rules",
        "Please fix: Name — must be at least 3 characters; Code — is not in the expected format; Team — required",
    )
    .field(TextField::new("Name — must be at least 3 characters", "name").value("ab"))
    .field(TextField::new("Code — is not in the expected format", "code").value("abc"))
    .field(TextField::new("Count", "count").value("7"))
    .field(TextField::new("Ratio", "ratio"))
    .field(CheckboxField::new("I agree", "agree").value(true))
    .field(TextField::new("Team — required", "team").value(""))
    .field(TextField::new("Level (optional)", "level").value("1"));
    assert_eq!(json_of(&form), json_of(&hand_built));

    let by_hand: FormErrors = [FieldError::new("team", "Team", "required")]
        .into_iter()
        .collect();
    assert_eq!(by_hand.to_string(), "Team — required");
}

#[test]
fn an_unknown_select_value_is_an_error_and_is_not_kept() {
    let submitted = data(json!({"title": "t", "captions": "loud", "speakers": "2"}));
    let errors = Transcribe::parse(&submitted).expect_err("invalid");
    assert_eq!(
        errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>(),
        ["is not one of the choices"]
    );
    let form = Transcribe::form_with_errors(&submitted, &errors);
    // The form can still be sent: the unknown value is not pre-selected.
    assert!(ActionResponse::from(form.clone()).to_json().is_ok());
    assert!(json_of(&form).contains(r#""label":"Captions — is not one of the choices""#));
    assert_eq!(Captions::from_value("burned_in"), Some(Captions::Burn));
    assert_eq!(Captions::On.value(), "on");
}

// ---- the round trip through the kit ----------------------------------------------------

#[derive(ActionForm, Debug)]
#[form(title = "Rename", description = "Choose the new name")]
struct Rename {
    #[form(label = "New name", max_len = 10)]
    new_name: String,
    #[form(range = 1..=3)]
    copies: u8,
}

async fn rename(
    _event: ActionEvent,
    Submitted(form): Submitted<Rename>,
) -> frameio_kit::Result<Message> {
    Ok(Message::new(
        "Renamed",
        format!("{} × {}", form.new_name, form.copies),
    ))
}

#[tokio::test]
async fn first_click_invalid_and_valid_submits() -> Result<(), TestError> {
    let app =
        TestApp::new(App::new().handler(Handler::action("rename", rename).secret("s"))).secret("s");

    // 1. First click: the kit answers the form, the handler does not run.
    let reply = app.deliver(action_event("rename")).await?;
    reply.assert_ok();
    assert_eq!(reply.body(), json_of(&Rename::form()).as_bytes());
    let form = reply.form()?;

    // 2. Invalid submit: the same form again, values kept, every problem shown.
    let reply = form
        .submit(json!({"new_name": "far too long a name", "copies": "9"}))
        .await?;
    reply.assert_ok();
    let again = reply.form()?;
    assert_eq!(
        again.description,
        "Choose the new name\n\nPlease fix: New name — must be at most 10 characters; Copies — must be between 1 and 3"
    );
    assert_eq!(
        again.field("new_name")?.label,
        "New name — must be at most 10 characters"
    );
    assert_eq!(
        again.field("new_name")?.value_str(),
        Some("far too long a name")
    );
    assert_eq!(again.field("copies")?.value_str(), Some("9"));

    // 3. Valid submit (from the re-shown form): the handler runs with the parsed value.
    let reply = again
        .submit(json!({"new_name": "final", "copies": "2"}))
        .await?;
    assert_eq!(reply.message()?.description, "final × 2");
    Ok(())
}

async fn prefilled(
    event: ActionEvent,
    form: Option<Submitted<Rename>>,
) -> frameio_kit::Result<ActionResponse> {
    Ok(match form {
        None => Rename {
            new_name: event.resource_id().to_owned(),
            copies: 1,
        }
        .form_with()
        .into(),
        Some(Submitted(form)) => Message::new("Renamed", form.new_name).into(),
    })
}

async fn decides(submission: Submission<Rename>) -> frameio_kit::Result<ActionResponse> {
    Ok(match submission {
        Submission::Opened => Message::new("Opened", "first click").into(),
        Submission::Valid(form) => Message::new("Valid", form.new_name).into(),
        Submission::Invalid(invalid) => {
            Message::new("Invalid", invalid.errors().to_string()).into()
        }
        _ => Message::new("?", "?").into(),
    })
}

#[tokio::test]
async fn opt_outs_let_the_handler_decide() -> Result<(), TestError> {
    let app = TestApp::new(
        App::new()
            .handler(Handler::action("prefilled", prefilled).secret("s"))
            .handler(Handler::action("decides", decides).secret("s")),
    )
    .secret("s");

    // Option<Submitted<T>>: the handler answers the first click itself...
    let form = app
        .deliver(action_event("prefilled").resource_id("clip.mov"))
        .await?
        .form()?;
    assert_eq!(form.field("new_name")?.value_str(), Some("clip.mov"));
    assert_eq!(form.field("copies")?.value_str(), Some("1"));
    // ...but an invalid submit is still answered by the kit.
    let again = form.submit(json!({"copies": "0"})).await?.form()?;
    assert_eq!(
        again.field("copies")?.label,
        "Copies — must be between 1 and 3"
    );
    let done = again.submit(json!({"copies": "3"})).await?.message()?;
    assert_eq!(done.description, "clip.mov");

    // Submission<T>: every case reaches the handler.
    let opened = app.deliver(action_event("decides")).await?.message()?;
    assert_eq!(opened.title, "Opened");
    let invalid = app
        .deliver(action_event("decides").data(json!({"new_name": ""})))
        .await?
        .message()?;
    assert_eq!(
        invalid.description,
        "New name — required; Copies — required"
    );
    let valid = app
        .deliver(action_event("decides").data(json!({"new_name": "x", "copies": 1})))
        .await?
        .message()?;
    assert_eq!(valid.description, "x");
    Ok(())
}

async fn on_ready(
    _event: frameio_kit::WebhookEvent,
    _form: Submitted<Rename>,
) -> frameio_kit::Result<()> {
    Ok(())
}

#[test]
fn a_webhook_cannot_take_a_form() {
    let err = App::new()
        .handler(Handler::webhook(["file.ready"], on_ready).secret("s"))
        .build()
        .expect_err("refused");
    assert!(
        err.to_string()
            .contains("only action handlers receive forms"),
        "{err}"
    );
}

// ---- step state ----------------------------------------------------------------------

#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Count {
    clicks: u32,
}

async fn counting(mut steps: Steps<Count>) -> frameio_kit::Result<Form> {
    steps.clicks += 1;
    steps.save().await?;
    Ok(Form::new("Again", format!("step {}", steps.clicks)).field(TextField::new("X", "x")))
}

#[test]
fn steps_without_a_step_store_are_refused_at_start_up() {
    let err = App::new()
        .handler(Handler::action("count", counting).secret("s"))
        .build()
        .expect_err("refused");
    assert!(
        err.to_string().contains("no `StepStore` is registered"),
        "{err}"
    );
}

#[tokio::test]
async fn steps_are_kept_per_interaction() -> Result<(), TestError> {
    let app = TestApp::new(
        App::new()
            .state(StepStore::new(MemoryStore::new()))
            .handler(Handler::action("count", counting).secret("s")),
    )
    .secret("s");
    let first = app
        .deliver(action_event("count").interaction_id("i-1"))
        .await?
        .form()?;
    assert_eq!(first.description, "step 1");
    let second = first.submit(json!({"x": "a"})).await?.form()?;
    assert_eq!(second.description, "step 2");
    let third = second.submit(json!({"x": "b"})).await?.form()?;
    assert_eq!(third.description, "step 3");
    // Another interaction starts from the default.
    let other = app
        .deliver(action_event("count").interaction_id("i-2"))
        .await?
        .form()?;
    assert_eq!(other.description, "step 1");
    Ok(())
}
