//! The signed-in pages: account and workspace choice, the install form or status panel, and
//! the operations they post.

#[allow(clippy::wildcard_imports)]
use super::*;

fn not_allowed(install: &Install) -> HttpResponse {
    warn!("install page: account not allowed");
    install.message(
        StatusCode::FORBIDDEN,
        "Account not allowed",
        "This app cannot be installed in that account.",
    )
}

/// The signed-in admin must see the workspace in Frame.io before anything is shown or changed
/// there: a record is never read, changed or removed for someone who cannot reach it.
async fn check_workspace(
    install: &Install,
    client: &Client,
    account: &str,
    workspace: &str,
) -> Result<(), HttpResponse> {
    match client.workspaces().show(account, workspace).await {
        Ok(found) if found.id.is_empty() || found.id == workspace => Ok(()),
        Ok(_) => Err(not_allowed(install)),
        Err(err) if err.status().is_some_and(|s| s.as_u16() == 401) => {
            Err(api_failed(install, &err.into()))
        }
        Err(err) => {
            warn!(error = %err, "install page: workspace not visible to the signed-in admin");
            Err(install.message(
                StatusCode::FORBIDDEN,
                "Workspace not available",
                "Your Frame.io account cannot manage this workspace.",
            ))
        }
    }
}

fn api_failed(install: &Install, err: &InstallError) -> HttpResponse {
    warn!(error = %err, "install page: operation failed");
    let text = match err {
        InstallError::Api(e) if e.status().is_some_and(|s| s.as_u16() == 401) => {
            "Frame.io no longer accepts your sign-in. Sign in again."
        }
        InstallError::Api(_) => {
            "Frame.io refused the request. Check that you administer this workspace, then try again."
        }
        _ => "Something went wrong. Please try again.",
    };
    install.message(StatusCode::BAD_GATEWAY, "That did not work", text)
}

pub(super) async fn accounts(req: HttpRequest, install: web::Data<Install>) -> HttpResponse {
    let Some((_, session)) = install.session(&req).await else {
        return install.signed_out();
    };
    let client = match install.client(&session.token) {
        Ok(c) => c,
        Err(err) => return api_failed(&install, &err),
    };
    let list = match client.accounts().list().collect_all().await {
        Ok(list) => list,
        Err(err) => return api_failed(&install, &err.into()),
    };
    let p = &install.inner.prefix;
    let shown: Vec<_> = list
        .iter()
        .filter(|a| install.account_allowed(&a.id) && valid_id(&a.id))
        .collect();
    install.page(
        StatusCode::OK,
        "Choose an account",
        html! {
            p.help { "Signed in as " (session.user) }
            @if shown.is_empty() {
                p.notice { "None of your accounts can install this app." }
            }
            ul.choices {
                @for a in &shown {
                    li { a.button href=(format!("{p}/accounts/{}", a.id)) { (a.display_name) } }
                }
            }
            (logout_form(p, &session))
        },
    )
}

fn logout_form(prefix: &str, session: &Session) -> Markup {
    html! {
        form.inline method="post" action=(format!("{prefix}/logout")) {
            (csrf_input(session))
            button type="submit" { "Sign out" }
        }
    }
}

pub(super) async fn workspaces(
    req: HttpRequest,
    install: web::Data<Install>,
    path: web::Path<String>,
) -> HttpResponse {
    let account = path.into_inner();
    let Some((_, session)) = install.session(&req).await else {
        return install.signed_out();
    };
    if !install.account_allowed(&account) || !valid_id(&account) {
        return not_allowed(&install);
    }
    let client = match install.client(&session.token) {
        Ok(c) => c,
        Err(err) => return api_failed(&install, &err),
    };
    let list = match client.workspaces().list(&account).collect_all().await {
        Ok(list) => list,
        Err(err) => return api_failed(&install, &err.into()),
    };
    let p = &install.inner.prefix;
    let mut rows = Vec::new();
    for w in list.iter().filter(|w| valid_id(&w.id)) {
        let installed = matches!(install.installation(&account, &w.id).await, Ok(Some(_)));
        rows.push((w, installed));
    }
    install.page(
        StatusCode::OK,
        "Choose a workspace",
        html! {
            ul.choices {
                @for (w, installed) in &rows {
                    li {
                        a.button href=(format!("{p}/accounts/{account}/workspaces/{}", w.id)) { (w.name) }
                        @if *installed { " " span.badge { "installed" } }
                    }
                }
            }
            p { a href=(format!("{p}/accounts")) { "Other account" } }
        },
    )
}

#[derive(Deserialize)]
pub(super) struct DoneQuery {
    done: Option<String>,
}

pub(super) async fn workspace(
    req: HttpRequest,
    install: web::Data<Install>,
    path: web::Path<(String, String)>,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let (account, ws) = path.into_inner();
    let Some((_, session)) = install.session(&req).await else {
        return install.signed_out();
    };
    if !install.account_allowed(&account) || !valid_id(&account) || !valid_id(&ws) {
        return not_allowed(&install);
    }
    let client = match install.client(&session.token) {
        Ok(c) => c,
        Err(err) => return api_failed(&install, &err),
    };
    if let Err(refused) = check_workspace(&install, &client, &account, &ws).await {
        return refused;
    }
    let record = match install.installation(&account, &ws).await {
        Ok(r) => r,
        Err(err) => return api_failed(&install, &err),
    };
    let p = &install.inner.prefix;
    let base = format!("{p}/accounts/{account}/workspaces/{ws}");
    let done = match query.done.as_deref() {
        Some("install") => Some("Installed."),
        Some("update") => Some("Updated."),
        Some("repair") => Some("Repaired."),
        Some("rotate") => Some("Signing secrets rotated."),
        _ => None,
    };
    let Some(record) = record else {
        return install.page(
            StatusCode::OK,
            &format!("Install {}", install.inner.name),
            html! {
                (install.what_gets_installed())
                form method="post" action=(format!("{base}/install")) {
                    (csrf_input(&session))
                    (install.fields_form(None))
                    button type="submit" { "Install" }
                }
                p { a href=(format!("{p}/accounts/{account}")) { "Other workspace" } }
            },
        );
    };
    let drift = install.drift(&client, &account, &ws).await;
    let health = install.last_delivery(&account, &ws).await.ok().flatten();
    let diff = ManifestDiff::between(&record, &install.inner.manifest, install.receiver_url());
    install.page(
        StatusCode::OK,
        &format!("{} is installed", install.inner.name),
        html! {
            @if let Some(done) = done { p.notice { (done) } }
            section {
                h2 { "Status" }
                p { "Installed by " (record.installed_by) ", " (format_time(record.installed_at)) "." }
                @if let Some(w) = &record.webhook {
                    p { "Webhook for " (w.events.join(", ")) "." }
                }
                @if !record.actions.is_empty() {
                    p { "Actions: " (record.actions.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ")) "." }
                }
                p id="health" {
                    "Last delivery: "
                    @match &health {
                        Some(h) => {
                            (format_time(h.at)) " — " code { (h.event_type) } " "
                            @if h.ok { span.ok { "handled" } } @else { span.bad { "failed" } }
                        }
                        None => { "none yet" }
                    }
                }
            }
            section {
                h2 { "Frame.io" }
                @match &drift {
                    Ok(report) if report.is_clean() => { p.ok id="drift" { "Everything matches." } }
                    Ok(report) => {
                        p.bad id="drift" { "Changed in Frame.io since it was installed:" }
                        ul { @for item in &report.items { li { (item.to_string()) } } }
                        form.inline method="post" action=(format!("{base}/repair")) {
                            (csrf_input(&session))
                            button type="submit" { "Repair" }
                        }
                    }
                    Err(_) => { p.bad { "Frame.io could not be checked right now." } }
                }
            }
            section {
                h2 { "Update" }
                @if diff.is_empty() {
                    p id="diff" { "The installation matches this version of the app." }
                } @else {
                    p { "This version of the app changes:" }
                    pre id="diff" { (diff.to_string()) }
                }
                form method="post" action=(format!("{base}/update")) {
                    (csrf_input(&session))
                    (install.fields_form(Some(&record)))
                    button type="submit" { "Update" }
                }
            }
            section {
                h2 { "Maintenance" }
                form.inline method="post" action=(format!("{base}/rotate")) {
                    (csrf_input(&session))
                    button type="submit" { "Rotate secrets" }
                }
                form.inline method="post" action=(format!("{base}/uninstall")) {
                    (csrf_input(&session))
                    button.danger type="submit" { "Uninstall" }
                }
            }
            p { a href=(format!("{p}/accounts/{account}")) { "Other workspace" } }
        },
    )
}

pub(super) async fn operation(
    req: HttpRequest,
    install: web::Data<Install>,
    path: web::Path<(String, String, String)>,
    form: web::Form<BTreeMap<String, String>>,
) -> HttpResponse {
    let (account, ws, op) = path.into_inner();
    let Some((_, session)) = install.session(&req).await else {
        return install.signed_out();
    };
    if !csrf_ok(&session, &form) {
        return csrf_refused(&install);
    }
    if !install.account_allowed(&account) || !valid_id(&account) || !valid_id(&ws) {
        return not_allowed(&install);
    }
    let client: Client = match install.client(&session.token) {
        Ok(c) => c,
        Err(err) => return api_failed(&install, &err),
    };
    if let Err(refused) = check_workspace(&install, &client, &account, &ws).await {
        return refused;
    }
    let mut values: FieldValues = form.into_inner();
    values.remove("csrf");
    let result = match op.as_str() {
        "install" => install
            .install(&client, &account, &ws, &values, &session.user)
            .await
            .map(drop),
        "update" => install
            .update(&client, &account, &ws, &values)
            .await
            .map(drop),
        "repair" => install.repair(&client, &account, &ws).await.map(drop),
        "rotate" => install.rotate(&client, &account, &ws).await.map(drop),
        "uninstall" => install.uninstall(&client, &account, &ws).await,
        _ => {
            return install.message(StatusCode::NOT_FOUND, "Not found", "There is no such page.");
        }
    };
    let p = &install.inner.prefix;
    match result {
        Ok(()) if op == "uninstall" => install.page(
            StatusCode::OK,
            "Uninstalled",
            html! {
                p.notice { (install.inner.name) " was removed from the workspace." }
                p { a href=(format!("{p}/accounts/{account}")) { "Back to the workspaces" } }
            },
        ),
        Ok(()) => see_other(&format!("{p}/accounts/{account}/workspaces/{ws}?done={op}")),
        Err(InstallError::Field(text)) => {
            install.message(StatusCode::BAD_REQUEST, "Please check the form", &text)
        }
        Err(InstallError::AccountNotAllowed) => not_allowed(&install),
        Err(InstallError::AlreadyInstalled) => {
            see_other(&format!("{p}/accounts/{account}/workspaces/{ws}"))
        }
        Err(InstallError::NotInstalled) => install.message(
            StatusCode::NOT_FOUND,
            "Not installed",
            "The app is not installed in this workspace.",
        ),
        Err(err) => api_failed(&install, &err),
    }
}
