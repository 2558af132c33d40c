use frameio_kit::forms::ActionForm;

#[derive(ActionForm)]
#[form(title = "T", colour = "red")]
struct Settings {
    #[form(lable = "Name")]
    name: String,
    #[form(range = 1..10)]
    count: u8,
    #[form(link = "https://example.com", required)]
    help: String,
    #[form(rename = "name")]
    other: String,
}

#[derive(ActionForm)]
struct Tuple(String);

fn main() {}
