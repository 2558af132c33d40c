//! The install pages over plain HTTP: sign-in through MockIms, the session cookie's
//! attributes, no external asset on any page, CSRF / wrong account / tampered cookie each
//! refused, and `<script>` escaped in every value shown.
#![cfg(feature = "install")]

mod install_support;

use std::sync::Arc;

use frameio_kit::install::Branding;
use frameio_kit::store::MemoryStore;
use install_support::*;

struct Browser<'a> {
    h: &'a Harness,
    cookie: Option<String>,
    set_cookie: Option<String>,
}

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

impl<'a> Browser<'a> {
    fn new(h: &'a Harness) -> Self {
        Self {
            h,
            cookie: None,
            set_cookie: None,
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.h.base)
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let request = match &self.cookie {
            Some(c) => request.header("cookie", c),
            None => request,
        };
        let response = request.send().await.unwrap();
        if let Some(set) = response.headers().get("set-cookie") {
            let set = set.to_str().unwrap().to_owned();
            self.cookie = Some(set.split(';').next().unwrap().to_owned());
            self.set_cookie = Some(set);
        }
        Page {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned()),
            body: response.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = self.h.http.get(self.url(path));
        self.send(request).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let request = self.h.http.post(self.url(path)).form(form);
        self.send(request).await
    }

    /// Landing → IMS → callback; returns the callback's answer.
    async fn sign_in(&mut self) -> Page {
        let login = self.get("/install/login").await;
        assert_eq!(login.status, 307);
        let ims = self
            .h
            .http
            .get(login.location.unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(ims.status().as_u16(), 302);
        let back = ims.headers()["location"].to_str().unwrap().to_owned();
        // A public https URL is served over plain http in this test.
        let back = back.replace("https://", "http://");
        let page = self.get(&back).await;
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(page.location.as_deref(), Some("/install/accounts"));
        page
    }
}

fn csrf(body: &str) -> String {
    let at = body.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    body[at..at + body[at..].find('"').unwrap()].to_owned()
}

/// Every `src`, `href` and `action` of a page must stay on this site.
fn assert_no_external_asset(body: &str) {
    for attr in ["src=\"", "href=\"", "action=\"", "srcset=\""] {
        let mut rest = body;
        while let Some(at) = rest.find(attr) {
            rest = &rest[at + attr.len()..];
            let value = &rest[..rest.find('"').unwrap()];
            assert!(
                (value.starts_with('/') && !value.starts_with("//"))
                    || value.starts_with('#')
                    || value.starts_with("data:"),
                "external reference {attr}{value}\" in\n{body}"
            );
        }
    }
    for banned in ["<link", "@import", "url(", "<script", "@font-face"] {
        assert!(!body.contains(banned), "{banned} in\n{body}");
    }
}

#[tokio::test]
async fn journey_pages_have_no_external_asset_and_a_proper_cookie() {
    let h = Harness::start(Arc::new(MemoryStore::new())).await;
    let mut b = Browser::new(&h);
    let landing = b.get("/install").await;
    assert_eq!(landing.status, 200);
    assert!(landing.body.contains("Sign in with Adobe"));
    assert!(landing.body.contains("file.ready") && landing.body.contains("Transcribe"));
    assert_no_external_asset(&landing.body);

    b.sign_in().await;
    let set = b.set_cookie.clone().unwrap();
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Lax"), "{set}");
    assert!(set.contains("Path=/install"), "{set}");
    assert!(set.contains("Max-Age=1800"), "{set}");
    assert!(!set.contains("Secure"), "plain http: no Secure flag: {set}");
    let value = b.cookie.clone().unwrap();
    assert!(
        !value.contains(&h.mock.token()) && !value.contains("user-1"),
        "encrypted"
    );

    let accounts = b.get("/install/accounts").await;
    assert_eq!(accounts.status, 200);
    assert!(accounts.body.contains("Acme Studios") && accounts.body.contains("Ada Admin"));
    assert_no_external_asset(&accounts.body);
    let workspaces = b.get(&format!("/install/accounts/{ACCOUNT}")).await;
    assert!(workspaces.body.contains("Marketing"));
    assert_no_external_asset(&workspaces.body);
    let ws = format!("/install/accounts/{ACCOUNT}/workspaces/{WORKSPACE}");
    let form = b.get(&ws).await;
    assert!(form.body.contains("Archive key"));
    assert_no_external_asset(&form.body);
    let token = csrf(&form.body);
    let done = b
        .post(
            &format!("{ws}/install"),
            &[("csrf", &token), ("archive_key", "k-1"), ("region", "us")],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let status = b.get(&ws).await;
    assert!(
        status.body.contains("Everything matches."),
        "{}",
        status.body
    );
    assert!(status.body.contains("configured"));
    assert!(
        !status.body.contains("k-1"),
        "a sensitive value is never shown again"
    );
    assert_no_external_asset(&status.body);
    assert_eq!(h.mock.webhooks().len(), 1);

    // Sign out ends the session.
    let out = b.post("/install/logout", &[("csrf", &token)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(b.get(&ws).await.status, 401);
}

#[tokio::test]
async fn secure_cookie_behind_https() {
    let port_hint = Options {
        public_url: Some("https://127.0.0.1:1".into()),
        ..Options::default()
    };
    let h = Harness::start_with(Arc::new(MemoryStore::new()), port_hint).await;
    let mut b = Browser::new(&h);
    // The callback is registered for the https URL; follow it on plain http here.
    let login = b.get("/install/login").await;
    let ims = h.http.get(login.location.unwrap()).send().await.unwrap();
    let back = ims.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.starts_with("https://127.0.0.1:1/install/callback?"),
        "{back}"
    );
    let back = back.replacen("https://127.0.0.1:1", &h.base, 1);
    let page = b.get(&back).await;
    assert_eq!(page.status, 303);
    assert!(b.set_cookie.unwrap().contains("Secure"));
}

#[tokio::test]
async fn csrf_wrong_account_and_tampered_cookie_are_refused() {
    let h = Harness::start_with(
        Arc::new(MemoryStore::new()),
        Options {
            allowed: Some(vec![ACCOUNT.into()]),
            ..Options::default()
        },
    )
    .await;
    let mut b = Browser::new(&h);
    b.sign_in().await;
    let ws = format!("/install/accounts/{ACCOUNT}/workspaces/{WORKSPACE}");
    let token = csrf(&b.get(&ws).await.body);

    // CSRF missing, then wrong.
    let page = b
        .post(&format!("{ws}/install"), &[("archive_key", "k")])
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    let page = b
        .post(
            &format!("{ws}/install"),
            &[("csrf", "0000"), ("archive_key", "k")],
        )
        .await;
    assert_eq!(page.status, 403);
    assert!(h.mock.webhooks().is_empty());

    // An account outside allowed_accounts: hidden from the list and refused on every request.
    let accounts = b.get("/install/accounts").await;
    assert!(accounts.body.contains("Acme Studios"));
    assert!(!accounts.body.contains("Other Corp"));
    assert_eq!(
        b.get(&format!("/install/accounts/{OTHER_ACCOUNT}"))
            .await
            .status,
        403
    );
    let other = format!("/install/accounts/{OTHER_ACCOUNT}/workspaces/ws-9");
    assert_eq!(b.get(&other).await.status, 403);
    let page = b
        .post(
            &format!("{other}/install"),
            &[("csrf", &token), ("archive_key", "k")],
        )
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(h.mock.webhooks().is_empty());

    // A workspace the admin cannot see in Frame.io: nothing is shown or changed there.
    let hidden = format!("/install/accounts/{ACCOUNT}/workspaces/ws-not-mine");
    assert_eq!(b.get(&hidden).await.status, 403);
    let page = b
        .post(
            &format!("{hidden}/install"),
            &[("csrf", &token), ("archive_key", "k")],
        )
        .await;
    assert_eq!(page.status, 403, "{}", page.body);

    // A tampered cookie is no session.
    let good = b.cookie.clone().unwrap();
    let (name, value) = good.split_once('=').unwrap();
    let mut bytes = value.as_bytes().to_vec();
    let last = bytes.len() - 5;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    b.cookie = Some(format!("{name}={}", String::from_utf8(bytes).unwrap()));
    assert_eq!(b.get(&ws).await.status, 401);
    let page = b
        .post(
            &format!("{ws}/install"),
            &[("csrf", &token), ("archive_key", "k")],
        )
        .await;
    assert_eq!(page.status, 401);
    assert!(h.mock.webhooks().is_empty());

    // The intact cookie still works, and a correct POST goes through.
    b.cookie = Some(good);
    let page = b
        .post(
            &format!("{ws}/install"),
            &[("csrf", &token), ("archive_key", "k")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(h.mock.webhooks().len(), 1);

    // A forged state on the callback is refused.
    let page = b.get("/install/callback?code=x&state=forged").await;
    assert_eq!(page.status, 400);
}

#[tokio::test]
async fn script_is_escaped_in_every_field() {
    const XSS: &str = "<script>alert(1)</script>";
    let h = Harness::start_with(
        Arc::new(MemoryStore::new()),
        Options {
            description: XSS.into(),
            branding: Branding::new()
                .colors(XSS, XSS)
                .extra_css(format!("body{{}}{XSS}")),
            ..Options::default()
        },
    )
    .await;
    h.mock.set_me("user-1", XSS, "x@example.com");
    h.mock.add_account("acc-3", XSS);
    h.mock.add_workspace("acc-3", "ws-3", XSS);
    let mut b = Browser::new(&h);
    let mut pages = vec![b.get("/install").await.body];
    b.sign_in().await;
    pages.push(b.get("/install/accounts").await.body);
    pages.push(b.get("/install/accounts/acc-3").await.body);
    let ws = "/install/accounts/acc-3/workspaces/ws-3";
    let form = b.get(ws).await.body;
    let token = csrf(&form);
    pages.push(form);
    let done = b
        .post(
            &format!("{ws}/install"),
            &[
                ("csrf", &token),
                ("archive_key", XSS),
                ("notes", XSS),
                ("label", XSS),
                ("region", "eu"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    pages.push(b.get(ws).await.body);
    // An invalid select value is echoed in no page, and refused.
    let bad = b
        .post(
            &format!("{ws}/update"),
            &[("csrf", &token), ("region", XSS)],
        )
        .await;
    assert_eq!(bad.status, 400);
    pages.push(bad.body);
    for page in &pages {
        assert!(!page.contains("<script"), "unescaped script in\n{page}");
    }
    let status = &pages[4];
    assert!(status.contains("&lt;script&gt;"), "{status}");
}

#[tokio::test]
async fn sessions_expire() {
    let h = Harness::start_with(
        Arc::new(MemoryStore::new()),
        Options {
            session_ttl: Some(std::time::Duration::from_secs(1)),
            ..Options::default()
        },
    )
    .await;
    let mut b = Browser::new(&h);
    b.sign_in().await;
    assert!(b.set_cookie.clone().unwrap().contains("Max-Age=1"));
    assert_eq!(b.get("/install/accounts").await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    // The browser would have dropped the cookie; a client that keeps it is refused anyway.
    let page = b.get("/install/accounts").await;
    assert_eq!(page.status, 401);
    assert!(page.body.contains("Sign in again"));
}

#[tokio::test]
async fn branding_logo_colours_and_powered_by() {
    let logo = "data:image/svg+xml;base64,PHN2Zy8+";
    let h = Harness::start_with(
        Arc::new(MemoryStore::new()),
        Options {
            branding: Branding::new()
                .logo_url(logo)
                .colors("#112233", "rgb(1, 2, 3)")
                .extra_css("main{max-width:50rem}")
                .powered_by(false),
            ..Options::default()
        },
    )
    .await;
    let page = Browser::new(&h).get("/install").await.body;
    assert!(page.contains(&format!("src=\"{logo}\"")));
    assert!(page.contains("--primary:#112233;--accent:rgb(1, 2, 3)"));
    assert!(page.contains("main{max-width:50rem}"));
    assert!(!page.contains("Powered by"));
    assert_no_external_asset(&page);
    let default = Harness::start(Arc::new(MemoryStore::new())).await;
    assert!(
        Browser::new(&default)
            .get("/install")
            .await
            .body
            .contains("Powered by frameio-kit")
    );
}
