//! The answers of the sign-in routes: redirects and small HTML pages, rendered with `maud`
//! (every text escaped; no external assets).

use maud::{DOCTYPE, Markup, html};

/// The answer of a sign-in route: a redirect or an HTML page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthPage {
    /// HTTP status.
    pub status: u16,
    /// `Location` for redirects.
    pub location: Option<String>,
    /// The HTML body (empty for redirects).
    pub html: String,
}

impl AuthPage {
    /// A `307 Temporary Redirect` to `location`.
    pub(crate) fn redirect(status: u16, location: String) -> Self {
        Self {
            status,
            location: Some(location),
            html: String::new(),
        }
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;\
                     padding:0 1rem;color:#1d1d1f}h1{font-size:1.4rem}";

fn layout(title: &str, message: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                h1 { (title) }
                p { (message) }
            }
        }
    }
}

/// A small, self-contained HTML page.
pub(crate) fn page(status: u16, title: &str, message: &str) -> AuthPage {
    AuthPage {
        status,
        location: None,
        html: layout(title, message).into_string(),
    }
}

/// `Sign-in failed` with a fixed, user-facing reason.
pub(crate) fn failed(status: u16, message: &str) -> AuthPage {
    page(status, "Sign-in failed", message)
}

/// The default page after a successful sign-in.
pub(crate) fn signed_in() -> AuthPage {
    page(
        200,
        "Signed in",
        "You are signed in. Close this tab and go back to Frame.io.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_everything() {
        let p = page(400, "<b>", "a & \"b\" <script>alert('x')</script>");
        assert!(p.html.contains("&lt;b&gt;"), "{}", p.html);
        assert!(
            p.html
                .contains("a &amp; &quot;b&quot; &lt;script&gt;alert('x')&lt;/script&gt;"),
            "{}",
            p.html
        );
        assert!(!p.html.contains("<script>"));
        assert!(!p.html.contains("http"), "no external assets");
        assert!(p.html.starts_with("<!DOCTYPE html>"));
    }
}
