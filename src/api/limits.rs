//! What keeps strangers from exhausting the server: a connection cap from the descriptor
//! limit, the strangers (connections that have shown no token yet) dropped oldest first when
//! it is reached, a budget for request bodies held at once, and warnings that do not flood.

use std::collections::VecDeque;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Raise the soft descriptor limit to the hard one (a service's default soft limit, 1,024,
/// is the first thing idle connections exhaust); the soft limit now in force.
pub fn raise_nofile() -> u64 {
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write the struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) != 0 {
            return 1024;
        }
        let want = if l.rlim_max == libc::RLIM_INFINITY {
            1 << 20
        } else {
            l.rlim_max
        };
        if want > l.rlim_cur {
            let raised = libc::rlimit {
                rlim_cur: want,
                rlim_max: l.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                l.rlim_cur = want;
            }
        }
    }
    l.rlim_cur
}

/// Connections one descriptor limit can carry: each holds up to three descriptors (the
/// socket, its writer, and the stranger list's handle), and the server keeps some for its
/// own files, so accept never fails for want of a descriptor and the event tail can always
/// open its log.
pub fn connection_cap(nofile: u64) -> usize {
    let usable = nofile.saturating_sub(super::RESERVED_FDS) / 3;
    (usable as usize).clamp(8, super::MAX_CONNECTIONS)
}

/// Connections that have not shown a token yet, oldest first, each with a handle that can
/// shut it down (which wakes its thread from a blocked read).
#[derive(Default)]
pub struct Pending {
    next: AtomicU64,
    list: Mutex<VecDeque<(u64, OwnedFd)>>,
}

impl Pending {
    /// Track a connection; `None` when its descriptor cannot be duplicated (it is then
    /// simply never evicted).
    pub fn add(&self, fd: RawFd) -> Option<u64> {
        // SAFETY: `fd` is the caller's open socket for the duration of this call.
        let dup = unsafe { BorrowedFd::borrow_raw(fd) }
            .try_clone_to_owned()
            .ok()?;
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        self.list.lock().ok()?.push_back((id, dup));
        Some(id)
    }

    /// The connection showed a token, or ended.
    pub fn remove(&self, id: u64) {
        if let Ok(mut l) = self.list.lock()
            && let Some(i) = l.iter().position(|(x, _)| *x == id)
        {
            l.remove(i);
        }
    }

    /// Shut the oldest stranger down; false when there is none.
    pub fn evict_oldest(&self) -> bool {
        let Some((_, fd)) = self.list.lock().ok().and_then(|mut l| l.pop_front()) else {
            return false;
        };
        // SAFETY: shutdown on a descriptor we own; the connection's thread sees its end.
        unsafe { libc::shutdown(fd.as_raw_fd(), libc::SHUT_RDWR) };
        true
    }
}

/// Bytes of one request body counted against the shared budget until dropped.
pub struct InFlight<'a> {
    counter: &'a AtomicUsize,
    n: usize,
}

impl<'a> InFlight<'a> {
    pub fn take(counter: &'a AtomicUsize, n: usize, max: usize) -> Option<InFlight<'a>> {
        counter
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |held| {
                held.checked_add(n).filter(|t| *t <= max)
            })
            .ok()?;
        Some(InFlight { counter, n })
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.counter.fetch_sub(self.n, Ordering::SeqCst);
    }
}

/// A warning that repeats at most once a minute, with how often it happened meanwhile.
#[derive(Default)]
pub struct Throttle {
    last: Option<Instant>,
    count: u64,
}

impl Throttle {
    pub fn warn(&mut self, msg: impl FnOnce(u64) -> String) {
        self.count += 1;
        if self
            .last
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(60))
        {
            tracing::warn!("{}", msg(self.count));
            self.last = Some(Instant::now());
            self.count = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_room_for_the_servers_own_files() {
        assert_eq!(connection_cap(1024), (1024 - 128) / 3);
        assert_eq!(connection_cap(0), 8);
        assert_eq!(connection_cap(1 << 20), super::super::MAX_CONNECTIONS);
    }

    #[test]
    fn the_body_budget_is_shared_and_returned() {
        let c = AtomicUsize::new(0);
        let a = InFlight::take(&c, 60, 100).expect("fits");
        assert!(InFlight::take(&c, 41, 100).is_none());
        let b = InFlight::take(&c, 40, 100).expect("fits");
        drop(a);
        assert_eq!(c.load(Ordering::SeqCst), 40);
        drop(b);
        assert_eq!(c.load(Ordering::SeqCst), 0);
        assert!(InFlight::take(&c, usize::MAX, usize::MAX).is_some());
    }

    #[test]
    fn strangers_are_evicted_oldest_first() {
        let (a, _a2) = std::os::unix::net::UnixStream::pair().expect("pair");
        let (b, _b2) = std::os::unix::net::UnixStream::pair().expect("pair");
        let p = Pending::default();
        let ia = p.add(a.as_raw_fd()).expect("tracked");
        let _ib = p.add(b.as_raw_fd()).expect("tracked");
        p.remove(ia);
        assert!(p.evict_oldest());
        // b was shut down: a read ends at once.
        use std::io::Read;
        let mut buf = [0u8; 1];
        assert_eq!((&b).read(&mut buf).expect("read"), 0);
        assert!(!p.evict_oldest());
    }
}
