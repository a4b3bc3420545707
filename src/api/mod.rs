//! `squidctl serve`: the queue over HTTP for robots, LIMS and browsers, and a status page.
//! A thread per connection (they are few, and event streams and long polls hold one by
//! design), a cap on how many, and nothing here that the CLI does not also do: the routes
//! call the same spool functions.
//!
//! Who may connect: on a Unix socket (the default) the kernel names the peer; on TCP a
//! bearer token with scopes. An address other than loopback needs an explicit token file.

mod action_body;
pub mod auth;
mod catalog;
pub mod http;
mod idempotency;
mod limits;
mod metrics;
pub mod page;
pub mod routes;
pub mod run_view;
pub mod squid;
pub mod state_cache;
pub mod stream;
mod websocket;

use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use auth::{Grant, Tokens};
use http::{ReadError, Response};
use routes::{Ctx, Reply};

/// The most connections served at once, whatever the descriptor limit allows.
const MAX_CONNECTIONS: usize = 4096;
/// Descriptors kept for the server's own files (event logs, spools, run directories).
const RESERVED_FDS: u64 = 128;
/// A connection quiet this long between requests is closed.
const IDLE: Duration = Duration::from_secs(30);
/// A request's whole head must arrive within this from its first byte (not per read: a
/// client sending a byte every few seconds is cut off here).
const HEAD_TIME: Duration = Duration::from_secs(10);
/// A request's whole body must arrive within this.
const BODY_TIME: Duration = Duration::from_secs(60);
/// Request bodies held at once, over every connection.
const MAX_IN_FLIGHT: usize = 64 * 1024 * 1024;
/// A client that takes no bytes for this long is dropped (an event stream to a dead peer).
const WRITE_STALL: Duration = Duration::from_secs(10);

#[derive(Clone, Debug, PartialEq)]
pub enum Listen {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

impl Listen {
    /// `unix:PATH`, `HOST:PORT` or `localhost:PORT`.
    pub fn parse(s: &str) -> Result<Listen, String> {
        if let Some(p) = s.strip_prefix("unix:") {
            if p.is_empty() {
                return Err("unix: needs a path, e.g. unix:/run/squidctl.sock".into());
            }
            return Ok(Listen::Unix(PathBuf::from(p)));
        }
        let s2 = s.replace("localhost:", "127.0.0.1:");
        s2.parse::<SocketAddr>().map(Listen::Tcp).map_err(|_| {
            format!("--listen {s}: give unix:PATH, or an address and port such as 127.0.0.1:8470")
        })
    }

    /// The default: a socket in the user's runtime directory, else beside the spools.
    pub fn default_socket() -> Result<Listen, String> {
        let dir = std::env::var_os("XDG_RUNTIME_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .map_or_else(crate::queue::spool::root, Ok)?;
        Ok(Listen::Unix(dir.join("squidctl.sock")))
    }
}

pub struct Options {
    pub listen: Listen,
    /// Given with `--token-file`; `None` on TCP means the default file (made if missing).
    pub token_file: Option<PathBuf>,
    pub microscopes: Vec<routes::Microscope>,
    pub heartbeat: Duration,
    /// API tasks write their runs below this directory only.
    pub output_root: PathBuf,
}

/// Where `serve` puts its tokens when no `--token-file` is given.
pub fn default_token_file() -> Result<PathBuf, String> {
    Ok(crate::queue::spool::root()?.join("api-tokens"))
}

enum Listener {
    Unix(UnixListener, PathBuf),
    Tcp(TcpListener),
}

/// Bind, say where, and serve until the process is stopped. An error is for the user.
pub fn serve(o: Options) -> Result<(), String> {
    // The token file: the one given, else on TCP the default one (made if missing).
    let token_file = match (&o.listen, &o.token_file) {
        (Listen::Tcp(a), None) if !a.ip().is_loopback() => {
            return Err(format!(
                "refusing to serve on {a} without a token file: any machine that reaches it could run and cancel acquisitions. \
                 Give --token-file FILE (lines `TOKEN read,submit,control NAME`, mode 600), or listen on 127.0.0.1"
            ));
        }
        (_, Some(f)) => Some(f.clone()),
        (Listen::Tcp(_), None) => {
            let f = default_token_file()?;
            if !f.exists() {
                auth::create_token_file(&f)?;
                tracing::info!("made a token file with one admin token: {}", f.display());
            }
            Some(f)
        }
        (Listen::Unix(_), None) => None,
    };
    let tokens = token_file.as_deref().map(Tokens::load).transpose()?;
    let listener = match &o.listen {
        Listen::Tcp(a) => {
            Listener::Tcp(TcpListener::bind(a).map_err(|e| format!("cannot listen on {a}: {e}"))?)
        }
        Listen::Unix(p) => Listener::Unix(bind_unix(p)?, p.clone()),
    };
    let where_ = match &listener {
        Listener::Tcp(l) => match l.local_addr() {
            Ok(a) => format!("http://{a}/"),
            Err(e) => return Err(format!("cannot read the bound address: {e}")),
        },
        Listener::Unix(_, p) => format!("unix:{}", p.display()),
    };
    // The first line of stdout is the address (port 0 picks a free one; scripts read it).
    println!("{where_}");
    let _ = std::io::stdout().flush();
    let token_hint = match (&o.listen, &token_file) {
        (Listen::Tcp(_), Some(f)) => format!(
            "; status page: {where_}?token=TOKEN with a token from {} (once: a cookie keeps it)",
            f.display()
        ),
        _ => String::new(),
    };
    tracing::info!(
        "serving the queue{} of {} at {where_}{token_hint}; stop with Ctrl-C or SIGTERM",
        if o.microscopes.len() > 1 { "s" } else { "" },
        o.microscopes
            .iter()
            .map(|m| m.spool.microscope.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let unix_path = match &listener {
        Listener::Unix(_, p) => Some(p.clone()),
        Listener::Tcp(_) => None,
    };
    let _ = crate::supervisor::spawn("signals", move || {
        loop {
            let sig = crate::supervisor::signals::wait_signal();
            if matches!(sig, libc::SIGINT | libc::SIGTERM | libc::SIGHUP) {
                if let Some(p) = &unix_path {
                    let _ = std::fs::remove_file(p);
                }
                tracing::info!(
                    "stopped by {}",
                    crate::supervisor::signals::signal_name(sig)
                );
                std::process::exit(0);
            }
        }
    });
    // The group the socket file has (ours, unless its directory is setgid).
    // SAFETY: getegid has no preconditions.
    let egid = unsafe { libc::getegid() };
    let socket_gid = match &listener {
        Listener::Unix(_, p) => {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(p).map_or(egid, |m| m.gid())
        }
        Listener::Tcp(_) => egid,
    };
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    let nofile = limits::raise_nofile();
    let cap = limits::connection_cap(nofile);
    tracing::info!(
        "serving at most {cap} connections at once (descriptor limit {nofile}); API tasks write their runs below {}",
        o.output_root.display()
    );
    let ctx = Arc::new(Server {
        ctx: Ctx {
            microscopes: o.microscopes,
            cwd,
            heartbeat: o.heartbeat,
            views: Default::default(),
            output_root: o.output_root,
            idempotency: idempotency::Store::open(&crate::queue::spool::root()?),
            metrics: Default::default(),
        },
        tokens,
        active: AtomicUsize::new(0),
        cap,
        pending: limits::Pending::default(),
        in_flight: AtomicUsize::new(0),
        socket_gid,
    });
    match listener {
        Listener::Tcp(l) => accept_loop(&ctx, || l.accept().map(|(s, _)| Conn::Tcp(s))),
        Listener::Unix(l, _) => accept_loop(&ctx, || l.accept().map(|(s, _)| Conn::Unix(s))),
    }
}

/// A Unix socket at `p`, mode 0660; a stale one (nobody answering) is replaced.
fn bind_unix(p: &Path) -> Result<UnixListener, String> {
    if let Ok(m) = std::fs::symlink_metadata(p) {
        use std::os::unix::fs::FileTypeExt;
        if !m.file_type().is_socket() {
            return Err(format!(
                "{} exists and is not a socket: squidctl removes only a stale socket there; give another --listen unix:PATH",
                p.display()
            ));
        }
        if UnixStream::connect(p).is_ok() {
            return Err(format!(
                "another `squidctl serve` answers at {}: stop it, or give another --listen",
                p.display()
            ));
        }
        std::fs::remove_file(p)
            .map_err(|e| format!("cannot remove the stale socket {}: {e}", p.display()))?;
    }
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    // Made with no permissions for others from the first instant, then opened to the group.
    // SAFETY: umask only changes this process's file creation mask.
    let old = unsafe { libc::umask(0o177) };
    let l = UnixListener::bind(p);
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    let l = l.map_err(|e| format!("cannot listen on {}: {e}", p.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o660))
        .map_err(|e| format!("cannot set the permissions of {}: {e}", p.display()))?;
    Ok(l)
}

struct Server {
    ctx: Ctx,
    tokens: Option<Tokens>,
    active: AtomicUsize,
    /// Connections served at once (from the descriptor limit).
    cap: usize,
    /// Connections that have not yet shown who they are: the first to go when full.
    pending: limits::Pending,
    /// Bytes of request bodies held now.
    in_flight: AtomicUsize,
    /// The Unix socket's group, whose members may use it.
    socket_gid: u32,
}

struct Counted(Arc<Server>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

fn accept_loop(
    server: &Arc<Server>,
    mut accept: impl FnMut() -> std::io::Result<Conn>,
) -> Result<(), String> {
    let mut failing = limits::Throttle::default();
    loop {
        let conn = match accept() {
            Ok(c) => c,
            Err(e) => {
                // Out of descriptors and the like: wait rather than spin, and say so once
                // a minute, not forty times a second.
                failing.warn(|n| format!("accepting a connection: {e} ({n} times)"));
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        // Full: make room by dropping the oldest connection that has not shown a token
        // (a slow or idle stranger), never one that has; else answer 503 at once.
        if server.active.load(Ordering::SeqCst) >= server.cap && !server.pending.evict_oldest() {
            conn.refuse_busy();
            continue;
        }
        server.active.fetch_add(1, Ordering::SeqCst);
        // Counted down however the thread ends, a panic included.
        let counted = Counted(server.clone());
        let spawned = std::thread::Builder::new()
            .name("api-conn".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                let s = &counted.0;
                match conn {
                    Conn::Tcp(t) => s.connection(t, false),
                    Conn::Unix(u) => s.connection(u, true),
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot start a connection thread: {e}");
        }
    }
}

impl Conn {
    /// 503 without a thread or a wait: the answer fits the socket's buffer or is lost.
    fn refuse_busy(self) {
        let r = Response::error(503, "too many connections: try again shortly");
        match self {
            Conn::Tcp(mut t) => {
                let _ = t.set_nonblocking(true);
                let _ = r.write_to(&mut t, false);
            }
            Conn::Unix(mut u) => {
                let _ = u.set_nonblocking(true);
                let _ = r.write_to(&mut u, false);
            }
        }
    }
}

/// A stream whose reads stop at a deadline for the whole request head (or body), not per
/// read; between requests, reads wait up to [`IDLE`].
struct Timed<S> {
    s: S,
    deadline: Option<Instant>,
}

impl<S: Stream> std::io::Read for Timed<S> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let wait = match self.deadline {
            None => IDLE,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request took too long to arrive",
                    ));
                }
                left
            }
        };
        self.s.read_timeout(wait);
        self.s.read(buf)
    }
}

/// Reads get their timeout from [`Timed`] before each read; this sets the rest once.
trait Stream: std::io::Read + Write + AsRawFd + Sized {
    fn try_clone(&self) -> std::io::Result<Self>;
    fn write_stall(&self, write: Duration);
    fn read_timeout(&self, read: Duration);
}

impl Stream for TcpStream {
    fn try_clone(&self) -> std::io::Result<Self> {
        TcpStream::try_clone(self)
    }
    fn write_stall(&self, write: Duration) {
        let _ = self.set_write_timeout(Some(write));
        let _ = self.set_nodelay(true);
    }
    fn read_timeout(&self, read: Duration) {
        let _ = self.set_read_timeout(Some(read));
    }
}

impl Stream for UnixStream {
    fn try_clone(&self) -> std::io::Result<Self> {
        UnixStream::try_clone(self)
    }
    fn write_stall(&self, write: Duration) {
        let _ = self.set_write_timeout(Some(write));
    }
    fn read_timeout(&self, read: Duration) {
        let _ = self.set_read_timeout(Some(read));
    }
}

impl Server {
    fn connection<S: Stream>(&self, stream: S, unix: bool) {
        stream.write_stall(WRITE_STALL);
        let Ok(mut out) = stream.try_clone() else {
            return;
        };
        // On a Unix socket the peer is known once, from the kernel.
        let peer = if unix {
            let fd = stream.as_raw_fd();
            match auth::peer(fd).map(|p| auth::peer_grant(p, fd, self.socket_gid)) {
                Some(Ok(g)) => Some(g),
                Some(Err(m)) => {
                    let _ = Response::error(403, m).write_to(&mut out, false);
                    return;
                }
                None => {
                    let _ = Response::error(403, "cannot read the peer's credentials")
                        .write_to(&mut out, false);
                    return;
                }
            }
        } else {
            None
        };
        // A stranger until a request shows a token: the first to be dropped when full.
        let mut stranger = if peer.is_none() {
            self.pending.add(stream.as_raw_fd())
        } else {
            None
        };
        let mut reader = BufReader::new(Timed {
            s: stream,
            deadline: None,
        });
        loop {
            // Between requests: up to IDLE for the first byte, then one deadline for the head.
            reader.get_mut().deadline = None;
            match std::io::BufRead::fill_buf(&mut reader) {
                Ok([]) | Err(_) => break,
                Ok(_) => {}
            }
            reader.get_mut().deadline = Some(Instant::now() + HEAD_TIME);
            let (mut req, len) = match http::read_head(&mut reader) {
                Ok(r) => r,
                Err(ReadError::Closed) => break,
                Err(ReadError::Bad(status, m)) => {
                    let _ = Response::error(status, m).write_to(&mut out, false);
                    break;
                }
            };
            let grant = peer.clone().or_else(|| self.token_grant(&req));
            if grant.is_some()
                && let Some(id) = stranger.take()
            {
                self.pending.remove(id);
            }
            // The token is checked from the head: a stranger's body is never read.
            let _held = if len > 0 {
                if grant.is_none() {
                    let _ = Response::error(
                        401,
                        "a request with a body needs a token: send `Authorization: Bearer TOKEN`",
                    )
                    .with("WWW-Authenticate", "Bearer realm=\"squidctl\"")
                    .write_to(&mut out, false);
                    break;
                }
                let Some(held) = limits::InFlight::take(&self.in_flight, len, MAX_IN_FLIGHT) else {
                    let _ =
                        Response::error(503, "too many request bodies at once: try again shortly")
                            .write_to(&mut out, false);
                    break;
                };
                reader.get_mut().deadline = Some(Instant::now() + BODY_TIME);
                if let Err(e) = http::read_body(&mut reader, &mut req, len) {
                    if let ReadError::Bad(status, m) = e {
                        let _ = Response::error(status, m).write_to(&mut out, false);
                    }
                    break;
                }
                Some(held)
            } else {
                None
            };
            let keep = req.keep_alive;
            let reply = match (req.method.as_str(), req.path.as_str()) {
                ("GET", "/") | ("GET", "/index.html") => {
                    page::page(&req, grant.as_ref(), self.tokens.as_ref()).into()
                }
                _ => self.ctx.route(&req, grant.as_ref(), unix),
            };
            drop(req);
            match reply {
                Reply::Done(r) => {
                    if r.write_to(&mut out, keep).is_err() || !keep {
                        break;
                    }
                }
                Reply::Events {
                    hub,
                    since,
                    task,
                    hello,
                    websocket,
                } => {
                    let beat = self.ctx.heartbeat;
                    let _ = match websocket {
                        None => {
                            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nX-Accel-Buffering: no\r\nConnection: close\r\n\r\n";
                            out.write_all(head.as_bytes()).and_then(|()| {
                                hub.stream(&mut stream::Sse(&mut out), since, task, beat, &hello)
                            })
                        }
                        Some(key) => {
                            // Reads look for the client's close between events, briefly.
                            out.read_timeout(Duration::from_millis(5));
                            websocket::accept(out, &key)
                                .and_then(|mut ws| hub.stream(&mut ws, since, task, beat, &hello))
                        }
                    };
                    break;
                }
            }
        }
        if let Some(id) = stranger {
            self.pending.remove(id);
        }
    }

    /// A TCP caller's grant: the bearer token, else the page's cookie (which reads only, so a
    /// page on another site cannot make a browser change the queue).
    fn token_grant(&self, req: &http::Request) -> Option<Grant> {
        let tokens = self.tokens.as_ref()?;
        if let Some(t) = auth::bearer(req.header("authorization")) {
            return tokens.check(t);
        }
        let t = auth::cookie(req.header("cookie"))?;
        tokens.check(t).map(|mut g| {
            g.scopes = auth::Scopes {
                read: g.scopes.read,
                submit: false,
                control: false,
            };
            g
        })
    }
}
