use frameio_kit::forms::ActionForm;

#[derive(ActionForm)]
struct Code {
    #[form(pattern = "[A-Z")]
    code: String,
    #[form(pattern = "a{2,1}")]
    other: String,
}

fn main() {}
