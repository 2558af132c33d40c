use frameio_kit::forms::ActionForm;

enum Plain {
    A,
}

#[derive(ActionForm)]
struct Upload {
    bytes: Vec<u8>,
    kind: Plain,
}

fn main() {}
