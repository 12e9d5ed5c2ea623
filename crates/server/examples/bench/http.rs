//! The benchmark harness's HTTP part, for the server's examples: the
//! node's real HTTP application served on a loopback port, as `entente
//! serve` builds it, and a partner's user signed in on its pages through
//! the sign-in form (its CSRF field and cookies), as a browser does.

// Each example uses a part of the harness.
#![allow(dead_code)]

use crate::bench::Bench;

/// The node's application served on a loopback port, on a runtime of its
/// own (kept alive by the caller): the runtime and the base URL.
pub fn serve(bench: &Bench) -> (tokio::runtime::Runtime, String) {
    let state = server::AppState::new(
        bench.store.clone(),
        bench.registry.clone(),
        bench.identity.clone(),
        Default::default(),
        model::Limits::default(),
        bench.keys.clone(),
        bench.log(),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("listen");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    runtime.spawn(async move {
        server::serve(listener, server::router(state), std::future::pending::<()>()).await.expect("serve");
    });
    (runtime, url)
}

/// The `name=value` of the cookie `name` a response sets.
fn cookie(r: &reqwest::blocking::Response, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|v| v.starts_with(&prefix)).map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// Signs in at `url` with `token` through the form: the session cookie
/// (`name=value`) to send with each page request.
pub fn sign_in(client: &reqwest::blocking::Client, url: &str, token: &str) -> String {
    let form = client.get(format!("{url}/login")).send().expect("login form");
    let login = cookie(&form, "entente_login").expect("the sign-in cookie");
    let html = form.text().expect("form");
    let marker = "name=\"csrf\" value=\"";
    let csrf = html[html.find(marker).expect("a CSRF field") + marker.len()..].split('"').next().unwrap_or_default().to_owned();
    let signed = client.post(format!("{url}/login")).header("cookie", login).form(&[("token", token), ("csrf", csrf.as_str())]).send().expect("sign in");
    cookie(&signed, "entente_session").expect("a session")
}

/// A client that does not follow redirects (a sign-in answers with one,
/// carrying the session).
pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}
