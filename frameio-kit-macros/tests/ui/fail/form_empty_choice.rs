use frameio_kit::forms::FormChoice;

#[derive(FormChoice)]
enum Nothing {}

#[derive(FormChoice)]
enum WithData {
    A(u8),
}

#[derive(FormChoice)]
enum Twice {
    #[form(value = "x")]
    A,
    #[form(value = "x")]
    B,
}

fn main() {}
