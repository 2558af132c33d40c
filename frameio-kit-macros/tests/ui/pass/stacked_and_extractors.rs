use frameio_kit::prelude::*;

struct Db;

#[webhook("file.created", "file.updated")]
#[webhook("file.deleted", secret_env = "DELETES_SECRET")]
async fn on_change(_event: WebhookEvent, _db: State<Db>, _headers: Headers) -> Result<(), std::io::Error> {
    Ok(())
}

#[action(event = "tag", name = "Tag", secret_env = "TAG_SECRET")]
async fn tag(_event: ActionEvent, _db: State<Db>) -> Result<Option<Message>, String> {
    Ok(None)
}

fn main() {
    let handlers = frameio_kit::handler::registered();
    assert_eq!(handlers.len(), 3);
}
