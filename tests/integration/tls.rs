//! `serve` over HTTPS (`--tls-cert`, `--tls-key`): certificates made here with rcgen, and
//! clients that trust exactly that certificate, so a handshake succeeds only with the
//! certificate the test expects serve to present.

use std::io::Read;
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, ServerName};

use crate::harness::wa_cloud;
use crate::server::{Options, SECRET, sign, text_notification};

/// A self-signed certificate for localhost and 127.0.0.1, as (cert PEM, key PEM).
fn certificate() -> (String, String) {
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    (made.cert.pem(), made.signing_key.serialize_pem())
}

fn write_certificate(dir: &Path, (cert, key): &(String, String)) {
    std::fs::write(dir.join("cert.pem"), cert).unwrap();
    std::fs::write(dir.join("key.pem"), key).unwrap();
}

/// An HTTP/1.1 client that trusts only `cert`.
fn agent_trusting(cert: &str) -> ureq::Agent {
    let root = ureq::tls::Certificate::from_pem(cert.as_bytes()).unwrap();
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![root])))
                .build(),
        )
        .build()
        .into()
}

/// A TLS client configuration that trusts only `cert` and offers these ALPN protocols.
fn client_config(cert: &str, alpn: &[&[u8]]) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    let der: CertificateDer =
        rustls::pki_types::pem::PemObject::from_pem_slice(cert.as_bytes()).unwrap();
    roots.add(der).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

type H2Sender = hyper::client::conn::http2::SendRequest<Body>;

/// An HTTP/2 connection to serve, trusting only `cert`; fails if the handshake does.
async fn h2_connect(port: u16, cert: &str) -> Result<H2Sender, String> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let connector = tokio_rustls::TlsConnector::from(client_config(cert, &[b"h2"]));
    let tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .map_err(|e| e.to_string())?;
    assert_eq!(
        tls.get_ref().1.alpn_protocol(),
        Some(&b"h2"[..]),
        "serve offers HTTP/2 through ALPN"
    );
    let (sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    Ok(sender)
}

async fn h2_get(sender: &mut H2Sender, path: &str) -> u16 {
    let request = hyper::Request::get(format!("https://localhost{path}"))
        .body(Body::empty())
        .unwrap();
    sender
        .send_request(request)
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn https_stores_signed_notifications_over_http1_and_http2() {
    let dir = tempfile::tempdir().unwrap();
    let made = certificate();
    write_certificate(dir.path(), &made);
    let server = Options::new(dir.path())
        .args(&["--tls-cert", "cert.pem", "--tls-key", "key.pem"])
        .start();
    server.wait_for_log(&format!("listening on https://127.0.0.1:{}/", server.port));
    let base = format!("https://localhost:{}", server.port);

    // HTTP/1.1: a signed POST is stored and reaches the tap.
    let agent = agent_trusting(&made.0);
    let body = text_notification("wamid.TLS1", "4915112345678", "over https");
    let answer = agent
        .post(&format!("{base}/"))
        .header("x-hub-signature-256", sign(SECRET, &body))
        .send(&body[..])
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let event = &server.events(1)[0];
    assert_eq!(event["id"], "wamid.TLS1");
    assert_eq!(event["text"], "over https");

    // HTTP/2 through ALPN, health and a notification with a wrong signature (refused).
    runtime().block_on(async {
        let mut h2 = h2_connect(server.port, &made.0).await.unwrap();
        assert_eq!(h2_get(&mut h2, "/healthz").await, 200);
        let request = hyper::Request::post("https://localhost/")
            .header("x-hub-signature-256", sign("not-the-secret", b"{}"))
            .body(Body::from("{}"))
            .unwrap();
        assert_eq!(h2.send_request(request).await.unwrap().status(), 401);
    });

    // A client that does not trust this certificate gets no answer at all.
    let other = certificate();
    assert!(
        agent_trusting(&other.0)
            .get(&format!("{base}/healthz"))
            .call()
            .is_err(),
        "a client trusting another certificate must fail the handshake"
    );
    // Plain HTTP on the HTTPS port gets no HTTP answer.
    let plain = ureq::get(&format!("http://127.0.0.1:{}/healthz", server.port)).call();
    assert!(plain.is_err(), "plain HTTP was answered: {plain:?}");
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn sighup_loads_a_new_certificate_and_keeps_open_connections() {
    let dir = tempfile::tempdir().unwrap();
    let first = certificate();
    write_certificate(dir.path(), &first);
    let server = Options::new(dir.path())
        .args(&["--tls-cert", "cert.pem", "--tls-key", "key.pem"])
        .start();
    let second = certificate();
    runtime().block_on(async {
        let mut before = h2_connect(server.port, &first.0).await.unwrap();
        assert_eq!(h2_get(&mut before, "/healthz").await, 200);
        assert!(h2_connect(server.port, &second.0).await.is_err());

        write_certificate(dir.path(), &second);
        let status = std::process::Command::new("kill")
            .args(["-HUP", &server.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        server.wait_for_log("SIGHUP: new connections get the certificate");

        // New connections get the new certificate, and only it...
        let mut after = h2_connect(server.port, &second.0).await.unwrap();
        assert_eq!(h2_get(&mut after, "/healthz").await, 200);
        let refused = h2_connect(server.port, &first.0).await;
        assert!(refused.is_err(), "the old certificate is still presented");
        // ...while the connection opened before the reload goes on.
        assert_eq!(h2_get(&mut before, "/healthz").await, 200);
    });

    // A reload that fails keeps the certificate in use.
    std::fs::write(dir.path().join("key.pem"), "not a key").unwrap();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    server.wait_for_log("the certificate in use stays");
    assert!(!server.stderr().contains("not a key"));
    let agent = agent_trusting(&second.0);
    let health = agent
        .get(&format!("https://localhost:{}/healthz", server.port))
        .call()
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn a_client_that_never_finishes_its_handshake_is_closed_after_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    write_certificate(dir.path(), &certificate());
    let server = Options::new(dir.path())
        .args(&["--tls-cert", "cert.pem", "--tls-key", "key.pem"])
        .env("WHATSAPP_CLOUD_WEBHOOKS_HEADER_TIMEOUT", "1s")
        .start();
    let mut silent = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 16];
    // serve closes it: the read ends (0 bytes or a reset) well before our own 30 s.
    let read = silent.read(&mut buffer);
    assert!(
        matches!(read, Ok(0))
            || read
                .as_ref()
                .is_err_and(|e| e.kind() != std::io::ErrorKind::WouldBlock),
        "unexpected read: {read:?}"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(20),
        "closed after {waited:?}"
    );
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn tls_settings_that_cannot_work_stop_serve_at_start() {
    let (cert, key) = certificate();
    let env = [
        ("WHATSAPP_CLOUD_WEBHOOKS_SECRET", SECRET),
        ("WHATSAPP_CLOUD_WEBHOOKS_TLS_CERT", "cert.pem"),
    ];
    let mut run = wa_cloud(&["serve", "--port", "0"]);
    for (k, v) in env {
        run = run.env(k, v);
    }
    run.file("cert.pem", &cert)
        .run()
        .status(2)
        .stderr_has("no key: set `webhooks.tls.key` (or --tls-key)");

    wa_cloud(&[
        "serve",
        "--port",
        "0",
        "--tls-cert",
        "missing.pem",
        "--tls-key",
        "key.pem",
    ])
    .env("WHATSAPP_CLOUD_WEBHOOKS_SECRET", SECRET)
    .file("key.pem", &key)
    .run()
    .status(2)
    .stderr_has("cannot read the TLS certificate `missing.pem`");

    let (_, other_key) = certificate();
    let run = wa_cloud(&["serve", "--port", "0"])
        .env("WHATSAPP_CLOUD_WEBHOOKS_SECRET", SECRET)
        .file("cert.pem", &cert)
        .file("key.pem", &other_key)
        .file(
            "whatsapp-cloud.config.yaml",
            "webhooks: { tls: { cert: cert.pem, key: key.pem } }\n",
        )
        .run();
    run.status(2).stderr_has("does not fit the certificate");
    assert!(!run.stderr.contains("PRIVATE KEY"), "{}", run.stderr);
}

#[test]
fn an_idle_http2_connection_is_closed_after_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let made = certificate();
    write_certificate(dir.path(), &made);
    let server = Options::new(dir.path())
        .args(&["--tls-cert", "cert.pem", "--tls-key", "key.pem"])
        .env("WHATSAPP_CLOUD_WEBHOOKS_HEADER_TIMEOUT", "1s")
        .start();
    runtime().block_on(async {
        let mut h2 = h2_connect(server.port, &made.0).await.unwrap();
        assert_eq!(h2_get(&mut h2, "/healthz").await, 200);
        let answered = Instant::now();
        // HTTP/2 has no header timeout of its own: serve closes the quiet connection.
        while !h2.is_closed() {
            assert!(
                answered.elapsed() < Duration::from_secs(20),
                "an idle HTTP/2 connection stayed open"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            answered.elapsed() >= Duration::from_millis(900),
            "closed too early: {:?}",
            answered.elapsed()
        );
    });
    assert_eq!(server.terminate(), Some(0));
}
