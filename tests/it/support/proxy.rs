//! Loopback relays for the transport tests: a TCP forwarder (to reach a stub, which binds
//! 127.0.0.1 only, over [::1] or another 127/8 address) and a recording CONNECT proxy.
//!
//! ureq 3 sends every proxied request, http or https, through a `CONNECT host:port` tunnel and
//! never in absolute form, so CONNECT is all the proxy speaks. It tunnels to loopback targets only
//! and refuses any other without connecting, so no test can reach outside the machine.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Reads and writes of the relays give up after this, so a stuck peer cannot hang a test.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections on a loopback listener and hands each to `handler` on a thread of its own,
/// counting them. Dropping it stops accepting and waits for the handlers.
///
/// A count read after the oauthctl child has exited is final: every use of a relay by the child
/// waits for the relay's answer, which comes only after the accept.
pub struct Loopback {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    stopping: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl Loopback {
    pub fn start<F>(listener: TcpListener, handler: F) -> Loopback
    where
        F: Fn(TcpStream) + Send + Sync + 'static,
    {
        let addr = listener.local_addr().expect("listener address");
        let handler = Arc::new(handler);
        let accepted = Arc::new(AtomicUsize::new(0));
        let stopping = Arc::new(AtomicBool::new(false));
        let (count, stop) = (accepted.clone(), stopping.clone());
        let acceptor = thread::spawn(move || {
            let mut workers = Vec::new();
            for stream in listener.incoming() {
                if stop.load(SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                count.fetch_add(1, SeqCst);
                let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
                let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
                let handler = handler.clone();
                workers.push(thread::spawn(move || handler(stream)));
            }
            workers.into_iter().for_each(|worker| drop(worker.join()));
        });
        Loopback {
            addr,
            accepted,
            stopping,
            acceptor: Some(acceptor),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn connections(&self) -> usize {
        self.accepted.load(SeqCst)
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.stopping.store(true, SeqCst);
        // Wakes the blocked accept() so that its thread sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Copies bytes both ways until each side has closed its half.
pub fn pipe(client: TcpStream, backend: TcpStream) {
    let _ = backend.set_read_timeout(Some(IO_TIMEOUT));
    let (Ok(mut from_client), Ok(mut to_backend)) = (client.try_clone(), backend.try_clone())
    else {
        return;
    };
    let upstream = thread::spawn(move || {
        let _ = io::copy(&mut from_client, &mut to_backend);
        let _ = to_backend.shutdown(Shutdown::Write);
    });
    let _ = io::copy(&mut &backend, &mut &client);
    let _ = client.shutdown(Shutdown::Write);
    let _ = upstream.join();
}

/// Forwards every connection made to `listener` to `backend`.
pub fn forwarder(listener: TcpListener, backend: SocketAddr) -> Loopback {
    Loopback::start(listener, move |client| {
        if let Ok(stream) = TcpStream::connect(backend) {
            pipe(client, stream);
        }
    })
}

/// Binds [::1]:port; `None` when the machine has no IPv6 loopback.
pub fn bind_ipv6_loopback(port: u16) -> Option<io::Result<TcpListener>> {
    match TcpListener::bind(("::1", port)) {
        Err(e) if e.kind() == io::ErrorKind::AddrNotAvailable => None,
        Err(e) if e.kind() == io::ErrorKind::Unsupported => None,
        // EAFNOSUPPORT (no IPv6 at all) has no ErrorKind of its own.
        Err(e) if e.raw_os_error() == Some(libc::EAFNOSUPPORT) => None,
        other => Some(other),
    }
}

/// What a client asked the proxy: the request line and the header fields.
#[derive(Clone, Debug)]
pub struct ProxyRequest {
    pub method: String,
    pub target: String,
    /// Names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
}

impl ProxyRequest {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let (_, value) = self.headers.iter().find(|(n, _)| n == name)?;
        Some(value)
    }
}

/// A forward proxy on 127.0.0.1 that records every request and tunnels CONNECTs to loopback.
pub struct ConnectProxy {
    server: Loopback,
    requests: Arc<Mutex<Vec<ProxyRequest>>>,
}

impl ConnectProxy {
    pub fn start() -> ConnectProxy {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let server = Loopback::start(listener, move |client| tunnel(client, &log));
        ConnectProxy { server, requests }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://USERINFO@127.0.0.1:PORT`, USERINFO and its `@` left out when empty.
    pub fn url(&self, userinfo: &str) -> String {
        let at = if userinfo.is_empty() { "" } else { "@" };
        format!("http://{userinfo}{at}{}", self.addr())
    }

    pub fn connections(&self) -> usize {
        self.server.connections()
    }

    pub fn requests(&self) -> Vec<ProxyRequest> {
        self.requests.lock().unwrap().clone()
    }
}

fn tunnel(client: TcpStream, log: &Mutex<Vec<ProxyRequest>>) {
    let Ok(read_half) = client.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            break;
        }
        head.push(line);
    }
    let Some((request_line, fields)) = head.split_first() else {
        return;
    };
    let mut words = request_line.split(' ');
    let method = words.next().unwrap_or_default().to_owned();
    let target = words.next().unwrap_or_default().to_owned();
    let headers = fields
        .iter()
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    log.lock().unwrap().push(ProxyRequest {
        method: method.clone(),
        target: target.clone(),
        headers,
    });
    let refuse = |status: &str| {
        let reply = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let _ = (&client).write_all(reply.as_bytes());
    };
    if method != "CONNECT" {
        return refuse("405 Method Not Allowed");
    }
    let Some(addr) = loopback_target(&target) else {
        return refuse("403 Forbidden");
    };
    let Ok(backend) = TcpStream::connect_timeout(&addr, IO_TIMEOUT) else {
        return refuse("502 Bad Gateway");
    };
    if (&client)
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    // Whatever the reader took beyond the head already belongs to the tunnel.
    if (&backend).write_all(reader.buffer()).is_err() {
        return;
    }
    pipe(client, backend);
}

/// The address of a CONNECT target on loopback (an IP literal, or `localhost` or a name under
/// `.test`, such as `tls::PROXIED_HOST`, taken as 127.0.0.1), else `None`: the proxy resolves
/// no other name and connects nowhere else. oauthctl itself never sends a loopback destination
/// to a proxy, so the proxied tests name their servers under `.test`.
fn loopback_target(authority: &str) -> Option<SocketAddr> {
    if let Ok(addr) = authority.parse::<SocketAddr>() {
        return addr.ip().is_loopback().then_some(addr);
    }
    let (host, port) = authority.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let host = host.to_ascii_lowercase();
    (host == "localhost" || host.ends_with(".test"))
        .then(|| SocketAddr::from(([127, 0, 0, 1], port)))
}

/// Every proxy variable ureq reads, all pointing at `proxy` (with `userinfo`): a request that
/// left oauthctl at all would reach it (as a CONNECT, which it refuses for anything but
/// loopback).
pub fn all_proxy_vars(cmd: &mut assert_cmd::Command, proxy: &ConnectProxy, userinfo: &str) {
    for var in [
        "ALL_PROXY",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "all_proxy",
        "https_proxy",
        "http_proxy",
    ] {
        cmd.env(var, proxy.url(userinfo));
    }
}
