// Users who rename the dependency point the macros at it.
extern crate frameio_kit as fk;

#[fk::webhook("file.ready", crate = "fk")]
async fn on_ready(_event: fk::WebhookEvent) -> fk::Result<()> {
    Ok(())
}

#[fk::action(event = "go", name = "Go", crate = "fk")]
async fn go(_event: fk::ActionEvent) -> fk::Result<fk::Message> {
    Ok(fk::Message::new("a", "b"))
}

fn main() {
    assert_eq!(fk::handler::registered().len(), 2);
}
