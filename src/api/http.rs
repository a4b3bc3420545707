//! Just enough HTTP/1.1 for a local API: one request at a time per connection (keep-alive),
//! bodies by Content-Length only, bounded sizes and a read deadline so a slow or hostile
//! client cannot hold a thread forever. Parsing is httparse's; we own the socket, which
//! is what lets a Unix socket check its peer's credentials.

use std::io::{self, BufRead, Write};

use serde_json::Value;

use crate::fault::{Code, Fault};

const MAX_HEAD: usize = 16 * 1024;
/// A protocol is a few kilobytes; this bounds what one request can make us hold.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

pub struct Request {
    pub method: String,
    /// The path without the query, percent-decoded.
    pub path: String,
    pub query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub keep_alive: bool,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request could not be read; the connection closes after the answer (if any).
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed, or went quiet between requests: no answer.
    Closed,
    Bad(u16, String),
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// Read one request, head and body. `Closed` when the peer is gone before a request began.
pub fn read_request(r: &mut impl BufRead) -> Result<Request, ReadError> {
    let (mut req, len) = read_head(r)?;
    read_body(r, &mut req, len)?;
    Ok(req)
}

/// Read a request's head: the request without its body, and the body's length (checked
/// against [`MAX_BODY`], not yet read), so the caller can refuse an unauthenticated
/// caller before holding its body.
pub fn read_head(r: &mut impl BufRead) -> Result<(Request, usize), ReadError> {
    let mut head = Vec::new();
    loop {
        let n = {
            let buf = match r.fill_buf() {
                Ok(b) => b,
                Err(_) if head.is_empty() => return Err(ReadError::Closed),
                Err(e) => return Err(ReadError::Bad(408, format!("reading the request: {e}"))),
            };
            if buf.is_empty() {
                if head.is_empty() {
                    return Err(ReadError::Closed);
                }
                return Err(ReadError::Bad(
                    400,
                    "the request ended in its headers".into(),
                ));
            }
            // Up to and including the blank line that ends the head, if it is here.
            let take = match find_end(&head, buf) {
                Some(end) => end,
                None => buf.len(),
            };
            head.extend_from_slice(&buf[..take]);
            take
        };
        r.consume(n);
        if head.len() > MAX_HEAD {
            return Err(ReadError::Bad(431, "request headers over 16 KiB".into()));
        }
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            break;
        }
    }
    let mut hs = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut hs);
    match req.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(ReadError::Bad(400, "incomplete request".into()));
        }
        Err(e) => return Err(ReadError::Bad(400, format!("malformed request: {e}"))),
    }
    let method = req.method.unwrap_or("GET").to_string();
    let target = req.path.unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).trim().to_string(),
            )
        })
        .collect();
    let version = req.version.unwrap_or(1);
    let mut out = Request {
        method,
        path: decode(path),
        query: parse_query(query),
        headers,
        body: Vec::new(),
        keep_alive: false,
    };
    let conn = out.header("connection").unwrap_or("").to_ascii_lowercase();
    out.keep_alive = if version >= 1 {
        !conn.contains("close")
    } else {
        conn.contains("keep-alive")
    };
    if out
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("transfer-encoding"))
    {
        return Err(ReadError::Bad(
            411,
            "chunked or encoded request bodies are not accepted: send Content-Length".into(),
        ));
    }
    // Two lengths are how a request is smuggled past a proxy that reads the other one.
    let lengths: Vec<&str> = out
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.as_str())
        .collect();
    let len = match lengths.as_slice() {
        [] => 0,
        [v] if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            v.parse::<usize>().unwrap_or(usize::MAX)
        }
        [v] => {
            return Err(ReadError::Bad(
                400,
                format!("bad Content-Length: {}", crate::human::clip(v, 40)),
            ));
        }
        _ => {
            return Err(ReadError::Bad(
                400,
                "more than one Content-Length: send exactly one".into(),
            ));
        }
    };
    if len > MAX_BODY {
        return Err(ReadError::Bad(
            413,
            format!("a request body over {MAX_BODY} bytes"),
        ));
    }
    Ok((out, len))
}

/// Read the body [`read_head`] announced.
pub fn read_body(r: &mut impl BufRead, req: &mut Request, len: usize) -> Result<(), ReadError> {
    req.body = vec![0; len];
    r.read_exact(&mut req.body)
        .map_err(|e| ReadError::Bad(400, format!("reading the request body: {e}")))
}

/// Where the head ends inside `buf`, given what came before it.
fn find_end(before: &[u8], buf: &[u8]) -> Option<usize> {
    let tail = &before[before.len().saturating_sub(3)..];
    let joined: Vec<u8> = tail.iter().chain(buf).copied().collect();
    let at = joined
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .or_else(|| joined.windows(2).position(|w| w == b"\n\n").map(|p| p + 2))?;
    Some(at - tail.len())
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

impl Response {
    pub fn json(status: u16, v: &Value) -> Response {
        let mut body = serde_json::to_vec_pretty(v).unwrap_or_default();
        body.push(b'\n');
        Response {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body,
        }
    }

    /// `{"error": Fault}` with the code this status stands for, and the same words the CLI
    /// prints; a site that knows more gives its own fault with [`Response::fault`].
    pub fn error(status: u16, message: impl Into<String>) -> Response {
        let f = Fault::new(Code::for_http(status), message).component("api");
        Response::json(status, &serde_json::json!({"error": f}))
    }

    /// `{"error": Fault}`, with the HTTP status the fault's code advises.
    pub fn fault(f: &Fault) -> Response {
        Response::fault_as(f.http_status(), f)
    }

    /// `{"error": Fault}` with the status this route has always answered (clients branch on
    /// the code; the status is advice).
    pub fn fault_as(status: u16, f: &Fault) -> Response {
        Response::json(status, &serde_json::json!({"error": f}))
    }

    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
        }
    }

    pub fn with(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn write_to(&self, w: &mut impl Write, keep_alive: bool) -> io::Result<()> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!(
            "Content-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: {}\r\n\r\n",
            self.body.len(),
            if keep_alive { "keep-alive" } else { "close" }
        ));
        w.write_all(head.as_bytes())?;
        w.write_all(&self.body)?;
        w.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(raw: &[u8]) -> Result<Request, ReadError> {
        read_request(&mut io::BufReader::with_capacity(7, raw))
    }

    #[test]
    fn a_request_with_a_body_split_across_reads_is_read_whole() {
        let r = read(b"POST /v1/tasks?state=queued&label=a%20b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloNEXT")
            .expect("a request");
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/tasks"));
        assert_eq!(r.param("label"), Some("a b"));
        assert_eq!(r.param("state"), Some("queued"));
        assert_eq!(r.body, b"hello");
        assert!(r.keep_alive);
        assert_eq!(r.header("HOST"), Some("x"));
    }

    #[test]
    fn limits_and_malformed_requests_get_their_status() {
        let big = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY + 1
        );
        assert!(matches!(read(big.as_bytes()), Err(ReadError::Bad(413, _))));
        let chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert!(matches!(read(chunked), Err(ReadError::Bad(411, _))));
        assert!(matches!(
            read(b"GARBAGE\r\n\r\n"),
            Err(ReadError::Bad(400, _))
        ));
        assert!(matches!(read(b""), Err(ReadError::Closed)));
        assert!(matches!(
            read(b"GET / HTTP/1.1\r\nHost"),
            Err(ReadError::Bad(400, _))
        ));
        let long = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        assert!(matches!(read(long.as_bytes()), Err(ReadError::Bad(431, _))));
        let close = read(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").expect("ok");
        assert!(!close.keep_alive);
        // Request smuggling: two lengths, a signed or padded one, an encoding beside a length.
        for bad in [
            &b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"[..],
            b"POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\nhello!",
            b"POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello",
            b"POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello",
        ] {
            assert!(matches!(read(bad), Err(ReadError::Bad(400, _))));
        }
        let both =
            b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: identity\r\n\r\nhello";
        assert!(matches!(read(both), Err(ReadError::Bad(411, _))));
    }

    #[test]
    fn percent_decoding_keeps_bad_escapes_literal() {
        assert_eq!(decode("a%2Fb%zz%4"), "a/b%zz%4");
        assert_eq!(
            parse_query("a=1&&b&c=x%3Dy"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), String::new()),
                ("c".into(), "x=y".into())
            ]
        );
    }
}
