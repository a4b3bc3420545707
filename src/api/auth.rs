//! Who may do what through the API. On the Unix socket the kernel says who the peer is
//! (SO_PEERCRED); on TCP a bearer token from the token file does, with its scopes. A token
//! that may submit but not control lands its tasks held, so a person approves them.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// What a caller may do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scopes {
    pub read: bool,
    pub submit: bool,
    pub control: bool,
}

impl Scopes {
    pub const ALL: Scopes = Scopes {
        read: true,
        submit: true,
        control: true,
    };

    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.read, "read"),
            (self.submit, "submit"),
            (self.control, "control"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| *n)
        .collect()
    }
}

/// The caller of one request: its scopes and how the event log names it.
#[derive(Clone, Debug)]
pub struct Grant {
    pub scopes: Scopes,
    pub who: String,
    /// A Unix socket peer's uid (a token names no user on this machine).
    pub uid: Option<u32>,
}

#[derive(Clone, Debug)]
struct Token {
    secret: Vec<u8>,
    scopes: Scopes,
    name: String,
}

/// The tokens `--token-file` lists.
#[derive(Clone, Debug, Default)]
pub struct Tokens {
    tokens: Vec<Token>,
}

/// Shorter tokens can be guessed over a loopback connection in reasonable time.
const MIN_TOKEN: usize = 16;

impl Tokens {
    /// Read a token file: one token per line, `TOKEN SCOPES [NAME]`, scopes comma-separated
    /// from read, submit, control; `#` starts a comment. Refused when others may read it.
    pub fn load(path: &Path) -> Result<Tokens, String> {
        let where_ = path.display();
        let meta = std::fs::metadata(path)
            .map_err(|e| format!("cannot read the token file {where_}: {e}"))?;
        // SAFETY: geteuid has no preconditions.
        let me = unsafe { libc::geteuid() };
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != me && meta.uid() != 0 {
            return Err(format!(
                "the token file {where_} belongs to uid {}, not to this server's user (uid {me}) or root: whoever owns it can change who may drive the microscope. Run `chown {me} {where_}`",
                meta.uid()
            ));
        }
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(format!(
                "the token file {where_} can be read by other users (mode {:o}): run `chmod 600 {where_}`",
                meta.permissions().mode() & 0o777
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the token file {where_}: {e}"))?;
        Self::parse(&text).map_err(|(line, m)| format!("{where_}:{line}: {m}"))
    }

    fn parse(text: &str) -> Result<Tokens, (usize, String)> {
        let mut tokens = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let secret = parts.next().unwrap_or_default();
            let bad = |m: String| Err((i + 1, m));
            if secret.len() < MIN_TOKEN {
                return bad(format!(
                    "a token must be at least {MIN_TOKEN} characters (make one with `head -c 24 /dev/urandom | base64`)"
                ));
            }
            let Some(list) = parts.next() else {
                return bad("no scopes: write `TOKEN read,submit,control [NAME]`".into());
            };
            let mut scopes = Scopes::default();
            for s in list.split(',') {
                match s {
                    "read" => scopes.read = true,
                    "submit" => scopes.submit = true,
                    "control" => scopes.control = true,
                    other => {
                        return bad(format!(
                            "unknown scope `{other}`: the scopes are read, submit and control"
                        ));
                    }
                }
            }
            let name = parts
                .next()
                .map_or(format!("token {}", tokens.len() + 1), String::from);
            if tokens.iter().any(|t: &Token| t.secret == secret.as_bytes()) {
                return bad("this token is listed twice".into());
            }
            tokens.push(Token {
                secret: secret.as_bytes().to_vec(),
                scopes,
                name,
            });
        }
        if tokens.is_empty() {
            return Err((0, "no tokens in it".into()));
        }
        Ok(Tokens { tokens })
    }

    /// The grant of `Authorization: Bearer TOKEN`, comparing every token in constant time
    /// (all are compared, so the time says nothing about which one nearly matched).
    pub fn check(&self, presented: &str) -> Option<Grant> {
        let mut found = None;
        for t in &self.tokens {
            if constant_time_eq(&t.secret, presented.as_bytes()) {
                found = Some(Grant {
                    scopes: t.scopes,
                    who: format!("api:{}", t.name),
                    uid: None,
                });
            }
        }
        found
    }
}

/// Equal in a time that depends only on the lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() ^ b.len()) as u64;
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= u64::from(x ^ y);
    }
    std::hint::black_box(diff) == 0
}

/// The token carried by a request: the Authorization header, else the page's cookie.
pub fn bearer(auth: Option<&str>) -> Option<&str> {
    let v = auth?.trim();
    let (scheme, rest) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

pub const COOKIE: &str = "squidctl_token";

pub fn cookie(header: Option<&str>) -> Option<&str> {
    header?
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
}

/// A Unix socket peer, from the kernel.
#[derive(Clone, Copy, Debug)]
pub struct Peer {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

pub fn peer(fd: std::os::fd::RawFd) -> Option<Peer> {
    let mut c = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `c` and `len` are valid for the call; the kernel fills at most `len` bytes.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut c as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    (r == 0).then_some(Peer {
        pid: c.pid,
        uid: c.uid,
        gid: c.gid,
    })
}

/// The kernel's word on which groups the peer is in (its primary group and, through
/// SO_PEERGROUPS, its supplementary ones).
fn peer_groups(fd: std::os::fd::RawFd) -> Vec<u32> {
    // SO_PEERGROUPS (Linux 4.13) on the architectures squidctl runs on.
    const SO_PEERGROUPS: libc::c_int = 59;
    let mut groups = vec![0 as libc::gid_t; 64];
    for _ in 0..2 {
        let mut len = (groups.len() * std::mem::size_of::<libc::gid_t>()) as libc::socklen_t;
        // SAFETY: the kernel writes at most `len` bytes into `groups`, and says how many.
        let r = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                SO_PEERGROUPS,
                groups.as_mut_ptr().cast(),
                &mut len,
            )
        };
        let n = len as usize / std::mem::size_of::<libc::gid_t>();
        if r == 0 {
            groups.truncate(n);
            return groups;
        }
        if std::io::Error::last_os_error().raw_os_error() == Some(libc::ERANGE) && n > groups.len()
        {
            groups.resize(n, 0);
            continue;
        }
        break;
    }
    Vec::new()
}

/// The socket serves its owner, root, and members of its group (it is made mode 0660),
/// whether that group is the peer's primary group or a supplementary one.
pub fn peer_grant(p: Peer, fd: std::os::fd::RawFd, socket_gid: u32) -> Result<Grant, String> {
    // SAFETY: these cannot fail.
    let uid = unsafe { libc::geteuid() };
    let member = p.gid == socket_gid || peer_groups(fd).contains(&socket_gid);
    if p.uid == uid || p.uid == 0 || member {
        Ok(Grant {
            scopes: Scopes::ALL,
            who: format!("uid:{} pid:{}", p.uid, p.pid),
            uid: Some(p.uid),
        })
    } else {
        Err(format!(
            "uid {} may not use this socket: it serves uid {uid}, root and group {socket_gid}",
            p.uid
        ))
    }
}

/// Whether a request's caller (its Unix socket uid; `None` on TCP) may have the server open
/// a file it names: only a peer whose
/// own rights include the server's (the same user, or root). A group member of the socket
/// must not read the service user's files through it.
pub fn may_open_files(uid: Option<u32>) -> Result<(), String> {
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    match uid {
        Some(u) if u == me || u == 0 => Ok(()),
        Some(u) => Err(format!(
            "protocol_path would be opened with this server's rights (uid {me}), not yours (uid {u}): send the protocol's text as `protocol` instead"
        )),
        None => Err(
            "protocol_path is accepted on the Unix socket only: send the protocol's text as `protocol`"
                .into(),
        ),
    }
}

/// A new token file with one all-scopes token, mode 0600, for a first `serve` on TCP.
pub fn create_token_file(path: &Path) -> Result<(), String> {
    use std::io::{Read, Write};
    use std::os::unix::fs::OpenOptionsExt;
    let mut raw = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut raw))
        .map_err(|e| format!("cannot read /dev/urandom for a token: {e}"))?;
    let token: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot create the token file {}: {e}", path.display()))?;
    writeln!(
        f,
        "# squidctl API tokens, one per line: TOKEN SCOPES [NAME]; scopes read,submit,control\n{token} read,submit,control admin"
    )
    .map_err(|e| format!("cannot write the token file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lines_give_scopes_and_bad_ones_say_which_line() {
        let t = Tokens::parse(
            "# comment\n0123456789abcdef read lims\n\nfedcba9876543210fedc read,submit,control admin # x\n",
        )
        .expect("valid");
        let g = t.check("0123456789abcdef").expect("known");
        assert_eq!(g.scopes.names(), ["read"]);
        assert_eq!(g.who, "api:lims");
        assert_eq!(
            t.check("fedcba9876543210fedc").map(|g| g.scopes),
            Some(Scopes::ALL)
        );
        assert!(t.check("0123456789abcdeF").is_none());
        assert!(t.check("").is_none());
        let e = Tokens::parse("ok\n").expect_err("short");
        assert_eq!(e.0, 1);
        let e = Tokens::parse("\n0123456789abcdef read,root\n").expect_err("scope");
        assert_eq!(e.0, 2);
        assert!(e.1.contains("`root`"), "{}", e.1);
        assert!(Tokens::parse("# only\n").is_err());
        assert!(Tokens::parse("0123456789abcdef\n").is_err());
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn bearer_and_cookie_are_found() {
        assert_eq!(bearer(Some("Bearer  abc ")), Some("abc"));
        assert_eq!(bearer(Some("bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(cookie(Some("a=1; squidctl_token=xyz; b=2")), Some("xyz"));
        assert_eq!(cookie(Some("a=1")), None);
    }
}
