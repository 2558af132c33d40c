//! The first click of a user with no token answers the sign-in Form.

use user_auth_example as _;

use frameio_kit::App;
use frameio_kit_testing::{TestApp, TestError, action_event, test_env};

#[tokio::test]
async fn first_click_asks_to_sign_in() -> Result<(), TestError> {
    let auth =
        user_auth_example::sign_in("id", "secret", "https://hooks.example.com").memory_store();
    let app =
        TestApp::new(App::from_registry().user_auth(auth)).app(|app| app.env_lookup(test_env));
    let form = app.deliver(action_event("whoami")).await?.form()?;
    let link = form
        .field("login_url")?
        .value_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        link.starts_with("https://hooks.example.com/auth/login?t="),
        "{link}"
    );
    Ok(())
}
