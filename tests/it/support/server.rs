//! A strict HTTP/1.1 stub server on loopback, built on std alone.
//!
//! Every request is recorded before the handler runs, so a test can assert on exactly what went
//! over the wire. Requests that break HTTP/1.1 framing (RFC 9112) get a 400 and are not recorded.
//! A handler panic (a failed `assert!` in a strict stub) becomes a 500 and is re-raised when the
//! server is dropped, so it cannot pass unnoticed.

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

const MAX_HEAD: u64 = 64 * 1024;
const MAX_BODY: usize = 1024 * 1024;
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// One request as the stub received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// The raw request-target, query included.
    pub target: String,
    pub path: String,
    /// The raw query, not decoded; `Some("")` for a target ending in `?`.
    pub query: Option<String>,
    /// Names lowercased, values without surrounding whitespace, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body after Content-Length or chunked framing is removed.
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first header called `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        let (_, value) = self.headers.iter().find(|h| h.0 == name)?;
        Some(value)
    }

    pub fn header_count(&self, name: &str) -> usize {
        let name = name.to_ascii_lowercase();
        self.headers.iter().filter(|h| h.0 == name).count()
    }

    /// Panics if the body is not UTF-8.
    pub fn body_str(&self) -> &str {
        std::str::from_utf8(&self.body).expect("request body is not UTF-8")
    }

    /// The body decoded as `application/x-www-form-urlencoded`. Panics on a malformed
    /// percent-escape or non-UTF-8 result: a correct client never sends those.
    pub fn form(&self) -> Vec<(String, String)> {
        decode_form(self.body_str())
    }

    pub fn form_value(&self, key: &str) -> Option<String> {
        let (_, value) = self.form().into_iter().find(|(k, _)| k == key)?;
        Some(value)
    }

    /// The query decoded like `form`; empty without a query.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query.as_deref().map(decode_form).unwrap_or_default()
    }

    /// `Authorization: Basic` split at the first ':' and NOT form-decoded, so tests see the RFC 6749
    /// §2.3.1 encoding the client applied. Panics if it is not base64 of `user:pass`.
    pub fn basic_credentials(&self) -> Option<(String, String)> {
        let (scheme, token) = self.header("authorization")?.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let bytes = STANDARD.decode(token);
        let bytes = bytes.unwrap_or_else(|e| panic!("Basic {token:?} is not base64: {e}"));
        let text = String::from_utf8(bytes).expect("Basic credentials are not UTF-8");
        let pair = text.split_once(':');
        let (user, pass) = pair.unwrap_or_else(|| panic!("Basic credentials {text:?} lack ':'"));
        Some((user.to_owned(), pass.to_owned()))
    }
}

fn decode_form(input: &str) -> Vec<(String, String)> {
    let pairs = input.split('&').filter(|pair| !pair.is_empty());
    let pairs = pairs.map(|pair| pair.split_once('=').unwrap_or((pair, "")));
    pairs.map(|(k, v)| (decode(k), decode(v))).collect()
}

fn decode(text: &str) -> String {
    let hex = |b: Option<u8>| b.and_then(|b| char::from(b).to_digit(16));
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => match (hex(bytes.next()), hex(bytes.next())) {
                (Some(hi), Some(lo)) => out.push((hi * 16 + lo) as u8),
                _ => panic!("malformed percent-escape in {text:?}"),
            },
            _ => out.push(b),
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| panic!("{text:?} does not decode to UTF-8: {e}"))
}

/// What the stub answers. `Content-Length` and `Connection: close` are added when it is written.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Reply {
        Reply::new(status, "application/json;charset=UTF-8", body)
    }

    pub fn new(status: u16, content_type: &str, body: &str) -> Reply {
        let headers = vec![("Content-Type".to_owned(), content_type.to_owned())];
        let body = body.as_bytes().to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Panics on the framing headers the stub writes itself; use `start_raw` to fake those.
    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        let framing = ["content-length", "transfer-encoding", "connection"];
        let own = framing.contains(&&*name.to_ascii_lowercase());
        assert!(!own, "{name} is the stub's: see start_raw");
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Writes the whole response; raw handlers may call it after a delay of their own.
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        let reason = match self.status {
            200 => "OK",
            201 => "Created",
            204 => "No Content",
            400 => "Bad Request",
            401 => "Unauthorized",
            500 => "Internal Server Error",
            503 => "Service Unavailable",
            _ => "", // RFC 9112 §4: the reason-phrase may be empty
        };
        let mut head = format!("HTTP/1.1 {} {reason}\r\n", self.status);
        for (name, value) in &self.headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        // RFC 9110 §8.6: no Content-Length on 1xx or 204; on 304 it would describe the entity.
        if !matches!(self.status, 100..=199 | 204 | 304) {
            let _ = write!(head, "Content-Length: {}\r\n", self.body.len());
        }
        head.push_str("Connection: close\r\n\r\n");
        out.write_all(head.as_bytes())?;
        out.write_all(&self.body)?;
        out.flush()
    }
}

type RawHandler = dyn Fn(&Recorded, &mut TcpStream) + Send + Sync;

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Recorded>>,
    panics: Mutex<Vec<String>>,
    stopping: AtomicBool,
}

/// A running stub; dropping it stops the server, then re-raises any handler panic.
pub struct StubServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl StubServer {
    pub fn start<F>(handler: F) -> StubServer
    where
        F: Fn(&Recorded) -> Reply + Send + Sync + 'static,
    {
        // A client that hangs up early is the client's failure to report, not the stub's.
        StubServer::start_raw(move |request, stream| drop(handler(request).write_to(stream)))
    }

    /// The handler owns the socket after the request is read: it may write anything, nothing, or
    /// sleep. Reads and writes on it time out after 10 s; the connection closes when it returns.
    pub fn start_raw<F>(handler: F) -> StubServer
    where
        F: Fn(&Recorded, &mut TcpStream) + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind stub server");
        let addr = listener.local_addr().expect("stub server address");
        let shared = Arc::new(Shared::default());
        let (state, handler) = (Arc::clone(&shared), Arc::new(handler));
        // A thread per connection: a stalled exchange must not hold up a retry on a new one.
        let acceptor = Some(thread::spawn(move || {
            let mut workers = Vec::new();
            for stream in listener.incoming() {
                if state.stopping.load(SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (state, handler) = (Arc::clone(&state), Arc::clone(&handler));
                workers.push(thread::spawn(move || serve(stream, &state, &*handler)));
            }
            workers.into_iter().for_each(|worker| drop(worker.join()));
        }));
        StubServer {
            addr,
            shared,
            acceptor,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `path` is appended verbatim, so it may carry a query.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    pub fn request_count(&self) -> usize {
        self.shared.requests.lock().unwrap().len()
    }

    /// Messages of handler panics so far.
    pub fn handler_panics(&self) -> Vec<String> {
        self.shared.panics.lock().unwrap().clone()
    }
}

impl Drop for StubServer {
    fn drop(&mut self) {
        self.shared.stopping.store(true, SeqCst);
        // Wake the blocked accept() so the acceptor sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        let panics = self.handler_panics();
        if !panics.is_empty() && !thread::panicking() {
            panic!("stub handler panicked: {panics:?}");
        }
    }
}

fn serve(mut stream: TcpStream, shared: &Shared, handler: &RawHandler) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let request = match read_request(&stream) {
        Ok(Some(request)) => request,
        Ok(None) => return, // closed without a byte, like the wake-up connection in Drop
        Err(why) => return reject(stream, &why),
    };
    shared.requests.lock().unwrap().push(request.clone());
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| handler(&request, &mut stream))) {
        let text = payload.downcast_ref::<&str>().map(|s| s.to_string());
        let text = text.or_else(|| payload.downcast_ref::<String>().cloned());
        shared.panics.lock().unwrap().push(text.unwrap_or_default());
        let _ = Reply::new(500, "text/plain", "stub handler panicked").write_to(&mut stream);
    }
}

fn reject(mut stream: TcpStream, why: &str) {
    eprintln!("stub server rejected a request: {why}");
    let _ = Reply::new(400, "text/plain", &format!("stub: {why}")).write_to(&mut stream);
    // Drain the input: closing on unread bytes sends a reset, which can destroy the 400 in flight.
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let _ = io::copy(&mut (&stream).take(MAX_BODY as u64), &mut io::sink());
}

/// `Ok(None)` when the peer closes before sending anything.
fn read_request(stream: &TcpStream) -> Result<Option<Recorded>, String> {
    let mut reader = BufReader::new(stream);
    if reader.fill_buf().map_err(|e| e.to_string())?.is_empty() {
        return Ok(None);
    }
    let mut budget = MAX_HEAD;
    let line = read_line(&mut reader, &mut budget)?;
    let (method, target) = match line.split(' ').collect::<Vec<_>>()[..] {
        [m, t, "HTTP/1.1"] if !m.is_empty() && !t.is_empty() => (m, t),
        _ => return Err(format!("malformed request line {line:?}")),
    };
    let mut headers = Vec::new();
    loop {
        let line = read_line(&mut reader, &mut budget)?;
        if line.is_empty() {
            break;
        }
        // A name that is empty or holds whitespace is malformed, and so is obs-fold (§5.2).
        let field = line.split_once(':');
        let field = field.filter(|(n, _)| !n.is_empty() && !n.contains([' ', '\t']));
        let (name, value) = field.ok_or_else(|| format!("malformed header line {line:?}"))?;
        let value = value.trim_matches([' ', '\t']).to_owned();
        headers.push((name.to_ascii_lowercase(), value));
    }
    let query = target.split_once('?').map(|(_, query)| query.to_owned());
    let path = target.split('?').next().unwrap_or(target);
    let mut request = Recorded {
        method: method.into(),
        target: target.into(),
        path: path.into(),
        query,
        headers,
        body: Vec::new(),
    };
    if request.header_count("host") != 1 {
        return Err("HTTP/1.1 requires exactly one Host header (RFC 9112 §3.2)".to_owned());
    }
    request.body = read_body(&mut reader, &request)?;
    Ok(Some(request))
}

/// RFC 9112 §6.3: chunked, else Content-Length, else no body; both at once is rejected.
fn read_body(reader: &mut impl BufRead, request: &Recorded) -> Result<Vec<u8>, String> {
    let count = |name| request.header_count(name);
    let te = request.header("transfer-encoding");
    let chunked = te.is_some_and(|te| te.eq_ignore_ascii_case("chunked"));
    match (count("transfer-encoding"), count("content-length")) {
        (0, 0) => Ok(Vec::new()),
        (0, 1) => {
            let length = parse_number(request.header("content-length"), 10);
            let length = length.filter(|&n| n <= MAX_BODY);
            let mut body = vec![0; length.ok_or("bad or oversized Content-Length")?];
            reader.read_exact(&mut body).map_err(|e| e.to_string())?;
            Ok(body)
        }
        (1, 0) if chunked => {
            let mut budget = MAX_HEAD;
            let mut body = Vec::new();
            loop {
                let line = read_line(reader, &mut budget)?;
                let size = parse_number(line.split(';').next(), 16);
                let size = size.filter(|&n| body.len() + n <= MAX_BODY);
                let size = size.ok_or_else(|| format!("bad chunk size line {line:?}"))?;
                if size == 0 {
                    while !read_line(reader, &mut budget)?.is_empty() {} // skip trailers
                    return Ok(body);
                }
                let start = body.len();
                body.resize(start + size, 0);
                reader
                    .read_exact(&mut body[start..])
                    .map_err(|e| e.to_string())?;
                if !read_line(reader, &mut budget)?.is_empty() {
                    return Err("chunk data longer than its size".to_owned());
                }
            }
        }
        _ => Err("only one Content-Length or Transfer-Encoding: chunked is accepted".to_owned()),
    }
}

/// Digits only: `from_str_radix` alone would also take a leading '+'.
fn parse_number(text: Option<&str>, radix: u32) -> Option<usize> {
    let text = text.filter(|t| !t.is_empty() && t.chars().all(|c| c.is_digit(radix)))?;
    usize::from_str_radix(text, radix).ok()
}

/// One CRLF-terminated line without its CRLF, charged against `budget`.
fn read_line(reader: &mut impl BufRead, budget: &mut u64) -> Result<String, String> {
    let mut line = Vec::new();
    let read = reader.take(*budget).read_until(b'\n', &mut line);
    *budget -= read.map_err(|e| e.to_string())? as u64;
    if *budget == 0 && !line.ends_with(b"\n") {
        return Err("request head or chunk framing over 64 KiB".to_owned());
    }
    let Some(line) = line.strip_suffix(b"\r\n") else {
        let line = String::from_utf8_lossy(&line);
        return Err(format!("line without CRLF: {line:?}"));
    };
    String::from_utf8(line.to_vec()).map_err(|_| "non-UTF-8 bytes in request head".to_owned())
}
