//! `entente serve` over TLS: a client that trusts the node's CA gets in,
//! plain HTTP and clients that do not trust it do not; with
//! `--tls-client-ca`, only clients with a certificate from that CA do.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

use crate::{free_port, Server};

/// A CA: its certificate (PEM) and what it needs to issue more.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    Ca { pem: cert.pem(), issuer: Issuer::new(params, key) }
}

/// A certificate for `names` issued by `ca`: (certificate PEM, key PEM).
fn issue(ca: &Ca, names: &[&str]) -> (String, String) {
    let params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn start(dir: &Path, port: u16, extra: &[&str]) -> Server {
    let mut args = vec!["serve".to_owned(), "--listen".into(), format!("127.0.0.1:{port}")];
    args.extend(["--tls-cert", "server.pem", "--tls-key", "server.key"].map(String::from));
    args.extend(extra.iter().map(|s| s.to_string()));
    Server(
        Command::new(env!("CARGO_BIN_EXE_entente"))
            .current_dir(dir)
            .env("ENTENTE_LOG", "warn")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

fn client(ca: Option<&str>, identity: Option<(&str, &str)>) -> reqwest::blocking::Client {
    let mut b = reqwest::blocking::Client::builder().use_rustls_tls().timeout(Duration::from_secs(5));
    if let Some(pem) = ca {
        b = b.tls_built_in_root_certs(false).add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap());
    }
    if let Some((cert, key)) = identity {
        b = b.identity(reqwest::Identity::from_pem(format!("{cert}{key}").as_bytes()).unwrap());
    }
    b.build().unwrap()
}

fn health(c: &reqwest::blocking::Client, port: u16) -> Result<u16, String> {
    c.get(format!("https://localhost:{port}/healthz")).send().map(|r| r.status().as_u16()).map_err(|e| format!("{e:?}"))
}

fn wait_up(port: u16, c: &reqwest::blocking::Client) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while health(c, port) != Ok(200) {
        assert!(Instant::now() < deadline, "the TLS server did not come up: {:?}", health(c, port));
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serves_over_tls_and_checks_client_certificates_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let node_ca = ca("coalition CA");
    let (cert, key) = issue(&node_ca, &["localhost", "127.0.0.1"]);
    std::fs::write(d.join("server.pem"), cert).unwrap();
    std::fs::write(d.join("server.key"), key).unwrap();
    std::fs::write(d.join("ca.pem"), &node_ca.pem).unwrap();

    let port = free_port();
    let server = start(d, port, &[]);
    let trusting = client(Some(&node_ca.pem), None);
    wait_up(port, &trusting);
    // A client that does not trust the coalition's CA is refused by its own check.
    let stranger = client(Some(&ca("another CA").pem), None);
    assert!(health(&stranger, port).is_err());
    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = reqwest::blocking::Client::new().get(format!("http://127.0.0.1:{port}/healthz")).send();
    assert!(plain.map(|r| r.status().as_u16()).ok() != Some(200));
    // One slow client holding a handshake open does not stop others.
    let _idle = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert_eq!(health(&trusting, port), Ok(200));
    drop(server);

    // Mutual TLS: only clients with a certificate from the coalition's CA.
    let port = free_port();
    let _server = start(d, port, &["--tls-client-ca", "ca.pem"]);
    let (ccert, ckey) = issue(&node_ca, &["partner-b.example"]);
    let member = client(Some(&node_ca.pem), Some((&ccert, &ckey)));
    wait_up(port, &member);
    assert!(health(&trusting, port).is_err(), "a client without a certificate got in");
    let rogue_ca = ca("rogue CA");
    let (rcert, rkey) = issue(&rogue_ca, &["mallory.example"]);
    assert!(health(&client(Some(&node_ca.pem), Some((&rcert, &rkey))), port).is_err(), "a rogue certificate got in");
    assert_eq!(health(&member, port), Ok(200));

    // Half a TLS configuration is refused at start.
    let out = super::entente(d, &["serve", "--tls-cert", "server.pem"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(super::stderr(&out).contains("tls_key"), "{}", super::stderr(&out));
}
