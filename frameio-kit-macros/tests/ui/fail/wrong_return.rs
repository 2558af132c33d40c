use frameio_kit::prelude::*;

#[webhook("file.ready")]
async fn returns_value(_event: WebhookEvent) -> Result<String> {
    Ok(String::new())
}

#[action(event = "a", name = "A")]
async fn returns_string(_event: ActionEvent) -> String {
    String::new()
}

fn main() {}
