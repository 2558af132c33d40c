use frameio_kit::forms::ActionForm;

#[derive(ActionForm)]
#[form(title = "T", colour = "red")]
struct Settings {
    #[form(lable = "Name")]
    name: String,
}

#[derive(ActionForm)]
struct Tuple(String);

fn main() {}
