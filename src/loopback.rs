//! The one-shot loopback listener of `oauthctl login` (RFC 8252 §7.3): it waits on 127.0.0.1 for
//! the browser to come back to the redirect URI, answers with a small page, and hands over the
//! query. Requests for other paths (a favicon, a stray tab) get a 404 and the wait goes on.
//!
//! It binds the loopback IP literal, never `localhost`, which may resolve elsewhere (RFC 8252
//! §8.3), and reads at most a few KiB per request with a short timeout, so a local process
//! cannot hold it up.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// A bound listener, and the redirect URI it serves.
pub struct Listener {
    /// One socket; two for `localhost` (127.0.0.1 and ::1, on the same port), since a browser may
    /// resolve it to either and the other address could be someone else's (RFC 8252 §8.3).
    sockets: Vec<TcpListener>,
    path: String,
    pub redirect_uri: String,
}

/// What came back on the redirect URI: its query, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub params: Vec<(String, String)>,
}

impl Redirect {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The page the browser shows once oauthctl has the answer.
pub struct Page {
    pub status: u16,
    pub title: &'static str,
    pub message: String,
}

const MAX_REQUEST_BYTES: u64 = 16 * 1024;
const PER_REQUEST: Duration = Duration::from_secs(5);

impl Listener {
    /// Listens for `redirect_uri`: a loopback http URI. With a port, on that port (a server that
    /// demands a fixed redirect URI); without one, on a free port, which goes into the URI.
    pub fn bind(redirect_uri: Option<&str>) -> Result<Listener> {
        let target = match redirect_uri {
            None => LoopbackUri {
                host: "127.0.0.1".into(),
                port: 0,
                path: "/callback".into(),
            },
            Some(uri) => parse_loopback(uri)?,
        };
        let bind = |ip: IpAddr, port: u16| {
            TcpListener::bind(SocketAddr::from((ip, port))).map_err(|e| {
                Error::Config(format!(
                    "cannot listen on {} port {port} for the sign-in redirect: {e}",
                    target.host
                ))
            })
        };
        let first: IpAddr = if target.host == "[::1]" || target.host == "::1" {
            Ipv6Addr::LOCALHOST.into()
        } else {
            Ipv4Addr::LOCALHOST.into()
        };
        let mut sockets = vec![bind(first, target.port)?];
        let port = sockets[0]
            .local_addr()
            .map_err(|e| Error::Internal(format!("loopback listener: {e}")))?
            .port();
        if target.host == "localhost" {
            // The same port on ::1 too, where the machine has IPv6; where it does not, no one
            // else can listen there either.
            if let Ok(v6) = bind(Ipv6Addr::LOCALHOST.into(), port) {
                sockets.push(v6);
            }
        }
        for socket in &sockets {
            socket
                .set_nonblocking(true)
                .map_err(|e| Error::Internal(format!("loopback listener: {e}")))?;
        }
        // The URI as registered, with the port we got (RFC 8252 §7.3 lets it vary).
        Ok(Listener {
            sockets,
            redirect_uri: format!("http://{}:{port}{}", target.host, target.path),
            path: target.path,
        })
    }

    /// Waits until `deadline` for a request on the redirect path. `answer` decides the page from
    /// the redirect; the page is sent before this returns.
    pub fn wait(
        &self,
        deadline: Instant,
        answer: impl Fn(&Redirect) -> Page,
    ) -> Result<Option<Redirect>> {
        while Instant::now() < deadline {
            let mut idle = true;
            for socket in &self.sockets {
                match socket.accept() {
                    Ok((stream, _)) => {
                        idle = false;
                        if let Some(redirect) = self.serve(stream, deadline, &answer) {
                            return Ok(Some(redirect));
                        }
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
                        ) => {}
                    Err(e) => {
                        return Err(Error::Internal(format!("the sign-in listener failed: {e}")));
                    }
                }
            }
            if idle {
                std::thread::sleep(Duration::from_millis(25));
            }
        }
        Ok(None)
    }

    /// One connection: the redirect, or `None` for anything else. The request must arrive
    /// whole within `PER_REQUEST` (and before `deadline`): a client trickling bytes is dropped,
    /// not waited for.
    fn serve(
        &self,
        mut stream: TcpStream,
        deadline: Instant,
        answer: &impl Fn(&Redirect) -> Page,
    ) -> Option<Redirect> {
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_write_timeout(Some(PER_REQUEST));
        let until = deadline.min(Instant::now() + PER_REQUEST);
        let head = read_head(&mut stream, until)?;
        let request_line = head.lines().next()?;
        let mut parts = request_line.split_whitespace();
        let (method, target) = (parts.next()?, parts.next()?);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if method != "GET" || path != self.path {
            respond(
                &stream,
                &Page {
                    status: 404,
                    title: "Not found",
                    message: "This address is only oauthctl's sign-in redirect.".into(),
                },
            );
            return None;
        }
        let redirect = Redirect {
            params: form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        };
        respond(&stream, &answer(&redirect));
        Some(redirect)
    }
}

/// The request line and headers, read until the blank line, `MAX_REQUEST_BYTES`, or `until`.
fn read_head(stream: &mut TcpStream, until: Instant) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let left = until.checked_duration_since(Instant::now())?;
        if left.is_zero() {
            return None;
        }
        stream.set_read_timeout(Some(left)).ok()?;
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n") {
            return String::from_utf8(head).ok();
        }
        if head.len() as u64 > MAX_REQUEST_BYTES {
            return None;
        }
    }
}

/// A loopback redirect URI's parts.
#[derive(Debug, PartialEq, Eq)]
struct LoopbackUri {
    host: String,
    /// 0: any free port.
    port: u16,
    path: String,
}

/// `http://127.0.0.1[:port]/path` (or `[::1]`, or `localhost`).
fn parse_loopback(uri: &str) -> Result<LoopbackUri> {
    let refuse = || {
        Error::Config(format!(
            "redirect_uri `{}` is not a loopback http URI; `login` receives the code on \
             127.0.0.1 (RFC 8252 §7.3): register http://127.0.0.1/callback for the client, or use \
             `login --device`, or get the code yourself and run `exchange-code`",
            crate::untrusted::printable(uri, 200)
        ))
    };
    let parsed: ureq::http::Uri = uri.parse().map_err(|_| refuse())?;
    let host = parsed.host().ok_or_else(refuse)?;
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]" | "::1");
    if parsed.scheme_str() != Some("http") || !loopback || parsed.query().is_some() {
        return Err(refuse());
    }
    let path = match parsed.path() {
        "" => "/".to_string(),
        p => p.to_string(),
    };
    Ok(LoopbackUri {
        host: host.to_string(),
        port: parsed.port_u16().unwrap_or(0),
        path,
    })
}

fn respond(mut stream: &TcpStream, page: &Page) {
    let reason = match page.status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>oauthctl: {title}</title></head>\
         <body style=\"font-family: sans-serif; margin: 3em\"><h1>{title}</h1><p>{message}</p></body></html>\n",
        title = page.title,
        message = html_escape(&page.message)
    );
    let head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n",
        page.status,
        body.len()
    );
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()))
        .and_then(|()| stream.flush());
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirect_uris_only() {
        let parts = |uri: &str| {
            let p = parse_loopback(uri).unwrap();
            (p.host, p.port, p.path)
        };
        assert_eq!(
            parts("http://127.0.0.1:8400/cb"),
            ("127.0.0.1".into(), 8400, "/cb".into())
        );
        assert_eq!(
            parts("http://localhost/callback"),
            ("localhost".into(), 0, "/callback".into())
        );
        assert_eq!(parts("http://[::1]:9/"), ("[::1]".into(), 9, "/".into()));
        for bad in [
            "https://127.0.0.1/cb",
            "http://app.example/cb",
            "http://127.0.0.1/cb?x=1",
            "com.example.app:/cb",
        ] {
            assert!(parse_loopback(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn serves_the_redirect_and_ignores_other_paths() {
        let listener = Listener::bind(None).unwrap();
        let uri = listener.redirect_uri.clone();
        let addr = uri
            .trim_start_matches("http://")
            .trim_end_matches("/callback")
            .to_string();
        let client = std::thread::spawn(move || {
            let get = |target: &str| {
                let mut s = TcpStream::connect(&addr).unwrap();
                write!(s, "GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
                let mut page = String::new();
                s.read_to_string(&mut page).unwrap();
                page
            };
            (get("/favicon.ico"), get("/callback?code=a%2Bb&state=s"))
        });
        let redirect = listener
            .wait(Instant::now() + Duration::from_secs(5), |_| Page {
                status: 200,
                title: "Signed in",
                message: "<b>close</b>".into(),
            })
            .unwrap()
            .unwrap();
        assert_eq!(redirect.get("code"), Some("a+b"));
        assert_eq!(redirect.get("state"), Some("s"));
        let (favicon, page) = client.join().unwrap();
        assert!(favicon.starts_with("HTTP/1.1 404"));
        assert!(page.starts_with("HTTP/1.1 200"));
        assert!(page.contains("&lt;b&gt;close&lt;/b&gt;"), "{page}");
    }

    #[test]
    fn a_client_trickling_bytes_cannot_hold_the_wait_past_its_deadline() {
        let listener = Listener::bind(None).unwrap();
        let addr = listener
            .redirect_uri
            .trim_start_matches("http://")
            .trim_end_matches("/callback")
            .to_string();
        let trickler = std::thread::spawn(move || {
            let mut s = TcpStream::connect(&addr).unwrap();
            for b in b"GET /callback?code=x HTTP/1.1\r\n" {
                if s.write_all(&[*b]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        let started = Instant::now();
        let got = listener
            .wait(Instant::now() + Duration::from_secs(1), |_| Page {
                status: 200,
                title: "x",
                message: String::new(),
            })
            .unwrap();
        assert!(got.is_none());
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        drop(trickler);
    }

    #[test]
    fn localhost_is_listened_on_both_loopback_addresses() {
        let listener = Listener::bind(Some("http://localhost/cb")).unwrap();
        let port: u16 = listener
            .redirect_uri
            .trim_start_matches("http://localhost:")
            .trim_end_matches("/cb")
            .parse()
            .unwrap();
        assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
        // Where the machine has IPv6 loopback, ::1 is ours too.
        if std::net::TcpListener::bind("[::1]:0").is_ok() {
            assert!(TcpStream::connect(("::1", port)).is_ok());
        }
    }

    #[test]
    fn gives_up_at_the_deadline() {
        let listener = Listener::bind(None).unwrap();
        let started = Instant::now();
        let got = listener
            .wait(Instant::now() + Duration::from_millis(100), |_| Page {
                status: 200,
                title: "x",
                message: String::new(),
            })
            .unwrap();
        assert!(got.is_none());
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
