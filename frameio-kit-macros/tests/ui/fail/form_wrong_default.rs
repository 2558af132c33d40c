use frameio_kit::forms::ActionForm;

#[derive(ActionForm)]
struct Settings {
    #[form(default = "three")]
    count: u8,
    #[form(default = 3)]
    name: String,
    #[form(default = "yes")]
    enabled: Option<bool>,
}

fn main() {}
