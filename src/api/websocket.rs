//! The event stream over a WebSocket (`GET /v1/ws`, RFC 6455), for the frameworks that speak
//! WebSockets rather than Server-Sent Events: the same events as `/v1/events`, each once and
//! in order, replayed from `?since=` (or `Last-Event-ID`) on connect. Each message is the
//! queue event's JSON with the keys a task API's clients expect added (`task_id`,
//! `timestamp`); the first is Squid's `session_started`. The handshake is ours (the request
//! was already read); `tungstenite` does the framing.

use std::io::{Read, Write};

use tungstenite::protocol::{Message, Role, WebSocket};

use super::http::{Request, Response};
use super::stream::Sink;
use crate::fault::{Code, Fault};
use crate::queue::events::Event;

/// The client's `Sec-WebSocket-Key`, or the refusal a request that is not an upgrade gets.
pub fn handshake_key(req: &Request) -> Result<String, Response> {
    let has = |name: &str, word: &str| {
        req.header(name)
            .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(word)))
    };
    if !has("upgrade", "websocket") || !has("connection", "upgrade") {
        return Err(Response::fault_as(
            426,
            &Fault::new(
                Code::SchemaViolation,
                "/v1/ws is a WebSocket: send `Connection: Upgrade` and `Upgrade: websocket` (or read the same events as Server-Sent Events from /v1/events)",
            )
            .component("api"),
        )
        .with("Upgrade", "websocket"));
    }
    if req.header("sec-websocket-version") != Some("13") {
        return Err(Response::fault_as(
            426,
            &Fault::new(
                Code::SchemaViolation,
                "WebSocket version 13 (RFC 6455) only",
            )
            .component("api"),
        )
        .with("Sec-WebSocket-Version", "13"));
    }
    req.header("sec-websocket-key")
        .filter(|k| !k.is_empty() && k.len() < 100)
        .map(String::from)
        .ok_or_else(|| Response::error(400, "a WebSocket upgrade needs its Sec-WebSocket-Key"))
}

/// Answer the upgrade on `s` and hand back the socket.
pub fn accept<S: Read + Write>(mut s: S, key: &str) -> std::io::Result<Ws<S>> {
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    write!(
        s,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    )?;
    s.flush()?;
    Ok(Ws(WebSocket::from_raw_socket(s, Role::Server, None)))
}

pub struct Ws<S>(WebSocket<S>);

fn io(e: tungstenite::Error) -> std::io::Error {
    match e {
        tungstenite::Error::Io(e) => e,
        other => std::io::Error::other(other),
    }
}

impl<S: Read + Write> Ws<S> {
    fn send(&mut self, v: serde_json::Value) -> std::io::Result<()> {
        self.0.write(Message::text(v.to_string())).map_err(io)
    }
}

impl<S: Read + Write> Sink for Ws<S> {
    fn hello(&mut self, v: &serde_json::Value) -> std::io::Result<()> {
        let mut m = serde_json::json!({
            "type": "session_started",
            "timestamp": crate::clock::WallTime::now().rfc3339(),
        });
        if let (Some(o), Some(h)) = (m.as_object_mut(), v.as_object()) {
            o.extend(h.clone());
        }
        self.send(m)
    }

    fn event(&mut self, e: &Event) -> std::io::Result<()> {
        let mut v = serde_json::to_value(e).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("task_id".into(), e.task.into());
            o.insert("timestamp".into(), e.time.clone().into());
        }
        self.send(v)
    }

    fn heartbeat(&mut self) -> std::io::Result<()> {
        self.0.write(Message::Ping(Vec::new().into())).map_err(io)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(io)
    }

    /// Read what the client sent (the socket's read timeout is short): a close ends the
    /// stream, a ping is answered by the next flush, anything else is ignored.
    fn alive(&mut self) -> std::io::Result<bool> {
        loop {
            match self.0.read() {
                Ok(Message::Close(_)) => {
                    let _ = self.0.flush();
                    return Ok(false);
                }
                Ok(_) => continue,
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(true);
                }
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return Ok(false);
                }
                Err(e) => return Err(io(e)),
            }
        }
    }
}
