//! A pseudo-terminal for the emulator: the master end is the board's side, the slave's path
//! (`/dev/pts/N`) is what a driver opens as its serial port.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;

pub struct Pty {
    pub master: File,
    pub path: PathBuf,
    /// Held open so the master never sees a hang-up while no host is connected.
    _slave: File,
}

fn check(r: libc::c_int, what: &str) -> io::Result<libc::c_int> {
    if r < 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(e.kind(), format!("{what}: {e}")));
    }
    Ok(r)
}

impl Pty {
    /// A new pty in raw mode, its master non-blocking.
    pub fn open() -> io::Result<Pty> {
        // SAFETY: plain libc calls on a descriptor this function owns.
        unsafe {
            let fd = check(
                libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY),
                "posix_openpt",
            )?;
            let master = OwnedFd::from_raw_fd(fd);
            check(libc::grantpt(fd), "grantpt")?;
            check(libc::unlockpt(fd), "unlockpt")?;
            let mut buf = [0 as libc::c_char; 128];
            if libc::ptsname_r(fd, buf.as_mut_ptr(), buf.len()) != 0 {
                return Err(io::Error::other("ptsname_r failed"));
            }
            let path = std::ffi::CStr::from_ptr(buf.as_ptr())
                .to_string_lossy()
                .into_owned();
            let flags = check(libc::fcntl(fd, libc::F_GETFL), "fcntl")?;
            check(
                libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK),
                "fcntl",
            )?;
            let slave = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags_noctty()
                .open(&path)?;
            let mut t: libc::termios = std::mem::zeroed();
            check(libc::tcgetattr(slave.as_raw_fd(), &mut t), "tcgetattr")?;
            libc::cfmakeraw(&mut t);
            check(
                libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &t),
                "tcsetattr",
            )?;
            Ok(Pty {
                master: File::from(master),
                path: PathBuf::from(path),
                _slave: slave,
            })
        }
    }

    /// Wait up to `ms` for bytes from the host.
    pub fn wait_readable(&self, ms: i32) -> bool {
        let mut p = libc::pollfd {
            fd: self.master.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut p, 1, ms) > 0 }
    }
}

trait NoCtty {
    fn custom_flags_noctty(&mut self) -> &mut Self;
}

impl NoCtty for std::fs::OpenOptions {
    fn custom_flags_noctty(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NOCTTY)
    }
}
