//! The development manifest route is mounted only when `FRAMEIO_KIT_DEV_MANIFEST_ROUTE` asks
//! for it, and answers the app's manifest over real HTTP.

use frameio_kit::manifest::{DEV_ROUTE_ENV, DEV_ROUTE_PATH, Manifest};
use frameio_kit::prelude::*;

async fn export(_event: ActionEvent) -> Result<Message> {
    Ok(Message::new("Exported", "Done."))
}

async fn get(dev_route: Option<&'static str>) -> (u16, String) {
    let service = App::new()
        .env_lookup(move |name| (name == DEV_ROUTE_ENV).then_some(dev_route?.to_owned()))
        .handler(Handler::action("my_app.export", export).secret("s"))
        .build()
        .unwrap();
    let server = service.start(("127.0.0.1", 0)).unwrap();
    let response = reqwest::get(format!("http://{}{DEV_ROUTE_PATH}", server.local_addr()))
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    server.stop(true).await.unwrap();
    (status, body)
}

#[tokio::test]
async fn the_dev_route_serves_the_manifest_only_when_asked() {
    let (status, body) = get(Some("1")).await;
    assert_eq!(status, 200, "{body}");
    let manifest = Manifest::from_json(&body).unwrap();
    assert!(manifest.find_action("my_app.export").is_some(), "{body}");

    assert_eq!(get(None).await.0, 404);
    assert_eq!(get(Some("0")).await.0, 404);
}
