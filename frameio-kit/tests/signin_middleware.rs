//! Middleware runs around the sign-in step (issue #17 item 9): a timing middleware sees the
//! deliveries answered with the sign-in Form, and an allow-list refuses a blocked account
//! before it is ever asked to sign in.

use std::sync::{Arc, Mutex};

use frameio_kit::Delivery;
use frameio_kit::auth::{UserAuth, UserToken};
use frameio_kit::handler::HandlerResult;
use frameio_kit::middleware::{Middleware, Next};
use frameio_kit::prelude::*;
use frameio_kit_testing::mock_ims::{CLIENT_ID, CLIENT_SECRET};
use frameio_kit_testing::{MockIms, TestApp, action_event};

struct Seen(Arc<Mutex<Vec<String>>>);

impl Middleware for Seen {
    async fn handle(&self, delivery: Delivery, next: Next<'_>) -> HandlerResult {
        self.0.lock().unwrap().push(delivery.user_id().to_owned());
        next.run(delivery).await
    }
}

struct AllowList(&'static str);

impl Middleware for AllowList {
    async fn action(&self, delivery: Delivery, next: Next<'_>) -> HandlerResult {
        if delivery.account_id() == self.0 {
            next.run(delivery).await
        } else {
            Ok(Message::new("Not available", "Your account cannot use this action.").into())
        }
    }
}

async fn whoami(event: ActionEvent, _token: UserToken) -> Result<Message> {
    Ok(Message::new("Hi", event.user_id().to_owned()))
}

#[tokio::test]
async fn middleware_sees_the_sign_in_prompt_and_an_allow_list_refuses_first() {
    let ims = MockIms::start().await.unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = TestApp::new(
        App::new()
            .user_auth(
                UserAuth::builder(CLIENT_ID, CLIENT_SECRET)
                    .ims_base_url(ims.base_url())
                    .public_base_url("https://hooks.example.com")
                    .memory_store(),
            )
            .middleware(Seen(Arc::clone(&seen)))
            .middleware(AllowList("acc-ok"))
            .handler(
                Handler::action("whoami", whoami)
                    .require_user_auth()
                    .secret("s"),
            ),
    )
    .secret("s");

    // Allowed account, not signed in: the Form, and the timing middleware saw it.
    let form = app
        .deliver(action_event("whoami").account_id("acc-ok").user_id("u-1"))
        .await
        .unwrap()
        .form()
        .unwrap();
    assert_eq!(form.title, "Authentication Required");
    assert_eq!(*seen.lock().unwrap(), ["u-1"]);

    // Blocked account: refused by the allow-list, never shown the sign-in Form.
    let refused = app
        .deliver(
            action_event("whoami")
                .account_id("acc-blocked")
                .user_id("u-2"),
        )
        .await
        .unwrap()
        .message()
        .unwrap();
    assert_eq!(refused.title, "Not available");
    assert_eq!(*seen.lock().unwrap(), ["u-1", "u-2"]);
}
