//! A loopback HTTPS front for the `ca_file` tests: a private CA and a server certificate made at
//! test time with rcgen, and a rustls server on 127.0.0.1 that terminates TLS and relays the
//! plaintext to a strict stub, so that the stub records the request that came over TLS.
//!
//! It uses the rustls and ring that ureq already pulls in: no second crypto stack in the tests.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use crate::support::proxy::{IO_TIMEOUT, Loopback};
use crate::support::server::StubServer;

/// A name for a remote authorization server in the proxy tests: only the test proxy knows it
/// (`proxy::loopback_target`), so a request for it that does not go through the proxy fails to
/// resolve. `.test` is reserved for testing and never resolves on a network (RFC 6761 §6.2).
pub const PROXIED_HOST: &str = "idp.proxied.test";

/// A private CA and a server certificate it signed for 127.0.0.1, localhost and `PROXIED_HOST`.
pub struct Pki {
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

impl Pki {
    pub fn new(ca_name: &str) -> Pki {
        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
            IsCa, KeyPair, KeyUsagePurpose,
        };
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name.push(DnType::CommonName, ca_name);
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();

        let key = KeyPair::generate().unwrap();
        let mut leaf = CertificateParams::new(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            PROXIED_HOST.to_owned(),
        ])
        .unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, "oauthctl test server");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = leaf.signed_by(&key, &ca).unwrap();

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone()], key.into())
            .unwrap();
        Pki {
            ca_pem: ca.pem(),
            server: Arc::new(server),
        }
    }

    /// Writes the CA certificate as PEM to `dir/name`.
    pub fn write_ca(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, &self.ca_pem).unwrap();
        path
    }
}

/// Terminates TLS on 127.0.0.1 with the PKI's certificate and relays the plaintext to a stub.
pub struct TlsFront {
    server: Loopback,
    handshakes: Arc<AtomicUsize>,
}

impl TlsFront {
    pub fn start(pki: &Pki, backend: &StubServer) -> TlsFront {
        let (config, backend) = (pki.server.clone(), backend.addr());
        let handshakes = Arc::new(AtomicUsize::new(0));
        let done = handshakes.clone();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind TLS front");
        let server = Loopback::start(listener, move |client| {
            if let Ok(conn) = rustls::ServerConnection::new(config.clone()) {
                let _ = tls_relay(client, conn, backend, &done);
            }
        });
        TlsFront { server, handshakes }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `https://HOST:PORT/PATH`: HOST must be one the certificate names (127.0.0.1, localhost,
    /// `PROXIED_HOST` through the test proxy).
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.server.addr().port())
    }

    /// Completed TLS handshakes.
    pub fn handshakes(&self) -> usize {
        self.handshakes.load(SeqCst)
    }

    pub fn connections(&self) -> usize {
        self.server.connections()
    }
}

/// One TLS connection: records from the client are decrypted and sent to the backend (connected
/// only once there is plaintext), the backend's bytes go back encrypted. Two threads share the
/// connection state; neither holds the lock while waiting for input.
fn tls_relay(
    client: TcpStream,
    conn: rustls::ServerConnection,
    backend: SocketAddr,
    handshakes: &AtomicUsize,
) -> io::Result<()> {
    let conn = Arc::new(Mutex::new(conn));
    let mut to_backend: Option<TcpStream> = None;
    let mut downstream: Option<JoinHandle<()>> = None;
    let mut counted = false;
    let mut buf = vec![0; 16 * 1024];
    let outcome = loop {
        let n = match (&client).read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) => break Err(e),
        };
        let mut plain = Vec::new();
        let mut closed = false;
        {
            let mut tls = conn.lock().unwrap();
            let mut input = &buf[..n];
            let mut failed = None;
            while !input.is_empty() && failed.is_none() {
                if let Err(e) = tls.read_tls(&mut input) {
                    failed = Some(e);
                } else if let Err(e) = tls.process_new_packets() {
                    failed = Some(io::Error::other(e));
                }
            }
            // Send what rustls queued (handshake messages, or the alert for a failure).
            while tls.wants_write() {
                if tls.write_tls(&mut &client).is_err() {
                    break;
                }
            }
            if let Some(e) = failed {
                break Err(e);
            }
            if !counted && !tls.is_handshaking() {
                counted = true;
                handshakes.fetch_add(1, SeqCst);
            }
            let mut chunk = [0; 4096];
            loop {
                match tls.reader().read(&mut chunk) {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    Ok(k) => plain.extend_from_slice(&chunk[..k]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
        }
        if !plain.is_empty() {
            if to_backend.is_none() {
                let stream = TcpStream::connect(backend)?;
                let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
                let (conn, client, from_backend) =
                    (conn.clone(), client.try_clone()?, stream.try_clone()?);
                downstream = Some(thread::spawn(move || {
                    encrypt_back(from_backend, &conn, client)
                }));
                to_backend = Some(stream);
            }
            to_backend.as_ref().unwrap().write_all(&plain)?;
        }
        if closed {
            break Ok(());
        }
    };
    if let Some(stream) = &to_backend {
        let _ = stream.shutdown(Shutdown::Write);
    }
    if let Some(thread) = downstream {
        let _ = thread.join();
    }
    outcome
}

/// The backend's answer, encrypted to the client, then close_notify when the backend closes.
fn encrypt_back(
    mut from_backend: TcpStream,
    conn: &Mutex<rustls::ServerConnection>,
    client: TcpStream,
) {
    let mut buf = [0; 16 * 1024];
    loop {
        let n = from_backend.read(&mut buf).unwrap_or(0);
        let mut tls = conn.lock().unwrap();
        if n == 0 {
            tls.send_close_notify();
        } else if tls.writer().write_all(&buf[..n]).is_err() {
            return;
        }
        while tls.wants_write() {
            if tls.write_tls(&mut &client).is_err() {
                return;
            }
        }
        if n == 0 {
            let _ = client.shutdown(Shutdown::Write);
            return;
        }
    }
}
