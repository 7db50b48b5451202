//! HTTPS for `serve`: the certificate and key of `webhooks.tls.cert` and `webhooks.tls.key`
//! (PEM files), offered with HTTP/2 and HTTP/1.1 through ALPN, and read again on SIGHUP.
//!
//! A reload swaps the configuration that *new* connections get; connections already open
//! keep the one they were accepted with, so a renewal (certbot's deploy hook, a Kubernetes
//! secret) drops nothing. A reload that fails (a missing file, a key that does not match)
//! is logged and the certificate in use stays.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::{Context, Result, anyhow};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// The two PEM files.
#[derive(Clone, Debug)]
pub(crate) struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The configuration new connections get, replaced by [`Reloadable::reload`].
pub(crate) struct Reloadable {
    files: TlsFiles,
    current: RwLock<Arc<ServerConfig>>,
}

impl Reloadable {
    /// Reads both files; an error names the file and what to do.
    pub(crate) fn load(files: TlsFiles) -> Result<Self> {
        let config = server_config(&files)?;
        Ok(Reloadable {
            files,
            current: RwLock::new(config),
        })
    }

    /// The acceptor for the next connection.
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(
            self.current
                .read()
                .expect("no panic holds the lock")
                .clone(),
        )
    }

    /// Reads the files again; on success new connections get the new certificate.
    pub(crate) fn reload(&self) -> Result<()> {
        let config = server_config(&self.files)?;
        *self.current.write().expect("no panic holds the lock") = config;
        Ok(())
    }

    pub(crate) fn files(&self) -> &TlsFiles {
        &self.files
    }
}

fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>> {
    let chain = certificates(&files.cert)?;
    let key = private_key(&files.key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("the TLS library offers no protocol version")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|err| {
            anyhow!(
                "the key in `{}` does not fit the certificate in `{}` ({err}): give the key the certificate was made \
                 for (webhooks.tls.key, --tls-key)",
                files.key.display(),
                files.cert.display()
            )
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let chain = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|err| {
            anyhow!(
                "cannot read the TLS certificate `{}` (webhooks.tls.cert, --tls-cert): {err}; give a PEM file with \
                 the certificate first, then its chain (such as certbot's fullchain.pem)",
                path.display()
            )
        })?;
    if chain.is_empty() {
        return Err(anyhow!(
            "`{}` (webhooks.tls.cert, --tls-cert) holds no PEM certificate (no `-----BEGIN CERTIFICATE-----`): give \
             the certificate file, such as certbot's fullchain.pem",
            path.display()
        ));
    }
    Ok(chain)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    // The error never shows the file's content: it is the private key.
    PrivateKeyDer::from_pem_file(path).map_err(|err| {
        let why = match err {
            rustls::pki_types::pem::Error::NoItemsFound => "it holds no PEM private key".to_string(),
            rustls::pki_types::pem::Error::Io(err) => err.to_string(),
            _ => "it is not a PEM private key".to_string(),
        };
        anyhow!(
            "cannot read the TLS key `{}` (webhooks.tls.key, --tls-key): {why}; give the PEM private key of the \
             certificate (PKCS#8, PKCS#1 or SEC1, such as certbot's privkey.pem)",
            path.display()
        )
    })
}
