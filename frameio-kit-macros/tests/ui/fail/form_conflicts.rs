use frameio_kit::forms::ActionForm;

#[derive(ActionForm)]
struct Settings {
    #[form(range = 1..10)]
    count: u8,
    #[form(range = "ten")]
    other: u8,
    #[form(link = "https://example.com", required)]
    help: String,
    #[form(rename = "count")]
    second: String,
    #[form(min_len = 5, max_len = 2)]
    code: String,
}

fn main() {}
