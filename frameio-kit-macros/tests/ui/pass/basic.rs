use frameio_kit::prelude::*;

#[webhook("file.ready")]
async fn on_ready(event: WebhookEvent) -> Result<()> {
    let _ = event.resource_id();
    Ok(())
}

#[action(event = "greet", name = "Greet", description = "Say hello")]
async fn greet(_event: ActionEvent) -> Result<Message> {
    Ok(Message::new("Hi", "there"))
}

#[action(event = "ask", name = "Ask")]
async fn ask(event: ActionEvent) -> anyhow::Result<ActionResponse> {
    if event.is_form_submit() {
        return Ok(Message::new("Thanks", "Got it").into());
    }
    Ok(Form::new("Question", "Answer").field(TextField::new("A", "a")).into())
}

#[action(event = "nothing", name = "Nothing")]
async fn nothing(_event: ActionEvent) {}

fn main() {
    // The functions stay ordinary async functions.
    let _ = on_ready;
    let _ = greet;
    let _ = ask;
    let _ = nothing;
    assert_eq!(frameio_kit::handler::registered().len(), 4);
}
