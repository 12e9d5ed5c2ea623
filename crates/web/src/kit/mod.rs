//! The kit every page is made with: the layout (header, navigation,
//! sign-out), the security headers and Content-Security-Policy, a rendered
//! page, forms ([`form`]: fields, bodies, the 403 page), the CSRF check
//! ([`csrf`]), server-drawn charts ([`chart`]) and TLP/PAP badges
//! ([`badge`]).

pub mod badge;
pub mod chart;
pub mod csrf;
pub mod form;

use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

use crate::session;

/// The Content-Security-Policy of every page.
/// Scripts only from the node itself (`/static/workbench.js`), never inline.
pub const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers: the CSP (unless the response set its own,
/// as the scorecard report does: a stricter one allowing its style by
/// hash), `nosniff`, `no-referrer`, and `no-store` unless the response
/// says otherwise.
pub(crate) fn secure(r: &mut Response) {
    let h = r.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
}

/// A whole page: the header (with navigation and sign-out when signed in),
/// then `body`.
pub(crate) fn layout(title: &str, signed: Option<&session::Signed>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Entente" }
                link rel="stylesheet" href="/static/style.css";
                link rel="icon" type="image/svg+xml" href="/static/icon.svg";
            }
            body {
                a.skip href="#main" { "Skip to the content" }
                header {
                    a.brand href="/" { "Entente" }
                    @if let Some(s) = signed {
                        nav aria-label="Main" {
                            a href="/" { "Dashboard" }
                            a href="/inbox" { "Inbox" }
                            a href="/intel" { "Intelligence" }
                            a href="/share" { "Share" }
                            a href="/detection" { "Detection" }
                            a href="/workbench" { "Workbench" }
                            a href="/agreements" { "Agreements" }
                            a href="/partners" { "Partners" }
                            @if s.caller.node_admin { a href="/admin" { "Administration" } }
                        }
                        form.signout method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(s.csrf);
                            span.who { (s.partner_name) " · " (s.caller.role.as_str()) }
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main #main tabindex="-1" { h1 { (title) } (body) }
            }
        }
    }
}

/// A rendered page, 200.
pub(crate) fn page(markup: Markup) -> Response {
    Html(markup.into_string()).into_response()
}
