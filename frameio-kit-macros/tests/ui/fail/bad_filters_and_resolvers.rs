use frameio_kit::prelude::*;

async fn resolve(_event: &ActionEvent) -> Result<String> {
    Ok(String::new())
}

#[action(event = "a", name = "A", resource_types = ["file", "clip", "file"])]
async fn unknown_and_repeated(_event: ActionEvent) -> Result<()> {
    Ok(())
}

#[action(event = "b", name = "B", resource_types = [])]
async fn empty(_event: ActionEvent) -> Result<()> {
    Ok(())
}

#[action(event = "c", name = "C", resource_types = "file")]
async fn not_a_list(_event: ActionEvent) -> Result<()> {
    Ok(())
}

#[webhook("file.ready", resource_types = ["file"])]
async fn on_a_webhook(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[action(event = "d", name = "D", secret = resolve, secret_env = "D_SECRET")]
async fn both_sources(_event: ActionEvent) -> Result<()> {
    Ok(())
}

#[action(event = "e", name = "E", secret = "literal")]
async fn literal_secret(_event: ActionEvent) -> Result<()> {
    Ok(())
}

#[webhook("file.created", require_user_auth)]
async fn webhook_sign_in(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[action(event = "f", name = "F", require_user_auth = true)]
async fn flag_with_value(_event: ActionEvent) -> Result<()> {
    Ok(())
}

#[action(event = "g", name = "G", description)]
async fn key_without_value(_event: ActionEvent) -> Result<()> {
    Ok(())
}

fn main() {}
