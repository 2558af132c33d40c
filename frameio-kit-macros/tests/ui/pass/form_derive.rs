// Every kind of field and rule compiles, with the crate renamed too.
extern crate frameio_kit as fk;

use fk::forms::{ActionForm, FormChoice};

#[derive(FormChoice, Clone, Copy)]
#[form(crate = "fk")]
enum Level {
    Low,
    #[form(label = "Very high", value = "max")]
    High,
}

fn no_spaces(value: &String) -> Result<(), String> {
    if value.contains(' ') { Err("has spaces".into()) } else { Ok(()) }
}

fn whole(_form: &Everything) -> Result<(), &'static str> {
    Ok(())
}

#[derive(ActionForm)]
#[form(crate = "fk", title = "Everything", description = "All kinds", validate = whole)]
struct Everything {
    #[form(label = "Name", help = "no spaces", min_len = 1, max_len = 10, pattern = "[a-z]+", validate = no_spaces, default = "abc")]
    name: String,
    #[form(textarea)]
    notes: Option<String>,
    #[form(default = Level::High)]
    level: Level,
    maybe_level: Option<Level>,
    #[form(required)]
    agree: bool,
    #[form(range = 1..=8, default = 2)]
    count: u8,
    #[form(range = 0.5..)]
    ratio: Option<f64>,
    #[form(link = "https://example.com", label = "Docs")]
    docs: String,
    #[form(rename = "type")]
    r#type: i64,
    #[form(skip)]
    internal: Vec<u8>,
}

fn main() {
    let form = Everything::form();
    assert_eq!(form.fields.len(), 9);
    assert_eq!(form.fields[0].label(), "Name (no spaces)");
    let _ = Level::High.value();
}
