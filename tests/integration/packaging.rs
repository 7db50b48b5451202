//! What installs wa-cloud as a service: the systemd unit (checked by `systemd-analyze
//! verify` where systemd is installed), the cargo-deb metadata, and `wa-cloud healthcheck`,
//! which the Docker image's HEALTHCHECK runs.

use std::path::Path;
use std::process::Command;

use crate::harness::wa_cloud;
use crate::server::Options;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_systemd_unit_is_sandboxed_and_passes_systemd_analyze_verify() {
    let unit = std::fs::read_to_string(root().join("contrib/wa-cloud.service")).unwrap();
    for line in [
        "DynamicUser=yes",
        "StateDirectory=wa-cloud",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "EnvironmentFile=/etc/wa-cloud/env",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "ExecStart=/usr/bin/wa-cloud serve",
    ] {
        assert!(
            unit.lines().any(|l| l.starts_with(line)),
            "the unit lacks {line:?}"
        );
    }
    let analyze = Command::new("systemd-analyze").arg("--version").output();
    if !analyze.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: systemd-analyze is not installed, the unit file was not verified");
        return;
    }
    // verify checks that ExecStart's program exists: point it at the binary just built.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wa-cloud.service");
    std::fs::write(
        &path,
        unit.replace("/usr/bin/wa-cloud", env!("CARGO_BIN_EXE_wa-cloud")),
    )
    .unwrap();
    let verified = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&verified.stderr);
    assert!(
        verified.status.success(),
        "systemd-analyze verify failed:\n{stderr}"
    );
    // Unknown or misspelt settings are only warnings: they must not be there either.
    let about_unit: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("wa-cloud.service"))
        .collect();
    assert!(
        about_unit.is_empty(),
        "systemd-analyze warns: {about_unit:?}"
    );
}

#[test]
fn the_deb_metadata_names_files_that_exist() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let deb = manifest
        .split("[package.metadata.deb]")
        .nth(1)
        .expect("cargo-deb metadata in Cargo.toml");
    let mut sources = 0;
    for line in deb.lines().map(str::trim).filter(|l| l.starts_with("[\"")) {
        let source = line.trim_start_matches("[\"").split('"').next().unwrap();
        sources += 1;
        if source.starts_with("target/") {
            continue;
        }
        let found = match source.strip_suffix("*.1") {
            Some(dir) => std::fs::read_dir(root().join(dir))
                .unwrap()
                .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "1")),
            None => root().join(source).is_file(),
        };
        assert!(found, "cargo-deb asset {source} does not exist");
    }
    assert!(sources >= 6, "too few assets: {sources}");
    assert!(deb.contains("unit-scripts = \"contrib/\""));
    assert!(root().join("contrib/wa-cloud.service").is_file());
    // The Dockerfile's health check is the command tested below.
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    assert!(dockerfile.contains(r#"CMD ["wa-cloud", "healthcheck""#));
    let license = std::fs::read_to_string(root().join("LICENSE")).unwrap();
    assert!(license.starts_with("MIT License") && manifest.contains("license = \"MIT\""));
}

#[test]
fn healthcheck_asks_a_running_serve_over_http_and_https() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path()).start();
    let port = server.port.to_string();
    let run = wa_cloud(&["healthcheck", "--port", &port]).run();
    run.success().stdout_has("\"status\":\"ok\"");
    // webhooks.port is where it asks by default, as in the Docker image.
    wa_cloud(&["healthcheck"])
        .env("WHATSAPP_CLOUD_WEBHOOKS_PORT", &port)
        .run()
        .success();
    drop(server);
    wa_cloud(&["healthcheck", "--port", &port])
        .run()
        .status(1)
        .stderr_has(&format!(
            "serve did not answer http://127.0.0.1:{port}/healthz"
        ));

    // With webhooks.tls.* it speaks HTTPS to loopback, whose certificate names the public host.
    let made = rcgen::generate_simple_self_signed(vec!["bot.example.com".to_string()]).unwrap();
    std::fs::write(dir.path().join("cert.pem"), made.cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), made.signing_key.serialize_pem()).unwrap();
    let cert = dir.path().join("cert.pem").display().to_string();
    let key = dir.path().join("key.pem").display().to_string();
    let server = Options::new(dir.path())
        .env("WHATSAPP_CLOUD_WEBHOOKS_TLS_CERT", cert.clone())
        .env("WHATSAPP_CLOUD_WEBHOOKS_TLS_KEY", key.clone())
        .start();
    wa_cloud(&["healthcheck", "--port", &server.port.to_string()])
        .env("WHATSAPP_CLOUD_WEBHOOKS_TLS_CERT", &cert)
        .env("WHATSAPP_CLOUD_WEBHOOKS_TLS_KEY", &key)
        .run()
        .success()
        .stdout_has("\"status\":\"ok\"");
}
