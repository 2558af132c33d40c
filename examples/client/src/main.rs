//! `projects <account_id> <workspace_id>` lists projects; no arguments serves the webhook.

use client_example as _;
use frameio_kit::client::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [command, account, workspace] if command == "projects" => {
            let token = std::env::var("FRAMEIO_TOKEN").map_err(|_| "set FRAMEIO_TOKEN")?;
            let client = Client::new(token)?;
            for name in client_example::project_names(&client, account, workspace).await? {
                println!("{name}");
            }
            Ok(())
        }
        [] => Ok(frameio_kit::serve().await?),
        _ => Err("usage: client-example [projects <account_id> <workspace_id>]".into()),
    }
}
