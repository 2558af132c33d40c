use frameio_kit::forms::ActionForm;

fn check(_value: &u8) -> Result<(), String> {
    Ok(())
}

#[derive(ActionForm)]
struct Rules {
    #[form(min_len = 2)]
    count: u8,
    #[form(range = 1..=3)]
    name: String,
    #[form(textarea)]
    flag: bool,
    #[form(validate = check)]
    title: String,
}

fn main() {}
