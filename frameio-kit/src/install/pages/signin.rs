//! The pages before a workspace is chosen: landing, Adobe IMS sign-in and sign-out.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) async fn landing(req: HttpRequest, install: web::Data<Install>) -> HttpResponse {
    let p = &install.inner.prefix;
    let signed_in = install.session(&req).await.is_some();
    install.page(
        StatusCode::OK,
        &format!("Install {}", install.inner.name),
        html! {
            @if !install.inner.description.is_empty() { p.lead { (install.inner.description) } }
            (install.what_gets_installed())
            @if signed_in {
                p { a.button href=(format!("{p}/accounts")) { "Choose a workspace" } }
            } @else {
                p { a.button href=(format!("{p}/login")) { "Sign in with Adobe" } }
                p.help { "You need to be an administrator of the Frame.io workspace." }
            }
        },
    )
}

pub(super) async fn login(install: web::Data<Install>) -> HttpResponse {
    let Some(ims) = &install.inner.ims else {
        warn!("install sign-in is not configured (Install::builder().ims(…))");
        return install.message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sign-in unavailable",
            "Sign-in with Adobe is not configured for this app.",
        );
    };
    let state = random_token(24);
    if let Err(err) = install
        .inner
        .store
        .set(&format!("install:state:{state}"), b"1", Some(STATE_TTL))
        .await
    {
        warn!(error = %err, "cannot store the sign-in state");
        return install.message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sign-in unavailable",
            "Please try again in a moment.",
        );
    }
    match ims.authorization_url(&install.redirect_uri(), &state) {
        Ok(url) => HttpResponse::TemporaryRedirect()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        Err(err) => {
            warn!(error = %err, "cannot build the sign-in URL");
            install.message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sign-in unavailable",
                "Sign-in with Adobe is misconfigured.",
            )
        }
    }
}

#[derive(Deserialize)]
pub(super) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

pub(super) async fn callback(
    install: web::Data<Install>,
    query: web::Query<CallbackQuery>,
) -> HttpResponse {
    let bad = |text: &str| install.message(StatusCode::BAD_REQUEST, "Sign-in failed", text);
    if query.error.is_some() {
        return bad("Adobe refused the sign-in.");
    }
    let (Some(code), Some(state)) = (&query.code, &query.state) else {
        return bad("The sign-in answer is incomplete.");
    };
    if state.len() > 128 {
        return bad("The sign-in link is invalid.");
    }
    match install
        .inner
        .store
        .take(&format!("install:state:{state}"))
        .await
    {
        Ok(Some(_)) => {}
        Ok(None) => return bad("The sign-in link has expired or was already used. Start again."),
        Err(err) => {
            warn!(error = %err, "cannot read the sign-in state");
            return install.message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sign-in failed",
                "Please try again.",
            );
        }
    }
    let Some(ims) = &install.inner.ims else {
        return bad("Sign-in is not configured.");
    };
    let failed =
        |what: &str| install.message(StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed", what);
    let token = match ims.exchange_code(code, &install.redirect_uri()).await {
        Ok(token) => token,
        Err(err) => {
            warn!(error = %err, "install sign-in: code exchange failed");
            return failed("Adobe did not accept the sign-in. Please try again.");
        }
    };
    let access = token.access_token().to_owned();
    let user = match install.client(&access) {
        Ok(client) => match client.users().me().await {
            Ok(me) => format!("{} ({})", me.name, me.id),
            Err(err) => {
                warn!(error = %err, "install sign-in: /v4/me failed");
                return failed("Frame.io did not accept the sign-in.");
            }
        },
        Err(err) => {
            warn!(error = %err, "install sign-in: cannot build the client");
            return failed("Frame.io is unreachable.");
        }
    };
    match install.start_session(access, user).await {
        Ok(cookie) => {
            info!("install: admin signed in");
            HttpResponse::SeeOther()
                .insert_header((
                    header::LOCATION,
                    format!("{}/accounts", install.inner.prefix),
                ))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .cookie(cookie)
                .finish()
        }
        Err(err) => {
            warn!(error = %err, "install sign-in: cannot store the session");
            failed("Please try again.")
        }
    }
}

pub(super) async fn logout(
    req: HttpRequest,
    install: web::Data<Install>,
    form: web::Form<BTreeMap<String, String>>,
) -> HttpResponse {
    let Some((sid, session)) = install.session(&req).await else {
        return install.signed_out();
    };
    if !csrf_ok(&session, &form) {
        return csrf_refused(&install);
    }
    let _ = install.inner.store.delete(&session_key(&sid)).await;
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, install.inner.prefix.clone()))
        .cookie(install.cookie(String::new(), CookieDuration::ZERO))
        .finish()
}
