//! `Idempotency-Key`: a client that lost the answer to a POST (a network blip, a restarted
//! scheduler) sends it again with the same key and gets the first answer, and nothing is
//! created twice. The same key with another request is a 422. Answers are kept 24 h in the
//! spool root (`.idempotency/`), so they outlive a `serve` restart. A key's answer is
//! written only when the request is done; a second request meanwhile gets a 409, and one
//! whose server died with it started afresh.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::http::{Request, Response};
use crate::fault::{Code, Fault};

/// How long an answer is kept.
pub const KEEP_S: f64 = 24.0 * 3600.0;
/// The longest key (Stripe's and the IETF draft's clients send UUIDs).
const MAX_KEY: usize = 255;

#[derive(Serialize, Deserialize)]
struct Record {
    key: String,
    who: String,
    fingerprint: u64,
    created_unix: f64,
    /// The server answering it; `None` once answered.
    pending_pid: Option<u32>,
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

pub struct Store {
    dir: PathBuf,
}

/// What to do with a request that carries a key.
pub enum Begin {
    /// Answer it, then [`Store::finish`] with the answer.
    New(PathBuf),
    /// Already answered: this is the answer.
    Done(Response),
}

fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.iter().chain(&[0xff]) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

fn now() -> f64 {
    crate::clock::WallTime::now().unix_s
}

fn pid_alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    pid == std::process::id() || unsafe { libc::kill(pid as i32, 0) } == 0
}

impl Store {
    /// The store under the spool root; expired answers are removed now.
    pub fn open(root: &Path) -> Store {
        let s = Store {
            dir: root.join(".idempotency"),
        };
        s.expire();
        s
    }

    fn expire(&self) {
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let t = now();
        for e in rd.flatten() {
            let old = std::fs::read(e.path())
                .ok()
                .and_then(|b| serde_json::from_slice::<Record>(&b).ok())
                .is_none_or(|r| t - r.created_unix > KEEP_S);
            if old {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    /// The request's key, if it has one (a 400 for one that is too long or not text).
    pub fn key(req: &Request) -> Result<Option<&str>, Response> {
        match req.header("idempotency-key") {
            None => Ok(None),
            Some(k) if k.is_empty() || k.len() > MAX_KEY || k.chars().any(char::is_control) => {
                Err(Response::error(
                    400,
                    format!("Idempotency-Key: 1 to {MAX_KEY} printable characters (a UUID)"),
                ))
            }
            Some(k) => Ok(Some(k)),
        }
    }

    /// Start answering `req` under `key` for client `who`.
    pub fn begin(&self, key: &str, who: &str, req: &Request) -> Result<Begin, Response> {
        let query: Vec<u8> = req
            .query
            .iter()
            .flat_map(|(k, v)| [k.as_bytes(), b"=", v.as_bytes(), b"&"].concat())
            .collect();
        let fingerprint = fnv(&[
            req.method.as_bytes(),
            req.path.as_bytes(),
            &query,
            &req.body,
        ]);
        let file = self.dir.join(format!(
            "{:016x}.json",
            fnv(&[who.as_bytes(), key.as_bytes()])
        ));
        let io = |e: std::io::Error| {
            Response::fault(
                &Fault::new(
                    crate::fault::io_code(&e.to_string()),
                    format!(
                        "cannot keep the Idempotency-Key's answer in {}: {e}",
                        self.dir.display()
                    ),
                )
                .component("spool"),
            )
        };
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let pending = Record {
            key: key.into(),
            who: who.into(),
            fingerprint,
            created_unix: now(),
            pending_pid: Some(std::process::id()),
            status: 0,
            headers: Vec::new(),
            body: String::new(),
        };
        let bytes = serde_json::to_vec(&pending).map_err(|e| io(std::io::Error::other(e)))?;
        for _ in 0..3 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&file)
            {
                Ok(mut f) => {
                    use std::io::Write;
                    f.write_all(&bytes)
                        .and_then(|()| f.sync_data())
                        .map_err(io)?;
                    return Ok(Begin::New(file));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io(e)),
            }
            let old = std::fs::read(&file)
                .ok()
                .and_then(|b| serde_json::from_slice::<Record>(&b).ok());
            match old {
                Some(r) if now() - r.created_unix <= KEEP_S && r.key == key && r.who == who => {
                    if r.fingerprint != fingerprint {
                        return Err(Response::fault(
                            &Fault::new(
                                Code::IdempotencyMismatch,
                                "this Idempotency-Key was used with another request: send a new key for a new request",
                            )
                            .component("api")
                            .with("key", key),
                        ));
                    }
                    match r.pending_pid {
                        Some(pid) if pid_alive(pid) => {
                            return Err(Response::fault(
                                &Fault::new(
                                    Code::WrongState,
                                    "a request with this Idempotency-Key is still being answered: ask again shortly",
                                )
                                .component("api"),
                            ));
                        }
                        // Its server died before answering: answer it now.
                        Some(_) => {}
                        None => {
                            let mut resp =
                                Response::bytes(r.status, "application/json", r.body.into_bytes());
                            resp.headers = r.headers;
                            return Ok(Begin::Done(resp.with("Idempotent-Replayed", "true")));
                        }
                    }
                }
                // Expired, damaged or another key's: the slot is free.
                _ => {}
            }
            let _ = std::fs::remove_file(&file);
        }
        Err(io(std::io::Error::other("the key's slot stayed busy")))
    }

    /// Keep no answer for the key: the client may send it again and be answered afresh.
    pub fn forget(&self, file: &Path) {
        let _ = std::fs::remove_file(file);
    }

    /// Keep `resp` as the key's answer (a 5xx is not kept: the client may retry).
    pub fn finish(&self, file: &Path, resp: &Response) {
        if resp.status >= 500 {
            self.forget(file);
            return;
        }
        let Some(mut r) = std::fs::read(file)
            .ok()
            .and_then(|b| serde_json::from_slice::<Record>(&b).ok())
        else {
            return;
        };
        r.pending_pid = None;
        r.status = resp.status;
        r.headers = resp.headers.clone();
        r.body = String::from_utf8_lossy(&resp.body).into_owned();
        if let Ok(bytes) = serde_json::to_vec(&r)
            && let Err(e) = crate::fsutil::write_atomic(file, &bytes)
        {
            tracing::warn!(
                "cannot keep an Idempotency-Key's answer in {}: {e}",
                file.display()
            );
        }
    }
}
