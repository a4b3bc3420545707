//! The status page: one HTML file, no build step, no CDN. A browser cannot send a bearer
//! header, so `/?token=…` trades the token for a cookie once (HttpOnly, SameSite=Strict)
//! and redirects to `/`; the cookie reads only.

use super::auth::{Grant, Tokens};
use super::http::{Request, Response};

const PAGE: &str = include_str!("status.html");

pub fn page(req: &Request, grant: Option<&Grant>, tokens: Option<&Tokens>) -> Response {
    if let (Some(t), Some(tokens)) = (req.param("token"), tokens) {
        return match tokens.check(t) {
            Some(g) if g.scopes.read => Response::bytes(303, "text/plain", b"see /\n".to_vec())
                .with("Location", "/")
                .with(
                    "Set-Cookie",
                    format!(
                        "{}={t}; Path=/; HttpOnly; SameSite=Strict",
                        super::auth::COOKIE
                    ),
                ),
            Some(_) => refuse(
                403,
                "this token has no `read` scope: the page needs one that has",
            ),
            None => refuse(401, "this token is not in the server's token file"),
        };
    }
    match grant {
        Some(g) if g.scopes.read => html(200, filled()),
        Some(_) => refuse(403, "this token has no `read` scope"),
        None => refuse(
            401,
            "open the address `squidctl serve` printed, with ?token=TOKEN from its token file",
        ),
    }
}

/// The page with the event types it listens for, made once (the schema does not change
/// while the server runs).
fn filled() -> String {
    static FILLED: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    FILLED
        .get_or_init(|| {
            let names = crate::queue::events::QueueEvent::type_names();
            let list = serde_json::to_string(&names).unwrap_or_else(|_| "[]".into());
            PAGE.replacen("/*EVENT_TYPES*/[]", &list, 1)
        })
        .clone()
}

fn html(status: u16, body: String) -> Response {
    Response::bytes(status, "text/html; charset=utf-8", body.into_bytes()).with(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:",
    )
}

fn refuse(status: u16, why: &str) -> Response {
    html(
        status,
        format!(
            "<!doctype html><meta charset=utf-8><title>squidctl</title><body style=\"font-family:sans-serif\"><h1>squidctl</h1><p>{why}</p>"
        ),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_listens_for_every_event_type() {
        assert!(super::PAGE.contains("/*EVENT_TYPES*/[]"));
        let page = super::filled();
        for name in crate::queue::events::QueueEvent::type_names() {
            assert!(page.contains(&format!("\"{name}\"")), "{name}");
        }
    }
}
