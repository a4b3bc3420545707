//! `squidctl serve`: the queue over HTTP for robots, LIMS and browsers, and a status page.
//! A thread per connection (they are few, and event streams and long polls hold one by
//! design), a cap on how many, and nothing here that the CLI does not also do: the routes
//! call the same spool functions.
//!
//! Who may connect: on a Unix socket (the default) the kernel names the peer; on TCP a
//! bearer token with scopes. An address other than loopback needs an explicit token file.

pub mod auth;
pub mod http;
pub mod page;
pub mod routes;
pub mod run_view;
pub mod stream;

use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auth::{Grant, Tokens};
use http::{ReadError, Response};
use routes::{Ctx, Reply};

/// More connections than this are answered 503 at once.
const MAX_CONNECTIONS: usize = 512;
/// A connection quiet this long between requests is closed.
const IDLE: Duration = Duration::from_secs(30);
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
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    let ctx = Arc::new(Server {
        ctx: Ctx {
            microscopes: o.microscopes,
            cwd,
            heartbeat: o.heartbeat,
            views: Default::default(),
        },
        tokens,
        active: AtomicUsize::new(0),
    });
    match listener {
        Listener::Tcp(l) => accept_loop(&ctx, || l.accept().map(|(s, _)| Conn::Tcp(s))),
        Listener::Unix(l, _) => accept_loop(&ctx, || l.accept().map(|(s, _)| Conn::Unix(s))),
    }
}

/// A Unix socket at `p`, mode 0660; a stale one (nobody answering) is replaced.
fn bind_unix(p: &Path) -> Result<UnixListener, String> {
    if p.exists() {
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
    loop {
        let conn = match accept() {
            Ok(c) => c,
            Err(e) => {
                // Out of descriptors and the like: wait rather than spin.
                tracing::warn!("accepting a connection: {e}");
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let n = server.active.fetch_add(1, Ordering::SeqCst);
        // Counted down however the thread ends, a panic included.
        let counted = Counted(server.clone());
        let spawned = std::thread::Builder::new()
            .name("api-conn".into())
            .spawn(move || {
                let s = &counted.0;
                match conn {
                    Conn::Tcp(t) => s.connection(t, false, n),
                    Conn::Unix(u) => s.connection(u, true, n),
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot start a connection thread: {e}");
        }
    }
}

trait Stream: std::io::Read + Write + AsRawFd + Sized {
    fn try_clone(&self) -> std::io::Result<Self>;
    fn timeouts(&self, read: Duration, write: Duration);
}

impl Stream for TcpStream {
    fn try_clone(&self) -> std::io::Result<Self> {
        TcpStream::try_clone(self)
    }
    fn timeouts(&self, read: Duration, write: Duration) {
        let _ = self.set_read_timeout(Some(read));
        let _ = self.set_write_timeout(Some(write));
        let _ = self.set_nodelay(true);
    }
}

impl Stream for UnixStream {
    fn try_clone(&self) -> std::io::Result<Self> {
        UnixStream::try_clone(self)
    }
    fn timeouts(&self, read: Duration, write: Duration) {
        let _ = self.set_read_timeout(Some(read));
        let _ = self.set_write_timeout(Some(write));
    }
}

impl Server {
    fn connection<S: Stream>(&self, stream: S, unix: bool, before: usize) {
        stream.timeouts(IDLE, WRITE_STALL);
        let Ok(mut out) = stream.try_clone() else {
            return;
        };
        if before >= MAX_CONNECTIONS {
            let _ = Response::error(503, "too many connections: try again shortly")
                .write_to(&mut out, false);
            return;
        }
        // On a Unix socket the peer is known once, from the kernel.
        let peer = if unix {
            match auth::peer(stream.as_raw_fd()).map(auth::peer_grant) {
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
        let mut reader = BufReader::new(stream);
        loop {
            let req = match http::read_request(&mut reader) {
                Ok(r) => r,
                Err(ReadError::Closed) => return,
                Err(ReadError::Bad(status, m)) => {
                    let _ = Response::error(status, m).write_to(&mut out, false);
                    return;
                }
            };
            let keep = req.keep_alive;
            let grant = peer.clone().or_else(|| self.token_grant(&req));
            let reply = match (req.method.as_str(), req.path.as_str()) {
                ("GET", "/") | ("GET", "/index.html") => {
                    page::page(&req, grant.as_ref(), self.tokens.as_ref()).into()
                }
                _ => self.ctx.route(&req, grant.as_ref(), unix),
            };
            match reply {
                Reply::Done(r) => {
                    if r.write_to(&mut out, keep).is_err() || !keep {
                        return;
                    }
                }
                Reply::Events { hub, since, task } => {
                    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nX-Accel-Buffering: no\r\nConnection: close\r\n\r\n";
                    if out.write_all(head.as_bytes()).is_ok() {
                        let _ = hub.stream(&mut out, since, task, self.ctx.heartbeat);
                    }
                    return;
                }
            }
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
