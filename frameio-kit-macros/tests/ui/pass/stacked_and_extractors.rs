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

#[action(event = "private", name = "Private", require_user_auth, resource_types = ["file"])]
async fn private(_event: ActionEvent, _token: frameio_kit::auth::UserToken) -> Result<()> {
    Ok(())
}

fn main() {
    let handlers = frameio_kit::handler::registered();
    assert_eq!(handlers.len(), 4);
    let private = handlers.iter().find(|h| h.events() == ["private"]).unwrap();
    assert!(private.requires_user_auth());
}
